// Browser single sign-on (SPEC §4.3): the session a successful login creates,
// remembered by an opaque cookie, so that later authorizations (and the device
// verification page) skip the login page.
//
//   cookie  __Host-oauth_sso (https issuer: RFC 6265bis __Host- prefix, so a
//           sibling subdomain cannot plant or overwrite it) or oauth_sso (http
//           issuer, development) = 256 random bits, base64url; HttpOnly,
//           SameSite=Lax, Path=/, Max-Age = oauth_session_ttl, Secure when the
//           issuer is https
//   Redis   P sso:{sid}  sid = sha256hex(cookie value) (a Redis dump does not
//           reveal a usable cookie), JSON {"sub","username","auth_time",
//           "claims":{...}}, TTL oauth_session_ttl;
//           P idx:sso:{sub} ZSET sid -> exp (session revoke --sub ends them).
//
// Reading, as flow steps (device page, consent, authorize):
//   auto sid = sso::sid_from_request(request_, server_);          // nullopt: no cookie
//   if (sid) return Step::redis({sso::fetch(keys, *sid)});
//   ... on_redis: if (store::is_error(r)) -> 503;
//                 std::optional<sso::Session> s = sso::parse_reply(r, *sid);
//
// No session: send the browser to the login page and bring it back:
//   auto go = sso::send_to_login_for_device(server_, request_, user_code);
//   if (go.commands.empty()) return Step::respond(std::move(go.response)); // no login page
//   return Step::redis(go.commands);     // stores the pending record
//   ... on_redis: if (store::is_error(replies[0])) -> 503;
//                 return Step::respond(std::move(go.response));  // 303 to login
// After login the browser lands on DEVICE_URL?user_code=... (see pending.h).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hiredis/hiredis.h>

#include "flow/flow.h"
#include "json/json.h"
#include "store/keys.h"

namespace oauth::sso {

inline constexpr std::string_view kCookie = "oauth_sso";             // http issuer
inline constexpr std::string_view kHostCookie = "__Host-oauth_sso";  // https issuer

// The SSO cookie's name for this server: kHostCookie when the issuer is https.
std::string_view cookie_name(const flow::ServerConfig& server);

struct Session {
    std::string sid;       // the Redis key id (hash of the cookie)
    std::string sub;
    std::string username;  // "" for an external login without preferred_username
    int64_t auth_time = 0;
    json::Json claims;     // an object: the user's claims (ID token, userinfo)
};

std::string serialize(const Session& s);  // without sid
std::optional<Session> parse(std::string_view text, std::string_view sid);

// sha256hex of the oauth_sso cookie; nullopt when there is none or it is not
// shaped like one we minted.
std::optional<std::string> sid_from_request(const flow::Request& request,
                                            const flow::ServerConfig& server);
// GET P sso:{sid}
flow::Command fetch(const store::Keys& keys, std::string_view sid);
// nullopt for nil, a non-string, or a record that does not parse (an error
// reply is the caller's 503: check store::is_error first).
std::optional<Session> parse_reply(const redisReply* reply, std::string_view sid);

// A new session: the Redis commands that store it and the Set-Cookie value.
struct Created {
    Session session;
    std::vector<flow::Command> commands;  // SET, ZADD, EXPIRE (+ DEL of the old one)
    std::string set_cookie;
};
Created create(const flow::ServerConfig& server, const flow::Request& request, std::string sub,
               std::string username, json::Json claims, int64_t now);
// The Set-Cookie value that deletes the cookie (logout), with the same
// attributes as the one create() sets.
std::string clear_cookie(const flow::ServerConfig& server);

// Device verification without a session: stores a pending record of kind
// Device and answers 303 to LOGIN_URL?login_challenge=H (with the CSRF
// cookie when the browser has none). user_code is what the visitor sent (may
// be empty); it is bounded and form-encoded, never trusted as a URL.
struct LoginRedirect {
    std::vector<flow::Command> commands;
    http::Response response;
};
LoginRedirect send_to_login_for_device(const flow::ServerConfig& server,
                                       const flow::Request& request, std::string_view user_code);

}  // namespace oauth::sso
