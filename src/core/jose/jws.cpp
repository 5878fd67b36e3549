// JWS compact serialization (RFC 7515 §3.1, §5.2, §7.1), strict: one
// spelling per token, our algorithms only, cheap refusals first.
#include "jose/jws.h"

#include "jose/prepared.h"
#include "util/encoding.h"

namespace oauth::jose {

namespace {

const Key* find_key(std::string_view kid, std::span<const KeyPtr> keys) {
    for (const KeyPtr& k : keys)
        if (k && k->kid() == kid) return k.get();
    return nullptr;
}

}  // namespace

// Exactly three parts (RFC 7515 §7.1); the JWE five-part form and the
// JSON serializations are not tokens we take, so they are malformed here.
// An empty signature is let through so that an unsecured JWS (RFC 7515
// A.5, "alg":"none") is reported as the algorithm refusal it is.
std::optional<CompactParts> split_compact(std::string_view token) {
    size_t a = token.find('.');
    if (a == std::string_view::npos) return std::nullopt;
    size_t b = token.find('.', a + 1);
    if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos)
        return std::nullopt;
    CompactParts p{token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
    if (p.header.empty() || p.payload.empty()) return std::nullopt;
    return p;
}

json::Json decode_part(std::string_view part) {
    auto text = util::base64url_decode(part);
    if (!text) return nullptr;
    return json::parse_object(*text, kMaxJsonDepth);
}

std::string sign_compact(const Key& key, std::string_view typ, const json_t* payload) {
    std::string input = key.prepared().headers.get(typ, [&] {
        // RFC 7515 §4.1: alg, kid, then typ (RFC 9068 §2.1 "at+jwt" for access tokens).
        json::Json header(json_object());
        json::set(header.get(), "alg", alg_name(key.alg()));
        json::set(header.get(), "kid", key.kid());
        if (!typ.empty()) json::set(header.get(), "typ", typ);
        return util::base64url_encode(json::dump(header.get()));
    });
    std::string body = json::dump(payload);
    // One buffer for the whole token: header, payload, and the signature's
    // base64url (342 characters at most, RSA up to 2048 bits).
    input.reserve(input.size() + 2 + 4 * (body.size() + 2) / 3 + 344);
    input += '.';
    util::base64url_append(input, body);
    std::string signature = key.sign(input);
    input += '.';
    util::base64url_append(input, signature);
    return input;
}

std::string_view jws_error_text(JwsError e) {
    switch (e) {
    case JwsError::Malformed: return "malformed token";
    case JwsError::UnknownKid: return "unknown key id";
    case JwsError::AlgMismatch: return "algorithm not allowed for this key";
    case JwsError::BadSignature: return "bad signature";
    }
    return "invalid token";
}

std::expected<VerifiedJws, JwsError> verify_compact(std::string_view token,
                                                    std::span<const KeyPtr> keys) {
    if (token.size() > kMaxTokenSize) return std::unexpected(JwsError::Malformed);
    auto parts = split_compact(token);
    if (!parts) return std::unexpected(JwsError::Malformed);

    VerifiedJws out;
    out.header = decode_part(parts->header);
    if (!out.header) return std::unexpected(JwsError::Malformed);
    // RFC 7515 §4.1.11: we understand no extension, so any "crit" must be refused.
    if (json_object_get(out.header.get(), "crit")) return std::unexpected(JwsError::Malformed);

    // RFC 8725 §3.1: the algorithm comes from our key, never from the token;
    // the header's alg must merely agree. "none", HS256 (with the public key
    // as an HMAC secret) and cross-key confusion all stop here.
    auto alg_text = json::get_string(out.header.get(), "alg");
    if (!alg_text) return std::unexpected(JwsError::Malformed);
    auto alg = alg_from_name(*alg_text);
    auto kid = json::get_string(out.header.get(), "kid");
    if (!alg) return std::unexpected(JwsError::AlgMismatch);
    if (!kid) return std::unexpected(JwsError::UnknownKid);
    const Key* key = find_key(*kid, keys);
    if (!key) return std::unexpected(JwsError::UnknownKid);
    if (key->alg() != *alg) return std::unexpected(JwsError::AlgMismatch);

    out.payload = decode_part(parts->payload);
    if (!out.payload) return std::unexpected(JwsError::Malformed);
    auto signature = util::base64url_decode(parts->signature);
    if (!signature) return std::unexpected(JwsError::Malformed);

    if (!key->verify(parts->signing_input(), *signature))
        return std::unexpected(JwsError::BadSignature);
    out.key = key;
    return out;
}

}  // namespace oauth::jose
