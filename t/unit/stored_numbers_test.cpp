// Numbers read back from Redis are input (issue 18, item 8): every record's
// parser range-checks its numbers, and a record with a number out of range is
// malformed, treated as absent. The extremes are the ones that overflowed
// int64 arithmetic further on (exp - now, now - last_poll, interval + 5,
// iat + ttl).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "oauth/browser/code.h"
#include "oauth/device/poll.h"
#include "oauth/browser/pending.h"
#include "oauth/browser/sso.h"
#include "store/bounds.h"
#include "store/family.h"
#include "store/records.h"
#include "token_helpers.h"

using namespace oauth;

namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Out of every range a stored instant may have.
const std::vector<std::string> kBadInstants = {
    std::to_string(kMin), std::to_string(kMax), "-1", std::to_string(store::kMaxEpoch + 1),
    "1e300", "1.5", "\"12\"", "true", "null"};

// A JSON text with one member replaced.
std::string with(std::string json, const std::string& member, const std::string& value) {
    std::string key = "\"" + member + "\":";
    size_t at = json.find(key);
    EXPECT_NE(at, std::string::npos) << member;
    size_t start = at + key.size();
    size_t end = json.find_first_of(",}", start);
    return json.replace(start, end - start, value);
}

// A well-formed pending device record of client "tv".
std::string pending_device_record() {
    device::Record r;
    r.client_id = "tv";
    r.scope = "a";
    r.interval = 5;
    r.iat = 1000;
    r.exp = 1600;
    return device::serialize(r);
}

}  // namespace

TEST(StoredNumbers, DeviceRecordRefusesInstantsAndIntervalsOutOfRange) {
    const std::string good = pending_device_record();
    ASSERT_TRUE(device::parse_record(good));
    for (const char* member : {"iat", "exp", "last_poll", "auth_time"})
        for (const auto& v : kBadInstants)
            EXPECT_FALSE(device::parse_record(with(good, member, v))) << member << "=" << v;
    for (const auto& v : {std::to_string(kMin), std::to_string(kMax), std::string("0"), std::string("-5"),
                          std::to_string(store::kPollInterval.hi + 1)})
        EXPECT_FALSE(device::parse_record(with(good, "interval", v))) << v;
    EXPECT_TRUE(device::parse_record(with(good, "interval", std::to_string(store::kPollInterval.hi))));
}

TEST(StoredNumbers, DevicePollWithExtremeLastPollOrIntervalIsCorrupt) {
    const std::string good = pending_device_record();
    // now - INT64_MIN and INT64_MAX + 5 overflowed before.
    for (auto text : {with(good, "last_poll", std::to_string(kMin)),
                      with(with(good, "last_poll", "1199"), "interval", std::to_string(kMax))}) {
        device::Poll p = device::decide_poll(text, "tv", 1200);
        EXPECT_EQ(p.outcome, device::PollOutcome::Corrupt) << text;
        EXPECT_EQ(device::poll_error(p.outcome), Error::InvalidGrant);
        EXPECT_TRUE(p.updated.empty());
    }
}

TEST(StoredNumbers, SlowDownNeverGrowsTheIntervalPastItsRange) {
    device::Record r;
    r.client_id = "tv";
    r.scope = "a";
    r.interval = store::kPollInterval.hi;
    r.last_poll = 1199;
    r.iat = 1000;
    r.exp = 1600;
    device::Poll p = device::decide_poll(device::serialize(r), "tv", 1200);
    EXPECT_EQ(p.outcome, device::PollOutcome::SlowDown);
    auto updated = device::parse_record(p.updated);
    ASSERT_TRUE(updated);  // still a well-formed record
    EXPECT_EQ(updated->interval, store::kPollInterval.hi);
}

TEST(StoredNumbers, CodeRecordRefusesInstantsOutOfRange) {
    authz::CodeRecord c;
    c.client_id = "app";
    c.iat = 1000;
    c.auth_time = 900;
    const std::string good = authz::serialize(c);
    ASSERT_TRUE(authz::parse_code(good));
    for (const char* member : {"iat", "auth_time"})
        for (const auto& v : kBadInstants)
            EXPECT_FALSE(authz::parse_code(with(good, member, v))) << member << "=" << v;
}

TEST(StoredNumbers, LegacyAccessSessionRefusesInstantsOutOfRange) {
    // The form written before compact sessions, still read.
    const std::string good = R"({"client_id":"app","sub":"u","scope":"a","iat":10,"exp":20,"fam":"f"})";
    ASSERT_TRUE(store::parse_access_session(good));
    for (const char* member : {"iat", "exp"})
        for (const auto& v : kBadInstants)
            EXPECT_FALSE(store::parse_access_session(with(good, member, v))) << member << "=" << v;
}

TEST(StoredNumbers, SsoSessionRefusesAnAuthTimeOutOfRange) {
    sso::Session s;
    s.sub = "u";
    s.auth_time = 100;
    const std::string good = sso::serialize(s);
    ASSERT_TRUE(sso::parse(good, "sid"));
    for (const auto& v : kBadInstants)
        EXPECT_FALSE(sso::parse(with(good, "auth_time", v), "sid")) << v;
}

TEST(StoredNumbers, PendingRequestRefusesNumbersOutOfRange) {
    authz::Pending p;
    p.kind = authz::Pending::Kind::Authorize;
    p.client_id = "app";
    p.redirect_uri = "https://app/cb";
    p.iat = 100;
    p.max_age = 60;
    const std::string good = authz::serialize(p);
    ASSERT_TRUE(authz::parse_pending(good));
    for (const auto& v : kBadInstants)
        EXPECT_FALSE(authz::parse_pending(with(good, "iat", v))) << v;
    // max_age: -1 is "none"; nothing below it, nothing past the epoch range.
    EXPECT_TRUE(authz::parse_pending(with(good, "max_age", "-1")));
    for (const auto& v : {std::to_string(kMin), std::to_string(kMax), std::string("-2")})
        EXPECT_FALSE(authz::parse_pending(with(good, "max_age", v))) << v;
}

namespace {

using token_test::ReplyArena;

// REFRESH_LOOKUP's "ok" answer with one family field replaced.
const redisReply* family_with(ReplyArena& a, const std::string& field, const std::string& value) {
    std::vector<std::pair<std::string, std::string>> fields = {
        {"client_id", "app"}, {"sub", "u"},   {"username", "alice"}, {"scope", "a"},
        {"iat", "100"},       {"exp", "200"}, {"auth_time", "90"},   {"rt", "h"}};
    std::vector<const redisReply*> items = {a.str("ok"), a.str("fam1"),
                                            a.str(R"({"fam":"fam1","iat":150,"rid":"r1"})")};
    for (auto& [k, v] : fields) {
        items.push_back(a.str(k));
        items.push_back(a.str(k == field ? value : v));
    }
    return a.array(items);
}

}  // namespace

TEST(StoredNumbers, FamilyRefusesInstantsOutOfRange) {
    ReplyArena a;
    auto ok = store::parse_refresh_lookup(family_with(a, "", ""));
    ASSERT_EQ(ok.state, store::RefreshLookup::State::Ok);
    EXPECT_EQ(ok.family.exp, 200);
    EXPECT_EQ(ok.family.auth_time, 90);
    for (const char* field : {"iat", "exp", "auth_time"})
        for (const std::string& v : {std::to_string(kMin), std::to_string(kMax), std::string("-1"),
                                    std::to_string(store::kMaxEpoch + 1), std::string("12abc"),
                                    std::string(""), std::string(" 12"), std::string("+12"),
                                    std::string("99999999999999999999")})
            EXPECT_EQ(store::parse_refresh_lookup(family_with(a, field, v)).state,
                      store::RefreshLookup::State::None)
                << field << "=" << v;
}
