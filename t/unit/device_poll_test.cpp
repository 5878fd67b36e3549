// RFC 8628 §3.5 polling rules on canned records (device_poll.h), and the
// record's JSON format (device_record.h).
#include <gtest/gtest.h>

#include "oauth/device/poll.h"

using namespace oauth::device;
using oauth::Error;

namespace {

Record pending(int64_t last_poll = 0, int64_t interval = 5) {
    Record r;
    r.client_id = "tv";
    r.scope = "openid profile";
    r.interval = interval;
    r.last_poll = last_poll;
    r.iat = 1000;
    r.exp = 1600;
    return r;
}

// The record a poll wrote back; a default one (and a failure) when it wrote
// none or an unreadable one.
Record written(const Poll& p) {
    auto r = parse_record(p.updated);
    EXPECT_TRUE(r) << "the poll wrote no record back";
    return r ? std::move(*r) : Record{};
}

Record approved() {
    Record r = pending();
    r.status = Status::Approved;
    r.sub = "sub-1";
    r.username = "alice";
    r.auth_time = 1100;
    r.claims = oauth::json::parse_object(R"({"email":"a@example.com"})");
    return r;
}

}  // namespace

// Records outlive their exp (kExpiredGrace), so no record means a code
// never issued, or expired long ago: invalid_grant (RFC 6749 §5.2).
TEST(DevicePoll, MissingRecordIsUnknown) {
    Poll p = decide_poll(std::nullopt, "tv", 1200);
    EXPECT_EQ(p.outcome, PollOutcome::Unknown);
    EXPECT_EQ(poll_error(p.outcome), Error::InvalidGrant);
}

TEST(DevicePoll, FirstPollIsPendingAndRecordsTheTime) {
    Poll p = decide_poll(serialize(pending()), "tv", 1001);
    EXPECT_EQ(p.outcome, PollOutcome::Pending);
    EXPECT_EQ(poll_error(p.outcome), Error::AuthorizationPending);
    Record updated = written(p);
    EXPECT_EQ(updated.last_poll, 1001);
    EXPECT_EQ(updated.interval, 5);
    EXPECT_EQ(updated.status, Status::Pending);
}

TEST(DevicePoll, PollAfterTheIntervalIsPending) {
    Poll p = decide_poll(serialize(pending(1100, 5)), "tv", 1105);
    EXPECT_EQ(p.outcome, PollOutcome::Pending);
    EXPECT_EQ(parse_record(p.updated)->interval, 5);
}

TEST(DevicePoll, PollTooSoonIsSlowDownAndTheIntervalGrowsByFive) {
    Poll p = decide_poll(serialize(pending(1100, 5)), "tv", 1104);
    EXPECT_EQ(p.outcome, PollOutcome::SlowDown);
    EXPECT_EQ(poll_error(p.outcome), Error::SlowDown);
    Record updated = written(p);
    EXPECT_EQ(updated.interval, 10);
    EXPECT_EQ(updated.last_poll, 1104);
    // The grown interval holds for later polls: 9 s later is still too soon.
    Poll again = decide_poll(p.updated, "tv", 1113);
    EXPECT_EQ(again.outcome, PollOutcome::SlowDown);
    EXPECT_EQ(parse_record(again.updated)->interval, 15);
    // ... and waiting it out is fine.
    Poll later = decide_poll(again.updated, "tv", 1128);
    EXPECT_EQ(later.outcome, PollOutcome::Pending);
    EXPECT_EQ(parse_record(later.updated)->interval, 15);
}

TEST(DevicePoll, ApprovedHandsOverTheRecordWhateverThePace) {
    Record r = approved();
    r.last_poll = 1199;
    Poll p = decide_poll(serialize(r), "tv", 1200);
    EXPECT_EQ(p.outcome, PollOutcome::Approved);
    ASSERT_TRUE(p.record);
    EXPECT_EQ(p.record->sub, "sub-1");
    EXPECT_EQ(p.record->username, "alice");
    EXPECT_EQ(p.record->auth_time, 1100);
    EXPECT_EQ(p.record->scope, "openid profile");
    EXPECT_EQ(oauth::json::get_string(p.record->claims.get(), "email").value_or(""),
              "a@example.com");
    EXPECT_TRUE(p.updated.empty());
}

TEST(DevicePoll, DeniedIsAccessDenied) {
    Record r = pending();
    r.status = Status::Denied;
    Poll p = decide_poll(serialize(r), "tv", 1200);
    EXPECT_EQ(p.outcome, PollOutcome::Denied);
    EXPECT_EQ(poll_error(p.outcome), Error::AccessDenied);
}

TEST(DevicePoll, PastExpIsExpiredEvenIfRedisStillHoldsIt) {
    EXPECT_EQ(decide_poll(serialize(pending()), "tv", 1600).outcome, PollOutcome::Expired);
    EXPECT_EQ(decide_poll(serialize(approved()), "tv", 1700).outcome, PollOutcome::Expired);
}

TEST(DevicePoll, AnotherClientGetsInvalidGrantAndLearnsNothing) {
    for (const Record& r : {pending(), approved()}) {
        Poll p = decide_poll(serialize(r), "other", 1200);
        EXPECT_EQ(p.outcome, PollOutcome::WrongClient);
        EXPECT_EQ(poll_error(p.outcome), Error::InvalidGrant);
        EXPECT_TRUE(p.updated.empty());
    }
    // Even once expired: the client check comes first.
    EXPECT_EQ(decide_poll(serialize(pending()), "other", 5000).outcome, PollOutcome::WrongClient);
}

TEST(DevicePoll, UsedRecordIsInvalidGrant) {
    Poll p = decide_poll("used:fam123", "tv", 1200);
    EXPECT_EQ(p.outcome, PollOutcome::Used);
    EXPECT_EQ(poll_error(p.outcome), Error::InvalidGrant);
}

TEST(DevicePoll, GarbageRecordIsInvalidGrantNotACrash) {
    for (const char* text : {"", "{", "[]", "null", "{\"client_id\":\"tv\"}",
                             R"({"client_id":"tv","scope":"","status":"maybe","interval":5,"last_poll":0,"iat":1,"exp":2})",
                             R"({"client_id":"tv","scope":"","status":"pending","interval":0,"last_poll":0,"iat":1,"exp":2})",
                             R"({"client_id":"tv","scope":"","status":"approved","interval":5,"last_poll":0,"iat":1,"exp":9999})"}) {
        Poll p = decide_poll(text, "tv", 1);
        EXPECT_EQ(p.outcome, PollOutcome::Corrupt) << text;
        EXPECT_EQ(poll_error(p.outcome), Error::InvalidGrant) << text;
    }
}

TEST(DeviceRecord, RoundTrips) {
    Record r = approved();
    r.last_poll = 1234;
    r.interval = 10;
    auto back = parse_record(serialize(r));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->client_id, "tv");
    EXPECT_EQ(back->scope, "openid profile");
    EXPECT_EQ(back->status, Status::Approved);
    EXPECT_EQ(back->sub, "sub-1");
    EXPECT_EQ(back->username, "alice");
    EXPECT_EQ(back->auth_time, 1100);
    EXPECT_EQ(back->interval, 10);
    EXPECT_EQ(back->last_poll, 1234);
    EXPECT_EQ(back->iat, 1000);
    EXPECT_EQ(back->exp, 1600);
    EXPECT_EQ(serialize(*back), serialize(r));
}

TEST(DeviceRecord, PendingRecordHasEmptyClaimsObject) {
    auto back = parse_record(serialize(pending()));
    ASSERT_TRUE(back);
    ASSERT_TRUE(back->claims);
    EXPECT_TRUE(json_is_object(back->claims.get()));
    EXPECT_EQ(json_object_size(back->claims.get()), 0u);
}

TEST(DeviceRecord, DeviceCodesHave256BitsAndAShapeCheck) {
    std::string a = new_device_code(), b = new_device_code();
    EXPECT_EQ(a.size(), 43u);
    EXPECT_NE(a, b);
    EXPECT_TRUE(looks_like_device_code(a));
    EXPECT_FALSE(looks_like_device_code(""));
    EXPECT_FALSE(looks_like_device_code(a.substr(1)));
    EXPECT_FALSE(looks_like_device_code(a + "A"));
    std::string bad = a;
    bad[5] = '+';
    EXPECT_FALSE(looks_like_device_code(bad));
}
