#include "oauth/browser/sso.h"

#include "http/cookies.h"
#include "http/html.h"
#include "oauth/browser/csrf.h"
#include "oauth/browser/pending.h"
#include "store/bounds.h"
#include "store/fields.h"
#include "store/reply.h"
#include "util/crypto.h"
#include "util/encoding.h"

namespace oauth::sso {

namespace {

constexpr size_t kCookieBytes = 32;  // 256 bits: the cookie is a bearer secret

std::optional<std::string_view> cookie_of(const flow::Request& request,
                                          const flow::ServerConfig& server) {
    auto v = http::cookie_value(request.cookie, cookie_name(server));
    if (!v || v->size() != 43 || !util::base64url_decode(*v)) return std::nullopt;
    return v;
}

// What a device page may carry on to its continuation: the characters of a
// user code (RFC 8628 §6.1) and a dash, bounded; anything else is dropped.
std::string clean_user_code(std::string_view code) {
    if (code.size() > 32) return {};
    for (char c : code) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == ' ';
        if (!ok) return {};
    }
    return std::string(code);
}

}  // namespace

namespace {

// The session record's one table (store/fields.h), in the order it is
// written; sub (not empty) and auth_time must be there.
using F = store::Field<Session>;
const F kSessionFields[] = {
    store::string_field("sub", &Session::sub),
    store::string_field("username", &Session::username),
    store::required_integer_field("auth_time", &Session::auth_time, store::kInstant),
    store::object_field("claims", &Session::claims),
};

}  // namespace

std::string serialize(const Session& s) {
    return store::serialize_fields<Session>(s, kSessionFields);
}

std::optional<Session> parse(std::string_view text, std::string_view sid) {
    auto s = store::parse_fields<Session>(text, kSessionFields);
    if (!s || s->sub.empty()) return std::nullopt;
    s->sid = std::string(sid);
    return s;
}

std::string_view cookie_name(const flow::ServerConfig& server) {
    return server.secure() ? kHostCookie : kCookie;
}

std::optional<std::string> sid_from_request(const flow::Request& request,
                                            const flow::ServerConfig& server) {
    auto v = cookie_of(request, server);
    if (!v) return std::nullopt;
    return util::sha256_hex(*v);
}

flow::Command fetch(const store::Keys& keys, std::string_view sid) { return {"GET", keys.sso(sid)}; }

std::optional<Session> parse_reply(const redisReply* reply, std::string_view sid) {
    auto text = store::as_string(reply);
    if (!text) return std::nullopt;
    return parse(*text, sid);
}

Created create(const flow::ServerConfig& server, const flow::Request& request, std::string sub,
               std::string username, json::Json claims, int64_t now) {
    store::Keys keys(server.prefix);
    int64_t ttl = server.ttl_of(OAUTH_TTL_SESSION);
    if (ttl <= 0) ttl = 8 * 3600;
    std::string cookie = util::random_token(kCookieBytes);

    Created c;
    c.session.sid = util::sha256_hex(cookie);
    c.session.sub = std::move(sub);
    c.session.username = std::move(username);
    c.session.auth_time = now;
    c.session.claims = claims ? std::move(claims) : json::Json(json_object());

    // A new login replaces the browser's previous session (its cookie is
    // overwritten below, so the old record could only linger).
    if (auto old = sid_from_request(request, server)) c.commands.push_back({"DEL", keys.sso(*old)});
    std::string ttl_s = std::to_string(ttl);
    std::string index = keys.sso_index(c.session.sub);
    c.commands.push_back({"SET", keys.sso(c.session.sid), serialize(c.session), "EX", ttl_s});
    c.commands.push_back({"ZADD", index, std::to_string(now + ttl), c.session.sid});
    c.commands.push_back({"ZREMRANGEBYSCORE", index, "-inf", std::to_string(now)});
    // Every session has the same life, so the newest one bounds the index.
    c.commands.push_back({"EXPIRE", index, ttl_s});

    c.set_cookie = http::set_cookie(http::SetCookie{.name = std::string(cookie_name(server)),
                                                    .value = cookie,
                                                    .max_age = ttl,
                                                    .secure = server.secure()});
    return c;
}

std::string clear_cookie(const flow::ServerConfig& server) {
    return http::set_cookie(http::SetCookie{
        .name = std::string(cookie_name(server)), .value = "", .max_age = 0, .secure = server.secure()});
}

LoginRedirect send_to_login_for_device(const flow::ServerConfig& server,
                                       const flow::Request& request, std::string_view user_code) {
    LoginRedirect out;
    std::string handle = authz::new_handle();
    std::string login = authz::login_url(server, handle);
    if (login.empty()) {
        out.response = authz::no_login_page();
        return out;
    }
    csrf::Browser browser = csrf::browser(request, server);
    authz::Pending p;
    p.kind = authz::Pending::Kind::Device;
    p.user_code = clean_user_code(user_code);
    p.iat = request.now;
    p.browser = util::sha256_hex(browser.secret);
    out.commands.push_back(authz::store(store::Keys(server.prefix), handle, p));
    out.response = html::redirect(login, 303);
    csrf::attach(out.response, browser);
    return out;
}

}  // namespace oauth::sso
