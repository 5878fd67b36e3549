// The pending request (SPEC §4.3): what a browser is in the middle of, kept in
// Redis under P authz:{handle} (store/keys.h) so that the browser carries only
// the opaque handle through login and consent and the flow continues on its
// own. Two kinds:
//   Authorize  an authorization request (RFC 6749 §4.1.1) already validated
//              by oauth_authorize; it continues at  AUTHORIZE?authz=H
//   Device     a visitor of the device verification page who must sign in
//              first (RFC 8628 §3.3); it continues at  DEVICE[?user_code=..]
// The continuation URL is always computed here from the record, never taken
// from the browser: there is no open redirect.
//
// The login page (built-in or external, oauth_login_url) is reached as
// LOGIN_URL?login_challenge=H; the handle is the login challenge.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flow/flow.h"
#include "json/json.h"
#include "store/keys.h"

namespace oauth::authz {

// A pending request lives this long (the user has that much time to sign in
// and consent).
inline constexpr int64_t kPendingTtl = 600;

// What oauth_login_accept recorded for an external login, picked up by the
// browser when it comes back with the verifier (see login_accept.cpp).
struct Accepted {
    std::string sub;
    std::string username;
    json::Json claims;        // an object
    int64_t auth_time = 0;
    std::string verifier_hash;  // sha256hex of the one-time login_verifier
};

struct Pending {
    enum class Kind { Authorize, Device };
    Kind kind = Kind::Authorize;
    // Kind::Authorize
    std::string client_id;
    std::string client_name;
    std::string redirect_uri;
    std::string scope;           // granted if approved: checked against the client
    std::string resource;        // RFC 8707 resources asked for, space-separated
    bool client_dynamic = false; // the client registered itself (RFC 7591)
    std::string client_uri;      // its own claim, shown as such
    std::string state;
    std::string nonce;
    std::string code_challenge;
    std::string code_challenge_method;  // "S256" or "" (no PKCE)
    std::string dpop_jkt;        // RFC 9449 §10: the key the code is bound to, "" if none
    bool prompt_login = false;   // OIDC Core §3.1.2.1: needs a login newer than iat
    std::string stale_sid;       // with prompt_login: the session the browser had then,
                                 // which does not count (a new login is a new sid)
    bool prompt_consent = false;
    int64_t max_age = -1;        // OIDC Core §3.1.2.1 max_age in seconds; -1: none
    std::string login_hint;      // OIDC Core §3.1.2.1: pre-fills the built-in login form
    // The client's consent policy (records.h: always, once, skip). With
    // `once`, consent_prior is what the user had granted when the request was
    // decided; approving stores the union.
    std::string consent_policy;
    std::string consent_prior;
    // Kind::Device
    std::string user_code;       // as the visitor typed it (may be empty)
    // Both
    int64_t iat = 0;
    std::string browser;         // csrf::binding() of the browser that started it
    std::optional<Accepted> accepted;
};

std::string serialize(const Pending& p);
std::optional<Pending> parse_pending(std::string_view text);
// The reply to fetch(): nullopt for nil, a non-string or an unreadable record
// (an error reply is the caller's: check store::is_error first).
std::optional<Pending> parse_pending_reply(const redisReply* reply);

// 128 random bits, base64url.
std::string new_handle();
// A handle as we mint them (22 base64url characters): anything else is not
// looked up.
bool valid_handle(std::string_view h);

// SET P authz:{handle} json EX kPendingTtl
flow::Command store(const store::Keys& keys, std::string_view handle, const Pending& p);
// GET / DEL P authz:{handle}
flow::Command fetch(const store::Keys& keys, std::string_view handle);
flow::Command remove(const store::Keys& keys, std::string_view handle);

// Where the flow continues once the user is signed in: AUTHORIZE?authz=H or
// DEVICE[?user_code=...]; "" when that endpoint is not configured.
std::string continue_url(const flow::ServerConfig& server, std::string_view handle,
                         const Pending& p);
// LOGIN_URL?login_challenge=H (built-in page or oauth_login_url); "" when
// no login page is configured.
// A login_hint of the authorization request travels along (an external login
// page may use it too).
std::string login_url(const flow::ServerConfig& server, std::string_view handle,
                      std::string_view login_hint = {});
// The 500 pages when continue_url() or login_url() is "".
http::Response no_continuation_page();
http::Response no_login_page();

// Appends "k=v&..." (form-encoded, empty values skipped) to a URL that may
// already have a query.
std::string with_query(std::string_view url,
                       std::initializer_list<std::pair<std::string_view, std::string_view>> kv);

}  // namespace oauth::authz
