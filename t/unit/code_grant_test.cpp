// The authorization_code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core
// §3.1.3) on canned Redis replies: every step the grant asks for and every
// answer it gives.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "jose/jws.h"
#include "oauth/browser/code.h"
#include "oauth/grants/authorization_code.h"
#include "oauth/tokens/id_token.h"
#include "store/scripts.h"
#include "util/crypto.h"

#include "token_helpers.h"

namespace oauth::token {
namespace {

using token_test::kNow;
constexpr const char* kCode = "SplxlOBeZQQYbYS6WxSbIA-code-under-test";
constexpr const char* kRedirect = "https://spa.example.com/cb";
// RFC 7636 Appendix B.
constexpr const char* kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Fixture : token_test::GrantTest {

    Fixture() {
        server.ttl[OAUTH_TTL_CODE] = 60;
        client.id = "spa";
        client.is_public = true;
        client.redirect_uris = {kRedirect};
        client.grant_types = {"authorization_code", "refresh_token"};
        client.scopes = {"openid", "profile", "email", "orders:read"};
        form.params = {{"grant_type", "authorization_code"},
                       {"code", kCode},
                       {"redirect_uri", kRedirect},
                       {"code_verifier", kVerifier}};
    }

    authz::CodeRecord record() const {
        authz::CodeRecord c;
        c.client_id = "spa";
        c.redirect_uri = kRedirect;
        c.code_challenge = kChallenge;
        c.code_challenge_method = "S256";
        c.nonce = "n-0S6_WzA2Mj";
        c.scope = "openid email orders:read";
        c.sub = "sub-alice";
        c.username = "alice";
        c.auth_time = kNow - 20;
        c.claims = json::parse_object(R"({"email":"alice@example.com","name":"Alice"})");
        c.iat = kNow - 5;
        return c;
    }
    // The same code issued without PKCE (no code_challenge).
    authz::CodeRecord record_without_pkce() const {
        authz::CodeRecord c = record();
        c.code_challenge.clear();
        c.code_challenge_method.clear();
        return c;
    }

    std::unique_ptr<Grant> grant() { return make_grant(make_authorization_code_grant); }

    // The CONSUME step's answer for a fresh code.
    const redisReply* consumed(const authz::CodeRecord& c) {
        return r.array({r.str("ok"), r.str(authz::serialize(c))});
    }

    // Runs start() and answers the CONSUME step; returns the next step.
    flow::Step exchange(Grant& g, const redisReply* consume_reply) {
        flow::Step s = g.start();
        EXPECT_EQ(s.kind, flow::Step::Kind::Redis);
        const redisReply* replies[] = {consume_reply};
        return g.on_redis(replies);
    }
};

TEST_F(Fixture, ConsumesTheHashedCodeWithAFamilyMarker) {
    auto g = grant();
    flow::Step s = g->start();
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    ASSERT_EQ(s.commands.size(), 1u);
    const flow::Command& c = s.commands[0];
    ASSERT_EQ(c.size(), 6u);
    EXPECT_EQ(c[0], "EVALSHA");
    EXPECT_EQ(c[1], store::consume_script().sha1());
    EXPECT_EQ(c[3], "oauth:code:" + util::sha256_hex(kCode));  // never the code itself
    EXPECT_FALSE(c[4].empty());                                 // the family id
    // Kept as long as the family may live (refresh grant: the refresh TTL).
    EXPECT_EQ(c[5], "86400");
    for (const auto& arg : c) EXPECT_EQ(arg.find(kCode), std::string::npos);
}

TEST_F(Fixture, MissingCodeIsInvalidRequest) {
    form.params.erase("code");
    auto g = grant();
    flow::Step s = g->start();
    expect_error(s, 400, "invalid_request");
}

TEST_F(Fixture, UnknownOrExpiredCodeIsInvalidGrant) {
    auto g = grant();
    flow::Step s = exchange(*g, r.array({r.str("none")}));
    EXPECT_EQ(s.response.status, 400u);
    EXPECT_EQ(error_of(s), "invalid_grant");
}

TEST_F(Fixture, ReplayRevokesTheFirstExchangesFamily) {
    auto g = grant();
    flow::Step s = exchange(*g, r.array({r.str("used"), r.str("fid-first")}));
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    ASSERT_EQ(s.commands.size(), 5u);
    EXPECT_EQ(s.commands[0], flow::Command{"MULTI"});
    EXPECT_EQ(s.commands[1][0], "EVAL");
    EXPECT_EQ(s.commands[1][1], store::revoke_family_script().source());
    EXPECT_EQ(std::vector<std::string>(s.commands[1].begin() + 2, s.commands[1].end()),
              (std::vector<std::string>{"2", "oauth:fam:{fid-first}", "oauth:fam:{fid-first}:at",
                                        "oauth:at:{fid-first}.", "oauth:rt:{fid-first}:", ""}));
    EXPECT_EQ(s.commands[2], (flow::Command{"HSET", "oauth:fam:{fid-first}", "revoked", "1"}));
    EXPECT_EQ(s.commands[3][0], "EXPIRE");
    EXPECT_EQ(s.commands[4], flow::Command{"EXEC"});

    const redisReply* replies[] = {r.str("OK", REDIS_REPLY_STATUS), r.str("QUEUED", REDIS_REPLY_STATUS),
                                   r.str("QUEUED", REDIS_REPLY_STATUS), r.str("QUEUED", REDIS_REPLY_STATUS),
                                   r.array({r.integer(1), r.integer(1), r.integer(1)})};
    flow::Step done = g->on_redis(replies);
    EXPECT_EQ(done.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(done.response.status, 400u);
    EXPECT_EQ(error_of(done), "invalid_grant");
    EXPECT_NE(done.log_reason.find("replayed"), std::string::npos);
}

TEST_F(Fixture, CodeOfAnotherClientIsInvalidGrant) {
    auto c = record();
    c.client_id = "other";
    auto g = grant();
    flow::Step s = exchange(*g, consumed(c));
    EXPECT_EQ(error_of(s), "invalid_grant");
    EXPECT_NE(s.log_reason.find("another client"), std::string::npos);
}

TEST_F(Fixture, RedirectUriMustBeIdentical) {
    for (const char* uri : {"https://spa.example.com/cb/", "https://spa.example.com/CB", ""}) {
        if (*uri) form.params["redirect_uri"] = uri;
        else form.params.erase("redirect_uri");
        auto g = grant();
        flow::Step s = exchange(*g, consumed(record()));
        EXPECT_EQ(error_of(s), "invalid_grant") << uri;
        EXPECT_NE(s.log_reason.find("redirect_uri"), std::string::npos);
    }
}

TEST_F(Fixture, ExpiredRecordIsInvalidGrant) {
    auto c = record();
    c.iat = kNow - 60;  // oauth_code_ttl 60s: over at iat + 60
    auto g = grant();
    flow::Step s = exchange(*g, consumed(c));
    EXPECT_EQ(error_of(s), "invalid_grant");
    EXPECT_NE(s.log_reason.find("expired"), std::string::npos);
}

// Issue 18 item 8: iat + ttl overflowed for iat near INT64_MAX; a record
// with an instant out of range is unreadable, never exchanged.
TEST_F(Fixture, RecordWithExtremeIatIsInvalidGrant) {
    for (std::string iat : {std::to_string(INT64_MAX), std::to_string(INT64_MIN), std::string("-1")}) {
        std::string text = authz::serialize(record());
        size_t at = text.find("\"iat\":") + 6;
        text.replace(at, text.find_first_of(",}", at) - at, iat);
        auto g = grant();
        flow::Step s = exchange(*g, r.array({r.str("ok"), r.str(text)}));
        EXPECT_EQ(error_of(s), "invalid_grant") << iat;
        EXPECT_NE(s.log_reason.find("unreadable"), std::string::npos) << s.log_reason;
    }
}

TEST_F(Fixture, PkceWrongVerifier) {
    form.params["code_verifier"] = std::string(kVerifier).substr(0, 42) + "x";
    auto g = grant();
    flow::Step s = exchange(*g, consumed(record()));
    EXPECT_EQ(error_of(s), "invalid_grant");
    EXPECT_NE(s.log_reason.find("does not match"), std::string::npos);
}

TEST_F(Fixture, PkceMissingVerifier) {
    for (bool empty : {false, true}) {
        if (empty) form.params["code_verifier"] = "";
        else form.params.erase("code_verifier");
        auto g = grant();
        flow::Step s = exchange(*g, consumed(record()));
        EXPECT_EQ(error_of(s), "invalid_grant");
        EXPECT_NE(s.log_reason.find("required"), std::string::npos);
    }
}

TEST_F(Fixture, PkceVerifierWithoutChallenge) {
    client.is_public = false;  // only confidential clients get codes without PKCE
    auto g = grant();
    flow::Step s = exchange(*g, consumed(record_without_pkce()));
    EXPECT_EQ(error_of(s), "invalid_grant");
    EXPECT_NE(s.log_reason.find("without code_challenge"), std::string::npos);
}

TEST_F(Fixture, PublicClientCodeWithoutPkceIsRefused) {
    form.params.erase("code_verifier");
    auto g = grant();
    flow::Step s = exchange(*g, consumed(record_without_pkce()));
    EXPECT_EQ(error_of(s), "invalid_grant");
}

TEST_F(Fixture, ScopeNoLongerAllowedIsInvalidScope) {
    client.scopes = {"openid"};
    auto g = grant();
    flow::Step s = exchange(*g, consumed(record()));
    EXPECT_EQ(error_of(s), "invalid_scope");
}

TEST_F(Fixture, CorruptRecordOrStoreErrors) {
    {
        auto g = grant();
        flow::Step s = exchange(*g, r.array({r.str("ok"), r.str("not json")}));
        EXPECT_EQ(error_of(s), "invalid_grant");
    }
    {
        auto g = grant();
        flow::Step s = exchange(*g, r.error("ERR boom"));
        EXPECT_EQ(s.response.status, 503u);
        EXPECT_EQ(error_of(s), "temporarily_unavailable");
    }
}

TEST_F(Fixture, IssuesTokensAndAnIdTokenOnTheMarkedFamily) {
    auto g = grant();
    flow::Step first = g->start();
    std::string fid = first.commands[0][4];
    const redisReply* consume[] = {consumed(record())};
    flow::Step s = g->on_redis(consume);
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis) << s.response.body;
    const flow::Command& issue = s.commands.back();
    EXPECT_EQ(issue[1], store::issue_script().sha1());
    // KEYS fam tokens; ARGV atp rtp now fam_ttl R session at_ttl rt_hash rt_json fields...
    EXPECT_EQ(issue[3], "oauth:fam:{" + fid + "}");
    EXPECT_FALSE(issue[12].empty());  // a refresh token hash: the client has that grant
    // The indexes come first, in their own commands (other slots).
    EXPECT_EQ(s.commands[0], (flow::Command{"ZADD", "oauth:idx:client:spa", s.commands[0][2], fid}));
    std::map<std::string, std::string> fields;
    for (size_t i = 14; i + 1 < issue.size(); i += 2) fields[issue[i]] = issue[i + 1];
    EXPECT_EQ(fields["sub"], "sub-alice");
    EXPECT_EQ(fields["client_id"], "spa");
    EXPECT_EQ(fields["scope"], "openid email orders:read");
    EXPECT_EQ(fields["auth_time"], std::to_string(kNow - 20));
    EXPECT_EQ(fields["claims"], R"({"email":"alice@example.com","name":"Alice"})");

    std::vector<const redisReply*> ok(s.commands.size() - 1, r.integer(1));
    ok.push_back(r.str("ok"));
    flow::Step done = g->on_redis(ok);
    ASSERT_EQ(done.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(done.response.status, 200u);
    json::Json body = json::parse_object(done.response.body);
    ASSERT_TRUE(body);
    auto at = json::get_string(body.get(), "access_token");
    ASSERT_TRUE(at);
    EXPECT_EQ(json::get_string(body.get(), "token_type"), "Bearer");
    EXPECT_EQ(json::get_string(body.get(), "scope"), "openid email orders:read");
    EXPECT_TRUE(json::get_string(body.get(), "refresh_token"));
    auto idt = json::get_string(body.get(), "id_token");
    ASSERT_TRUE(idt);
    auto v = jose::verify_compact(*idt, server.keys);
    ASSERT_TRUE(v.has_value());
    const json_t* c = v->payload.get();
    EXPECT_EQ(json::get_string(c, "aud"), "spa");
    EXPECT_EQ(json::get_string(c, "sub"), "sub-alice");
    EXPECT_EQ(json::get_string(c, "nonce"), "n-0S6_WzA2Mj");
    EXPECT_EQ(json::get_int(c, "auth_time"), kNow - 20);
    EXPECT_EQ(json::get_string(c, "at_hash"), id_token::at_hash(jose::Alg::ES256, *at));
    EXPECT_EQ(json::get_string(c, "email"), "alice@example.com");
    EXPECT_EQ(json_object_get(c, "name"), nullptr);  // profile was not granted
    bool no_store = false;
    for (const auto& [k, val] : done.response.headers) no_store |= k == "Cache-Control" && val == "no-store";
    EXPECT_TRUE(no_store);
}

TEST_F(Fixture, NoRefreshTokenWithoutTheGrantAndNoIdTokenWithoutOpenid) {
    client.grant_types = {"authorization_code"};
    auto c = record();
    c.scope = "orders:read";
    auto g = grant();
    flow::Step first = g->start();
    EXPECT_EQ(first.commands[0][5], "600");  // marker kept as long as the access token
    const redisReply* consume[] = {consumed(c)};
    flow::Step s = g->on_redis(consume);
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(s.commands.back()[12], "");  // no refresh token hash
    std::vector<const redisReply*> ok(s.commands.size() - 1, r.integer(1));
    ok.push_back(r.str("ok"));
    flow::Step done = g->on_redis(ok);
    json::Json body = json::parse_object(done.response.body);
    ASSERT_TRUE(body);
    EXPECT_FALSE(json::get_string(body.get(), "refresh_token"));
    EXPECT_FALSE(json::get_string(body.get(), "id_token"));
}

TEST_F(Fixture, ReplayRacingTheIssueStepIsInvalidGrant) {
    auto g = grant();
    flow::Step s = exchange(*g, consumed(record()));
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    std::vector<const redisReply*> taken(s.commands.size() - 1, r.integer(1));
    taken.push_back(r.error("ERR family exists"));
    flow::Step done = g->on_redis(taken);
    EXPECT_EQ(error_of(done), "invalid_grant");
    EXPECT_EQ(json::parse_object(done.response.body).get() != nullptr, true);
    EXPECT_EQ(done.response.body.find("access_token"), std::string::npos);
}

}  // namespace
}  // namespace oauth::token
