// OpenID Connect ID tokens (OIDC Core §2, §3.1.3.6, §12.2), signed with the
// server's signing key like access tokens but typed "JWT", so oauth_require
// (which wants at+jwt, RFC 9068 §4) never takes one for an access token.
//
// What a grant family keeps for later ID tokens and userinfo (fields of the
// P fam:{fid} hash, written by the authorization_code and device_code grants
// through token::issue_for_user, oauth/user_tokens.h):
//   auth_time   decimal unix seconds of the user's authentication
//   claims      the user's claims as a JSON object text (all of them; each
//               reader releases only what the scope of its token allows)
// plus the hash's own sub, username and scope.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flow/server.h"
#include "jose/key.h"
#include "json/json.h"
#include "store/family.h"

namespace oauth::id_token {

inline constexpr std::string_view kFieldAuthTime = "auth_time";
inline constexpr std::string_view kFieldClaims = "claims";

// True when the space-separated scope holds "openid" (OIDC Core §3.1.2.1).
bool wanted(std::string_view scope);

// OIDC Core §3.1.3.6: base64url of the left half of the hash of the access
// token's ASCII bytes, with the hash of the JWS alg: SHA-256 for RS256 and
// ES256. EdDSA names no hash of its own; we use SHA-512, the hash inside
// Ed25519, as OpenID Foundation implementations (and the OIDC Core errata
// discussion) do, so a relying party computing it the common way agrees.
std::string at_hash(jose::Alg alg, std::string_view access_token);

// OIDC Core §5.4: the members of the user's claims object that the scope
// releases, in table order (oauth/scopes.h). With `profile`, the username
// travels as preferred_username when the claims have none (SPEC §3).
// user_claims may be null or not an object (nothing is released then).
json::Json released_claims(const json_t* user_claims, std::string_view scope,
                           std::string_view username);

struct Request {
    std::string_view client_id;     // aud (OIDC Core §2)
    std::string_view sub;
    std::string_view username;
    std::string_view scope;         // granted
    const json_t* user_claims = nullptr;
    std::optional<int64_t> auth_time;
    std::string_view nonce;         // empty: the request sent none (§3.1.2.1)
    std::string_view access_token;  // issued alongside: at_hash
    int64_t now = 0;
};

// The signed ID token; exp is now + the access-token lifetime.
std::string mint(const flow::ServerConfig& server, const Request& req);

// OIDC Core §12.2: the ID token a refresh answers with when the family was
// granted openid (and the refreshed scope keeps it): same sub, aud and
// auth_time and the claims stored with the family, no nonce. nullopt when no
// ID token is due.
std::optional<std::string> on_refresh(const flow::ServerConfig& server,
                                      const store::Family& family, std::string_view scope,
                                      std::string_view access_token, int64_t now);

// An id_token_hint (OIDC Core §3.1.2.1, RP-Initiated Logout §2): an ID token
// this server signed (signature, iss, typ JWT: never an access token) with a
// sub and a single audience. exp is not checked: a hint is often expired.
struct Hint {
    std::string sub;
    std::string client_id;  // its aud
};
std::optional<Hint> read_hint(const flow::ServerConfig& server, std::string_view token);

}  // namespace oauth::id_token
