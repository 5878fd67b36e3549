// The events steps report (flow/event.h) for oauth_metrics and
// oauth_audit_log, and the audit line the core formats (flow/audit.h).
#include "flow/audit.h"
#include "require/cache.h"
#include "require/validate.h"
#include "store/scripts.h"
#include "token_helpers.h"

using namespace token_test;
using oauth::flow::Event;

namespace {

const std::vector<std::string> kCC = {"client_credentials"};
const std::vector<std::string> kRefresh = {"password", "refresh_token"};

Driver authenticated(const oauth::store::Client& c, std::string body, std::string secret = "s") {
    Driver d(token_flow(post(std::move(body), c.is_public ? "" : basic(c.id, secret))));
    d.reply(str(oauth::store::serialize(c)));
    d.settle();
    return d;
}

ReplyPtr family_reply(std::string client) {
    return array({"ok", "fam1", R"({"fam":"fam1","iat":1,"rid":"r1"})", "client_id", client,
                  "sub", "sub-alice", "username", "alice", "scope", "a", "iat", "1", "exp",
                  std::to_string(kNow + 100000), "rt", "h"});
}

const Event* only(const Driver& d, oauth_event_kind_e kind) {
    const Event* found = nullptr;
    for (const auto& e : d.step.events) {
        EXPECT_EQ(e.kind, kind);
        found = &e;
    }
    EXPECT_EQ(d.step.events.size(), 1u);
    return found;
}

oauth::flow::AuditContext ctx() { return {"2026-12-02T01:00:00+00:00", "192.0.2.1", "0123abcd"}; }

}  // namespace

TEST(TokenEvents, IssuedNamesGrantClientSubJtiAndFamily) {
    Driver d = authenticated(confidential("svc", "s", kCC), "grant_type=client_credentials");
    EXPECT_TRUE(d.step.events.empty());  // not before the answer
    d.reply_issue(text_reply(REDIS_REPLY_STATUS, "OK"));
    const Event* e = only(d, OAUTH_EVENT_TOKEN_ISSUED);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->grant, "client_credentials");
    EXPECT_EQ(e->client, "svc");
    EXPECT_EQ(e->sub, "svc");
    auto claims = verified_payload(oauth::json::get_string(d.body().get(), "access_token").value_or(""));
    EXPECT_EQ(e->jti, oauth::json::get_string(claims.get(), "jti").value_or("?"));
    // A client_credentials token has no grant family (SPEC §7, leaner
    // sessions): the event names none (the refresh test below names one).
    EXPECT_TRUE(e->family.empty());
}

TEST(TokenEvents, EveryErrorIsCountedByItsCode) {
    Driver bad_client(token_flow(post("grant_type=client_credentials", basic("svc", "wrong"))));
    bad_client.reply(str(oauth::store::serialize(confidential("svc", "s", kCC))));
    bad_client.settle();
    ASSERT_EQ(bad_client.step.kind, Step::Kind::Respond);
    EXPECT_EQ(only(bad_client, OAUTH_EVENT_TOKEN_ERROR)->error, "invalid_client");

    Driver unsupported(token_flow(post("grant_type=magic", basic("svc", "s"))));
    EXPECT_EQ(only(unsupported, OAUTH_EVENT_TOKEN_ERROR)->error, "unsupported_grant_type");

    Driver store_down = authenticated(confidential("svc", "s", kCC), "grant_type=client_credentials");
    store_down.reply_issue(error("ERR boom"));
    const Event* e = only(store_down, OAUTH_EVENT_TOKEN_ERROR);
    EXPECT_NE(e->error, "");
    EXPECT_EQ(e->client, "svc");
}

TEST(TokenEvents, ReuseOfARotatedRefreshTokenNamesTheFamily) {
    auto c = confidential("app", "s", kRefresh);
    Driver d = authenticated(c, "grant_type=refresh_token&refresh_token=fam9.RT1");
    d.reply(array({"reused", "fam9"}));
    ASSERT_EQ(d.step.events.size(), 2u);  // the reuse, and the error answer
    EXPECT_EQ(d.step.events[0].kind, OAUTH_EVENT_REFRESH_REUSE);
    EXPECT_EQ(d.step.events[0].family, "fam9");
    EXPECT_EQ(d.step.events[0].client, "app");
    EXPECT_EQ(d.step.events[1].kind, OAUTH_EVENT_TOKEN_ERROR);
    EXPECT_EQ(d.step.events[1].error, "invalid_grant");

    Driver race = authenticated(c, "grant_type=refresh_token&refresh_token=fam1.RT1");
    race.reply(family_reply("app"));
    race.reply(str("reused"));
    ASSERT_EQ(race.step.events.size(), 2u);
    EXPECT_EQ(race.step.events[0].kind, OAUTH_EVENT_REFRESH_REUSE);
    EXPECT_EQ(race.step.events[0].family, "fam1");
    EXPECT_EQ(race.step.events[0].sub, "sub-alice");

    Driver ok = authenticated(c, "grant_type=refresh_token&refresh_token=fam1.RT1");
    ok.reply(family_reply("app"));
    ok.reply(str("ok"));
    const Event* e = only(ok, OAUTH_EVENT_TOKEN_ISSUED);
    EXPECT_EQ(e->grant, "refresh_token");
    EXPECT_EQ(e->family, "fam1");
    EXPECT_EQ(e->sub, "sub-alice");
}

TEST(AuditLine, OneJsonObjectWithTheEventsFieldsOnly) {
    Event e{.kind = OAUTH_EVENT_TOKEN_ISSUED, .grant = "authorization_code", .client = "web",
            .sub = "u1", .jti = "j1", .family = "f1"};
    auto line = oauth::flow::audit_line(e, ctx());
    ASSERT_TRUE(line);
    EXPECT_EQ(*line,
              R"({"time":"2026-12-02T01:00:00+00:00","event":"token_issued","remote_addr":"192.0.2.1",)"
              R"("request_id":"0123abcd","grant":"authorization_code","client_id":"web","sub":"u1",)"
              R"("jti":"j1","family":"f1"})"
              "\n");
}

TEST(AuditLine, AHostileUserNameStaysInsideItsString) {
    Event e{.kind = OAUTH_EVENT_LOGIN_FAILED, .username = "eve\"}\n{\"event\":\"x\xff\xfe",
            .error = "invalid_credentials"};
    auto line = oauth::flow::audit_line(e, ctx());
    ASSERT_TRUE(line);
    EXPECT_EQ(line->find('\n'), line->size() - 1);  // one line
    auto o = oauth::json::parse_object(std::string_view(*line).substr(0, line->size() - 1));
    ASSERT_TRUE(o);
    EXPECT_EQ(oauth::json::get_string(o.get(), "username").value_or(""), "eve\"}\n{\"event\":\"x??");
    EXPECT_EQ(oauth::json::get_string(o.get(), "event").value_or(""), "login_failed");
}

TEST(AuditLine, TokenErrorsAreCountedNotAudited) {
    EXPECT_FALSE(oauth::flow::audit_line({.kind = OAUTH_EVENT_TOKEN_ERROR, .error = "invalid_grant"}, ctx()));
    for (int k = 0; k < OAUTH_EVENT_COUNT; k++)
        if (k != OAUTH_EVENT_TOKEN_ERROR)
            EXPECT_FALSE(oauth::flow::audit_event_name(static_cast<oauth_event_kind_e>(k)).empty()) << k;
}

TEST(AuditLine, TheAbiRefusesABufferTooSmall) {
    oauth_event_t ev{};
    ev.kind = OAUTH_EVENT_CONSENT_GRANTED;
    ev.client = {"web", 3};
    char buf[512];
    oauth_str_t t{"T", 1}, a{"A", 1}, id{"I", 1};
    size_t n = oauth_event_audit_line(&ev, t, a, id, buf, sizeof(buf));
    ASSERT_GT(n, 0u);
    EXPECT_EQ(std::string(buf, n),
              R"({"time":"T","event":"consent_granted","remote_addr":"A","request_id":"I","client_id":"web"})"
              "\n");
    EXPECT_EQ(oauth_event_audit_line(&ev, t, a, id, buf, n - 1), 0u);
    ev.kind = OAUTH_EVENT_TOKEN_ERROR;
    EXPECT_EQ(oauth_event_audit_line(&ev, t, a, id, buf, sizeof(buf)), 0u);
}

TEST(TokenCacheFlag, AMissThenAHit) {
    oauth::require::TokenCache cache;
    Driver d = authenticated(confidential("svc", "s", kCC), "grant_type=client_credentials");
    d.reply_issue(text_reply(REDIS_REPLY_STATUS, "OK"));
    std::string token(oauth::json::get_string(d.body().get(), "access_token").value_or(""));
    bool hit = true;
    auto first = oauth::require::authenticate(token, server().keys, &cache, kNow, "p:", &hit);
    ASSERT_TRUE(first);
    EXPECT_FALSE(hit);
    auto second = oauth::require::authenticate(token, server().keys, &cache, kNow, "p:", &hit);
    ASSERT_TRUE(second);
    EXPECT_TRUE(hit);
}
