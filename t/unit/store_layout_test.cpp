// The Cluster-ready key layout (store/keys.h): a family's keys share one hash
// tag, tokens name their family, compact sessions, the slot-by-slot revoke.
#include <gtest/gtest.h>

#include <hiredis/hiredis.h>

#include <set>
#include <string>
#include <vector>

#include "oauth/tokens/issue.h"
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
    oauth::store::index_add(out, "p:idx:cc:svc", "J", 160, 100, 60);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0], (oauth::flow::Command{"ZADD", "p:idx:cc:svc", "160", "J"}));
    EXPECT_EQ(out[1], (oauth::flow::Command{"ZREMRANGEBYSCORE", "p:idx:cc:svc", "-inf", "100"}));
    EXPECT_EQ(out[2], (oauth::flow::Command{"EXPIRE", "p:idx:cc:svc", "60", "NX"}));
    EXPECT_EQ(out[3], (oauth::flow::Command{"EXPIRE", "p:idx:cc:svc", "60", "GT"}));
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
    oauth::store::RevokeAll plan(k, oauth::store::RevokeAllOf::Client, "svc");
    auto reads = plan.reads();
    ASSERT_EQ(reads.size(), 2u);
    EXPECT_EQ(reads[0], (oauth::flow::Command{"ZRANGE", "p:idx:client:svc", "0", "-1"}));
    EXPECT_EQ(reads[1], (oauth::flow::Command{"ZRANGE", "p:idx:cc:svc", "0", "-1"}));
    redisReply* fams = array_of({bulk("F1"), bulk("F2")});
    redisReply* jtis = array_of({bulk("J1")});
    const redisReply* replies[] = {fams, jtis};
    auto w = plan.writes(replies);
    ASSERT_EQ(w.families, 2u);
    ASSERT_EQ(w.commands.size(), 5u);
    EXPECT_EQ(w.commands[0][3], "p:fam:{F1}");
    EXPECT_EQ(w.commands[1][3], "p:fam:{F2}");
    EXPECT_EQ(w.commands[2], (oauth::flow::Command{"DEL", "p:at:J1"}));
    EXPECT_EQ(w.commands[3], (oauth::flow::Command{"DEL", "p:idx:client:svc"}));
    EXPECT_EQ(w.commands[4], (oauth::flow::Command{"DEL", "p:idx:cc:svc"}));
    redisReply* r1 = integer(1);
    redisReply* r0 = integer(0);
    const redisReply* wr[] = {r1, r0, r1, r1, r1};
    EXPECT_EQ(oauth::store::RevokeAll::families_revoked(w, wr), 1);
    freeReplyObject(fams);
    freeReplyObject(jtis);
    freeReplyObject(r1);
    freeReplyObject(r0);
}

TEST(RevokeAll, SubjectAlsoEndsItsSsoSessionsAndRefusesGarbage) {
    Keys k("p:");
    oauth::store::RevokeAll plan(k, oauth::store::RevokeAllOf::Subject, "u1");
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
