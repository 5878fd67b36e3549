// oauthctl and Redis Sentinel (SPEC 7): the primary of a master set, asked
// of the sentinels one after the other, as the nginx workers do (blocking
// here: a command-line tool may wait).
#pragma once
#include <string>
#include <vector>

#include "redis_conn.h"

namespace oauthctl {

// "H:P[,H:P...]" -> the addresses; throws Usage on an empty list or a
// malformed entry.
std::vector<std::string> parse_sentinels(const std::string& list);

// The address ("ip:port", "[ip6]:port") the first sentinel that answers
// names for options.master; throws Failure when none does.
std::string sentinel_primary(const RedisOptions& options);

// Throws Failure unless `role` (a ROLE reply) says master.
void require_master(const redisReply* role, const std::string& address);

}  // namespace oauthctl
