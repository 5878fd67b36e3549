// Slots, routing keys and redirections (store/cluster.h), against the values
// the Redis Cluster specification and `CLUSTER KEYSLOT` give.
#include <gtest/gtest.h>

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
