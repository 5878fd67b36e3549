// The indexes of keys.h (idx:client, idx:sub, idx:cc): sorted sets of
// member -> exp, one key each, so each command touches one slot. They are
// written with plain commands (no script: cheaper for Redis, and an index
// is in another slot than the family or token it lists).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow.h"

namespace oauth::store {

// Appends: ZADD key exp member; ZREMRANGEBYSCORE key -inf now (drops ended
// members); EXPIRE key ttl NX and EXPIRE key ttl GT, so the index lives at
// least as long as its newest member and is never shortened (Redis >= 7.0).
void index_add(std::vector<flow::Command>& out, const std::string& key, std::string_view member,
               int64_t exp, int64_t now, int64_t ttl);

}  // namespace oauth::store
