// The challenge table, the session command and judgement, and the C ABI end
// to end (check -> Redis -> resume -> claims), with garbage thrown at it.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "oauth_require.h"
#include "require/cache.h"
#include "require/challenge.h"
#include "require/session.h"
#include "require_helpers.h"

namespace oauth::require {
namespace {

using namespace testing;


redisReply integer_reply(long long n) {
    redisReply r{};
    r.type = REDIS_REPLY_INTEGER;
    r.integer = n;
    return r;
}

TEST(RequireChallenge, Statuses) {
    std::vector<std::string_view> none;
    auto c = challenge_for(Reason::NoToken, "api", none);
    EXPECT_EQ(c.status, 401u);
    EXPECT_EQ(c.www_authenticate, R"(Bearer realm="api")");  // RFC 6750 §3.1: no error
    c = challenge_for(Reason::MalformedHeader, "api", none);
    EXPECT_EQ(c.status, 400u);
    EXPECT_NE(c.www_authenticate.find(R"(error="invalid_request")"), std::string::npos);
    for (Reason r : {Reason::Malformed, Reason::UnknownKid, Reason::AlgMismatch, Reason::BadSignature,
                     Reason::BadType, Reason::BadClaim, Reason::ControlCharacter, Reason::MissingJti,
                     Reason::MissingExp, Reason::WrongIssuer, Reason::Expired, Reason::NotYetValid,
                     Reason::IssuedInFuture, Reason::WrongAudience, Reason::Revoked}) {
        c = challenge_for(r, "api", none);
        EXPECT_EQ(c.status, 401u) << reason_text(r);
        EXPECT_TRUE(c.www_authenticate.starts_with(R"(Bearer realm="api", error="invalid_token", error_description=")"))
            << c.www_authenticate;
    }
    std::vector<std::string_view> scopes{"orders:read", "orders:write"};
    c = challenge_for(Reason::InsufficientScope, "api", scopes);
    EXPECT_EQ(c.status, 403u);
    EXPECT_NE(c.www_authenticate.find(R"(error="insufficient_scope")"), std::string::npos);
    EXPECT_TRUE(c.www_authenticate.ends_with(R"(scope="orders:read orders:write")")) << c.www_authenticate;
    c = challenge_for(Reason::StoreUnavailable, "api", none);
    EXPECT_EQ(c.status, 503u);
    EXPECT_TRUE(c.www_authenticate.empty());
}

TEST(RequireChallenge, RealmIsQuoted) {
    std::vector<std::string_view> none;
    auto c = challenge_for(Reason::NoToken, "my \"api\" \\ x\r\n", none);
    EXPECT_EQ(c.www_authenticate, R"(Bearer realm="my \"api\" \\ x")");
}

TEST(RequireSession, Command) {
    EXPECT_EQ(session_command("oauth:", "abc"), "*2\r\n$6\r\nEXISTS\r\n$12\r\noauth:at:abc\r\n");
}

TEST(RequireSession, Judge) {
    auto one = integer_reply(1), zero = integer_reply(0), two = integer_reply(2);
    EXPECT_EQ(judge_session(&one), Reason::Ok);
    EXPECT_EQ(judge_session(&zero), Reason::Revoked);
    EXPECT_EQ(judge_session(&two), Reason::StoreUnavailable);
    EXPECT_EQ(judge_session(nullptr), Reason::StoreUnavailable);
    char msg[] = "LOADING Redis is loading";
    redisReply err{};
    err.type = REDIS_REPLY_ERROR;
    err.str = msg;
    err.len = sizeof(msg) - 1;
    EXPECT_EQ(judge_session(&err), Reason::StoreUnavailable);
    redisReply nil{};
    nil.type = REDIS_REPLY_NIL;
    EXPECT_EQ(judge_session(&nil), Reason::StoreUnavailable);
}

// ---- through the C ABI -----------------------------------------------------

class RequireAbi : public ::testing::Test, public AbiKeyAndServer {
protected:
    std::vector<oauth_str_t> scopes;
    oauth_require_policy_t policy{};
    // every rule made, kept until the test ends as nginx keeps its locations'
    std::vector<std::unique_ptr<oauth_require_rule_t, void (*)(oauth_require_rule_t*)>> rules;

    void SetUp() override {
        TokenCache::process().clear();
        ASSERT_NO_FATAL_FAILURE(make_key_and_server());
        policy.realm = O("api");
        policy.leeway = 30;
    }
    std::string token(const json::Json& claims) {
        auto k = jose::Key::load_file(pem_path, "k1");
        return sign(**k, claims.get());
    }

    oauth_require_t* run(const std::string* header, oauth_require_result_t* res) {
        policy.scopes = scopes.data();
        policy.nscopes = scopes.size();
        rules.emplace_back(oauth_require_rule_new(&policy), oauth_require_rule_free);
        oauth_str_t h = header ? O(*header) : oauth_str_t{};
        return oauth_require_check(server, rules.back().get(), header ? &h : nullptr, kNow, res);
    }
    // A good token's check, its session step answered with `session` (EXISTS).
    oauth_require_t* run_good(long long session, oauth_require_result_t* res) {
        std::string header = "Bearer " + token(good_claims());
        oauth_require_t* h = run(&header, res);
        auto reply = integer_reply(session);
        resume_one(h, &reply, res);
        return h;
    }
};

TEST_F(RequireAbi, AllowAfterTheSession) {
    auto c = good_claims();
    json::set(c.get(), "preferred_username", "alice");
    json_object_set_new(c.get(), "admin", json_false());
    std::string header = "Bearer " + token(c);
    scopes = {O("orders:read")};
    oauth_require_result_t res;
    oauth_require_t* h = run(&header, &res);
    ASSERT_NE(h, nullptr);
    ASSERT_EQ(res.verdict, OAUTH_REQUIRE_REDIS) << S(res.log_reason);
    EXPECT_EQ(S(res.redis_command), "*2\r\n$6\r\nEXISTS\r\n$14\r\npx:at:jti-0001\r\n");

    oauth_str_t v;
    EXPECT_EQ(oauth_require_claim(h, O("sub"), &v), 0);  // nothing before ALLOW

    auto one = integer_reply(1);
    resume_one(h, &one, &res);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_ALLOW);
    ASSERT_EQ(oauth_require_claim(h, O("sub"), &v), 1);
    EXPECT_EQ(S(v), "user-42");
    ASSERT_EQ(oauth_require_claim(h, O("client_id"), &v), 1);
    EXPECT_EQ(S(v), "app");
    ASSERT_EQ(oauth_require_claim(h, O("scope"), &v), 1);
    EXPECT_EQ(S(v), "orders:read profile");
    ASSERT_EQ(oauth_require_claim(h, O("jti"), &v), 1);
    EXPECT_EQ(S(v), "jti-0001");
    ASSERT_EQ(oauth_require_claim(h, O("exp"), &v), 1);
    EXPECT_EQ(S(v), std::to_string(kNow + 600));
    ASSERT_EQ(oauth_require_claim(h, O("preferred_username"), &v), 1);
    EXPECT_EQ(S(v), "alice");
    ASSERT_EQ(oauth_require_claim(h, O("admin"), &v), 1);
    EXPECT_EQ(S(v), "false");
    EXPECT_EQ(oauth_require_claim(h, O("nope"), &v), 0);
    EXPECT_EQ(oauth_require_cache_size(), 1u);
    oauth_require_free(h);
}

TEST_F(RequireAbi, CachedTokenSendsTheSameCommand) {
    std::string header = "Bearer " + token(good_claims());
    const std::string want = "*2\r\n$6\r\nEXISTS\r\n$14\r\npx:at:jti-0001\r\n";
    for (int i = 0; i < 2; i++) {  // verified, then from the cache
        oauth_require_result_t res;
        oauth_require_t* h = run(&header, &res);
        ASSERT_EQ(res.verdict, OAUTH_REQUIRE_REDIS) << S(res.log_reason);
        EXPECT_EQ(S(res.redis_command), want);
        oauth_require_free(h);
    }
    EXPECT_EQ(oauth_require_cache_size(), 1u);

    // The same worker under another prefix (a reload of a single-process
    // nginx) asks for the key of its own prefix, cache or not.
    oauth_server_t* other = new_server("other:");
    ASSERT_NE(other, nullptr);
    std::swap(server, other);
    oauth_require_result_t res;
    oauth_require_t* h = run(&header, &res);
    EXPECT_EQ(S(res.redis_command), "*2\r\n$6\r\nEXISTS\r\n$17\r\nother:at:jti-0001\r\n");
    oauth_require_free(h);
    std::swap(server, other);
    oauth_server_free(other);
}

TEST_F(RequireAbi, RuleCopiesThePolicy) {
    std::string scope = "orders:write", realm = "shop";
    oauth_str_t s = O(scope);
    oauth_require_policy_t p{};
    p.scopes = &s;
    p.nscopes = 1;
    p.realm = O(realm);
    p.leeway = 30;
    std::unique_ptr<oauth_require_rule_t, void (*)(oauth_require_rule_t*)> rule(oauth_require_rule_new(&p),
                                                                                  oauth_require_rule_free);
    ASSERT_NE(rule, nullptr);
    scope.assign(scope.size(), 'x');
    realm.assign(realm.size(), 'x');
    std::string header = "Bearer " + token(good_claims());
    oauth_str_t h = O(header);
    oauth_require_result_t res;
    oauth_require_t* handle = oauth_require_check(server, rule.get(), &h, kNow, &res);
    EXPECT_EQ(res.status, 403u);
    EXPECT_NE(S(res.www_authenticate).find("realm=\"shop\""), std::string::npos);
    EXPECT_NE(S(res.www_authenticate).find("scope=\"orders:write\""), std::string::npos);
    oauth_require_free(handle);
}

TEST_F(RequireAbi, ClaimsOutliveTheCache) {
    oauth_require_result_t res;
    oauth_require_t* h = run_good(1, &res);
    TokenCache::process().clear();  // the handle keeps its own reference
    oauth_str_t v;
    ASSERT_EQ(oauth_require_claim(h, O("sub"), &v), 1);
    EXPECT_EQ(S(v), "user-42");
    oauth_require_free(h);
}

TEST_F(RequireAbi, RevokedAndUnavailable) {
    oauth_require_result_t res;
    oauth_require_t* h = run_good(0, &res);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY);
    EXPECT_EQ(res.status, 401u);
    EXPECT_NE(S(res.www_authenticate).find(R"(error="invalid_token")"), std::string::npos);
    EXPECT_EQ(S(res.log_reason), "token revoked (no session)");
    oauth_str_t v;
    EXPECT_EQ(oauth_require_claim(h, O("sub"), &v), 0);
    oauth_require_free(h);

    std::string header = "Bearer " + token(good_claims());
    h = run(&header, &res);
    oauth_require_resume_unavailable(h, &res);
    EXPECT_EQ(res.status, 503u);
    EXPECT_EQ(res.www_authenticate.len, 0u);
    oauth_require_free(h);
}

TEST_F(RequireAbi, Denials) {
    oauth_require_result_t res;
    oauth_require_t* h = run(nullptr, &res);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY);
    EXPECT_EQ(res.status, 401u);
    EXPECT_EQ(S(res.www_authenticate), R"(Bearer realm="api")");
    oauth_require_free(h);

    std::string basic = "Basic YTpi";
    h = run(&basic, &res);
    EXPECT_EQ(res.status, 401u);
    EXPECT_EQ(S(res.www_authenticate), R"(Bearer realm="api")");
    oauth_require_free(h);

    std::string two = "Bearer a b";
    h = run(&two, &res);
    EXPECT_EQ(res.status, 400u);
    oauth_require_free(h);

    scopes = {O("orders:write"), O("admin")};
    std::string header = "Bearer " + token(good_claims());
    h = run(&header, &res);
    EXPECT_EQ(res.status, 403u);
    EXPECT_NE(S(res.www_authenticate).find(R"(scope="orders:write admin")"), std::string::npos);
    oauth_require_free(h);

    scopes = {};
    policy.audience = O("https://other");
    h = run(&header, &res);
    EXPECT_EQ(res.status, 401u);
    EXPECT_EQ(S(res.log_reason), "audience not accepted");
    oauth_require_free(h);
}

// RFC 9068 §4, RFC 8725 §3.9, SPEC 5: without aud= the rule checks the
// server's oauth_audience, so two servers sharing issuer and keys do not
// accept each other's tokens; aud= names another audience instead.
TEST_F(RequireAbi, AudienceDefaultsToTheServersAudience) {
    oauth_server_t* orders = new_server("px:", "https://orders.example.com");
    oauth_server_t* billing = new_server("px:", "https://billing.example.com");
    oauth_server_t* plain = new_server("px:", "");  // oauth_audience unset: the issuer
    ASSERT_TRUE(orders && billing && plain);
    auto for_aud = [&](std::string_view aud) {
        auto c = good_claims();
        json::set(c.get(), "aud", aud);
        return "Bearer " + token(c);
    };
    auto status = [&](oauth_server_t* s, const std::string& header) {
        std::swap(server, s);
        oauth_require_result_t res;
        oauth_require_t* h = run(&header, &res);
        std::swap(server, s);
        unsigned out = res.verdict == OAUTH_REQUIRE_REDIS ? 0u : res.status;
        std::string why = S(res.log_reason);
        oauth_require_free(h);
        return std::make_pair(out, why);
    };
    std::string orders_token = for_aud("https://orders.example.com");
    EXPECT_EQ(status(orders, orders_token).first, 0u);
    EXPECT_EQ(status(billing, orders_token), std::make_pair(401u, std::string("audience not accepted")));
    EXPECT_EQ(status(plain, orders_token).first, 401u);
    EXPECT_EQ(status(plain, for_aud(kIssuer)).first, 0u);

    // aud= replaces the server's audience, it does not add to it.
    policy.audience = O("https://billing.example.com");
    EXPECT_EQ(status(orders, for_aud("https://billing.example.com")).first, 0u);
    EXPECT_EQ(status(orders, orders_token).first, 401u);
    oauth_server_free(orders);
    oauth_server_free(billing);
    oauth_server_free(plain);
}

TEST_F(RequireAbi, GarbageDoesNotCrash) {
    oauth_require_result_t res;
    oauth_require_t* h = oauth_require_check(nullptr, nullptr, nullptr, 0, &res);
    EXPECT_EQ(res.status, 500u);
    oauth_require_resume_unavailable(h, &res);  // no claims: internal, not a crash
    EXPECT_EQ(res.status, 500u);
    oauth_require_free(h);
    oauth_require_resume_unavailable(nullptr, &res);
    EXPECT_EQ(res.status, 500u);
    oauth_str_t v;
    EXPECT_EQ(oauth_require_claim(nullptr, O("sub"), &v), 0);
    oauth_require_free(nullptr);

    for (std::string g : {std::string("Bearer ") + std::string(100000, 'A'), std::string("Bearer ....."),
                          std::string("Bearer e30.e30.e30"), std::string("\xff\xfe"),
                          std::string("Bearer eyJhbGciOiJFUzI1NiJ9.e30.AA")}) {
        h = run(&g, &res);
        EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY);
        EXPECT_GE(res.status, 400u);
        EXPECT_LT(res.status, 500u);
        oauth_require_free(h);
    }
}

TEST(RequireScopeSyntax, Rfc6749) {
    EXPECT_EQ(oauth_require_scope_valid(O("orders:read")), 1);
    EXPECT_EQ(oauth_require_scope_valid(O("https://x/y!#$")), 1);
    EXPECT_EQ(oauth_require_scope_valid(O("")), 0);
    EXPECT_EQ(oauth_require_scope_valid(O("a b")), 0);
    EXPECT_EQ(oauth_require_scope_valid(O("a\"b")), 0);
    EXPECT_EQ(oauth_require_scope_valid(O("a\\b")), 0);
    EXPECT_EQ(oauth_require_scope_valid(O("caf\xc3\xa9")), 0);
}

}  // namespace
}  // namespace oauth::require
