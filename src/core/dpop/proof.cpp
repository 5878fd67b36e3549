// RFC 9449 §4.3, step by step, cheap refusals first: the signature check is
// the one expensive step (about 70 us for ES256) and comes last, so a forged
// or mistaken proof costs little.
#include "dpop/proof.h"

#include <cmath>

#include "dpop/header_cache.h"
#include "jose/jws.h"
#include "jose/public_jwk.h"
#include "jose/rsa_pss.h"
#include "json/json.h"
#include "util/ascii.h"
#include "util/crypto.h"
#include "util/encoding.h"

namespace oauth::dpop {

namespace {

// A proof's alg: the key type its jwk must be, and whether the signature
// is RSASSA-PSS rather than what that key type verifies by default.
struct ProofAlg {
    jose::Alg key_alg;
    bool pss = false;
};

// Case-sensitive, as JOSE alg values are (RFC 7515 §4.1.1).
std::optional<ProofAlg> proof_alg(std::string_view name) {
    if (name == "ES256") return ProofAlg{jose::Alg::ES256};
    if (name == "RS256") return ProofAlg{jose::Alg::RS256};
    if (name == "PS256") return ProofAlg{jose::Alg::RS256, true};
    if (name == "EdDSA" || name == "Ed25519") return ProofAlg{jose::Alg::EdDSA};
    return std::nullopt;
}

// RFC 9449 §4.2: typ is "dpop+jwt"; media types are case-insensitive and
// may carry the application/ prefix (RFC 7515 §4.1.9).
bool dpop_type(const json_t* header) {
    auto typ = json::get_string(header, "typ");
    return typ && (util::iequals(*typ, "dpop+jwt") || util::iequals(*typ, "application/dpop+jwt"));
}

std::optional<int64_t> numeric_date(const json_t* payload, const char* name) {
    const json_t* v = json_object_get(payload, name);
    if (json_is_integer(v)) return static_cast<int64_t>(json_integer_value(v));
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!std::isfinite(d) || d > 9.2e18 || d < -9.2e18) return std::nullopt;
        return static_cast<int64_t>(std::floor(d));
    }
    return std::nullopt;
}

ProofError from_jwk(jose::JwkError e) {
    return e == jose::JwkError::PrivateMember ? ProofError::PrivateKey : ProofError::BadKey;
}

struct Url {
    std::string scheme, host, port;
    std::string_view path;
};

// scheme "://" authority path, without query and fragment; nullopt when it
// is not an absolute http(s) URL. userinfo is refused: no client puts a
// password into htu, and two spellings of one URL are what we avoid.
std::optional<Url> parse_url(std::string_view s) {
    size_t cut = s.find_first_of("?#");
    if (cut != std::string_view::npos) s = s.substr(0, cut);
    size_t colon = s.find("://");
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    Url u;
    for (char c : s.substr(0, colon)) u.scheme.push_back(util::ascii_lower(c));
    if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
    std::string_view rest = s.substr(colon + 3);
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    u.path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    // The port follows the last ':' outside an IPv6 literal's brackets.
    size_t pc = authority.rfind(':');
    if (pc != std::string_view::npos && authority.find(']', pc) == std::string_view::npos) {
        u.port = std::string(authority.substr(pc + 1));
        authority = authority.substr(0, pc);
        for (char c : u.port)
            if (c < '0' || c > '9') return std::nullopt;
    }
    if (authority.empty()) return std::nullopt;
    for (char c : authority) u.host.push_back(util::ascii_lower(c));
    // RFC 3986 §6.2.3: the scheme's default port is the same as none.
    while (u.port.size() > 1 && u.port[0] == '0') u.port.erase(0, 1);
    if ((u.scheme == "https" && u.port == "443") || (u.scheme == "http" && u.port == "80"))
        u.port.clear();
    return u;
}

}  // namespace

std::string_view error_text(ProofError e) {
    switch (e) {
    case ProofError::Malformed: return "DPoP proof: malformed";
    case ProofError::BadType: return "DPoP proof: typ is not dpop+jwt";
    case ProofError::BadAlg: return "DPoP proof: algorithm not allowed";
    case ProofError::BadKey: return "DPoP proof: jwk missing or unusable";
    case ProofError::PrivateKey: return "DPoP proof: jwk holds a private key";
    case ProofError::BadSignature: return "DPoP proof: bad signature";
    case ProofError::MissingClaim: return "DPoP proof: jti, htm, htu or iat missing";
    case ProofError::WrongMethod: return "DPoP proof: htm is not the request method";
    case ProofError::WrongUrl: return "DPoP proof: htu is not the request URL";
    case ProofError::Stale: return "DPoP proof: iat too old";
    case ProofError::Future: return "DPoP proof: iat in the future";
    case ProofError::MissingAth: return "DPoP proof: ath missing";
    case ProofError::WrongAth: return "DPoP proof: ath is not the access token's hash";
    case ProofError::WrongKey: return "DPoP proof: key is not the one the token is bound to";
    }
    return "DPoP proof: invalid";
}

bool same_url(std::string_view htu, std::string_view request_url) {
    auto a = parse_url(htu);
    auto b = parse_url(request_url);
    return a && b && a->scheme == b->scheme && a->host == b->host && a->port == b->port &&
           a->path == b->path;
}

std::string access_token_hash(std::string_view access_token) {
    return util::base64url_encode(util::sha256(access_token));
}

int64_t replay_window(int64_t leeway) { return 2 * (leeway < 0 ? 0 : leeway) + 1; }

std::expected<Proof, ProofError> verify_proof(std::string_view jws, const Expect& expect) {
    // §4.3 steps 1-3: one well-formed JWT.
    if (jws.size() > kMaxProofSize) return std::unexpected(ProofError::Malformed);
    auto parts = jose::split_compact(jws);
    if (!parts) return std::unexpected(ProofError::Malformed);
    json::Json payload = jose::decode_part(parts->payload);
    if (!payload) return std::unexpected(ProofError::Malformed);
    // The client's header, seen before: these bytes passed steps 4-7's
    // header checks already and carry this key (dpop/header_cache.h).
    std::optional<CheckedHeader> checked = HeaderCache::process().find(parts->header);
    json::Json header;
    std::optional<ProofAlg> alg;
    if (!checked) {
        header = jose::decode_part(parts->header);
        if (!header) return std::unexpected(ProofError::Malformed);
        // RFC 7515 §4.1.11: no extension is understood here.
        if (json_object_get(header.get(), "crit")) return std::unexpected(ProofError::Malformed);

        // Steps 4-5: typ, and an asymmetric algorithm we verify. "none",
        // HS256 and anything unknown fail here, before a key is even built.
        if (!dpop_type(header.get())) return std::unexpected(ProofError::BadType);
        auto alg_text = json::get_string(header.get(), "alg");
        alg = alg_text ? proof_alg(*alg_text) : std::nullopt;
        if (!alg) return std::unexpected(ProofError::BadAlg);
    }

    // Payload claims (§4.2), compared against the request (steps 8-11).
    auto jti = json::get_string(payload.get(), "jti");
    auto htm = json::get_string(payload.get(), "htm");
    auto htu = json::get_string(payload.get(), "htu");
    auto iat = numeric_date(payload.get(), "iat");
    if (!jti || jti->empty() || jti->size() > kMaxJtiSize || !htm || !htu || !iat)
        return std::unexpected(ProofError::MissingClaim);
    if (*htm != expect.method) return std::unexpected(ProofError::WrongMethod);
    if (!same_url(*htu, expect.url)) return std::unexpected(ProofError::WrongUrl);
    int64_t leeway = expect.leeway < 0 ? 0 : expect.leeway;
    if (*iat < expect.now - leeway) return std::unexpected(ProofError::Stale);
    if (*iat > expect.now + leeway) return std::unexpected(ProofError::Future);
    if (!expect.access_token.empty()) {
        auto ath = json::get_string(payload.get(), "ath");
        if (!ath) return std::unexpected(ProofError::MissingAth);
        if (*ath != access_token_hash(expect.access_token))
            return std::unexpected(ProofError::WrongAth);
    }
    Proof out;
    if (const json_t* n = json_object_get(payload.get(), "nonce")) {
        if (!json_is_string(n)) return std::unexpected(ProofError::MissingClaim);
        out.nonce.emplace(json_string_value(n), json_string_length(n));
    }

    // Steps 6-7: the key, public only, of the algorithm's type, and the
    // signature by it.
    if (!checked) {
        auto key = jose::key_from_public_jwk(json_object_get(header.get(), "jwk"));
        if (!key) return std::unexpected(from_jwk(key.error()));
        if ((*key)->alg() != alg->key_alg) return std::unexpected(ProofError::BadAlg);
        checked = CheckedHeader{std::move(*key), alg->pss};
        HeaderCache::process().insert(parts->header, *checked);
    }
    const jose::Key& key = *checked->key;
    out.jkt = key.kid();  // the thumbprint (public_jwk.h)
    if (!expect.jkt.empty() && out.jkt != expect.jkt) return std::unexpected(ProofError::WrongKey);
    auto signature = util::base64url_decode(parts->signature);
    if (!signature) return std::unexpected(ProofError::Malformed);
    bool good = checked->pss ? jose::verify_ps256(key.pkey(), parts->signing_input(), *signature)
                             : key.verify(parts->signing_input(), *signature);
    if (!good)
        return std::unexpected(ProofError::BadSignature);

    out.jti = std::string(*jti);
    out.iat = *iat;
    return out;
}

}  // namespace oauth::dpop
