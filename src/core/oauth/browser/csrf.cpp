#include "oauth/browser/csrf.h"

#include "http/cookies.h"
#include "http/html.h"
#include "util/crypto.h"
#include "util/encoding.h"

namespace oauth::csrf {

namespace {

constexpr size_t kSecretBytes = 32;

// A secret as we mint it: 43 base64url characters. Anything else in the
// cookie is ignored (and replaced on the next page).
std::optional<std::string_view> cookie_secret(const flow::Request& request,
                                              const flow::ServerConfig& server) {
    auto v = http::cookie_value(request.cookie, cookie_name(server));
    if (!v || v->size() != 43) return std::nullopt;
    if (!util::base64url_decode(*v)) return std::nullopt;
    return v;
}

}  // namespace

std::string_view cookie_name(const flow::ServerConfig& server) {
    return server.secure() ? kHostCookie : kCookie;
}

Browser browser(const flow::Request& request, const flow::ServerConfig& server) {
    if (auto s = cookie_secret(request, server)) return Browser{std::string(*s), std::nullopt};
    Browser b;
    b.secret = util::random_token(kSecretBytes);
    // A session cookie: it only has to live as long as the pages it protects.
    http::SetCookie c;
    c.name = std::string(cookie_name(server));
    c.value = b.secret;
    c.secure = server.secure();
    b.set_cookie = http::set_cookie(c);
    return b;
}

void attach(http::Response& r, const Browser& b) {
    if (b.set_cookie) r.header("Set-Cookie", *b.set_cookie);
}

std::string token(std::string_view secret, std::string_view purpose, std::string_view context) {
    std::string data;
    data.reserve(purpose.size() + context.size() + 1);
    data.append(purpose).push_back('\n');
    data.append(context);
    return util::base64url_encode(util::hmac_sha256(secret, data));
}

std::string hidden_field(std::string_view secret, std::string_view purpose,
                         std::string_view context) {
    return html::hidden_input(kField, token(secret, purpose, context));
}

bool check(const flow::Request& request, const flow::ServerConfig& server, const http::Form& form,
           std::string_view purpose, std::string_view context) {
    auto secret = cookie_secret(request, server);
    const std::string* field = form.get(kField);
    if (!secret || !field || field->empty()) return false;
    return util::constant_time_equal(*field, token(*secret, purpose, context));
}

http::Response forbidden() {
    return html::error_page(403, "Request refused",
                            "This form has expired or was not sent by this browser. "
                            "Go back to the application and start again.");
}

std::string binding(const flow::Request& request, const flow::ServerConfig& server) {
    auto s = cookie_secret(request, server);
    return s ? util::sha256_hex(*s) : std::string();
}

}  // namespace oauth::csrf
