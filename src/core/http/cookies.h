// Cookies (RFC 6265): reading the Cookie request header and building
// Set-Cookie values for the browser flows.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oauth::http {

// The value of the cookie `name` in a Cookie header ("a=1; b=2"; the glue
// joins several Cookie headers with "; "). When a name appears twice the first
// wins (RFC 6265 §5.4: the most specific path comes first). nullopt when
// absent; an optional pair of surrounding DQUOTEs is removed.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name);

struct SetCookie {
    std::string name;
    std::string value;           // cookie-octets only (RFC 6265 §4.1.1): we mint base64url
    std::string path = "/";
    std::optional<int64_t> max_age;  // seconds; nullopt: a session cookie; 0 deletes
    bool secure = false;         // set when the issuer is https
    bool http_only = true;
    std::string same_site = "Lax";
};

// "name=value; Path=/; Max-Age=N; Secure; HttpOnly; SameSite=Lax"
std::string set_cookie(const SetCookie& c);

}  // namespace oauth::http
