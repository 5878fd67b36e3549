// What a Redis Cluster (or Sentinel) client must know without a socket: the
// slot of a key (CRC16 of its hash tag, cluster spec "Key distribution
// model"), which argument routes a command, and what an error reply asks for
// (MOVED/ASK redirections, TRYAGAIN/CLUSTERDOWN, READONLY after a failover).
// Pure functions, unit-tested with canned replies; the nginx driver's routing
// is to use them (not built yet: README, "Redis beyond one server").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow.h"

namespace oauth::store::cluster {

inline constexpr uint16_t kSlots = 16384;

// CRC16-XMODEM, the cluster's hash.
uint16_t crc16(std::string_view data);
// The slot of a key: of its hash tag when it has a non-empty {...}.
uint16_t key_slot(std::string_view key);

// The key that routes a command: EVAL/EVALSHA's first key, else argv[1];
// nullopt for commands without a key (MULTI, EXEC, PING, EVAL with 0 keys).
std::optional<std::string_view> routing_key(const flow::Command& cmd);
// Whether every key an EVAL/EVALSHA declares is in one slot (true for other
// commands): a script whose keys span slots is a bug of the layout.
bool keys_in_one_slot(const flow::Command& cmd);

// What an error reply means to the router.
enum class ErrorKind { Other, Moved, Ask, TryAgain, ClusterDown, ReadOnly };
struct Redirect {
    ErrorKind kind = ErrorKind::Other;
    uint16_t slot = 0;      // Moved, Ask
    std::string host;       // Moved, Ask ("" when the node said ":port": same host)
    uint16_t port = 0;      // Moved, Ask
};
// Parses "MOVED 3999 127.0.0.1:6381", "ASK 3999 [::1]:6381", "TRYAGAIN ...",
// "CLUSTERDOWN ...", "READONLY ..."; anything else (or a malformed
// redirection) is Other.
Redirect classify_error(std::string_view error);

}  // namespace oauth::store::cluster

namespace oauth::store::cluster {

// One command of a RESP buffer, as the Cluster router needs it.
struct Route {
    size_t end = 0;       // offset just past the command
    int slot = -1;        // -1: no key (PING), any node will do
    bool in_transaction = false;  // MULTI .. EXEC: the block's first key's
                                  // slot, and no redirection is followed
};
// Splits `n` RESP commands formatted back to back (the core's own,
// canonical form: *N, then $LEN each argument); nullopt when the bytes are
// not exactly that.  A MULTI..EXEC block takes the slot of its first keyed
// command, so it stays on one node.
std::optional<std::vector<Route>> route_commands(std::string_view resp, size_t n);

// Whether a step can run on a Cluster: every script's keys and every
// MULTI..EXEC block's keys are in one slot.
bool step_in_one_slot(const std::vector<flow::Command>& cmds);

}  // namespace oauth::store::cluster
