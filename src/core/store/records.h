// The records kept in Redis as one JSON string each (jansson): clients,
// users and access-token sessions. oauthctl writes them, the flows read them;
// both go through these functions so the format has one definition.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"

namespace oauth::store {

// Grant type names as they travel on the wire (RFC 6749 §4, RFC 8628 §3.4).
inline constexpr std::string_view kGrantAuthorizationCode = "authorization_code";
inline constexpr std::string_view kGrantRefreshToken = "refresh_token";
inline constexpr std::string_view kGrantClientCredentials = "client_credentials";
inline constexpr std::string_view kGrantPassword = "password";
inline constexpr std::string_view kGrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code";

enum class Consent { Always, Once, Skip };
std::string_view consent_name(Consent c);
std::optional<Consent> consent_from_name(std::string_view name);

// P client:{id}:
// {"client_id","name","public":bool,"secret_hash":"$scrypt$...","redirect_uris":[..],
//  "grant_types":[..],"scope":"a b","consent":"always|once|skip"
//  [,"dynamic":true,"metadata":{..},"issued_at":N,"registration_token_hash":"hex"]}
struct Client {
    std::string id;
    std::string name;
    bool is_public = false;
    std::string secret_hash;  // util/password.h encoding; empty for public clients
    std::vector<std::string> redirect_uris;
    std::vector<std::string> post_logout_redirect_uris;  // RP-Initiated Logout §3
    std::vector<std::string> grant_types;  // wire names (kGrant*)
    std::vector<std::string> scopes;       // may ask for, and gets by default
    Consent consent = Consent::Once;
    // RFC 7591: registered itself at oauth_registration. Its record then
    // also keeps what it registered (metadata, as the registration answer
    // shows it), when (issued_at) and the SHA-256 of its RFC 7592
    // registration access token.
    bool dynamic = false;
    std::string metadata;  // a JSON object's text
    int64_t issued_at = 0;
    std::string registration_token_hash;

    bool allows_grant(std::string_view grant) const;
    bool has_redirect_uri(std::string_view uri) const;  // exact match (RFC 9700 §4.1.3)
    bool has_post_logout_redirect_uri(std::string_view uri) const;  // exact match
    std::string scope() const;                           // space-separated
};

std::string serialize(const Client& c);
// The client as `oauthctl client show` prints it: no secret_hash.
json::Json public_view(const Client& c);
std::optional<Client> parse_client(std::string_view text);

// P user:{username}: {"sub","username","password_hash","claims":{...}}
struct User {
    std::string sub;       // random, assigned at creation, never reused
    std::string username;
    std::string password_hash;
    json::Json claims;     // a JSON object (never null after parse)
};

std::string serialize(const User& u);
std::optional<User> parse_user(std::string_view text);

// P at:...: compact {"c":client_id[,"s":sub][,"f":fid]} ("s" left out when
// it equals the client id, "f" for a family-less token); lives as long as
// the access token. Sessions written before the compact form,
// {"client_id","sub","scope","iat","exp","fam"}, are still read.
struct AccessSession {
    std::string client_id;
    std::string sub;
    std::string scope;   // legacy records only (the token carries it)
    int64_t iat = 0;     // legacy records only
    int64_t exp = 0;     // legacy records only
    std::string family;
};

std::string serialize(const AccessSession& s);
std::optional<AccessSession> parse_access_session(std::string_view text);

}  // namespace oauth::store
