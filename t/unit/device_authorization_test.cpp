// The device authorization endpoint (RFC 8628 §3.1, §3.2) on canned Redis
// replies: the records it writes, user-code collisions, the answer, errors.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "jose/keygen.h"
#include "oauth/device/record.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/device/user_code.h"
#include "store/records.h"
#include "util/crypto.h"

namespace oauth {
namespace {

constexpr int64_t kNow = 1'700'000'000;

struct Replies {
    std::deque<redisReply> replies;
    std::deque<std::string> text;
    const redisReply* make(int type, std::string_view s = {}) {
        redisReply& r = replies.emplace_back();
        r = redisReply{};
        r.type = type;
        std::string& kept = text.emplace_back(s);
        r.str = kept.data();
        r.len = kept.size();
        return &r;
    }
    const redisReply* str(std::string_view s) { return make(REDIS_REPLY_STRING, s); }
    const redisReply* ok() { return make(REDIS_REPLY_STATUS, "OK"); }
    const redisReply* nil() { return make(REDIS_REPLY_NIL); }
};

struct DeviceAuthorization : ::testing::Test {
    flow::ServerConfig server;
    flow::Request request;
    store::Client client;
    Replies r;

    DeviceAuthorization() {
        server.issuer = "https://auth.example.com";
        server.audience = server.issuer;
        server.prefix = "oauth:";
        server.ttl[OAUTH_TTL_DEVICE_CODE] = 600;
        server.ttl[OAUTH_TTL_DEVICE_INTERVAL] = 5;
        server.endpoint_path[OAUTH_EP_DEVICE_VERIFICATION] = "/oauth2/device";
        server.endpoint_path[OAUTH_EP_DEVICE_AUTHORIZATION] = "/oauth2/device_authorization";
        request.method = "POST";
        request.content_type = "application/x-www-form-urlencoded";
        request.body = "client_id=tv";
        request.now = kNow;
        client.id = "tv";
        client.is_public = true;
        client.grant_types = {std::string(store::kGrantDeviceCode)};
        client.scopes = {"openid", "profile"};
    }

    std::unique_ptr<flow::Flow> flow() {
        return endpoints::make_device_authorization(server, request);
    }

    // start() and the client lookup; returns the step after it.
    flow::Step authenticated(flow::Flow& f) {
        flow::Step s = f.start();
        EXPECT_EQ(s.kind, flow::Step::Kind::Redis);
        EXPECT_EQ(s.commands, (std::vector<flow::Command>{{"GET", "oauth:client:tv"}}));
        const redisReply* replies[] = {r.str(store::serialize(client))};
        return f.on_redis(replies);
    }

    static std::string error_of(const flow::Step& s) {
        json::Json body = json::parse_object(s.response.body);
        auto e = body ? json::get_string(body.get(), "error") : std::nullopt;
        return e ? std::string(*e) : "";
    }
};

TEST_F(DeviceAuthorization, StoresBothRecordsHashedAndAnswers) {
    auto f = flow();
    flow::Step s = authenticated(*f);
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    ASSERT_EQ(s.commands.size(), 2u);
    const flow::Command& dc = s.commands[0];
    const flow::Command& uc = s.commands[1];
    ASSERT_EQ(dc.size(), 6u);
    EXPECT_EQ(dc[0], "SET");
    EXPECT_TRUE(dc[1].starts_with("oauth:dc:"));
    EXPECT_EQ(dc[3], "NX");
    // The record outlives its exp by the grace, so that a code polled after
    // it expired is told expired_token, and one never issued invalid_grant.
    EXPECT_EQ(dc[5], "1200");
    auto rec = device::parse_record(dc[2]);
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->client_id, "tv");
    EXPECT_EQ(rec->scope, "openid profile");
    EXPECT_EQ(rec->status, device::Status::Pending);
    EXPECT_EQ(rec->interval, 5);
    EXPECT_EQ(rec->iat, kNow);
    EXPECT_EQ(rec->exp, kNow + 600);
    ASSERT_EQ(uc.size(), 6u);
    EXPECT_TRUE(uc[1].starts_with("oauth:uc:"));
    EXPECT_EQ(uc[2], dc[1].substr(9));  // the user code points at the hash
    EXPECT_EQ(uc[5], "1200");           // outlives the record (the README, "Device authorization grant")

    const redisReply* replies[] = {r.ok(), r.ok()};
    flow::Step done = f->on_redis(replies);
    ASSERT_EQ(done.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(done.response.status, 200u);
    json::Json body = json::parse_object(done.response.body);
    ASSERT_TRUE(body);
    std::string device_code(json::get_string(body.get(), "device_code").value_or(""));
    std::string user_code(json::get_string(body.get(), "user_code").value_or(""));
    EXPECT_EQ("oauth:dc:" + util::sha256_hex(device_code), dc[1]);
    EXPECT_EQ(device::normalise_user_code(user_code).value_or(""), uc[1].substr(9));
    EXPECT_EQ(user_code.size(), 9u);
    EXPECT_EQ(user_code[4], '-');
    EXPECT_EQ(json::get_string(body.get(), "verification_uri").value_or(""),
              "https://auth.example.com/oauth2/device");
    EXPECT_EQ(json::get_string(body.get(), "verification_uri_complete").value_or(""),
              "https://auth.example.com/oauth2/device?user_code=" + user_code);
    EXPECT_EQ(json::get_int(body.get(), "expires_in").value_or(0), 600);
    EXPECT_EQ(json::get_int(body.get(), "interval").value_or(0), 5);
    bool no_store = false;
    for (const auto& [k, v] : done.response.headers)
        if (k == "Cache-Control" && v == "no-store") no_store = true;
    EXPECT_TRUE(no_store);
}

TEST_F(DeviceAuthorization, ATakenUserCodeIsDrawnAgain) {
    auto f = flow();
    flow::Step s = authenticated(*f);
    std::string first = s.commands[1][1];
    const redisReply* taken[] = {r.ok(), r.nil()};
    flow::Step again = f->on_redis(taken);
    ASSERT_EQ(again.kind, flow::Step::Kind::Redis);
    ASSERT_EQ(again.commands.size(), 1u);  // only the user code, the record stays
    EXPECT_EQ(again.commands[0][0], "SET");
    EXPECT_TRUE(again.commands[0][1].starts_with("oauth:uc:"));
    EXPECT_EQ(again.commands[0][2], s.commands[1][2]);
    const redisReply* ok[] = {r.ok()};
    flow::Step done = f->on_redis(ok);
    EXPECT_EQ(done.response.status, 200u);
    json::Json body = json::parse_object(done.response.body);
    EXPECT_EQ("oauth:uc:" + *device::normalise_user_code(
                                *json::get_string(body.get(), "user_code")),
              again.commands[0][1]);
}

TEST_F(DeviceAuthorization, EndlessCollisionsEndInAnError) {
    auto f = flow();
    authenticated(*f);
    const redisReply* taken[] = {r.ok(), r.nil()};
    flow::Step s = f->on_redis(taken);
    for (int i = 0; i < 10 && s.kind == flow::Step::Kind::Redis; i++) {
        const redisReply* again[] = {r.nil()};
        s = f->on_redis(again);
    }
    ASSERT_EQ(s.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(s.response.status, 500u);
}

TEST_F(DeviceAuthorization, ClientWithoutTheGrantIsUnauthorized) {
    client.grant_types = {"authorization_code"};
    auto f = flow();
    flow::Step s = authenticated(*f);
    EXPECT_EQ(s.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(s.response.status, 400u);
    EXPECT_EQ(error_of(s), "unauthorized_client");
}

TEST_F(DeviceAuthorization, ScopeBeyondTheClientsIsInvalidScope) {
    request.body = "client_id=tv&scope=openid+admin";
    auto f = flow();
    flow::Step s = authenticated(*f);
    EXPECT_EQ(error_of(s), "invalid_scope");
}

TEST_F(DeviceAuthorization, NarrowerScopeIsKept) {
    request.body = "client_id=tv&scope=profile";
    auto f = flow();
    flow::Step s = authenticated(*f);
    ASSERT_EQ(s.kind, flow::Step::Kind::Redis);
    EXPECT_EQ(device::parse_record(s.commands[0][2])->scope, "profile");
}

TEST_F(DeviceAuthorization, NoVerificationPageIsAServerError) {
    server.endpoint_path[OAUTH_EP_DEVICE_VERIFICATION].clear();
    auto f = flow();
    flow::Step s = authenticated(*f);
    EXPECT_EQ(s.response.status, 500u);
    EXPECT_EQ(error_of(s), "server_error");
}

TEST_F(DeviceAuthorization, UnknownClientIsInvalidClient) {
    auto f = flow();
    f->start();
    const redisReply* replies[] = {r.nil()};
    flow::Step s = f->on_redis(replies);
    EXPECT_EQ(s.response.status, 401u);
    EXPECT_EQ(error_of(s), "invalid_client");
}

TEST_F(DeviceAuthorization, RedisErrorWhileStoringIs503) {
    auto f = flow();
    authenticated(*f);
    const redisReply* replies[] = {r.make(REDIS_REPLY_ERROR, "ERR oom"), r.ok()};
    flow::Step s = f->on_redis(replies);
    EXPECT_EQ(s.response.status, 503u);
}

TEST_F(DeviceAuthorization, BadRequestsAreInvalidRequest) {
    for (std::string body : {std::string("client_id=tv&client_id=tv"), std::string("client_id=%zz")}) {
        request.body = body;
        flow::Step s = flow()->start();
        EXPECT_EQ(s.kind, flow::Step::Kind::Respond) << body;
        EXPECT_EQ(error_of(s), "invalid_request") << body;
    }
    request.body = "client_id=tv";
    request.content_type = "application/json";
    EXPECT_EQ(error_of(flow()->start()), "invalid_request");
}

}  // namespace
}  // namespace oauth
