// The jti replay check of DPoP proofs (RFC 9449 §11.1): one SET NX per
// proof, with the proof window as TTL, in the Redis every node shares, so a
// proof replayed to another nginx fails as it does on the first.
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dpop/proof.h"

namespace oauth::dpop {

// argv of `SET {prefix}dpop:{...} 1 NX EX window` (store/keys.h).
std::vector<std::string> replay_argv(std::string_view prefix, const Proof& proof, int64_t leeway);
// The same as one RESP command, formatted by hiredis, for the edge.
std::string replay_command(std::string_view prefix, const Proof& proof, int64_t leeway);

enum class Replay { Fresh, Replayed, StoreError };
// OK -> Fresh (first use); nil -> Replayed; anything else -> StoreError.
Replay judge_replay(const redisReply* reply);

}  // namespace oauth::dpop
