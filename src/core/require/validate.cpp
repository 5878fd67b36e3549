#include "require/validate.h"

#include "jose/jws.h"
#include "json/json.h"
#include "require/bearer.h"
#include "require/session.h"
#include "util/ascii.h"

namespace oauth::require {

namespace {

Reason from_jws(jose::JwsError e) {
    switch (e) {
    case jose::JwsError::Malformed: return Reason::Malformed;
    case jose::JwsError::UnknownKid: return Reason::UnknownKid;
    case jose::JwsError::AlgMismatch: return Reason::AlgMismatch;
    case jose::JwsError::BadSignature: return Reason::BadSignature;
    }
    return Reason::Malformed;
}

// RFC 9068 §4: typ must be "at+jwt" or "application/at+jwt"; media type
// names are case-insensitive (RFC 2045 §5.1). This is what keeps an ID token
// signed by the same key from opening an API.
bool access_token_type(const json_t* header) {
    auto typ = json::get_string(header, "typ");
    return typ && (util::iequals(*typ, "at+jwt") || util::iequals(*typ, "application/at+jwt"));
}

bool key_listed(const jose::Key* key, std::span<const jose::KeyPtr> keys) {
    for (const auto& k : keys)
        if (k.get() == key) return true;
    return false;
}

}  // namespace

std::expected<ClaimsPtr, Reason> authenticate(std::string_view token,
                                              std::span<const jose::KeyPtr> keys,
                                              TokenCache* cache, int64_t now,
                                              std::string_view session_prefix,
                                              bool* cache_hit) {
    if (cache_hit) *cache_hit = false;
    if (cache) {
        if (ClaimsPtr hit = cache->find(token, now); hit && key_listed(hit->key.get(), keys)) {
            if (cache_hit) *cache_hit = true;
            return hit;
        }
    }

    // Only bytes that once passed this are ever in the cache.
    if (!is_b64token(token)) return std::unexpected(Reason::Malformed);
    auto jws = jose::verify_compact(token, keys);
    if (!jws) return std::unexpected(from_jws(jws.error()));
    if (!access_token_type(jws->header.get())) return std::unexpected(Reason::BadType);

    auto claims = std::make_shared<Claims>();
    if (auto ok = parse_claims(jws->payload.get(), *claims); !ok) return std::unexpected(ok.error());
    for (const auto& k : keys)
        if (k.get() == jws->key) claims->key = k;
    if (!claims->key) return std::unexpected(Reason::UnknownKid);
    claims->session_prefix = session_prefix;
    claims->session_command = session_command(session_prefix, claims->jti);

    ClaimsPtr out = std::move(claims);
    if (cache) cache->insert(token, out, now);
    return out;
}

Reason evaluate(const Claims& c, std::string_view issuer, const Policy& p, int64_t now) {
    // RFC 9068 §4: iss must exactly match the issuer.
    if (c.iss != issuer) return Reason::WrongIssuer;
    // RFC 7519 §4.1.4/§4.1.5/§4.1.6, with the configured clock skew.
    int64_t leeway = p.leeway < 0 ? 0 : p.leeway;
    if (now - leeway > c.exp) return Reason::Expired;
    if (c.nbf && now + leeway < *c.nbf) return Reason::NotYetValid;
    if (c.iat && *c.iat > now + leeway) return Reason::IssuedInFuture;
    // RFC 9068 §4: the resource server checks the audience it stands for.
    if (!p.audience.empty() && !c.has_audience(p.audience)) return Reason::WrongAudience;
    // RFC 6750 §3.1: the token is fine but lacks a scope.
    for (auto s : p.scopes)
        if (!c.has_scope(s)) return Reason::InsufficientScope;
    return Reason::Ok;
}

}  // namespace oauth::require
