// The Cluster-ready key layout (store/keys.h): a family's keys share one hash
// tag, tokens name their family, compact sessions, the slot-by-slot revoke.
#include <gtest/gtest.h>

#include <hiredis/hiredis.h>

#include <set>
#include <span>
#include <string>
#include <vector>

#include "oauth/tokens/issue.h"
#include "store/bounds.h"
#include "store/index.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/revoke_all.h"
#include "store/scripts.h"

namespace {

using oauth::store::Keys;

// What Redis Cluster hashes: the first {...} with something inside, else the
// whole key (cluster spec, "Hash tags").
std::string hash_tag(const std::string& key) {
    size_t open = key.find('{');
    if (open == std::string::npos) return key;
    size_t close = key.find('}', open + 1);
    if (close == std::string::npos || close == open + 1) return key;
    return key.substr(open + 1, close - open - 1);
}

TEST(KeyLayout, FamilyKeysShareOneHashTag) {
    Keys k("oauth:");
    const std::string fid = "Fam1D-_x";
    std::string jti = Keys::family_member(fid, "R1");
    std::string rt = Keys::family_member(fid, "secret");
    std::set<std::string> tags{hash_tag(k.family(fid)), hash_tag(k.family_tokens(fid)),
                               hash_tag(k.access(jti)), hash_tag(*k.refresh(rt)),
                               hash_tag(k.family_access_prefix(fid) + "R2"),
                               hash_tag(k.family_refresh_prefix(fid) + "abcd")};
    EXPECT_EQ(tags, std::set<std::string>{fid});
    EXPECT_EQ(k.access(jti), k.family_access_prefix(fid) + "R1");
}

TEST(KeyLayout, FamilyLessTokensKeepTheirUntaggedKey) {
    Keys k("oauth:");
    // A jti with no '.' (client_credentials, or issued before this layout)
    // keeps the key it always had.
    EXPECT_EQ(k.access("abcDEF123"), "oauth:at:abcDEF123");
    EXPECT_FALSE(Keys::family_of("abcDEF123"));
}

TEST(KeyLayout, OnlyAWellFormedFamilyIdBecomesATag) {
    EXPECT_EQ(Keys::family_of("abc.def").value_or(""), "abc");
    EXPECT_FALSE(Keys::family_of(".def"));
    EXPECT_FALSE(Keys::family_of("abc."));
    EXPECT_FALSE(Keys::family_of("a}b.def"));
    EXPECT_FALSE(Keys::family_of("a{b.def"));
    EXPECT_FALSE(Keys::family_of(std::string(65, 'a') + ".x"));
    Keys k("p:");
    EXPECT_FALSE(k.refresh("no-family-in-it"));
    EXPECT_EQ(k.access("a}b.c"), "p:at:a}b.c");  // not a tag: the whole key
}

TEST(KeyLayout, EveryScriptCallIsRoutedByAFamilyKey) {
    Keys k("p:");
    auto cmd = oauth::store::family_call(oauth::store::revoke_family_script(), k, "F", {}, {""});
    // EVALSHA sha 2 fam tokens atp rtp owner
    ASSERT_EQ(cmd.size(), 8u);
    EXPECT_EQ(cmd[2], "2");
    EXPECT_EQ(cmd[3], "p:fam:{F}");
    EXPECT_EQ(cmd[4], "p:fam:{F}:at");
    EXPECT_EQ(cmd[5], "p:at:{F}.");
    EXPECT_EQ(cmd[6], "p:rt:{F}:");
    auto ra = oauth::store::revoke_access(k, "F.R", "app");
    EXPECT_EQ(ra, (oauth::flow::Command{"EVALSHA", oauth::store::revoke_access_script().sha1(), "2",
                                        "p:at:{F}.R", "p:fam:{F}:at", "R", "app"}));
    auto lone = oauth::store::revoke_access(k, "J", "app");
    EXPECT_EQ(lone, (oauth::flow::Command{"EVALSHA", oauth::store::revoke_access_script().sha1(), "1",
                                          "p:at:J", "J", "app"}));
}

TEST(CompactSession, SmallAndReadBack) {
    oauth::store::AccessSession cc{.client_id = "svc", .sub = "svc"};
    std::string text = oauth::store::serialize(cc);
    EXPECT_EQ(text, R"({"c":"svc"})");
    auto back = oauth::store::parse_access_session(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->client_id, "svc");
    EXPECT_EQ(back->sub, "svc");
    EXPECT_EQ(back->family, "");

    oauth::store::AccessSession user{.client_id = "app", .sub = "u1", .family = "F"};
    back = oauth::store::parse_access_session(oauth::store::serialize(user));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->sub, "u1");
    EXPECT_EQ(back->family, "F");
}

TEST(IndexAdd, PrunesAndNeverShortens) {
    std::vector<oauth::flow::Command> out;
    oauth::store::index_add(out, "p:idx:client:svc", "F", 160, 100, 60);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0], (oauth::flow::Command{"ZADD", "p:idx:client:svc", "160", "F"}));
    EXPECT_EQ(out[1], (oauth::flow::Command{"ZREMRANGEBYSCORE", "p:idx:client:svc", "-inf", "100"}));
    EXPECT_EQ(out[2], (oauth::flow::Command{"EXPIRE", "p:idx:client:svc", "60", "NX"}));
    EXPECT_EQ(out[3], (oauth::flow::Command{"EXPIRE", "p:idx:client:svc", "60", "GT"}));
}

TEST(TokenBucket, WidthIsThePowerOfTwoOfAnEighthOfTheLife) {
    using oauth::store::bucket_width;
    EXPECT_EQ(bucket_width(1), 16);  // the narrowest
    EXPECT_EQ(bucket_width(128), 16);
    EXPECT_EQ(bucket_width(129), 32);
    EXPECT_EQ(bucket_width(600), 128);   // the default 10 min
    EXPECT_EQ(bucket_width(3600), 512);
    EXPECT_EQ(bucket_width(86400), 16384);
    EXPECT_EQ(bucket_width(oauth::store::kMaxEpoch), int64_t{1} << 35);  // the widest
    for (int64_t ttl : std::initializer_list<int64_t>{1, 2, 100, 128, 129, 600, 601, 1023, 1024, 1025, 3600,
                                                     86400, 31'536'000}) {
        int64_t w = bucket_width(ttl);
        EXPECT_LE(ttl, w * oauth::store::kBucketsPerLife) << ttl;
        if (w > 16) {
            EXPECT_GT(ttl, w / 2 * oauth::store::kBucketsPerLife) << ttl;
        }
    }
}

TEST(TokenBucket, ABucketHoldsItsExpsAndEndsAfterTheLast) {
    auto b = oauth::store::bucket_of(1'700'000'600, 600);
    EXPECT_EQ(b, (oauth::store::TokenBucket{128, 13'281'254}));
    EXPECT_LE(b.number * 128, 1'700'000'600);
    EXPECT_EQ(b.expire_at(), 1'700'000'640 + oauth::store::kBucketSlack);
    // Exps on either side of a boundary go to neighbouring buckets.
    EXPECT_EQ(oauth::store::bucket_of(1'700'000'639, 600).number, 13'281'254);
    EXPECT_EQ(oauth::store::bucket_of(1'700'000'640, 600).number, 13'281'255);
    std::vector<oauth::flow::Command> out;
    oauth::store::bucket_add(out, Keys("p:").client_token_bucket("svc", b.width, b.number), "J",
                             b.expire_at());
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0], (oauth::flow::Command{"SADD", "p:idx:ccb:svc:128:13281254", "J"}));
    EXPECT_EQ(out[1], (oauth::flow::Command{"EXPIREAT", "p:idx:ccb:svc:128:13281254", "1700000700", "NX"}));
}

// The revoke window holds the bucket of every token alive at `now`: minted
// up to one slack on either side of it (clocks), of any life.
TEST(TokenBucket, LiveBucketsCoverEveryLiveTokenAndAreFew) {
    const int64_t now = 1'700'000'000;
    auto live = oauth::store::live_buckets(now);
    std::set<std::pair<int64_t, int64_t>> window;
    for (const auto& b : live) window.insert({b.width, b.number});
    EXPECT_EQ(window.size(), live.size());  // no bucket twice
    EXPECT_LT(live.size(), 400u);
    for (int64_t ttl : std::initializer_list<int64_t>{1, 60, 128, 129, 600, 3600, 7200, 86400, 604'800,
                                                     31'536'000, int64_t{8} << 35}) {
        const int64_t slack = oauth::store::kBucketSlack;
        for (int64_t issued : {now - ttl - slack + 1, now - ttl / 2, now, now + slack}) {
            int64_t exp = issued + ttl;
            if (exp < now - slack) continue;  // ended: Redis has dropped its session
            auto b = oauth::store::bucket_of(exp, ttl);
            EXPECT_TRUE(window.contains({b.width, b.number})) << "ttl " << ttl << " issued " << issued;
        }
    }
    // A bucket ended before now - slack is not read.
    auto old = oauth::store::bucket_of(now - 600 - oauth::store::kBucketSlack - 128, 600);
    EXPECT_FALSE(window.contains({old.width, old.number}));
}

TEST(Keys, TokenBucketNamesTheClientThenWidthAndNumber) {
    Keys k("p:");
    EXPECT_EQ(k.client_token_bucket("a:b", 16, 7), "p:idx:ccb:a:b:16:7");  // read from the right
    EXPECT_EQ(k.client_token_index("svc"), "p:idx:cc:svc");  // the layout before buckets
}

redisReply* array_of(std::vector<redisReply*> items) {
    auto* r = static_cast<redisReply*>(calloc(1, sizeof(redisReply)));
    r->type = REDIS_REPLY_ARRAY;
    r->elements = items.size();
    r->element = static_cast<redisReply**>(calloc(items.size() + 1, sizeof(redisReply*)));
    for (size_t i = 0; i < items.size(); ++i) r->element[i] = items[i];
    return r;
}

redisReply* bulk(const char* s) {
    auto* r = static_cast<redisReply*>(calloc(1, sizeof(redisReply)));
    r->type = REDIS_REPLY_STRING;
    r->len = strlen(s);
    r->str = strdup(s);
    return r;
}

redisReply* integer(long long n) {
    auto* r = static_cast<redisReply*>(calloc(1, sizeof(redisReply)));
    r->type = REDIS_REPLY_INTEGER;
    r->integer = n;
    return r;
}

TEST(RevokeAll, ClientWalksFamiliesThenItsFamilyLessTokens) {
    Keys k("p:");
    const int64_t now = 1'700'000'000;
    oauth::store::RevokeAll plan(k, oauth::store::RevokeAllOf::Client, "svc", now);
    auto reads = plan.reads();
    auto live = oauth::store::live_buckets(now);
    ASSERT_EQ(reads.size(), 2 + live.size());
    EXPECT_EQ(reads[0], (oauth::flow::Command{"ZRANGE", "p:idx:client:svc", "0", "-1"}));
    // The sorted set of the layout before buckets is still read.
    EXPECT_EQ(reads[1], (oauth::flow::Command{"ZRANGE", "p:idx:cc:svc", "0", "-1"}));
    for (size_t i = 0; i < live.size(); ++i)
        EXPECT_EQ(reads[2 + i],
                  (oauth::flow::Command{"SMEMBERS", k.client_token_bucket("svc", live[i].width, live[i].number)}));
    // Tokens of two buckets (a 600 s life and a one-day life), the others empty.
    auto b600 = oauth::store::bucket_of(now + 300, 600);
    auto bday = oauth::store::bucket_of(now + 86'000, 86'400);
    std::vector<redisReply*> held = {array_of({bulk("F1"), bulk("F2")}), array_of({bulk("J1")})};
    size_t i600 = 0, iday = 0;
    for (size_t i = 0; i < live.size(); ++i) {
        if (live[i] == b600) {
            i600 = 2 + i;
            held.push_back(array_of({bulk("J2"), bulk("J3")}));
        } else if (live[i] == bday) {
            iday = 2 + i;
            held.push_back(array_of({bulk("J4")}));
        } else {
            held.push_back(array_of({}));
        }
    }
    ASSERT_TRUE(i600 && iday && i600 < iday);
    std::vector<const redisReply*> replies(held.begin(), held.end());
    auto w = plan.writes(replies);
    ASSERT_EQ(w.families, 2u);
    ASSERT_EQ(w.commands.size(), 10u);
    EXPECT_EQ(w.commands[0][3], "p:fam:{F1}");
    EXPECT_EQ(w.commands[1][3], "p:fam:{F2}");
    EXPECT_EQ(w.commands[2], (oauth::flow::Command{"DEL", "p:at:J1"}));
    EXPECT_EQ(w.commands[3], (oauth::flow::Command{"DEL", "p:at:J2"}));
    EXPECT_EQ(w.commands[4], (oauth::flow::Command{"DEL", "p:at:J3"}));
    EXPECT_EQ(w.commands[5], (oauth::flow::Command{"DEL", "p:at:J4"}));
    EXPECT_EQ(w.commands[6], (oauth::flow::Command{"DEL", "p:idx:client:svc"}));
    EXPECT_EQ(w.commands[7], (oauth::flow::Command{"DEL", "p:idx:cc:svc"}));
    // A bucket loses what was read, not a token added since.
    EXPECT_EQ(w.commands[8], (oauth::flow::Command{"SREM", reads[i600][1], "J2", "J3"}));
    EXPECT_EQ(w.commands[9], (oauth::flow::Command{"SREM", reads[iday][1], "J4"}));
    redisReply* r1 = integer(1);
    redisReply* r0 = integer(0);
    const redisReply* wr[] = {r1, r0, r1, r1, r1, r1, r1, r1, r1, r1};
    EXPECT_EQ(oauth::store::RevokeAll::families_revoked(w, wr), 1);
    // One bucket reply short, or one that is not a list: nothing is written.
    EXPECT_THROW(plan.writes(std::span(replies).first(replies.size() - 1)), std::runtime_error);
    redisReply* bad = integer(3);
    replies[iday] = bad;
    EXPECT_THROW(plan.writes(replies), std::runtime_error);
    for (auto* r : held) freeReplyObject(r);
    freeReplyObject(bad);
    freeReplyObject(r1);
    freeReplyObject(r0);
}

TEST(RevokeAll, SubjectAlsoEndsItsSsoSessionsAndRefusesGarbage) {
    Keys k("p:");
    oauth::store::RevokeAll plan(k, oauth::store::RevokeAllOf::Subject, "u1", 1'700'000'000);
    EXPECT_EQ(plan.reads()[1], (oauth::flow::Command{"ZRANGE", "p:idx:sso:u1", "0", "-1"}));
    redisReply* fams = array_of({});
    redisReply* sids = array_of({bulk("S1")});
    const redisReply* replies[] = {fams, sids};
    auto w = plan.writes(replies);
    EXPECT_EQ(w.families, 0u);
    EXPECT_EQ(w.commands[0], (oauth::flow::Command{"DEL", k.sso("S1")}));
    redisReply* bad = integer(3);
    const redisReply* garbage[] = {bad, sids};
    EXPECT_THROW(plan.writes(garbage), std::runtime_error);
    freeReplyObject(fams);
    freeReplyObject(sids);
    freeReplyObject(bad);
}

}  // namespace
