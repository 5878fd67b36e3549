// CSRF protection of every browser form POST (SPEC §4.3; RFC 9700 §4.7):
// a hidden field bound to the browser, checked on every POST.
//
// The browser holds a random secret in the cookie `__Host-oauth_csrf` under an
// https issuer (RFC 6265bis: Secure, Path=/, no Domain, so a sibling subdomain
// cannot plant or overwrite it), `oauth_csrf` under http (development); 256
// bits, HttpOnly, SameSite=Lax, Path=/, set by the first page that needs it. The hidden field `csrf` is
//     base64url(HMAC-SHA256(secret, purpose "\n" context))
// so a page on another site cannot produce it (it cannot read the cookie),
// and a token for one form (purpose) or one request (context: the pending
// handle, plus the SSO session id where there is one) is useless for another.
// Binding the context to the session id means an attacker who could plant a
// cookie of their choosing still cannot approve on behalf of the victim's
// session.
//
// Usage in a flow:
//   auto b = csrf::browser(request_, server_);          // GET: render
//   body += csrf::hidden_field(b.secret, "consent", handle + sid);
//   Response r = html::page(...); csrf::attach(r, b);   // sets the cookie if new
//
//   if (!csrf::check(request_, server_, form, "consent", handle + sid))   // POST
//       return Step::respond(csrf::forbidden(), "csrf mismatch");
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "flow/flow.h"
#include "http/form.h"

namespace oauth::csrf {

inline constexpr std::string_view kCookie = "oauth_csrf";             // http issuer
inline constexpr std::string_view kHostCookie = "__Host-oauth_csrf";  // https issuer
inline constexpr std::string_view kField = "csrf";

// The CSRF cookie's name for this server: kHostCookie when the issuer is https.
std::string_view cookie_name(const flow::ServerConfig& server);

struct Browser {
    std::string secret;
    std::optional<std::string> set_cookie;  // a Set-Cookie value when the secret is new
};

// The browser's secret from its cookie, or a fresh one to be set.
Browser browser(const flow::Request& request, const flow::ServerConfig& server);
// Adds the Set-Cookie header when the secret is new.
void attach(http::Response& r, const Browser& b);

std::string token(std::string_view secret, std::string_view purpose, std::string_view context);
// <input type="hidden" name="csrf" value="...">
std::string hidden_field(std::string_view secret, std::string_view purpose, std::string_view context);

// The POST carries the cookie and a `csrf` field equal to token(...)
// (constant-time comparison).
bool check(const flow::Request& request, const flow::ServerConfig& server, const http::Form& form,
           std::string_view purpose, std::string_view context);

// 403 HTML page (with the security headers).
http::Response forbidden();

// sha256hex of the browser's CSRF secret: what a pending request stores to be
// bound to the browser that started it; "" when the request has no cookie.
std::string binding(const flow::Request& request, const flow::ServerConfig& server);

}  // namespace oauth::csrf
