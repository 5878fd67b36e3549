// Introspection (RFC 7662) and revocation (RFC 7009) on canned replies.
#include "jose/keygen.h"
#include "oauth/tokens/issue.h"
#include "store/scripts.h"
#include "token_helpers.h"

using namespace token_test;

namespace {

std::unique_ptr<oauth::flow::Flow> introspect(std::string body, std::string auth) {
    auto r = post(std::move(body), std::move(auth));
    return oauth::endpoints::make_introspect(server(), std::move(r));
}
std::unique_ptr<oauth::flow::Flow> revoke(std::string body, std::string auth) {
    auto r = post(std::move(body), std::move(auth));
    return oauth::endpoints::make_revoke(server(), std::move(r));
}

const oauth::store::Client& rs() {
    static auto c = confidential("rs", "s", {"client_credentials"});
    return c;
}

Driver authed(std::unique_ptr<oauth::flow::Flow> f, const oauth::store::Client& c) {
    Driver d(std::move(f));
    d.reply(str(oauth::store::serialize(c)));
    d.settle();
    return d;
}

std::string access_token(std::string client = "app", int64_t now = kNow) {
    return oauth::token::mint_access_token(server(), client, "sub-alice", "alice", "a b", "fam1",
                                           now, 600)
        .token;
}

std::string form_value(std::string_view s) { return oauth::http::form_encode(s); }

TEST(Introspect, ActiveAccessToken) {
    std::string t = access_token();
    Driver d = authed(introspect("token=" + form_value(t), basic("rs", "s")), rs());
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    EXPECT_EQ(d.command()[0], "EXISTS");
    EXPECT_TRUE(d.command()[1].starts_with("p:at:"));
    d.reply(integer(1));
    auto b = d.body();
    EXPECT_TRUE(json_is_true(json_object_get(b.get(), "active")));
    EXPECT_EQ(oauth::json::get_string(b.get(), "token_type").value_or(""), "Bearer");
    for (const char* f : {"scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti"})
        EXPECT_NE(json_object_get(b.get(), f), nullptr) << f;
    EXPECT_EQ(oauth::json::get_string(b.get(), "client_id").value_or(""), "app");
    expect_no_cache(d);
}

void expect_inactive(const Driver& d) {
    ASSERT_EQ(d.step.kind, Step::Kind::Respond);
    EXPECT_EQ(d.step.response.status, 200u);
    EXPECT_EQ(d.step.response.body, R"({"active":false})");
}

TEST(Introspect, RevokedExpiredForgedGarbage) {
    {
        Driver d = authed(introspect("token=" + form_value(access_token()), basic("rs", "s")), rs());
        d.reply(integer(0));
        expect_inactive(d);
    }
    {
        // Expired: decided without asking Redis.
        Driver d = authed(introspect("token=" + form_value(access_token("app", kNow - 601)), basic("rs", "s")), rs());
        expect_inactive(d);
    }
    {
        std::string t = access_token();
        t[t.size() - 3] = t[t.size() - 3] == 'A' ? 'B' : 'A';
        Driver d = authed(introspect("token=" + form_value(t), basic("rs", "s")), rs());
        expect_inactive(d);
    }
    {
        // Names no family (store/keys.h): never one of ours, Redis not asked.
        Driver d = authed(introspect("token=garbage", basic("rs", "s")), rs());
        expect_inactive(d);
    }
    {
        Driver d = authed(introspect("token=fam9.garbage", basic("rs", "s")), rs());
        ASSERT_EQ(d.step.kind, Step::Kind::Redis);  // might be a refresh token
        EXPECT_EQ(d.command()[1], oauth::store::refresh_lookup_script().sha1());
        EXPECT_EQ(d.command().back(), "0");          // introspection never revokes
        d.reply(array({"none"}));
        expect_inactive(d);
    }
}

Driver introspect_at(const oauth::flow::ServerConfig& srv, const std::string& token, int64_t now) {
    auto r = post("token=" + form_value(token), basic("rs", "s"));
    r.now = now;
    return authed(oauth::endpoints::make_introspect(srv, std::move(r)), rs());
}

TEST(Introspect, AgainFromTheVerifiedTokenCacheAnswersTheSame) {
    // The second introspection of a token is answered from the worker's
    // cache of verified tokens: the same body, the session still asked.
    std::string t = access_token("app-cached");
    std::string first;
    for (int i = 0; i < 3; i++) {
        Driver d = introspect_at(server(), t, kNow);
        ASSERT_EQ(d.step.kind, Step::Kind::Redis) << i;
        EXPECT_EQ(d.command()[0], "EXISTS");
        d.reply(integer(1));
        auto b = d.body();
        EXPECT_EQ(oauth::json::get_string(b.get(), "username").value_or(""), "alice");
        EXPECT_EQ(oauth::json::get_string(b.get(), "scope").value_or(""), "a b");
        EXPECT_EQ(oauth::json::get_string(b.get(), "aud").value_or(""), server().audience);
        EXPECT_EQ(oauth::json::get_int(b.get(), "iat").value_or(0), kNow);
        EXPECT_EQ(oauth::json::get_int(b.get(), "exp").value_or(0), kNow + 600);
        if (i == 0) first = d.step.response.body;
        else EXPECT_EQ(d.step.response.body, first);
    }
    // Cached, yet revoked now: the session answers.
    Driver revoked = introspect_at(server(), t, kNow);
    revoked.reply(integer(0));
    expect_inactive(revoked);
}

TEST(Introspect, CachedTokenIsStillCheckedForIssuerKeyAndTime) {
    std::string t = access_token("app-cached-2");
    Driver d = introspect_at(server(), t, kNow);
    d.reply(integer(1));
    ASSERT_TRUE(json_is_true(json_object_get(d.body().get(), "active")));
    // Same key, another issuer: not ours there.
    expect_inactive(introspect_at(auth_server(), t, kNow));
    // Past its exp (no leeway at introspection).
    expect_inactive(introspect_at(server(), t, kNow + 600));
    // A server that no longer lists the key that verified it.
    oauth::flow::ServerConfig other = server();
    other.keys.clear();
    other.keys.push_back(*oauth::jose::Key::from_pem(
        oauth::jose::generate_private_key_pem(oauth::jose::Alg::ES256)));
    expect_inactive(introspect_at(other, t, kNow));
}

TEST(Introspect, ActiveRefreshToken) {
    Driver d = authed(introspect("token=fam1.RT&token_type_hint=refresh_token", basic("rs", "s")), rs());
    d.reply(array({"ok", "fam1", R"({"fam":"fam1","iat":5,"rid":"rid1"})", "client_id", "app",
                   "sub", "s1", "username", "", "scope", "a", "iat", "1", "exp",
                   std::to_string(kNow + 10), "rt", "h"}));
    auto b = d.body();
    EXPECT_TRUE(json_is_true(json_object_get(b.get(), "active")));
    EXPECT_EQ(oauth::json::get_string(b.get(), "token_type").value_or(""), "refresh_token");
    EXPECT_EQ(oauth::json::get_string(b.get(), "jti").value_or(""), "rid1");
    EXPECT_EQ(oauth::json::get_int(b.get(), "exp").value_or(0), kNow + 10);
    EXPECT_EQ(oauth::json::get_int(b.get(), "iat").value_or(0), 5);
}

TEST(Introspect, PublicClientMayNot) {
    auto pub = public_client("pub", {"authorization_code"});
    Driver d = authed(introspect("token=x&client_id=pub", ""), pub);
    EXPECT_EQ(d.step.response.status, 401u);
    EXPECT_EQ(error_of(d), "invalid_client");
}

TEST(Introspect, MissingTokenIsInvalidRequest) {
    Driver d(introspect("", basic("rs", "s")));
    EXPECT_EQ(d.step.response.status, 400u);
    EXPECT_EQ(error_of(d), "invalid_request");
}

TEST(Revoke, OwnAccessTokenDeletesItsSession) {
    auto app = confidential("app", "s", {"password"});
    Driver d = authed(revoke("token=" + form_value(access_token("app")), basic("app", "s")), app);
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    EXPECT_EQ(d.command()[1], oauth::store::revoke_access_script().sha1());
    EXPECT_EQ(d.command().back(), "app");  // the script re-checks the owner
    d.reply(integer(1));
    EXPECT_EQ(d.step.response.status, 200u);
    EXPECT_EQ(d.header("Cache-Control"), "no-store");
}

TEST(Revoke, ForeignOrForgedAccessTokenIs200AndNoChange) {
    auto other = confidential("other", "s", {"password"});
    Driver d = authed(revoke("token=" + form_value(access_token("app")), basic("other", "s")), other);
    EXPECT_EQ(d.step.kind, Step::Kind::Respond);  // Redis is not even asked
    EXPECT_EQ(d.step.response.status, 200u);
    Driver g = authed(revoke("token=a.b.c", basic("other", "s")), other);
    EXPECT_EQ(g.step.kind, Step::Kind::Respond);
    EXPECT_EQ(g.step.response.status, 200u);
}

TEST(Revoke, RefreshTokenRevokesItsFamilyIfOwned) {
    auto app = confidential("app", "s", {"password"});
    Driver d = authed(revoke("token=F1.RT&token_type_hint=whatever", basic("app", "s")), app);
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    EXPECT_EQ(d.command(),
              oauth::store::revoke_refresh_script().call(
                  {"p:fam:{F1}", "p:fam:{F1}:at", "p:rt:{F1}:" + oauth::util::sha256_hex("F1.RT")},
                  {"p:at:{F1}.", "p:rt:{F1}:", "F1", "app"}));
    d.reply(integer(0));  // unknown or foreign: still 200
    EXPECT_EQ(d.step.response.status, 200u);
}

TEST(Revoke, PublicClientAuthenticatesWithItsId) {
    auto pub = public_client("pub", {"authorization_code", "refresh_token"});
    Driver d = authed(revoke("token=F1.RT&client_id=pub", ""), pub);
    EXPECT_EQ(d.step.kind, Step::Kind::Redis);
}

TEST(Revoke, BadClientIs401) {
    Driver d(revoke("token=RT", basic("nobody", "s")));
    d.reply(nil());
    ASSERT_EQ(d.step.kind, Step::Kind::Offload);  // an unknown client costs the KDF too
    d.offload();
    EXPECT_EQ(d.step.response.status, 401u);
    EXPECT_EQ(d.header("WWW-Authenticate"), "Basic realm=\"oauth\"");
}

}  // namespace
