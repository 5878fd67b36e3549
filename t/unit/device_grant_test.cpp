// The device_code grant (RFC 8628 §3.4, §3.5) on canned Redis replies: the
// commands it sends (hashed keys, CAS, CONSUME, ISSUE) and every answer.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jose/jws.h"
#include "oauth/device/poll.h"
#include "oauth/device/user_code_limit.h"
#include "oauth/grants/grant.h"
#include "store/cas.h"
#include "store/scripts.h"
#include "util/crypto.h"

#include "token_helpers.h"

namespace oauth::token {

std::unique_ptr<Grant> make_device_code_grant(const GrantContext& ctx);

namespace {

using token_test::kNow;

struct DeviceGrant : token_test::GrantTest {
    std::string code = device::new_device_code();
    std::string key = "oauth:dc:" + util::sha256_hex(code);

    DeviceGrant() {
        server.ttl[OAUTH_TTL_DEVICE_CODE] = 600;
        server.ttl[OAUTH_TTL_DEVICE_INTERVAL] = 5;
        client.id = "tv";
        client.is_public = true;
        client.grant_types = {std::string(store::kGrantDeviceCode), "refresh_token"};
        client.scopes = {"openid", "email"};
        form.params = {{"grant_type", std::string(store::kGrantDeviceCode)}, {"device_code", code}};
    }

    device::Record pending(int64_t last_poll = 0) const {
        device::Record rec;
        rec.client_id = "tv";
        rec.scope = "openid email";
        rec.interval = 5;
        rec.last_poll = last_poll;
        rec.iat = kNow - 30;
        rec.exp = kNow + 570;
        return rec;
    }

    device::Record approved() const {
        device::Record rec = pending();
        rec.status = device::Status::Approved;
        rec.sub = "sub-alice";
        rec.username = "alice";
        rec.auth_time = kNow - 10;
        rec.claims = json::parse_object(R"({"email":"alice@example.com"})");
        return rec;
    }

    std::unique_ptr<Grant> grant() { return make_grant(make_device_code_grant); }

    flow::Step answer(Grant& g, const redisReply* reply) {
        const redisReply* replies[] = {reply};
        return g.on_redis(replies);
    }
    // The replies to an issue step: its index commands answer integers, its
    // last command `last`.
    flow::Step answer_issue(Grant& g, const flow::Step& issue, const redisReply* last) {
        std::vector<const redisReply*> replies(issue.commands.size() - 1, r.integer(1));
        replies.push_back(last);
        return g.on_redis(replies);
    }

    // start() then the GET's reply.
    flow::Step read(Grant& g, const redisReply* reply) {
        flow::Step s = g.start();
        EXPECT_EQ(s.kind, flow::Step::Kind::Redis);
        EXPECT_EQ(s.commands, (std::vector<flow::Command>{{"GET", key}}));
        return answer(g, reply);
    }
};

TEST_F(DeviceGrant, MissingDeviceCodeIsInvalidRequest) {
    form.params.erase("device_code");
    flow::Step s = grant()->start();
    expect_error(s, 400, "invalid_request");
}

TEST_F(DeviceGrant, GarbageIsInvalidGrantWithoutAskingRedis) {
    for (std::string bad : {std::string("x"), std::string(42, 'A'), std::string(44, 'A'), std::string(43, '*')}) {
        form.params["device_code"] = bad;
        flow::Step s = grant()->start();
        EXPECT_EQ(s.kind, flow::Step::Kind::Respond) << bad;
        EXPECT_EQ(error_of(s), "invalid_grant") << bad;
    }
}

TEST_F(DeviceGrant, KeyIsTheHashNeverTheCode) {
    flow::Step s = grant()->start();
    ASSERT_EQ(s.commands.size(), 1u);
    for (const auto& arg : s.commands[0]) EXPECT_EQ(arg.find(code), std::string::npos);
}

// RFC 6749 §5.2: a code with no record was never issued (records outlive
// their exp, so an expired one is still there): invalid_grant, not
// expired_token.
TEST_F(DeviceGrant, MissingRecordIsInvalidGrant) {
    auto g = grant();
    flow::Step s = read(*g, r.nil());
    EXPECT_EQ(s.response.status, 400u);
    EXPECT_EQ(error_of(s), "invalid_grant");
}

TEST_F(DeviceGrant, RedisErrorIs503) {
    auto g = grant();
    flow::Step s = read(*g, r.error("ERR boom"));
    EXPECT_EQ(s.response.status, 503u);
    EXPECT_EQ(error_of(s), "temporarily_unavailable");
}

TEST_F(DeviceGrant, PendingStoresThePollThenAnswersAuthorizationPending) {
    auto g = grant();
    std::string stored = device::serialize(pending());
    flow::Step s = read(*g, r.str(stored));
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    ASSERT_EQ(s.commands.size(), 1u);
    const flow::Command& c = s.commands[0];
    ASSERT_EQ(c.size(), 6u);
    EXPECT_EQ(c[0], "EVALSHA");
    EXPECT_EQ(c[1], store::cas_script().sha1());
    EXPECT_EQ(c[3], key);
    EXPECT_EQ(c[4], stored);
    EXPECT_EQ(device::parse_record(c[5])->last_poll, kNow);
    flow::Step done = answer(*g, r.array({r.str("ok")}));
    EXPECT_EQ(done.response.status, 400u);
    EXPECT_EQ(error_of(done), "authorization_pending");
}

TEST_F(DeviceGrant, TooFastIsSlowDownWithTheIntervalStored) {
    auto g = grant();
    flow::Step s = read(*g, r.str(device::serialize(pending(kNow - 2))));
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(device::parse_record(s.commands[0][5])->interval, 10);
    flow::Step done = answer(*g, r.array({r.str("ok")}));
    EXPECT_EQ(error_of(done), "slow_down");
}

TEST_F(DeviceGrant, LostCasIsJudgedAgainOnTheNewValue) {
    auto g = grant();
    read(*g, r.str(device::serialize(pending())));
    // The user approved meanwhile: the grant moves on to consuming it.
    flow::Step s = answer(*g, r.array({r.str("changed"), r.str(device::serialize(approved()))}));
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(s.commands[0][1], store::consume_script().sha1());
}

TEST_F(DeviceGrant, CasOnAVanishedRecordIsExpired) {
    auto g = grant();
    read(*g, r.str(device::serialize(pending())));
    EXPECT_EQ(error_of(answer(*g, r.array({r.str("none")}))), "expired_token");
}

TEST_F(DeviceGrant, DeniedIsAccessDenied) {
    device::Record rec = pending();
    rec.status = device::Status::Denied;
    auto g = grant();
    flow::Step s = read(*g, r.str(device::serialize(rec)));
    expect_error(s, 400, "access_denied");
}

TEST_F(DeviceGrant, AnotherClientsCodeIsInvalidGrantAndUntouched) {
    client.id = "other";
    auto g = grant();
    flow::Step s = read(*g, r.str(device::serialize(approved())));
    EXPECT_EQ(s.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(error_of(s), "invalid_grant");
}

TEST_F(DeviceGrant, UsedCodeIsInvalidGrant) {
    auto g = grant();
    EXPECT_EQ(error_of(read(*g, r.str("used:fid-1"))), "invalid_grant");
}

TEST_F(DeviceGrant, ApprovedIsConsumedOnceThenIssued) {
    auto g = grant();
    std::string stored = device::serialize(approved());
    flow::Step s = read(*g, r.str(stored));
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    const flow::Command& c = s.commands[0];
    ASSERT_EQ(c.size(), 6u);
    EXPECT_EQ(c[1], store::consume_script().sha1());
    EXPECT_EQ(c[3], key);
    EXPECT_FALSE(c[4].empty());  // the family id marker
    EXPECT_EQ(c[5], "600");

    flow::Step issue = answer(*g, r.array({r.str("ok"), r.str(stored)}));
    ASSERT_EQ(issue.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(issue.commands.back()[1], store::issue_script().sha1());
    // The family is the one named by the marker.
    EXPECT_EQ(issue.commands.back()[3], "oauth:fam:{" + c[4] + "}");

    flow::Step done = answer_issue(*g, issue, r.str("ok", REDIS_REPLY_STATUS));
    ASSERT_EQ(done.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(done.response.status, 200u);
    json::Json body = json::parse_object(done.response.body);
    ASSERT_TRUE(body);
    EXPECT_EQ(json::get_string(body.get(), "scope").value_or(""), "openid email");
    EXPECT_TRUE(json::get_string(body.get(), "refresh_token"));
    EXPECT_TRUE(json::get_string(body.get(), "id_token"));
    auto at = jose::verify_compact(*json::get_string(body.get(), "access_token"), server.keys);
    ASSERT_TRUE(at);
    EXPECT_EQ(json::get_string(at->payload.get(), "sub").value_or(""), "sub-alice");
    EXPECT_EQ(json::get_string(at->payload.get(), "client_id").value_or(""), "tv");
}

TEST_F(DeviceGrant, NoRefreshTokenWithoutTheGrantAndNoIdTokenWithoutOpenid) {
    client.grant_types = {std::string(store::kGrantDeviceCode)};
    device::Record rec = approved();
    rec.scope = "email";
    std::string stored = device::serialize(rec);
    auto g = grant();
    read(*g, r.str(stored));
    flow::Step issue = answer(*g, r.array({r.str("ok"), r.str(stored)}));
    flow::Step done = answer_issue(*g, issue, r.str("ok", REDIS_REPLY_STATUS));
    json::Json body = json::parse_object(done.response.body);
    ASSERT_TRUE(body);
    EXPECT_FALSE(json::get_string(body.get(), "refresh_token"));
    EXPECT_FALSE(json::get_string(body.get(), "id_token"));
}

TEST_F(DeviceGrant, LosingTheConsumeRaceIsInvalidGrant) {
    auto g = grant();
    read(*g, r.str(device::serialize(approved())));
    flow::Step s = answer(*g, r.array({r.str("used"), r.str("fid-winner")}));
    EXPECT_EQ(s.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(error_of(s), "invalid_grant");
}

TEST_F(DeviceGrant, FailedIssueIs503AndIssuesNothing) {
    auto g = grant();
    std::string stored = device::serialize(approved());
    read(*g, r.str(stored));
    flow::Step issue = answer(*g, r.array({r.str("ok"), r.str(stored)}));
    flow::Step done = answer_issue(*g, issue, r.error("ERR family taken"));
    EXPECT_EQ(done.response.status, 503u);
    EXPECT_EQ(done.response.body.find("access_token"), std::string::npos);
}

TEST_F(DeviceGrant, OddRepliesAreErrorsNotCrashes) {
    auto g = grant();
    flow::Step s = read(*g, r.array({}));
    EXPECT_EQ(error_of(s), "invalid_grant");
    auto g2 = grant();
    read(*g2, r.str(device::serialize(pending())));
    EXPECT_EQ(answer(*g2, r.array({})).response.status, 503u);
    auto g3 = grant();
    read(*g3, r.str(device::serialize(approved())));
    EXPECT_EQ(answer(*g3, r.str("surprise")).response.status, 503u);
}

}  // namespace
}  // namespace oauth::token
