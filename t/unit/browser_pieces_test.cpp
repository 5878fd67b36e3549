// Pieces of the browser flows: HTML escaping and headers, cookies, CSRF
// tokens, the pending request, the authorization code record, SSO sessions.
#include <gtest/gtest.h>

#include "browser_helpers.h"

#include "http/cookies.h"
#include "http/html.h"
#include "oauth/browser/consent_memory.h"
#include "oauth/browser/code.h"
#include "oauth/browser/csrf.h"
#include "oauth/browser/pending.h"
#include "oauth/browser/sso.h"
#include "store/keys.h"
#include "util/crypto.h"
#include "util/encoding.h"

using namespace oauth;

namespace {

flow::ServerConfig browser_server(std::string issuer = "https://as.example.com") {
    flow::ServerConfig c = browser_test::browser_server(std::move(issuer));
    c.endpoint_path[OAUTH_EP_DEVICE_VERIFICATION] = "/device";
    return c;
}

std::string header(const http::Response& r, std::string_view name) {
    for (const auto& [n, v] : r.headers)
        if (n == name) return v;
    return {};
}

}  // namespace

TEST(BrowserHtml, EscapesEverythingThatMatters) {
    EXPECT_EQ(html::escape(R"(<a href="x" onclick='y'>&</a>)"),
              "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    EXPECT_EQ(html::escape("plain text"), "plain text");
    EXPECT_EQ(html::hidden_input("a\"", "<v>"),
              "<input type=\"hidden\" name=\"a&quot;\" value=\"&lt;v&gt;\">");
}

TEST(BrowserHtml, PagesCarryTheSecurityHeaders) {
    auto r = html::page(200, "T<i>", "login", "<p>ok</p>");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(header(r, "X-Frame-Options"), "DENY");
    EXPECT_EQ(header(r, "Cache-Control"), "no-store");
    std::string csp = header(r, "Content-Security-Policy");
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
    EXPECT_NE(csp.find("script-src 'none'"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
    EXPECT_NE(r.body.find("<title>T&lt;i&gt;</title>"), std::string::npos);
    EXPECT_NE(r.body.find("class=\"oauth-page oauth-page--login\""), std::string::npos);
    EXPECT_NE(r.body.find("<p>ok</p>"), std::string::npos);
}

TEST(BrowserHtml, TheStyleHashInTheCspMatchesTheStyle) {
    auto r = html::page(200, "t", "x", "");
    auto start = r.body.find("<style>") + 7;
    auto end = r.body.find("</style>");
    std::string style = r.body.substr(start, end - start);
    std::string hash = "'sha256-" + util::base64_encode(util::sha256(style)) + "'";
    EXPECT_NE(header(r, "Content-Security-Policy").find(hash), std::string::npos);
}

TEST(BrowserHtml, ErrorPagesAndRedirects) {
    auto e = html::error_page(400, "Bad", "<x>");
    EXPECT_EQ(e.status, 400u);
    EXPECT_NE(e.body.find("&lt;x&gt;"), std::string::npos);
    EXPECT_EQ(header(e, "X-Frame-Options"), "DENY");
    auto r = html::redirect("https://c.example/cb?code=1", 302);
    EXPECT_EQ(r.status, 302u);
    EXPECT_EQ(header(r, "Location"), "https://c.example/cb?code=1");
    EXPECT_EQ(header(r, "Cache-Control"), "no-store");
    EXPECT_TRUE(r.body.empty());
}

TEST(BrowserCookies, ParsesTheCookieHeader) {
    std::string_view h = "a=1; oauth_sso=abc;b=\"q\" ;  c = 3 ; bare; oauth_sso=second";
    EXPECT_EQ(http::cookie_value(h, "a").value_or("-"), "1");
    EXPECT_EQ(http::cookie_value(h, "oauth_sso").value_or("-"), "abc");  // first wins
    EXPECT_EQ(http::cookie_value(h, "b").value_or("-"), "q");
    EXPECT_EQ(http::cookie_value(h, "c").value_or("-"), "3");
    EXPECT_FALSE(http::cookie_value(h, "bare"));
    EXPECT_FALSE(http::cookie_value(h, "oauth"));
    EXPECT_FALSE(http::cookie_value("", "a"));
    EXPECT_EQ(http::cookie_value("a=", "a").value_or("-"), "");
}

TEST(BrowserCookies, BuildsSetCookie) {
    http::SetCookie c;
    c.name = "n";
    c.value = "v";
    EXPECT_EQ(http::set_cookie(c), "n=v; Path=/; HttpOnly; SameSite=Lax");
    c.max_age = 60;
    c.secure = true;
    EXPECT_EQ(http::set_cookie(c), "n=v; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Lax");
}

TEST(BrowserCsrf, TokenIsBoundToSecretPurposeAndContext) {
    auto server = browser_server();
    flow::Request get;
    auto b = csrf::browser(get, server);
    ASSERT_TRUE(b.set_cookie);
    EXPECT_NE(b.set_cookie->find("__Host-oauth_csrf=" + b.secret), std::string::npos);
    EXPECT_NE(b.set_cookie->find("Secure"), std::string::npos);
    EXPECT_NE(b.set_cookie->find("HttpOnly"), std::string::npos);

    flow::Request post;
    post.cookie = "x=y; __Host-oauth_csrf=" + b.secret;
    auto again = csrf::browser(post, server);
    EXPECT_EQ(again.secret, b.secret);
    EXPECT_FALSE(again.set_cookie);

    std::string t = csrf::token(b.secret, "login", "H");
    http::Form ok = http::parse_form("csrf=" + t);
    EXPECT_TRUE(csrf::check(post, server, ok, "login", "H"));
    EXPECT_FALSE(csrf::check(post, server, ok, "consent", "H"));
    EXPECT_FALSE(csrf::check(post, server, ok, "login", "H2"));
    EXPECT_FALSE(csrf::check(post, server, http::parse_form(""), "login", "H"));
    EXPECT_FALSE(csrf::check(post, server, http::parse_form("csrf="), "login", "H"));
    flow::Request other;
    other.cookie = "__Host-oauth_csrf=" + util::random_token(32);
    EXPECT_FALSE(csrf::check(other, server, ok, "login", "H"));
    flow::Request none;
    EXPECT_FALSE(csrf::check(none, server, ok, "login", "H"));
    EXPECT_EQ(csrf::forbidden().status, 403u);
    EXPECT_EQ(csrf::binding(post, server), util::sha256_hex(b.secret));
    EXPECT_EQ(csrf::binding(none, server), "");
}

TEST(BrowserCsrf, AMalformedCookieIsReplaced) {
    auto server = browser_server("http://localhost");
    flow::Request r;
    r.cookie = "oauth_csrf=short";
    auto b = csrf::browser(r, server);
    ASSERT_TRUE(b.set_cookie);
    EXPECT_EQ(b.set_cookie->find("Secure"), std::string::npos);
    EXPECT_EQ(b.secret.size(), 43u);
}

// Consent policy `once`: what is remembered, and for how long.
TEST(BrowserConsent, RememberedScopes) {
    EXPECT_TRUE(authz::consent_covers("openid profile", "profile openid"));
    EXPECT_FALSE(authz::consent_covers("openid", "openid email"));
    EXPECT_EQ(authz::consent_union("openid profile", "email openid"), "openid profile email");
    store::Keys keys("p:");
    EXPECT_EQ(authz::remember_consent(keys, "s", "web", "openid", 0),
              (flow::Command{"SET", "p:consent:s:web", "openid"}));
    EXPECT_EQ(authz::remember_consent(keys, "s", "web", "openid", 86400),
              (flow::Command{"SET", "p:consent:s:web", "openid", "EX", "86400"}));
}

TEST(BrowserPending, RoundTripsBothKinds) {
    authz::Pending p;
    p.client_id = "web";
    p.client_name = "Web <app>";
    p.redirect_uri = "https://c.example/cb";
    p.scope = "openid profile";
    p.state = "s";
    p.nonce = "n";
    p.code_challenge = std::string(43, 'a');
    p.code_challenge_method = "S256";
    p.prompt_login = true;
    p.consent_policy = "once";
    p.consent_prior = "openid";
    p.login_hint = "alice";
    p.iat = 42;
    p.browser = "b";
    auto q = authz::parse_pending(authz::serialize(p));
    ASSERT_TRUE(q);
    EXPECT_EQ(q->kind, authz::Pending::Kind::Authorize);
    EXPECT_EQ(q->client_name, "Web <app>");
    EXPECT_EQ(q->code_challenge, p.code_challenge);
    EXPECT_TRUE(q->prompt_login);
    EXPECT_FALSE(q->prompt_consent);
    EXPECT_EQ(q->consent_policy, "once");
    EXPECT_EQ(q->consent_prior, "openid");
    EXPECT_EQ(q->login_hint, "alice");
    EXPECT_EQ(q->iat, 42);
    EXPECT_FALSE(q->accepted);

    authz::Pending d;
    d.kind = authz::Pending::Kind::Device;
    d.user_code = "BCDF-GHJK";
    d.accepted = authz::Accepted{.sub = "s1", .username = "u",
                                 .claims = json::parse_object(R"({"email":"e@x"})"),
                                 .auth_time = 7, .verifier_hash = "h"};
    auto e = authz::parse_pending(authz::serialize(d));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, authz::Pending::Kind::Device);
    EXPECT_EQ(e->user_code, "BCDF-GHJK");
    ASSERT_TRUE(e->accepted);
    EXPECT_EQ(e->accepted->sub, "s1");
    EXPECT_EQ(json::get_string(e->accepted->claims.get(), "email").value_or(""), "e@x");
}

TEST(BrowserPending, RefusesGarbage) {
    for (std::string_view bad : {"", "[]", "{}", R"({"kind":"x"})", R"({"kind":"authorize"})",
                                 R"({"kind":"authorize","client_id":1,"redirect_uri":"r"})",
                                 R"({"kind":"device","accepted":{"sub":""}})",
                                 R"({"kind":"device","accepted":3})"})
        EXPECT_FALSE(authz::parse_pending(bad)) << bad;
}

TEST(BrowserPending, HandlesAndUrls) {
    auto h = authz::new_handle();
    EXPECT_TRUE(authz::valid_handle(h));
    EXPECT_NE(h, authz::new_handle());
    EXPECT_FALSE(authz::valid_handle(""));
    EXPECT_FALSE(authz::valid_handle(std::string(22, '.')));
    EXPECT_FALSE(authz::valid_handle(std::string(23, 'a')));

    auto server = browser_server();
    authz::Pending p;
    EXPECT_EQ(authz::continue_url(server, h, p), "https://as.example.com/authorize?authz=" + h);
    p.kind = authz::Pending::Kind::Device;
    p.user_code = "AB CD";
    EXPECT_EQ(authz::continue_url(server, h, p), "https://as.example.com/device?user_code=AB%20CD");
    p.user_code.clear();
    EXPECT_EQ(authz::continue_url(server, h, p), "https://as.example.com/device");
    EXPECT_EQ(authz::login_url(server, h), "https://as.example.com/login?login_challenge=" + h);
    server.login_url = "https://login.example/in?tenant=1";
    EXPECT_EQ(authz::login_url(server, h), "https://login.example/in?tenant=1&login_challenge=" + h);
    EXPECT_EQ(authz::with_query("https://c/cb", {{"a", "1 2"}, {"b", ""}}), "https://c/cb?a=1%202");

    auto cmd = authz::store(store::Keys("p:"), h, p);
    ASSERT_EQ(cmd.size(), 5u);
    EXPECT_EQ(cmd[0], "SET");
    EXPECT_EQ(cmd[1], "p:authz:" + h);
    EXPECT_EQ(cmd[3], "EX");
}

TEST(BrowserCode, RecordRoundTripsAndIsStoredHashed) {
    authz::CodeRecord c;
    c.client_id = "web";
    c.redirect_uri = "https://c.example/cb";
    c.code_challenge = std::string(43, 'x');
    c.code_challenge_method = "S256";
    c.nonce = "n";
    c.scope = "openid";
    c.sub = "sub1";
    c.username = "alice";
    c.auth_time = 10;
    c.claims = json::parse_object(R"({"name":"A"})");
    c.iat = 11;
    auto text = authz::serialize(c);
    auto d = authz::parse_code(text);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->client_id, "web");
    EXPECT_EQ(d->code_challenge_method, "S256");
    EXPECT_EQ(d->auth_time, 10);
    EXPECT_EQ(d->iat, 11);
    EXPECT_EQ(json::get_string(d->claims.get(), "name").value_or(""), "A");

    auto m = authz::mint_code(browser_server(), c);
    EXPECT_EQ(m.code.size(), 43u);  // 256 bits
    ASSERT_EQ(m.command.size(), 5u);
    EXPECT_EQ(m.command[1], "p:code:" + util::sha256_hex(m.code));
    EXPECT_EQ(m.command[2], text);
    EXPECT_EQ(m.command[4], "60");
    EXPECT_EQ(text.find(m.code), std::string::npos);

    EXPECT_FALSE(authz::parse_code("[]"));
    EXPECT_FALSE(authz::parse_code(R"({"sub":1})"));
    EXPECT_FALSE(authz::parse_code(R"({"claims":"x"})"));
    EXPECT_FALSE(authz::parse_code(R"({"iat":"x"})"));
    auto empty = authz::parse_code("{}");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(json_is_object(empty->claims.get()));
}

TEST(BrowserSso, CreateReadAndCookie) {
    auto server = browser_server();
    flow::Request r;
    r.cookie = "__Host-oauth_sso=" + util::random_token(32);
    auto old_sid = sso::sid_from_request(r, server);
    ASSERT_TRUE(old_sid);
    auto c = sso::create(server, r, "sub1", "alice", json::parse_object(R"({"email":"a@x"})"), 100);
    EXPECT_NE(c.set_cookie.find("__Host-oauth_sso="), std::string::npos);
    for (auto attr : {"HttpOnly", "SameSite=Lax", "Path=/", "Secure", "Max-Age=3600"})
        EXPECT_NE(c.set_cookie.find(attr), std::string::npos) << attr;
    // the old session is dropped, the new one stored under the cookie's hash
    ASSERT_GE(c.commands.size(), 2u);
    EXPECT_EQ(c.commands[0], (flow::Command{"DEL", "p:sso:" + *old_sid}));
    EXPECT_EQ(c.commands[1][0], "SET");
    EXPECT_EQ(c.commands[1][1], "p:sso:" + c.session.sid);
    std::string value = c.set_cookie.substr(17, 43);
    flow::Request next;
    next.cookie = "__Host-oauth_sso=" + value;
    EXPECT_EQ(sso::sid_from_request(next, server).value_or(""), c.session.sid);
    EXPECT_EQ(c.commands[1][2].find(value), std::string::npos);

    auto s = sso::parse(c.commands[1][2], c.session.sid);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->sub, "sub1");
    EXPECT_EQ(s->username, "alice");
    EXPECT_EQ(s->auth_time, 100);
    EXPECT_EQ(json::get_string(s->claims.get(), "email").value_or(""), "a@x");
    EXPECT_FALSE(sso::parse(R"({"username":"x"})", "sid"));

    flow::Request bad;
    bad.cookie = "__Host-oauth_sso=../../x";
    EXPECT_FALSE(sso::sid_from_request(bad, server));
}

TEST(BrowserSso, SendToLoginForDevice) {
    auto server = browser_server();
    flow::Request r;
    auto go = sso::send_to_login_for_device(server, r, "BCDF-GHJK");
    ASSERT_EQ(go.commands.size(), 1u);
    EXPECT_EQ(go.response.status, 303u);
    std::string loc = header(go.response, "Location");
    EXPECT_EQ(loc.rfind("https://as.example.com/login?login_challenge=", 0), 0u);
    EXPECT_NE(header(go.response, "Set-Cookie").find("__Host-oauth_csrf="), std::string::npos);
    auto p = authz::parse_pending(go.commands[0][2]);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, authz::Pending::Kind::Device);
    EXPECT_EQ(p->user_code, "BCDF-GHJK");
    EXPECT_FALSE(p->browser.empty());

    // a user code that could be anything else is dropped, not carried
    auto evil = sso::send_to_login_for_device(server, r, "x\"><script>&next=https://evil");
    EXPECT_EQ(authz::parse_pending(evil.commands[0][2])->user_code, "");

    server.login_url.clear();
    auto none = sso::send_to_login_for_device(server, r, "");
    EXPECT_TRUE(none.commands.empty());
    EXPECT_EQ(none.response.status, 500u);
}

// RFC 6265bis §4.1.3.2: a `__Host-` cookie must be Secure, Path=/ and carry
// no Domain, so a sibling subdomain can neither plant nor overwrite it. Used
// under an https issuer; an http issuer (development) keeps the plain names.
TEST(BrowserCookies, NamesAndAttributesFollowTheIssuerScheme) {
    struct Case {
        std::string issuer, sso, csrf, secure;
    };
    for (const Case& k : {Case{"https://as.example.com", "__Host-oauth_sso", "__Host-oauth_csrf", "; Secure"},
                          Case{"http://localhost", "oauth_sso", "oauth_csrf", ""}}) {
        SCOPED_TRACE(k.issuer);
        auto server = browser_server(k.issuer);
        flow::Request none;
        auto b = csrf::browser(none, server);
        ASSERT_TRUE(b.set_cookie);
        EXPECT_EQ(*b.set_cookie, k.csrf + "=" + b.secret + "; Path=/" + k.secure + "; HttpOnly; SameSite=Lax");

        auto c = sso::create(server, none, "sub1", "alice", json::parse_object("{}"), 100);
        std::string value = c.set_cookie.substr(k.sso.size() + 1, 43);
        EXPECT_EQ(c.set_cookie,
                  k.sso + "=" + value + "; Path=/; Max-Age=3600" + k.secure + "; HttpOnly; SameSite=Lax");
        EXPECT_EQ(sso::clear_cookie(server), k.sso + "=; Path=/; Max-Age=0" + k.secure + "; HttpOnly; SameSite=Lax");
        EXPECT_EQ(c.set_cookie.find("Domain"), std::string::npos);
    }
}

// Under an https issuer only the `__Host-` cookies are read: a plain
// `oauth_sso` or `oauth_csrf` planted by a sibling subdomain is ignored. An
// http issuer reads only the plain names.
TEST(BrowserCookies, OnlyTheSchemesCookieIsRead) {
    std::string v = util::random_token(32);
    for (bool https : {true, false}) {
        auto server = browser_server(https ? "https://as.example.com" : "http://localhost");
        SCOPED_TRACE(server.issuer);
        flow::Request host, plain;
        host.cookie = "__Host-oauth_sso=" + v + "; __Host-oauth_csrf=" + v;
        plain.cookie = "oauth_sso=" + v + "; oauth_csrf=" + v;
        const flow::Request& read = https ? host : plain;
        const flow::Request& ignored = https ? plain : host;
        EXPECT_EQ(sso::sid_from_request(read, server).value_or(""), util::sha256_hex(v));
        EXPECT_FALSE(sso::sid_from_request(ignored, server));
        EXPECT_EQ(csrf::binding(read, server), util::sha256_hex(v));
        EXPECT_EQ(csrf::binding(ignored, server), "");
        http::Form ok = http::parse_form("csrf=" + csrf::token(v, "login", "H"));
        EXPECT_TRUE(csrf::check(read, server, ok, "login", "H"));
        EXPECT_FALSE(csrf::check(ignored, server, ok, "login", "H"));
        EXPECT_FALSE(csrf::browser(read, server).set_cookie);
        EXPECT_TRUE(csrf::browser(ignored, server).set_cookie);
    }
}
