// Slots, routing keys and redirections (store/cluster.h), against the values
// the Redis Cluster specification and `CLUSTER KEYSLOT` give.
#include <gtest/gtest.h>

#include "oauth_core.h"
#include "store/cluster.h"
#include "store/keys.h"
#include "store/scripts.h"

namespace {

namespace cl = oauth::store::cluster;

TEST(ClusterSlot, Crc16AndKnownSlots) {
    EXPECT_EQ(cl::crc16("123456789"), 0x31C3);  // the spec's check value
    EXPECT_EQ(cl::key_slot("foo"), 12182);       // CLUSTER KEYSLOT foo
    EXPECT_EQ(cl::key_slot("hello"), 866);
    EXPECT_EQ(cl::key_slot("{user1000}.following"), cl::key_slot("{user1000}.followers"));
    EXPECT_EQ(cl::key_slot("foo{}{bar}"), cl::crc16("foo{}{bar}") % 16384);  // empty tag: whole key
    EXPECT_EQ(cl::key_slot("foo{{bar}}zap"), cl::crc16("{bar") % 16384);
    EXPECT_EQ(cl::key_slot("foo{bar}{zap}"), cl::crc16("bar") % 16384);
}

TEST(ClusterSlot, EveryFamilyScriptStaysInOneSlot) {
    oauth::store::Keys k("oauth:");
    auto cmd = oauth::store::family_call(oauth::store::refresh_lookup_script(), k, "FID123", {*k.refresh("FID123.s")},
                                         {"FID123", "1"});
    EXPECT_TRUE(cl::keys_in_one_slot(cmd));
    EXPECT_EQ(cl::routing_key(cmd).value_or(""), "oauth:fam:{FID123}");
    EXPECT_EQ(cl::key_slot(k.access("FID123.R")), cl::key_slot("FID123"));
    // A script whose keys span slots is caught.
    oauth::flow::Command bad{"EVALSHA", "x", "2", "a", "b"};
    EXPECT_FALSE(cl::keys_in_one_slot(bad));
}

TEST(ClusterRouting, KeyOfEachCommand) {
    EXPECT_EQ(cl::routing_key({"EXISTS", "oauth:at:J"}).value_or(""), "oauth:at:J");
    EXPECT_EQ(cl::routing_key({"evalsha", "s", "1", "k", "a"}).value_or(""), "k");
    EXPECT_FALSE(cl::routing_key({"EVAL", "return 1", "0"}));
    EXPECT_FALSE(cl::routing_key({"EVAL", "return 1", "3", "k"}));  // numkeys lies
    EXPECT_FALSE(cl::routing_key({"MULTI"}));
}

TEST(ClusterErrors, RedirectionsAndFailClosedKinds) {
    auto m = cl::classify_error("MOVED 3999 127.0.0.1:6381");
    EXPECT_EQ(m.kind, cl::ErrorKind::Moved);
    EXPECT_EQ(m.slot, 3999);
    EXPECT_EQ(m.host, "127.0.0.1");
    EXPECT_EQ(m.port, 6381);
    auto a = cl::classify_error("ASK 12 [::1]:7000");
    EXPECT_EQ(a.kind, cl::ErrorKind::Ask);
    EXPECT_EQ(a.host, "::1");
    EXPECT_EQ(a.port, 7000);
    EXPECT_EQ(cl::classify_error("MOVED 3999 :6381").host, "");  // same host, the spec allows it
    EXPECT_EQ(cl::classify_error("TRYAGAIN Multiple keys request during rehashing of slot").kind,
              cl::ErrorKind::TryAgain);
    EXPECT_EQ(cl::classify_error("CLUSTERDOWN The cluster is down").kind, cl::ErrorKind::ClusterDown);
    EXPECT_EQ(cl::classify_error("READONLY You can't write against a read only replica.").kind,
              cl::ErrorKind::ReadOnly);
    for (const char* bad : {"MOVED", "MOVED x 1.2.3.4:5", "MOVED 16384 h:1", "MOVED 1 h:0", "MOVED 1 h",
                            "ASKING", "ERR boom", "MOVEDX 1 h:2"})
        EXPECT_EQ(cl::classify_error(bad).kind, cl::ErrorKind::Other) << bad;
}

}  // namespace

// oauth_redis_route (include/oauth_core.h): the core names each command's
// end and slot, so the Cluster glue never parses a request.
namespace {

std::string resp(const std::vector<std::vector<std::string>>& cmds) {
    std::string out;
    for (const auto& c : cmds) {
        out += "*" + std::to_string(c.size()) + "\r\n";
        for (const auto& a : c) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    }
    return out;
}

}  // namespace

TEST(ClusterRoute, EndsAndSlotsOfEachCommand) {
    std::string b = resp({{"GET", "foo"}, {"PING"}, {"EVALSHA", "x", "2", "{fam}a", "{fam}b", "v"},
                          {"SET", std::string(300, 'k'), "v"}});
    std::vector<oauth_redis_route_t> r(4);
    ASSERT_EQ(oauth_redis_route(b.data(), b.size(), 4, r.data()), 0);
    EXPECT_EQ(r[0].slot, 12182);  // CLUSTER KEYSLOT foo
    EXPECT_EQ(r[0].end, resp({{"GET", "foo"}}).size());
    EXPECT_EQ(r[1].slot, -1);
    EXPECT_EQ(r[2].slot, cl::key_slot("fam"));
    EXPECT_EQ(r[3].end, b.size());
    EXPECT_EQ(r[3].slot, cl::key_slot(std::string(300, 'k')));
    for (const auto& x : r) EXPECT_EQ(x.in_transaction, 0);
}

TEST(ClusterRoute, ATransactionKeepsItsFirstKeysSlot) {
    std::string b = resp({{"GET", "a"}, {"MULTI"}, {"HSET", "{f}x", "k", "v"}, {"EXPIRE", "{f}y", "9"},
                          {"EXEC"}, {"GET", "b"}});
    std::vector<oauth_redis_route_t> r(6);
    ASSERT_EQ(oauth_redis_route(b.data(), b.size(), 6, r.data()), 0);
    for (int i = 1; i <= 4; ++i) {
        EXPECT_EQ(r[i].slot, cl::key_slot("f")) << i;
        EXPECT_EQ(r[i].in_transaction, 1) << i;
    }
    EXPECT_EQ(r[0].in_transaction, 0);
    EXPECT_EQ(r[5].in_transaction, 0);
    EXPECT_EQ(r[5].slot, cl::key_slot("b"));
}

TEST(ClusterRoute, AnythingButExactlyNCommandsIsRefused) {
    std::string b = resp({{"GET", "a"}, {"GET", "b"}});
    std::vector<oauth_redis_route_t> r(3);
    EXPECT_EQ(oauth_redis_route(b.data(), b.size(), 3, r.data()), -1);       // fewer
    EXPECT_EQ(oauth_redis_route(b.data(), b.size(), 1, r.data()), -1);       // more
    EXPECT_EQ(oauth_redis_route(b.data(), b.size() - 1, 2, r.data()), -1);   // cut
    EXPECT_EQ(oauth_redis_route(b.data(), b.size(), 0, r.data()), -1);
    EXPECT_EQ(oauth_redis_route(nullptr, 0, 1, r.data()), -1);
    std::string reply = "+OK\r\n";
    EXPECT_EQ(oauth_redis_route(reply.data(), reply.size(), 1, r.data()), -1);  // not a command
    std::string open = resp({{"MULTI"}, {"GET", "a"}});
    EXPECT_EQ(oauth_redis_route(open.data(), open.size(), 2, r.data()), -1);  // no EXEC
    std::string odd = "*1\r\n$4\r\nPING\r\n" "*1\r\n:1\r\n";
    EXPECT_EQ(oauth_redis_route(odd.data(), odd.size(), 2, r.data()), -1);   // an integer argument
}

TEST(ClusterRoute, StepInOneSlot) {
    using C = oauth::flow::Command;
    EXPECT_TRUE(cl::step_in_one_slot({C{"GET", "a"}, C{"GET", "b"}}));  // two commands, two slots: fine
    EXPECT_FALSE(cl::step_in_one_slot({C{"EVALSHA", "s", "2", "a", "b"}}));
    EXPECT_TRUE(cl::step_in_one_slot({C{"EVALSHA", "s", "2", "{t}a", "{t}b"}}));
    EXPECT_FALSE(cl::step_in_one_slot({C{"DEL", "a", "b"}}));
    EXPECT_FALSE(cl::step_in_one_slot({C{"MULTI"}, C{"SET", "a", "1"}, C{"SET", "b", "1"}, C{"EXEC"}}));
    EXPECT_TRUE(cl::step_in_one_slot({C{"MULTI"}, C{"SET", "{a}1", "1"}, C{"SET", "{a}2", "1"}, C{"EXEC"}}));
    EXPECT_FALSE(cl::step_in_one_slot({C{"MULTI"}, C{"SET", "a", "1"}}));
}
