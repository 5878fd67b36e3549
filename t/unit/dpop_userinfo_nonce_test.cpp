// oauth_dpop_nonce at oauth_userinfo (RFC 9449 §9): a bound token's proof
// without the current nonce is a 401 use_dpop_nonce with DPoP-Nonce, before
// any Redis; the previous window's nonce reads the claims and names the new
// nonce.
#include <gtest/gtest.h>

#include "dpop/nonce.h"
#include "dpop_helpers.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/tokens/issue.h"
#include "token_helpers.h"

namespace {

using namespace oauth;
using oauth::dpop::testing::es_key;
using oauth::dpop::testing::proof;
using oauth::dpop::testing::proof_claims;
using token_test::kNow;

constexpr int64_t kLife = 300;

struct UserinfoNonce : ::testing::Test {
    flow::ServerConfig server = [] {
        auto s = token_test::auth_server();
        s.endpoint_path[OAUTH_EP_USERINFO] = "/userinfo";
        s.dpop_nonce_keys = dpop::derive_nonce_keys(s.keys);
        return s;
    }();
    token::AccessToken at = token::mint_access_token(server, "spa", "sub-alice", "alice", "openid",
                                                     "fid-1", kNow - 10, 600, {}, es_key()->thumbprint());

    std::string nonce(int64_t now) { return dpop::nonce_for(server.dpop_nonce_keys.at(0), kLife, now); }

    flow::Step start(std::string_view sent) {
        auto c = proof_claims("GET", "https://auth.example.com/userinfo", kNow, "u-1");
        json::set(c.get(), "ath", dpop::access_token_hash(at.token));
        if (!sent.empty()) json::set(c.get(), "nonce", sent);
        flow::Request req;
        req.method = "GET";
        req.path = "/userinfo";
        req.authorization = "DPoP " + at.token;
        req.dpop = proof(*es_key(), c.get());
        req.dpop_count = 1;
        req.now = kNow;
        req.dpop_nonce_lifetime = kLife;
        flow_ = endpoints::make_userinfo(server, std::move(req));
        return flow_->start();
    }
    static std::string header(const http::Response& r, std::string_view name) {
        for (const auto& [k, v] : r.headers)
            if (k == name) return v;
        return "<none>";
    }
    std::unique_ptr<flow::Flow> flow_;
};

}  // namespace

TEST_F(UserinfoNonce, WithoutTheNonceIsUseDpopNonce) {
    for (std::string sent : {std::string(), std::string("made-up"), nonce(kNow - 2 * kLife)}) {
        flow::Step s = start(sent);
        ASSERT_EQ(s.kind, flow::Step::Kind::Respond) << sent;
        EXPECT_EQ(s.response.status, 401u);
        EXPECT_NE(header(s.response, "WWW-Authenticate").find(R"(error="use_dpop_nonce")"), std::string::npos);
        EXPECT_EQ(header(s.response, "DPoP-Nonce"), nonce(kNow));
        auto body = json::parse_object(s.response.body);
        EXPECT_EQ(json::get_string(body.get(), "error").value_or(""), "use_dpop_nonce");
    }
}

TEST_F(UserinfoNonce, ThePreviousNonceGoesOnAndTheAnswerNamesTheNewOne) {
    flow::Step s = start(nonce(kNow - kLife));
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(s.commands.size(), 3u);  // session, sub index, the jti's SET NX
    token_test::ReplyArena r;
    const redisReply* first[] = {r.str(at.session), r.str("alice"), r.str("OK", REDIS_REPLY_STATUS)};
    s = flow_->on_redis(first);
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    const redisReply* second[] = {r.nil(), r.nil()};
    s = flow_->on_redis(std::span<const redisReply* const>(second, s.commands.size()));
    ASSERT_EQ(s.response.status, 200u) << s.response.body;
    EXPECT_EQ(header(s.response, "DPoP-Nonce"), nonce(kNow));
}

TEST_F(UserinfoNonce, TheCurrentNonceNeedsNoHeader) {
    flow::Step s = start(nonce(kNow));
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
}
