// HTML pages of the browser flows (login, consent, device verification,
// error pages): escaping, one plain accessible skeleton, the security headers
// every page carries, and redirects.
//
// Every page:
//   - is UTF-8 HTML5 with <main class="oauth-page oauth-page--{kind}">, a <h1>,
//     and forms whose inputs have <label>s (screen readers, scripts);
//   - carries X-Frame-Options: DENY, Content-Security-Policy with
//     frame-ancestors 'none' (clickjacking, RFC 9700 §4.16), default-src
//     'self', no script at all, and a hash for the one built-in <style>;
//     Cache-Control: no-store (pages hold CSRF tokens and handles);
//   - can be restyled by a site: a same-origin stylesheet is allowed by the
//     CSP, so `sub_filter '</head>' '<link rel="stylesheet" href="/my.css"></head>';`
//     in the location replaces the look; class names are stable (kClass*).
//
// Usage:
//   std::string body = "<p>" + html::escape(name) + "</p>";
//   return Step::respond(html::page(200, "Sign in", "login", body));
#pragma once
#include <string>
#include <string_view>

#include "flow/flow.h"

namespace oauth::html {

// & < > " ' escaped: safe in text and in double- or single-quoted attributes.
std::string escape(std::string_view text);

// A whole page: title and kind are escaped here; body_html is trusted markup
// the caller built with escape(). kind names the page for CSS
// (class "oauth-page--{kind}"): login, consent, device, error, ...
http::Response page(unsigned status, std::string_view title, std::string_view kind,
                    std::string_view body_html);

// An error page: <h1>title</h1><p class="oauth-error">message</p> (both escaped).
http::Response error_page(unsigned status, std::string_view title, std::string_view message);

// The three headers of SPEC §4.3 plus the CSP details above; page() adds them.
void add_security_headers(http::Response& r);

// A redirect (302 after a GET, 303 after a POST: RFC 9700 §4.11 forbids 307
// for credentials) with Location and Cache-Control: no-store; empty body.
http::Response redirect(std::string_view location, unsigned status = 303);

// Form pieces, escaped: <input type="hidden" name=.. value=..>.
std::string hidden_input(std::string_view name, std::string_view value);

}  // namespace oauth::html
