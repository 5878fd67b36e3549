// DPoP at the edge through the C ABI (RFC 9449 §7, SPEC §10): the scheme,
// the proof with ath and the bound key, the jti as a second command in the
// same round trip, and the DPoP challenges.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "dpop/binding.h"
#include "dpop/nonce.h"
#include "dpop_helpers.h"
#include "oauth_require.h"
#include "require/cache.h"
#include "require_helpers.h"

namespace {

using namespace oauth;
using oauth::require::testing::AbiKeyAndServer;
using oauth::require::testing::good_claims;
using oauth::require::testing::O;
using oauth::require::testing::S;
using oauth::require::testing::kIssuer;
using oauth::require::testing::kNow;
using oauth::dpop::testing::es_key;
using oauth::dpop::testing::client_key;
using oauth::dpop::testing::proof;
using oauth::dpop::testing::proof_claims;


constexpr const char* kUrl = "https://api.example.com/orders";

struct DpopRequire : ::testing::Test, AbiKeyAndServer {
    oauth_require_policy_t policy{};
    std::vector<std::unique_ptr<oauth_require_rule_t, void (*)(oauth_require_rule_t*)>> rules;
    std::vector<std::unique_ptr<oauth_require_t, void (*)(oauth_require_t*)>> handles;

    void SetUp() override {
        require::TokenCache::process().clear();
        ASSERT_NO_FATAL_FAILURE(make_key_and_server());
        policy.realm = O("api");
        policy.leeway = 30;
    }
    void TearDown() override { handles.clear(); }

    std::string token(std::string_view jkt) {
        auto c = good_claims();
        if (!jkt.empty()) dpop::add_confirmation(c.get(), jkt);
        auto k = jose::Key::load_file(pem_path, "k1");
        return require::testing::sign(**k, c.get());
    }
    std::string resource_proof(const std::string& tok, const jose::Key& k = *es_key(),
                               std::string_view jti = "pj-1", std::string_view htu = kUrl,
                               std::string_view method = "GET") {
        auto c = proof_claims(method, htu, kNow, jti);
        json::set(c.get(), "ath", dpop::access_token_hash(tok));
        return proof(k, c.get());
    }

    oauth_require_result_t run(const std::string& authorization, const std::string* dpop_proof,
                               unsigned count = 1, std::string_view url = kUrl) {
        rules.emplace_back(oauth_require_rule_new(&policy), oauth_require_rule_free);
        oauth_str_t a = O(authorization);
        oauth_str_t d = dpop_proof ? O(*dpop_proof) : oauth_str_t{};
        oauth_require_request_t req{};
        req.authorization = authorization.empty() ? nullptr : &a;
        req.dpop = dpop_proof ? &d : nullptr;
        req.dpop_count = dpop_proof ? count : 0;
        req.method = O("GET");
        req.url = O(url);
        oauth_require_result_t res;
        handles.emplace_back(oauth_require_check_request(server, rules.back().get(), &req, kNow, &res),
                             oauth_require_free);
        return res;
    }
    // Feeds the replies: the session check's and, with a proof, the SET NX's.
    oauth_require_result_t resume(std::vector<const redisReply*> replies) {
        oauth_require_result_t res;
        oauth_require_resume_redis(handles.back().get(), replies.data(), replies.size(), &res);
        return res;
    }
};

redisReply integer(long long n) {
    redisReply r{};
    r.type = REDIS_REPLY_INTEGER;
    r.integer = n;
    return r;
}
redisReply ok_status() {
    redisReply r{};
    r.type = REDIS_REPLY_STATUS;
    r.str = const_cast<char*>("OK");
    r.len = 2;
    return r;
}
redisReply nil() {
    redisReply r{};
    r.type = REDIS_REPLY_NIL;
    return r;
}

}  // namespace

TEST_F(DpopRequire, BoundTokenWithAGoodProofPassesAfterBothReplies) {
    std::string t = token(es_key()->thumbprint());
    std::string p = resource_proof(t);
    auto res = run("DPoP " + t, &p);
    ASSERT_EQ(res.verdict, OAUTH_REQUIRE_REDIS) << S(res.log_reason);
    EXPECT_EQ(res.redis_count, 2u);
    std::string cmds = S(res.redis_command);
    EXPECT_TRUE(cmds.starts_with("*2\r\n$6\r\nEXISTS\r\n")) << cmds;
    EXPECT_NE(cmds.find("*6\r\n$3\r\nSET\r\n"), std::string::npos) << cmds;
    EXPECT_NE(cmds.find("px:dpop:"), std::string::npos);
    auto one = integer(1), ok = ok_status();
    auto done = resume({&one, &ok});
    EXPECT_EQ(done.verdict, OAUTH_REQUIRE_ALLOW);
}

TEST_F(DpopRequire, AReplayedJtiIsInvalidDpopProof) {
    std::string t = token(es_key()->thumbprint());
    std::string p = resource_proof(t);
    auto res = run("DPoP " + t, &p);
    ASSERT_EQ(res.verdict, OAUTH_REQUIRE_REDIS);
    auto one = integer(1), seen = nil();
    auto done = resume({&one, &seen});
    EXPECT_EQ(done.verdict, OAUTH_REQUIRE_DENY);
    EXPECT_EQ(done.status, 401u);
    EXPECT_TRUE(S(done.www_authenticate).starts_with(R"(DPoP realm="api", error="invalid_dpop_proof")"));
    EXPECT_TRUE(S(done.www_authenticate).ends_with(R"(algs="ES256 RS256 PS256 EdDSA Ed25519")"));
    // One reply short is Redis failing: 503.
    res = run("DPoP " + t, &p);
    done = resume({&one});
    EXPECT_EQ(done.status, 503u);
}

TEST_F(DpopRequire, EveryProofFailureIsInvalidDpopProof) {
    std::string t = token(es_key()->thumbprint());
    auto other = client_key(jose::Alg::ES256);
    struct Case {
        std::string proof;
        std::string log;
    };
    std::vector<Case> cases = {
        {resource_proof(t, *es_key(), "j", kUrl, "POST"), "htm"},
        {resource_proof(t, *es_key(), "j", "https://api.example.com/admin"), "htu"},
        {resource_proof("another token"), "ath"},
        {resource_proof(t, *other), "key is not the one"},
        {std::string("garbage"), "malformed"},
    };
    for (const auto& c : cases) {
        auto res = run("DPoP " + t, &c.proof);
        EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY) << c.log;
        EXPECT_EQ(res.status, 401u) << c.log;
        EXPECT_NE(S(res.www_authenticate).find(R"(error="invalid_dpop_proof")"), std::string::npos) << c.log;
        EXPECT_NE(S(res.log_reason).find(c.log), std::string::npos) << S(res.log_reason);
    }
    // No proof, two proofs.
    auto res = run("DPoP " + t, nullptr);
    EXPECT_EQ(S(res.log_reason), "DPoP proof: missing");
    std::string p = resource_proof(t);
    res = run("DPoP " + t, &p, 2);
    EXPECT_EQ(S(res.log_reason), "DPoP proof: several headers");
    // A query on the request URL or on htu does not matter.
    p = resource_proof(t, *es_key(), "j2", "https://api.example.com/orders?x=1#f");
    res = run("DPoP " + t, &p, 1, "https://api.example.com/orders?page=3");
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_REDIS) << S(res.log_reason);
}

TEST_F(DpopRequire, ABoundTokenAsBearerIsRefused) {
    std::string t = token(es_key()->thumbprint());
    std::string p = resource_proof(t);
    auto res = run("Bearer " + t, &p);
    EXPECT_EQ(res.status, 401u);
    EXPECT_TRUE(S(res.www_authenticate).starts_with(R"(DPoP realm="api", error="invalid_token")"))
        << S(res.www_authenticate);
    EXPECT_EQ(S(res.log_reason), "DPoP-bound token sent as Bearer");
}

TEST_F(DpopRequire, AnUnboundTokenInTheDpopSchemeIsRefused) {
    std::string t = token("");
    std::string p = resource_proof(t);
    auto res = run("DPoP " + t, &p);
    EXPECT_EQ(res.status, 401u);
    EXPECT_NE(S(res.www_authenticate).find(R"(error="invalid_token")"), std::string::npos);
}

TEST_F(DpopRequire, RequiredRefusesBearerAndAnnouncesDpop) {
    policy.dpop = OAUTH_REQUIRE_DPOP_REQUIRED;
    auto res = run("Bearer " + token(""), nullptr);
    EXPECT_EQ(res.status, 401u);
    EXPECT_TRUE(S(res.www_authenticate).starts_with(R"(DPoP realm="api", error="invalid_token")"));
    res = run("", nullptr);
    EXPECT_EQ(res.status, 401u);
    EXPECT_EQ(S(res.www_authenticate), R"(DPoP realm="api", algs="ES256 RS256 PS256 EdDSA Ed25519")");
    std::string t = token(es_key()->thumbprint());
    std::string p = resource_proof(t);
    res = run("DPoP " + t, &p);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_REDIS);
}

TEST_F(DpopRequire, AllowedKeepsBearerAsItWas) {
    auto res = run("Bearer " + token(""), nullptr);
    ASSERT_EQ(res.verdict, OAUTH_REQUIRE_REDIS);
    EXPECT_EQ(res.redis_count, 1u);
    auto one = integer(1);
    EXPECT_EQ(resume({&one}).verdict, OAUTH_REQUIRE_ALLOW);
    res = run("", nullptr);
    EXPECT_EQ(S(res.www_authenticate), R"(Bearer realm="api")");
}

TEST_F(DpopRequire, TheTokenIsCachedAndTheProofCheckedEveryTime) {
    std::string t = token(es_key()->thumbprint());
    std::string p = resource_proof(t);
    EXPECT_EQ(run("DPoP " + t, &p).verdict, OAUTH_REQUIRE_REDIS);
    EXPECT_EQ(oauth_require_cache_size(), 1u);
    std::string bad = resource_proof(t, *es_key(), "j", "https://api.example.com/admin");
    EXPECT_EQ(run("DPoP " + t, &bad).status, 401u);
    EXPECT_EQ(oauth_require_cache_size(), 1u);
}

// oauth_dpop_nonce at the edge (RFC 9449 §9): a proof without the current
// nonce is a 401 use_dpop_nonce with the nonce to use, before any Redis; the
// previous window's nonce passes and the answer names the new one.
namespace {

std::string nonce_at(const std::string& pem_path, int64_t now, int64_t lifetime = 300) {
    std::vector<jose::KeyPtr> keys{*jose::Key::load_file(pem_path, "k1")};
    return dpop::nonce_for(dpop::derive_nonce_keys(keys).at(0), lifetime, now);
}

std::string proof_with_nonce(const std::string& tok, std::string_view nonce, std::string_view jti) {
    auto c = proof_claims("GET", kUrl, kNow, jti);
    json::set(c.get(), "ath", dpop::access_token_hash(tok));
    if (!nonce.empty()) json::set(c.get(), "nonce", nonce);
    return proof(*es_key(), c.get());
}

}  // namespace

TEST_F(DpopRequire, NonceMissingOrWrongIsUseDpopNonceWithTheNonce) {
    policy.dpop_nonce_lifetime = 300;
    std::string t = token(es_key()->thumbprint());
    std::string current = nonce_at(pem_path, kNow);
    for (const std::string& sent : {std::string(), std::string("made-up"), nonce_at(pem_path, kNow - 600)}) {
        std::string p = proof_with_nonce(t, sent, "nj-1");
        auto res = run("DPoP " + t, &p);
        EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY) << sent;
        EXPECT_EQ(res.status, 401u);
        EXPECT_EQ(S(res.www_authenticate),
                  R"(DPoP realm="api", error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256 RS256 PS256 EdDSA Ed25519")");
        EXPECT_EQ(S(res.dpop_nonce), current);
    }
}

TEST_F(DpopRequire, CurrentNoncePassesQuietlyPreviousPassesWithTheNewOne) {
    policy.dpop_nonce_lifetime = 300;
    std::string t = token(es_key()->thumbprint());
    std::string p = proof_with_nonce(t, nonce_at(pem_path, kNow), "nj-2");
    auto res = run("DPoP " + t, &p);
    ASSERT_EQ(res.verdict, OAUTH_REQUIRE_REDIS) << S(res.log_reason);
    EXPECT_EQ(S(res.dpop_nonce), "");
    auto one = integer(1), ok = ok_status();
    auto done = resume({&one, &ok});
    EXPECT_EQ(done.verdict, OAUTH_REQUIRE_ALLOW);
    EXPECT_EQ(S(done.dpop_nonce), "");

    p = proof_with_nonce(t, nonce_at(pem_path, kNow - 300), "nj-3");
    res = run("DPoP " + t, &p);
    ASSERT_EQ(res.verdict, OAUTH_REQUIRE_REDIS) << S(res.log_reason);
    done = resume({&one, &ok});
    EXPECT_EQ(done.verdict, OAUTH_REQUIRE_ALLOW);
    EXPECT_EQ(S(done.dpop_nonce), nonce_at(pem_path, kNow));
}

TEST_F(DpopRequire, NoncesOffIgnoreTheNonceAndBearerNeverNeedsOne) {
    std::string t = token(es_key()->thumbprint());
    std::string p = proof_with_nonce(t, "", "nj-4");
    auto res = run("DPoP " + t, &p);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_REDIS);
    EXPECT_EQ(S(res.dpop_nonce), "");
    // A Bearer token carries no proof, so no nonce, even with nonces on.
    policy.dpop_nonce_lifetime = 300;
    res = run("Bearer " + token(""), nullptr);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_REDIS);
    EXPECT_EQ(S(res.dpop_nonce), "");
}
