// The edge session cache (SPEC §8): the map's rules, the invalidation link's
// conversation with canned Redis replies, and the require ABI using both.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "oauth_require.h"
#include "oauth_session_cache.h"
#include "require/cache.h"
#include "require/invalidation.h"
#include "require/session_cache.h"
#include "require_helpers.h"
#include "store/keys.h"

namespace oauth::require {
namespace {

using namespace testing;

constexpr int64_t kExp = kNow + 600;

// ---- the map ----

TEST(SessionCache, RemembersWhatRedisFoundAlive) {
    auto c = SessionCache::make(10);
    EXPECT_FALSE(c->alive("a", kNow));
    auto t = c->begin("a");
    EXPECT_EQ(c->in_flight(), 1u);
    EXPECT_TRUE(c->remember(t, kExp, kNow));
    EXPECT_EQ(c->in_flight(), 0u);
    EXPECT_TRUE(c->alive("a", kNow));
    EXPECT_FALSE(c->alive("b", kNow));
    EXPECT_EQ(c->size(), 1u);
}

TEST(SessionCache, NeverPastExp) {
    auto c = SessionCache::make(10);
    auto t = c->begin("a");
    ASSERT_TRUE(c->remember(t, kExp, kNow));
    EXPECT_TRUE(c->alive("a", kExp - 1));
    EXPECT_FALSE(c->alive("a", kExp));  // dropped at its exp
    EXPECT_EQ(c->size(), 0u);
    auto late = c->begin("b");
    EXPECT_FALSE(c->remember(late, kNow, kNow));  // at its exp already
    EXPECT_EQ(c->size(), 0u);
}

TEST(SessionCache, BoundedLeastRecentlyUsedGoes) {
    auto c = SessionCache::make(3);
    for (std::string j : {"a", "b", "c"}) {
        auto t = c->begin(j);
        ASSERT_TRUE(c->remember(t, kExp, kNow));
    }
    EXPECT_TRUE(c->alive("a", kNow));  // a is now the most recent; b the least
    auto t = c->begin("d");
    ASSERT_TRUE(c->remember(t, kExp, kNow));
    EXPECT_EQ(c->size(), 3u);
    EXPECT_FALSE(c->alive("b", kNow));
    EXPECT_TRUE(c->alive("a", kNow));
    EXPECT_TRUE(c->alive("c", kNow));
    EXPECT_TRUE(c->alive("d", kNow));
    for (int i = 0; i < 1000; i++) {
        auto u = c->begin("x" + std::to_string(i));
        c->remember(u, kExp, kNow);
    }
    EXPECT_EQ(c->size(), 3u);
}

TEST(SessionCache, InvalidateAndClear) {
    auto c = SessionCache::make(10);
    for (std::string j : {"a", "b"}) {
        auto t = c->begin(j);
        ASSERT_TRUE(c->remember(t, kExp, kNow));
    }
    c->invalidate("a");
    c->invalidate("never-seen");
    EXPECT_FALSE(c->alive("a", kNow));
    EXPECT_TRUE(c->alive("b", kNow));
    c->clear();
    EXPECT_FALSE(c->alive("b", kNow));
    EXPECT_EQ(c->size(), 0u);
}

// The race of client-side caching: the key changed while its EXISTS was in
// flight, and the invalidation came before the reply.
TEST(SessionCache, InvalidatedInFlightIsNotRemembered) {
    auto c = SessionCache::make(10);
    auto t = c->begin("a");
    c->invalidate("a");
    EXPECT_FALSE(c->remember(t, kExp, kNow));
    EXPECT_FALSE(c->alive("a", kNow));
    EXPECT_EQ(c->in_flight(), 0u);
    // the next miss, begun after, is remembered
    auto again = c->begin("a");
    EXPECT_TRUE(c->remember(again, kExp, kNow));
    EXPECT_TRUE(c->alive("a", kNow));
}

TEST(SessionCache, ClearedInFlightIsNotRemembered) {
    auto c = SessionCache::make(10);
    auto t = c->begin("a");
    c->clear();  // a flush, a lost link
    EXPECT_FALSE(c->remember(t, kExp, kNow));
    EXPECT_EQ(c->size(), 0u);
}

TEST(SessionCache, OtherKeysDoNotSpoil) {
    auto c = SessionCache::make(10);
    auto t = c->begin("a");
    c->invalidate("b");  // BCAST: every new session anywhere is a message
    EXPECT_TRUE(c->remember(t, kExp, kNow));
}

TEST(SessionCache, TwoInFlightOneInvalidation) {
    auto c = SessionCache::make(10);
    auto t1 = c->begin("a");
    auto t2 = c->begin("a");
    c->invalidate("a");
    EXPECT_FALSE(c->remember(t1, kExp, kNow));
    EXPECT_FALSE(c->remember(t2, kExp, kNow));
    EXPECT_EQ(c->in_flight(), 0u);
}

TEST(SessionCache, DroppedTicketsEndTheirMark) {
    auto c = SessionCache::make(10);
    {
        auto t = c->begin("a");
        auto moved = std::move(t);
        EXPECT_EQ(c->in_flight(), 1u);
    }  // a request that went away, a Redis failure
    EXPECT_EQ(c->in_flight(), 0u);
    EXPECT_EQ(c->size(), 0u);
}

TEST(SessionCache, SizeZeroRemembersNothing) {
    auto c = SessionCache::make(0);
    auto t = c->begin("a");
    EXPECT_FALSE(c->remember(t, kExp, kNow));
    EXPECT_EQ(c->size(), 0u);
}

// ---- keys ----

TEST(SessionCacheKeys, JtiOfAccessIsTheInverse) {
    store::Keys k("oauth:");
    for (std::string jti : {"plainjti", "FAMILYID12345678901234.rand"}) {
        auto key = k.access(jti);
        auto back = k.jti_of_access(key);
        ASSERT_TRUE(back) << key;
        EXPECT_EQ(*back, jti);
    }
    EXPECT_EQ(k.access("FAMILYID12345678901234.rand"), "oauth:at:{FAMILYID12345678901234}.rand");
    EXPECT_FALSE(k.jti_of_access("other:at:x"));
    EXPECT_FALSE(k.jti_of_access("oauth:fam:{x}"));
    EXPECT_FALSE(k.jti_of_access("oauth:at:"));
    EXPECT_FALSE(k.jti_of_access("oauth:at:{x"));
    EXPECT_FALSE(k.jti_of_access("oauth:at:{x}"));
    EXPECT_FALSE(k.jti_of_access("oauth:at:{x}y"));
    EXPECT_FALSE(k.jti_of_access("oauth:at:a.b"));  // access("a.b") is tagged
}

// ---- the link, with Redis's replies as bytes ----

struct Replies {
    redisReader* reader = redisReaderCreate();
    std::vector<redisReply*> got;
    ~Replies() {
        for (auto* r : got) freeReplyObject(r);
        redisReaderFree(reader);
    }
    const redisReply* parse(std::string_view bytes) {
        EXPECT_EQ(redisReaderFeed(reader, bytes.data(), bytes.size()), REDIS_OK);
        void* r = nullptr;
        EXPECT_EQ(redisReaderGetReply(reader, &r), REDIS_OK);
        EXPECT_NE(r, nullptr) << bytes;
        got.push_back(static_cast<redisReply*>(r));
        return got.back();
    }
};

constexpr std::string_view kInfo = "$52\r\n# Server\r\nredis_version:7.0.15\r\nrun_id:abc123\r\nx:y\r\n\r\n";
constexpr std::string_view kSubscribed = "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n";

std::string message(std::vector<std::string> keys) {
    std::string m = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*" + std::to_string(keys.size()) + "\r\n";
    for (auto& k : keys) m += "$" + std::to_string(k.size()) + "\r\n" + k + "\r\n";
    return m;
}
constexpr std::string_view kFlush = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n";

void fill(SessionCache& c, std::string jti) {
    auto t = c.begin(jti);
    ASSERT_TRUE(c.remember(t, kExp, kNow));
}

// Brings a link to Ready; returns the second write.
std::string handshake(InvalidationLink& link, Replies& r, std::string_view info = kInfo) {
    auto s = link.start();
    EXPECT_EQ(s.action, InvalidationLink::Step::Send);
    EXPECT_EQ(link.reply(r.parse(":42\r\n")).action, InvalidationLink::Step::Wait);
    s = link.reply(r.parse(info));
    EXPECT_EQ(s.action, InvalidationLink::Step::Send);
    std::string second(s.commands);
    EXPECT_FALSE(link.ready());
    EXPECT_EQ(link.reply(r.parse("+OK\r\n")).action, InvalidationLink::Step::Wait);
    EXPECT_FALSE(link.ready());
    EXPECT_EQ(link.reply(r.parse(kSubscribed)).action, InvalidationLink::Step::Ready);
    EXPECT_TRUE(link.ready());
    return second;
}

// A cache of 10 and its link (prefix "oauth:", no AUTH), with a reply
// parser: what most link tests start from.
struct LinkOnCache {
    std::shared_ptr<SessionCache> cache = SessionCache::make(10);
    InvalidationLink link{cache, "oauth:", "", ""};
    Replies r;
};
struct InvalidationLinkOnCache : ::testing::Test, LinkOnCache {};

TEST_F(InvalidationLinkOnCache, Conversation) {
    auto s = link.start();
    EXPECT_EQ(std::string(s.commands), "*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n");
    link.lost();
    std::string second = handshake(link, r);
    EXPECT_EQ(second,
              "*8\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\non\r\n$8\r\nREDIRECT\r\n$2\r\n42\r\n"
              "$5\r\nBCAST\r\n$6\r\nPREFIX\r\n$9\r\noauth:at:\r\n"
              "*2\r\n$9\r\nSUBSCRIBE\r\n$20\r\n__redis__:invalidate\r\n");
    EXPECT_EQ(link.client_id(), 42);
}

TEST(InvalidationLink, AuthFirst) {
    InvalidationLink link(SessionCache::make(10), "p:", "u", "secret");
    Replies r;
    auto s = link.start();
    EXPECT_TRUE(std::string(s.commands).starts_with("*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$6\r\nsecret\r\n"));
    s = link.reply(r.parse("-WRONGPASS invalid username-password pair\r\n"));
    EXPECT_EQ(s.action, InvalidationLink::Step::Fail);
    EXPECT_NE(std::string(s.note).find("WRONGPASS"), std::string::npos);
    EXPECT_FALSE(link.ready());
}

TEST_F(InvalidationLinkOnCache, MessagesInvalidateFlushEmpties) {
    handshake(link, r);
    fill(*cache, "plain");
    fill(*cache, "FAM.r1");
    fill(*cache, "kept");
    auto s = link.reply(r.parse(message({"oauth:at:plain", "oauth:at:{FAM}.r1", "oauth:at:unknown"})));
    EXPECT_EQ(s.action, InvalidationLink::Step::Wait);
    EXPECT_FALSE(cache->alive("plain", kNow));
    EXPECT_FALSE(cache->alive("FAM.r1", kNow));
    EXPECT_TRUE(cache->alive("kept", kNow));
    EXPECT_EQ(link.keys_seen(), 3u);
    EXPECT_TRUE(link.ready());

    EXPECT_EQ(link.reply(r.parse(kFlush)).action, InvalidationLink::Step::Wait);
    EXPECT_FALSE(cache->alive("kept", kNow));
    EXPECT_EQ(link.flushes_seen(), 1u);
    EXPECT_TRUE(link.ready());
}

TEST_F(InvalidationLinkOnCache, StartAndLossEmptyTheCache) {
    handshake(link, r);
    fill(*cache, "a");
    link.lost();
    EXPECT_FALSE(link.ready());
    EXPECT_EQ(cache->size(), 0u);
    handshake(link, r);
    fill(*cache, "a");
    link.start();  // a reconnect that was not seen as a loss
    EXPECT_EQ(cache->size(), 0u);
    EXPECT_FALSE(link.ready());
}

TEST(InvalidationLink, NewRunIdIsNoted) {
    InvalidationLink link(SessionCache::make(10), "oauth:", "", "");
    Replies r;
    handshake(link, r);
    link.lost();
    link.start();
    link.reply(r.parse(":43\r\n"));
    auto s = link.reply(r.parse(kInfo));
    EXPECT_TRUE(s.note.empty());  // the same Redis
    link.lost();
    link.start();
    link.reply(r.parse(":44\r\n"));
    s = link.reply(r.parse("$20\r\nrun_id:fff\r\nuptime:1\r\n"));
    EXPECT_EQ(s.action, InvalidationLink::Step::Send);
    EXPECT_NE(std::string(s.note).find("restarted"), std::string::npos);
}

TEST_F(InvalidationLinkOnCache, TrackingRefusedFails) {
    link.start();
    link.reply(r.parse(":42\r\n"));
    link.reply(r.parse(kInfo));
    auto s = link.reply(r.parse("-ERR unknown subcommand 'TRACKING'\r\n"));
    EXPECT_EQ(s.action, InvalidationLink::Step::Fail);
    EXPECT_FALSE(link.ready());
}

TEST(InvalidationLink, AnythingUnexpectedFails) {
    for (std::string bad : {std::string("+OK\r\n"), std::string(":1\r\n"),
                            std::string("*3\r\n$7\r\nmessage\r\n$5\r\nother\r\n*0\r\n"),
                            std::string("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n:5\r\n"),
                            std::string("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n:5\r\n")}) {
        LinkOnCache t;
        handshake(t.link, t.r);
        fill(*t.cache, "a");
        auto s = t.link.reply(t.r.parse(bad));
        EXPECT_EQ(s.action, InvalidationLink::Step::Fail) << bad;
        EXPECT_FALSE(t.link.ready());
        EXPECT_EQ(t.cache->size(), 0u);
    }
    InvalidationLink link(SessionCache::make(10), "oauth:", "", "");
    EXPECT_EQ(link.reply(nullptr).action, InvalidationLink::Step::Fail);
}

TEST(InvalidationLink, Heartbeat) {
    InvalidationLink link(SessionCache::make(10), "oauth:", "", "");
    Replies r;
    EXPECT_TRUE(link.ping().empty());  // not ready
    handshake(link, r);
    EXPECT_EQ(std::string(link.ping()), "*1\r\n$4\r\nPING\r\n");
    EXPECT_TRUE(link.ping_unanswered());
    EXPECT_TRUE(link.ping().empty());  // one at a time
    EXPECT_EQ(link.reply(r.parse("*2\r\n$4\r\npong\r\n$0\r\n\r\n")).action, InvalidationLink::Step::Wait);
    EXPECT_FALSE(link.ping_unanswered());
}

TEST(InvalidationLink, RunIdOfInfo) {
    EXPECT_EQ(info_run_id("# Server\r\nrun_id:abc\r\nx:1\r\n"), "abc");
    EXPECT_EQ(info_run_id("run_id:zz"), "zz");
    EXPECT_EQ(info_run_id("# Server\r\nx:1\r\n"), "");
}

// ---- oauth_require with the cache ----

class RequireWithSessionCache : public ::testing::Test, public AbiKeyAndServer {
protected:
    oauth_require_rule_t* rule = nullptr;
    oauth_session_cache_t* sc = nullptr;
    Replies r;

    void SetUp() override {
        TokenCache::process().clear();
        ASSERT_NO_FATAL_FAILURE(make_key_and_server());
        oauth_require_policy_t policy{};
        policy.realm = {"api", 3};
        policy.leeway = 30;
        rule = oauth_require_rule_new(&policy);
        sc = oauth_session_cache_new(100, {"px:", 3}, {nullptr, 0}, {nullptr, 0});
        ASSERT_NE(sc, nullptr);
    }
    void TearDown() override {
        oauth_session_cache_free(sc);
        oauth_require_rule_free(rule);
    }
    void ready() {
        oauth_session_cache_step_t s;
        oauth_session_cache_link_start(sc, &s);
        oauth_session_cache_link_reply(sc, r.parse(":7\r\n"), &s);
        oauth_session_cache_link_reply(sc, r.parse(kInfo), &s);
        oauth_session_cache_link_reply(sc, r.parse("+OK\r\n"), &s);
        oauth_session_cache_link_reply(sc, r.parse(kSubscribed), &s);
        ASSERT_EQ(s.action, OAUTH_SESSION_CACHE_READY);
        ASSERT_EQ(oauth_session_cache_ready(sc), 1);
    }
    std::string token(json::Json claims) {
        auto k = jose::Key::load_file(pem_path, "k1");
        return "Bearer " + sign(**k, claims.get());
    }
    // The check of a request with this Authorization header and the cache.
    oauth_require_t* check(const std::string& header, int64_t now, oauth_require_result_t* res) {
        oauth_str_t h{header.data(), header.size()};
        oauth_require_request_t req{};
        req.authorization = &h;
        req.session_cache = sc;
        return oauth_require_check_request(server, rule, &req, now, res);
    }
    // The EXISTS of a check answered `alive`.
    static void exists(oauth_require_t* handle, int alive, oauth_require_result_t* res) {
        redisReply one{};
        one.type = REDIS_REPLY_INTEGER;
        one.integer = alive;
        resume_one(handle, &one, res);
    }
    // One request: check, and when Redis is asked, the EXISTS answers `alive`.
    oauth_require_result_t request(const std::string& header, int64_t now, int alive = 1,
                                   bool* asked = nullptr) {
        oauth_require_result_t res;
        oauth_require_t* handle = check(header, now, &res);
        if (asked) *asked = res.verdict == OAUTH_REQUIRE_REDIS;
        if (res.verdict == OAUTH_REQUIRE_REDIS) exists(handle, alive, &res);
        oauth_require_free(handle);
        return res;
    }
};

TEST_F(RequireWithSessionCache, NotUsedUntilTrackingIsConfirmed) {
    std::string t = token(good_claims());
    bool asked = false;
    for (int i = 0; i < 3; i++) {
        auto res = request(t, kNow, 1, &asked);
        EXPECT_EQ(res.verdict, OAUTH_REQUIRE_ALLOW);
        EXPECT_TRUE(asked);
        EXPECT_EQ(res.session_cache, 0);
    }
    EXPECT_EQ(oauth_session_cache_size(sc), 0u);
}

TEST_F(RequireWithSessionCache, HitSkipsRedis) {
    ready();
    std::string t = token(good_claims());
    bool asked = false;
    auto res = request(t, kNow, 1, &asked);
    EXPECT_TRUE(asked);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_ALLOW);
    EXPECT_EQ(oauth_session_cache_size(sc), 1u);
    res = request(t, kNow, 1, &asked);
    EXPECT_FALSE(asked);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_ALLOW);
    EXPECT_EQ(res.session_cache, 1);
}

TEST_F(RequireWithSessionCache, RevokedIsNotRemembered) {
    ready();
    std::string t = token(good_claims());
    auto res = request(t, kNow, 0);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY);
    EXPECT_EQ(res.status, 401u);
    EXPECT_EQ(oauth_session_cache_size(sc), 0u);
}

TEST_F(RequireWithSessionCache, InvalidationReachesTheNextRequest) {
    ready();
    std::string t = token(good_claims());  // jti-0001
    request(t, kNow);
    oauth_session_cache_step_t s;
    oauth_session_cache_link_reply(sc, r.parse(message({"px:at:jti-0001"})), &s);
    EXPECT_EQ(s.action, OAUTH_SESSION_CACHE_WAIT);
    bool asked = false;
    auto res = request(t, kNow, 0, &asked);
    EXPECT_TRUE(asked);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY);
}

TEST_F(RequireWithSessionCache, ExpiredIsRefusedEvenWhenRemembered) {
    ready();
    std::string t = token(good_claims());
    request(t, kNow);
    ASSERT_EQ(oauth_session_cache_size(sc), 1u);
    bool asked = false;
    auto res = request(t, kExp + 31, 1, &asked);  // past the leeway
    EXPECT_FALSE(asked);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY);
    EXPECT_EQ(res.status, 401u);
    // within the leeway, past exp: the entry is gone, Redis decides
    res = request(t, kExp + 1, 0, &asked);
    EXPECT_TRUE(asked);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY);
}

TEST_F(RequireWithSessionCache, InvalidatedWhileInFlight) {
    ready();
    oauth_require_result_t res;
    oauth_require_t* handle = check(token(good_claims()), kNow, &res);
    ASSERT_EQ(res.verdict, OAUTH_REQUIRE_REDIS);
    EXPECT_EQ(res.session_cache, 2);
    // the revocation's invalidation overtakes the EXISTS's "alive"
    oauth_session_cache_step_t s;
    oauth_session_cache_link_reply(sc, r.parse(message({"px:at:jti-0001"})), &s);
    exists(handle, 1, &res);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_ALLOW);  // this request was fine
    oauth_require_free(handle);
    EXPECT_EQ(oauth_session_cache_size(sc), 0u);  // but nothing is remembered
}

TEST_F(RequireWithSessionCache, LinkLostMeansRedisAgain) {
    ready();
    std::string t = token(good_claims());
    request(t, kNow);
    oauth_session_cache_link_lost(sc);
    EXPECT_EQ(oauth_session_cache_size(sc), 0u);
    bool asked = false;
    auto res = request(t, kNow, 0, &asked);
    EXPECT_TRUE(asked);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY);
}

}  // namespace
}  // namespace oauth::require
