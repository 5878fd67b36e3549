// The browser endpoints as flows, with canned Redis replies: what each
// answers and which commands it sends.
#include <gtest/gtest.h>

#include "browser_helpers.h"

#include "http/form.h"
#include "oauth/browser/code.h"
#include "oauth/browser/csrf.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/tokens/issue.h"
#include "oauth/users/login_limit.h"
#include "oauth/browser/pending.h"
#include "oauth/browser/sso.h"
#include "store/cas.h"
#include "token_helpers.h"

using namespace oauth;
using token_test::Driver;
using token_test::kNow;
using token_test::nil;
using token_test::str;

namespace {

const flow::ServerConfig& bserver() {
    static flow::ServerConfig s = [] {
        flow::ServerConfig c = browser_test::browser_server();
        c.keys = token_test::server().keys;
        return c;
    }();
    return s;
}

constexpr std::string_view kRedirect = "https://c.example/cb";
const std::string kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";  // RFC 7636 B

std::string client_json(std::string consent = "skip", bool is_public = true) {
    store::Client c;
    c.id = "web";
    c.name = "Web";
    c.is_public = is_public;
    c.redirect_uris = {std::string(kRedirect)};
    c.grant_types = {"authorization_code"};
    c.scopes = {"openid", "profile"};
    c.consent = *store::consent_from_name(consent);
    return store::serialize(c);
}

flow::Request get(std::string path, std::string query, std::string cookie = {}) {
    flow::Request r;
    r.method = "GET";
    r.path = std::move(path);
    r.query = std::move(query);
    r.cookie = std::move(cookie);
    r.now = kNow;
    return r;
}

flow::Request post(std::string path, std::string body, std::string cookie = {}) {
    flow::Request r = get(std::move(path), {}, std::move(cookie));
    r.method = "POST";
    r.content_type = "application/x-www-form-urlencoded";
    r.body = std::move(body);
    return r;
}

std::string authorize_query(std::string extra = {}) {
    return "response_type=code&client_id=web&redirect_uri=" + http::form_encode(kRedirect) +
           "&state=xyz&code_challenge=" + kChallenge + "&code_challenge_method=S256" + extra;
}

std::map<std::string, std::string> location_query(const Driver& d) {
    std::string loc = d.header("Location");
    auto q = loc.find('?');
    auto form = http::parse_form(q == std::string::npos ? "" : loc.substr(q + 1));
    return {form.params.begin(), form.params.end()};
}

void expect_html_page(const Driver& d, unsigned status) {
    EXPECT_EQ(d.step.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(d.step.response.status, status);
    EXPECT_EQ(d.header("Location"), "");
    EXPECT_EQ(d.header("X-Frame-Options"), "DENY");
    EXPECT_EQ(d.step.response.content_type, "text/html; charset=utf-8");
}

// A signed-in browser: its cookie header and the stored session.
struct SignedIn {
    std::string cookie;
    std::string sid;
    std::string record;
};
SignedIn signed_in(int64_t auth_time = kNow - 10) {
    SignedIn s;
    std::string value = util::random_token(32);
    std::string csrf_secret = util::random_token(32);
    s.cookie = "__Host-oauth_sso=" + value + "; __Host-oauth_csrf=" + csrf_secret;
    s.sid = util::sha256_hex(value);
    sso::Session session;
    session.sub = "sub1";
    session.username = "alice";
    session.auth_time = auth_time;
    session.claims = json::parse_object(R"({"name":"Alice"})");
    s.record = sso::serialize(session);
    return s;
}

}  // namespace

TEST(BrowserAuthorize, UnknownClientIsAPageNotARedirect) {
    Driver d(endpoints::make_authorize(bserver(), get("/authorize", authorize_query())));
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(d.command(), (flow::Command{"GET", "p:client:web"}));
    auto n = nil();
    d.reply(n);
    expect_html_page(d, 400);
}

TEST(BrowserAuthorize, UnregisteredRedirectUriIsAPage) {
    std::string q = "response_type=code&client_id=web&redirect_uri=https%3A%2F%2Fevil.example%2Fcb";
    Driver d(endpoints::make_authorize(bserver(), get("/authorize", q)));
    auto c = str(client_json());
    d.reply(c);
    expect_html_page(d, 400);
}

TEST(BrowserAuthorize, NoClientIdOrMalformedQueryAnswersAtOnce) {
    Driver a(endpoints::make_authorize(bserver(), get("/authorize", "response_type=code")));
    expect_html_page(a, 400);
    Driver b(endpoints::make_authorize(bserver(), get("/authorize", "client_id=%zz")));
    expect_html_page(b, 400);
    Driver c(endpoints::make_authorize(bserver(), get("/authorize", "client_id=a&client_id=b")));
    expect_html_page(c, 400);
}

TEST(BrowserAuthorize, ErrorsAfterTheRedirectUriIsTrustedAreRedirects) {
    struct Case {
        std::string query;
        std::string error;
    } cases[] = {
        {authorize_query("&scope=admin"), "invalid_scope"},
        {authorize_query("&state=again"), "invalid_request"},
        {authorize_query("&prompt=none"), "login_required"},
        {authorize_query("&prompt=bogus"), "invalid_request"},
        {"response_type=token&client_id=web&redirect_uri=" + http::form_encode(kRedirect) + "&state=xyz",
         "unsupported_response_type"},
        {"response_type=code&client_id=web&redirect_uri=" + http::form_encode(kRedirect) + "&state=xyz",
         "invalid_request"},  // public client, no challenge
        {"response_type=code&client_id=web&redirect_uri=" + http::form_encode(kRedirect) +
             "&state=xyz&code_challenge=" + kChallenge + "&code_challenge_method=plain",
         "invalid_request"},
    };
    for (const auto& c : cases) {
        Driver d(endpoints::make_authorize(bserver(), get("/authorize", c.query)));
        auto client = str(client_json());
        d.reply(client);
        ASSERT_EQ(d.step.kind, flow::Step::Kind::Respond) << c.query;
        EXPECT_EQ(d.step.response.status, 302u) << c.query;
        auto q = location_query(d);
        EXPECT_EQ(q["error"], c.error) << c.query;
        EXPECT_EQ(q["iss"], "https://as.example.com");
        if (c.query.find("state=again") == std::string::npos) {
            EXPECT_EQ(q["state"], "xyz") << c.query;
        }
        EXPECT_EQ(d.header("Location").rfind(std::string(kRedirect) + "?", 0), 0u);
    }
}

// Issue 18 item 4: jansson refuses text that is not UTF-8, and a state or
// nonce silently dropped from the pending request came back as a redirect
// without state. Refused with invalid_request instead; the error redirect
// carries state exactly as sent.
TEST(BrowserAuthorize, StateOrNonceThatIsNotUtf8IsInvalidRequest) {
    struct Case {
        std::string extra, state;
    } cases[] = {
        {"&state=%FF%FEab", "\xff\xfe" "ab"},
        {"&state=%C0%80", "\xc0\x80"},         // overlong NUL
        {"&state=%ED%A0%80", "\xed\xa0\x80"},  // a surrogate
        {"&state=xyz&nonce=n%FF", "xyz"},
    };
    for (const auto& c : cases) {
        std::string query = "response_type=code&client_id=web&redirect_uri=" + http::form_encode(kRedirect) +
                            "&code_challenge=" + kChallenge + "&code_challenge_method=S256" + c.extra;
        Driver d(endpoints::make_authorize(bserver(), get("/authorize", query)));
        auto client = str(client_json());
        d.reply(client);
        ASSERT_EQ(d.step.kind, flow::Step::Kind::Respond) << c.extra;
        EXPECT_EQ(d.step.response.status, 302u) << c.extra;
        auto q = location_query(d);
        EXPECT_EQ(q["error"], "invalid_request") << c.extra;
        EXPECT_EQ(q["state"], c.state) << c.extra;
    }
}

// OIDC Core §3.1.2.6: request and request_uri have their own error codes.
TEST(BrowserAuthorize, RequestObjectsAreNotSupported) {
    for (auto [extra, error] : {std::pair{"&request=eyJhbGciOiJub25lIn0.e30.", "request_not_supported"},
                                std::pair{"&request_uri=https%3A%2F%2Fc.example%2Fr", "request_uri_not_supported"}}) {
        Driver d(endpoints::make_authorize(bserver(), get("/authorize", authorize_query(extra))));
        auto client = str(client_json());
        d.reply(client);
        ASSERT_EQ(d.step.kind, flow::Step::Kind::Respond) << extra;
        EXPECT_EQ(d.step.response.status, 302u);
        auto q = location_query(d);
        EXPECT_EQ(q["error"], error);
        EXPECT_EQ(q["state"], "xyz");
    }
}

TEST(BrowserAuthorize, LoginHintThatIsNotUtf8IsDropped) {
    Driver d(endpoints::make_authorize(bserver(), get("/authorize", authorize_query("&login_hint=al%FFice"))));
    auto client = str(client_json());
    d.reply(client);
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
    auto p = authz::parse_pending(d.command()[2]);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->state, "xyz");
    EXPECT_EQ(p->login_hint, "");
}

TEST(BrowserAuthorize, WithoutSessionStoresThePendingRequestAndGoesToLogin) {
    Driver d(endpoints::make_authorize(
        bserver(), get("/authorize", authorize_query("&nonce=n1&login_hint=alice%40example.com"))));
    auto client = str(client_json());
    d.reply(client);
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
    const auto& set = d.command();
    ASSERT_EQ(set[0], "SET");
    ASSERT_EQ(set[1].rfind("p:authz:", 0), 0u);
    std::string handle = set[1].substr(8);
    auto p = authz::parse_pending(set[2]);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->client_id, "web");
    EXPECT_EQ(p->nonce, "n1");
    EXPECT_EQ(p->login_hint, "alice@example.com");
    EXPECT_EQ(p->scope, "openid profile");
    EXPECT_EQ(p->code_challenge, kChallenge);
    EXPECT_FALSE(p->browser.empty());
    auto ok = str("OK");
    d.reply(ok);
    EXPECT_EQ(d.step.response.status, 302u);
    EXPECT_EQ(d.header("Location"), "https://as.example.com/login?login_challenge=" + handle +
                                      "&login_hint=alice%40example.com");
    EXPECT_NE(d.header("Set-Cookie").find("__Host-oauth_csrf="), std::string::npos);
}

TEST(BrowserAuthorize, WithSessionAndSkipMintsTheCode) {
    auto s = signed_in();
    Driver d(endpoints::make_authorize(bserver(), get("/authorize", authorize_query(), s.cookie)));
    ASSERT_EQ(d.step.commands.size(), 2u);
    EXPECT_EQ(d.step.commands[1], (flow::Command{"GET", "p:sso:" + s.sid}));
    auto client = str(client_json("skip"));
    auto session = str(s.record);
    d.reply({client.get(), session.get()});
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(d.command()[0], "SET");
    auto record = authz::parse_code(d.command()[2]);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->sub, "sub1");
    EXPECT_EQ(record->auth_time, kNow - 10);
    EXPECT_EQ(record->code_challenge, kChallenge);
    EXPECT_EQ(json::get_string(record->claims.get(), "name").value_or(""), "Alice");
    std::string key = d.command()[1];
    auto ok = str("OK");
    d.reply(ok);
    EXPECT_EQ(d.step.response.status, 302u);
    auto q = location_query(d);
    EXPECT_EQ(q["state"], "xyz");
    EXPECT_EQ(q["iss"], "https://as.example.com");
    EXPECT_EQ(key, "p:code:" + util::sha256_hex(q["code"]));
}

TEST(BrowserAuthorize, PromptLoginIgnoresAnOlderSession) {
    auto s = signed_in(kNow - 10);
    Driver d(endpoints::make_authorize(bserver(), get("/authorize", authorize_query("&prompt=login"), s.cookie)));
    auto client = str(client_json("skip"));
    auto session = str(s.record);
    d.reply({client.get(), session.get()});
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
    auto p = authz::parse_pending(d.command()[2]);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->prompt_login);
    EXPECT_EQ(p->stale_sid, s.sid);
}

TEST(BrowserAuthorize, PromptLoginIgnoresASessionOfTheSameSecond) {
    auto s = signed_in(kNow);
    Driver d(endpoints::make_authorize(bserver(), get("/authorize", authorize_query("&prompt=login"), s.cookie)));
    auto client = str(client_json("skip"));
    auto session = str(s.record);
    d.reply({client.get(), session.get()});
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(d.command()[1].rfind("p:authz:", 0), 0u);
}

TEST(BrowserAuthorize, ConsentOnceAsksForScopesNotYetGranted) {
    auto s = signed_in();
    Driver d(endpoints::make_authorize(bserver(), get("/authorize", authorize_query(), s.cookie)));
    auto client = str(client_json("once"));
    auto session = str(s.record);
    d.reply({client.get(), session.get()});
    EXPECT_EQ(d.command(), (flow::Command{"GET", "p:consent:sub1:web"}));
    auto remembered = str("openid");
    d.reply(remembered);
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
    std::string handle = d.command()[1].substr(8);
    auto ok = str("OK");
    d.reply(ok);
    EXPECT_EQ(d.header("Location"), "https://as.example.com/consent?authz=" + handle);
}

TEST(BrowserAuthorize, RedisErrorIsA503Page) {
    Driver d(endpoints::make_authorize(bserver(), get("/authorize", authorize_query())));
    auto e = token_test::error("ERR down");
    d.reply(e);
    expect_html_page(d, 503);
}

// Back from an external login (LOGIN?login_challenge=H&login_verifier=V):
// the verifier is spent by a compare-and-set, so of two landings with it
// only one signs in.
TEST(BrowserLoginLanding, TheVerifierIsSpentOnce) {
    std::string handle = authz::new_handle();
    std::string secret = util::random_token(32);
    std::string cookie = "__Host-oauth_csrf=" + secret;
    std::string verifier = util::random_token(32);
    authz::Pending p;
    p.client_id = "web";
    p.client_name = "Web";
    p.redirect_uri = std::string(kRedirect);
    p.iat = kNow;
    p.browser = util::sha256_hex(secret);
    p.accepted = authz::Accepted{.sub = "ext-1",
                                 .username = "ext",
                                 .claims = json::parse_object("{}"),
                                 .auth_time = kNow,
                                 .verifier_hash = util::sha256_hex(verifier)};
    std::string stored = authz::serialize(p);
    auto landing = [&] {
        std::string query = "login_challenge=" + handle + "&login_verifier=" + verifier;
        return std::make_unique<Driver>(endpoints::make_login(bserver(), get("/login", query, cookie)));
    };

    for (bool first : {true, false}) {
        auto d = landing();
        auto pending = str(stored);
        d->reply(pending);
        ASSERT_EQ(d->step.kind, flow::Step::Kind::Redis);
        const auto& cas = d->command();
        EXPECT_EQ(cas[1], store::cas_script().sha1());
        EXPECT_EQ(cas[3], "p:authz:" + handle);
        EXPECT_EQ(cas[4], stored);
        auto spent = authz::parse_pending(cas[5]);
        ASSERT_TRUE(spent);
        EXPECT_FALSE(spent->accepted);
        if (first) {
            // A Redis that has not seen the script yet: the same call as EVAL.
            auto noscript = token_test::error("NOSCRIPT No matching script.");
            d->reply(noscript);
            ASSERT_EQ(d->step.kind, flow::Step::Kind::Redis);
            EXPECT_EQ(d->command()[0], "EVAL");
            auto ok = token_test::array({"ok"});
            d->reply(ok);
            ASSERT_EQ(d->step.kind, flow::Step::Kind::Redis);  // the SSO session
            EXPECT_EQ(d->command()[0], "SET");
            EXPECT_EQ(d->command()[1].rfind("p:sso:", 0), 0u);
        } else {  // another landing spent it between our read and our write
            auto changed = token_test::array({"changed", cas[5]});
            d->reply(changed);
            expect_html_page(*d, 400);
        }
    }
}

TEST(BrowserLogin, PostWithoutCsrfIsRefusedBeforeAnyWork) {
    std::string handle = authz::new_handle();
    Driver d(endpoints::make_login(bserver(), post("/login", "login_challenge=" + handle +
                                                                 "&username=alice&password=x")));
    expect_html_page(d, 403);
}

// A login POST with a valid CSRF field, for alice (password "right").
token_test::ReplyPtr reserve_reply(long long allowed, long long ms) {
    auto p = std::make_unique<token_test::Reply>();
    p->r.type = REDIS_REPLY_ARRAY;
    p->kids.push_back(token_test::integer(allowed));
    p->kids.push_back(token_test::integer(ms));
    for (auto& k : p->kids) p->ptrs.push_back(&k->r);
    p->r.elements = p->ptrs.size();
    p->r.element = p->ptrs.data();
    return p;
}

struct LoginPost {
    std::string handle = authz::new_handle();
    std::string secret = util::random_token(32);
    authz::Pending pending;
    store::User user;

    LoginPost() {
        pending.client_id = "web";
        pending.client_name = "Web";
        pending.redirect_uri = std::string(kRedirect);
        pending.iat = kNow;
        user.sub = "sub1";
        user.username = "alice";
        user.password_hash = util::hash_secret("right", token_test::kTestCost);
        user.claims = json::parse_object("{}");
    }

    // Posted, and the pending request read back: at the password check.
    Driver post_password(std::string password) {
        auto r = post("/login", "login_challenge=" + handle + "&csrf=" +
                                    csrf::token(secret, "login", handle) +
                                    "&username=alice&password=" + password,
                      "__Host-oauth_csrf=" + secret);
        r.client_address = "192.0.2.7";
        Driver d(endpoints::make_login(bserver(), std::move(r)));
        EXPECT_EQ(d.step.commands.size(), 1u);
        d.reply(str(authz::serialize(pending)));
        return d;
    }
    // Posted, and the user record read with the user name's counter
    // answered by `user_counter`: next is the address's counter.
    Driver post_counted(std::string password, const token_test::ReplyPtr& user_counter) {
        Driver d = post_password(std::move(password));
        auto record = str(store::serialize(user));
        d.reply({record.get(), user_counter.get()});
        return d;
    }
};


TEST(BrowserLogin, WrongPasswordShowsTheFormAgainAndRightOneSignsIn) {
    LoginPost login;
    for (std::string password : {"wrong", "right"}) {
        Driver d = login.post_password(password);
        // the user record and the user name's reservation, in one step
        ASSERT_EQ(d.step.commands.size(), 2u);
        EXPECT_EQ(d.step.commands[0], (flow::Command{"GET", "p:user:alice"}));
        EXPECT_EQ(d.step.commands[1][1], login_limit::reserve_script().sha1());
        EXPECT_EQ(d.step.commands[1][2], "1");  // one key: one slot
        auto user = str(store::serialize(login.user));
        auto counted = reserve_reply(1, 0);
        d.reply({user.get(), counted.get()});
        // then the address's, a step of its own (another slot on a Cluster)
        ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
        ASSERT_EQ(d.step.commands.size(), 1u);
        EXPECT_EQ(d.command()[1], login_limit::reserve_script().sha1());
        EXPECT_EQ(d.command()[3], "p:limit:addr:192.0.2.7");
        d.reply(counted);
        d.offload();
        if (password == "wrong") {
            expect_html_page(d, 200);
            EXPECT_NE(d.step.response.body.find("Wrong username or password."), std::string::npos);
            EXPECT_EQ(d.header("Set-Cookie").find("oauth_sso"), std::string::npos);
        } else {
            // not a failure: both reservations go back first, as EVAL
            ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
            ASSERT_EQ(d.step.commands.size(), 2u);
            EXPECT_EQ(d.command()[0], "EVAL");
            EXPECT_EQ(d.command()[1], login_limit::release_script().source());
            EXPECT_EQ(d.step.commands[1][3], "p:limit:addr:192.0.2.7");
            auto one = token_test::integer(1);
            d.reply({one.get(), one.get()});
            ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
            EXPECT_EQ(d.command()[0], "SET");
            std::vector<token_test::ReplyPtr> replies;
            std::vector<const redisReply*> rs;
            for (size_t i = 0; i < d.step.commands.size(); i++) {
                replies.push_back(token_test::integer(1));
                rs.push_back(&replies.back()->r);
            }
            d.step = d.flow->on_redis(rs);
            EXPECT_EQ(d.step.response.status, 303u);
            EXPECT_EQ(d.header("Location"), "https://as.example.com/authorize?authz=" + login.handle);
            EXPECT_EQ(d.header("Set-Cookie").rfind("__Host-oauth_sso=", 0), 0u);
        }
    }
}

TEST(BrowserLogin, LimitedIs429WithTheWaitAndNoKdfEvenForTheRightPassword) {
    LoginPost login;
    auto limited = reserve_reply(0, 30'000);
    Driver d = login.post_counted("right", limited);
    expect_html_page(d, 429);  // answered: no offload, no scrypt, no address counted
    EXPECT_EQ(d.header("Retry-After"), "30");
    EXPECT_NE(d.step.response.body.find("Too many failed sign-in attempts. Wait 30 seconds"),
              std::string::npos);
    EXPECT_EQ(d.header("Set-Cookie").find("oauth_sso"), std::string::npos);
}

TEST(BrowserLogin, BusyGivesTheReservationBackAndIsA503Page) {
    LoginPost login;
    auto counted = reserve_reply(1, 0);
    Driver d = login.post_counted("right", counted);
    d.reply(counted);
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Offload);
    d.step = d.flow->on_busy();
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(d.command()[1], login_limit::release_script().source());
    auto err = token_test::error("ERR whatever");
    d.reply({err.get(), err.get()});  // the give-back's replies do not matter
    expect_html_page(d, 503);
    EXPECT_EQ(d.header("Retry-After"), "1");
}

// The address at its limit: the user name's reservation, held, goes back
// before the 429 (a refused attempt counts nothing), and no KDF runs.
TEST(BrowserLogin, AddressLimitedGivesTheUserReservationBack) {
    LoginPost login;
    auto counted = reserve_reply(1, 0);
    Driver d = login.post_counted("right", counted);
    auto limited = reserve_reply(0, 12'000);
    d.reply(limited);
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
    ASSERT_EQ(d.step.commands.size(), 1u);
    EXPECT_EQ(d.command()[1], login_limit::release_script().source());
    EXPECT_EQ(d.command()[3].rfind("p:limit:user:", 0), 0u);
    d.reply(token_test::integer(1));
    expect_html_page(d, 429);
    EXPECT_EQ(d.header("Retry-After"), "12");
}

TEST(BrowserLogin, ExpiredChallengeCountsNothing) {
    LoginPost login;
    auto r = post("/login", "login_challenge=" + login.handle + "&csrf=" +
                                csrf::token(login.secret, "login", login.handle) +
                                "&username=alice&password=x",
                  "__Host-oauth_csrf=" + login.secret);
    Driver d(endpoints::make_login(bserver(), std::move(r)));
    d.reply(nil());
    expect_html_page(d, 400);
}

TEST(BrowserConsent, DenyRedirectsAccessDenied) {
    auto s = signed_in();
    std::string handle = authz::new_handle();
    std::string secret = s.cookie.substr(s.cookie.find("__Host-oauth_csrf=") + 18);
    std::string csrf = csrf::token(secret, "consent", handle + "\n" + s.sid);
    authz::Pending p;
    p.client_id = "web";
    p.redirect_uri = std::string(kRedirect);
    p.state = "xyz";
    p.iat = kNow;
    p.browser = util::sha256_hex(secret);
    Driver d(endpoints::make_consent(
        bserver(), post("/consent", "authz=" + handle + "&csrf=" + csrf + "&decision=deny", s.cookie)));
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
    auto pending = str(authz::serialize(p));
    auto session = str(s.record);
    d.reply({pending.get(), session.get()});
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(d.command(), (flow::Command{"DEL", "p:authz:" + handle}));
    auto one = token_test::integer(1);
    d.reply(one);
    EXPECT_EQ(d.step.response.status, 303u);
    auto q = location_query(d);
    EXPECT_EQ(q["error"], "access_denied");
    EXPECT_EQ(q["state"], "xyz");
    EXPECT_EQ(q["iss"], "https://as.example.com");
}

TEST(BrowserLoginAccept, NeedsABearerToken) {
    flow::Request r;
    r.method = "POST";
    r.content_type = "application/json";
    r.body = R"({"login_challenge":"x","subject":"s"})";
    r.now = kNow;
    Driver d(endpoints::make_login_accept(bserver(), r));
    EXPECT_EQ(d.step.response.status, 401u);
    EXPECT_EQ(token_test::error_of(d), "invalid_token");
    EXPECT_EQ(d.header("WWW-Authenticate").rfind("Bearer realm=", 0), 0u);
    r.authorization = "Bearer not-a-jwt";
    Driver e(endpoints::make_login_accept(bserver(), r));
    EXPECT_EQ(e.step.response.status, 401u);
}

// RFC 9068 §5: a user's `sub` equal to a client id would let the user's token
// pass for that client's client_credentials token.
TEST(BrowserLoginAccept, SubjectNamingAClientIsRefused) {
    const flow::ServerConfig& server = bserver();
    auto at = token::mint_access_token(server, "loginapp", "loginapp", "", "oauth:login", "",
                                       kNow - 10, 600);
    std::string handle = authz::new_handle();
    authz::Pending p;
    p.client_id = "web";
    p.client_name = "Web";
    p.redirect_uri = std::string(kRedirect);
    p.iat = kNow;
    std::string stored = authz::serialize(p);
    for (bool is_client : {true, false}) {
        flow::Request r;
        r.method = "POST";
        r.content_type = "application/json";
        r.authorization = "Bearer " + at.token;
        r.body = R"({"login_challenge":")" + handle + R"(","subject":"web"})";
        r.now = kNow;
        Driver d(endpoints::make_login_accept(server, r));
        ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
        ASSERT_EQ(d.step.commands.size(), 3u);
        EXPECT_EQ(d.step.commands[2], (flow::Command{"EXISTS", "p:client:web"}));
        auto session = token_test::integer(1);
        auto pending = str(stored);
        auto client = token_test::integer(is_client ? 1 : 0);
        d.reply({session.get(), pending.get(), client.get()});
        if (is_client) {
            ASSERT_EQ(d.step.kind, flow::Step::Kind::Respond);
            EXPECT_EQ(d.step.response.status, 400u);
            EXPECT_EQ(token_test::error_of(d), "invalid_request");
            EXPECT_NE(d.step.response.body.find("client id"), std::string::npos);
        } else {
            EXPECT_EQ(d.step.kind, flow::Step::Kind::Redis);  // stores the decision
        }
    }
}

TEST(BrowserAuthorize, MaxAgeTreatsAnOlderLoginAsNoSession) {
    for (auto [max_age, fresh] : {std::pair{"5", false}, std::pair{"60", true}}) {
        auto s = signed_in(kNow - 10);
        Driver d(endpoints::make_authorize(
            bserver(), get("/authorize", authorize_query(std::string("&max_age=") + max_age), s.cookie)));
        auto client = str(client_json("skip"));
        auto session = str(s.record);
        d.reply({client.get(), session.get()});
        ASSERT_EQ(d.step.kind, flow::Step::Kind::Redis);
        EXPECT_EQ(d.command()[1].rfind(fresh ? "p:code:" : "p:authz:", 0), 0u) << max_age;
    }
    Driver bad(endpoints::make_authorize(bserver(), get("/authorize", authorize_query("&max_age=-1"))));
    auto client = str(client_json("skip"));
    bad.reply(client);
    EXPECT_EQ(location_query(bad)["error"], "invalid_request");
}
