// oauth_userinfo (OIDC Core §5.3, RFC 6750 §3) on canned Redis replies.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oauth/endpoints/endpoints.h"
#include "oauth/tokens/issue.h"
#include "store/records.h"

#include "token_helpers.h"

namespace oauth::endpoints {
namespace {

using token_test::kNow;

struct Userinfo : ::testing::Test {
    ServerConfig server = token_test::auth_server();
    token_test::ReplyArena r;

    token::AccessToken token(std::string_view scope) {
        return token::mint_access_token(server, "spa", "sub-alice", "alice", scope, "fid-1",
                                        kNow - 10, 600);
    }

    std::unique_ptr<Flow> flow(std::string authorization, std::string method = "GET") {
        Request req;
        req.method = std::move(method);
        req.authorization = std::move(authorization);
        req.now = kNow;
        return make_userinfo(server, std::move(req));
    }

    static std::string header(const http::Response& resp, std::string_view name) {
        for (const auto& [k, v] : resp.headers)
            if (k == name) return v;
        return "";
    }

    const redisReply* session_of(const token::AccessToken& at) { return r.str(at.session); }
};

TEST_F(Userinfo, AsksForTheSessionAndTheSubIndex) {
    auto at = token("openid email");
    auto f = flow("Bearer " + at.token);
    flow::Step s = f->start();
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    ASSERT_EQ(s.commands.size(), 2u);
    EXPECT_EQ(s.commands[0], (flow::Command{"GET", store::Keys("oauth:").access(at.jti)}));
    EXPECT_EQ(s.commands[1], (flow::Command{"GET", "oauth:sub:sub-alice"}));
}

TEST_F(Userinfo, ReleasesTheFamilyClaimsOfGrantedScopes) {
    auto at = token("openid email");
    auto f = flow("bearer " + at.token, "POST");
    f->start();
    const redisReply* first[] = {session_of(at), r.str("alice")};
    flow::Step s = f->on_redis(first);
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(s.commands[0], (flow::Command{"HMGET", "oauth:fam:{fid-1}", "claims", "username"}));
    EXPECT_EQ(s.commands[1], (flow::Command{"GET", "oauth:user:alice"}));
    const redisReply* second[] = {
        r.array({r.str(R"({"email":"a@example.com","name":"Alice"})"), r.str("alice")}),
        r.nil()};
    flow::Step done = f->on_redis(second);
    EXPECT_EQ(done.response.status, 200u);
    EXPECT_EQ(done.response.content_type, "application/json");
    EXPECT_EQ(header(done.response, "Cache-Control"), "no-store");
    EXPECT_EQ(done.response.body, R"({"sub":"sub-alice","email":"a@example.com"})");
}

TEST_F(Userinfo, FallsBackToTheUserRecordWithTheSameSub) {
    auto at = token("openid profile");
    store::User u;
    u.sub = "sub-alice";
    u.username = "alice";
    u.claims = json::parse_object(R"({"name":"Alice","email":"a@example.com"})");
    for (std::string sub : {"sub-alice", "sub-other"}) {
        u.sub = sub;
        auto f = flow("Bearer " + at.token);
        f->start();
        const redisReply* first[] = {session_of(at), r.str("alice")};
        f->on_redis(first);
        const redisReply* second[] = {r.array({r.nil(), r.str("alice")}), r.str(store::serialize(u))};
        flow::Step done = f->on_redis(second);
        EXPECT_EQ(done.response.status, 200u);
        if (sub == "sub-alice")
            EXPECT_EQ(done.response.body,
                      R"({"sub":"sub-alice","name":"Alice","preferred_username":"alice"})");
        else  // a user record that is not the token's subject releases nothing
            EXPECT_EQ(done.response.body, R"({"sub":"sub-alice","preferred_username":"alice"})");
    }
}

TEST_F(Userinfo, RevokedSessionIsInvalidToken) {
    auto at = token("openid");
    auto f = flow("Bearer " + at.token);
    f->start();
    const redisReply* first[] = {r.nil(), r.nil()};
    flow::Step s = f->on_redis(first);
    EXPECT_EQ(s.response.status, 401u);
    EXPECT_NE(header(s.response, "WWW-Authenticate").find("error=\"invalid_token\""), std::string::npos);
}

TEST_F(Userinfo, StoreErrorIs503) {
    auto at = token("openid");
    auto f = flow("Bearer " + at.token);
    f->start();
    const redisReply* first[] = {r.str("ERR down", REDIS_REPLY_ERROR), r.nil()};
    flow::Step s = f->on_redis(first);
    EXPECT_EQ(s.response.status, 503u);
}

TEST_F(Userinfo, ChallengesPerRfc6750) {
    flow::Step none = flow("")->start();
    EXPECT_EQ(none.response.status, 401u);
    EXPECT_EQ(header(none.response, "WWW-Authenticate"), "Bearer realm=\"api\"");

    flow::Step malformed = flow("Bearer")->start();
    EXPECT_EQ(malformed.response.status, 400u);

    auto at = token("profile");
    flow::Step scope = flow("Bearer " + at.token)->start();
    EXPECT_EQ(scope.response.status, 403u);
    std::string ch = header(scope.response, "WWW-Authenticate");
    EXPECT_NE(ch.find("error=\"insufficient_scope\""), std::string::npos);
    EXPECT_NE(ch.find("scope=\"openid\""), std::string::npos);

    auto expired = token::mint_access_token(server, "spa", "s", "", "openid", "f", kNow - 2000, 600);
    EXPECT_EQ(flow("Bearer " + expired.token)->start().response.status, 401u);

    EXPECT_EQ(flow("Bearer " + at.token, "DELETE")->start().response.status, 405u);
}

}  // namespace
}  // namespace oauth::endpoints
