// CAS: compare-and-set of one string key, keeping its TTL. Where two writers
// may rewrite the same record (device polls and the verification page; two
// landings of one external login), the compare keeps one from undoing the
// other, and tells the loser.
//   KEYS: key   ARGV: expected new
//   Reply: {"ok"} | {"none"} (key gone) | {"changed", current value}
#pragma once
#include <hiredis/hiredis.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow.h"
#include "store/script.h"

namespace oauth::store {

const Script& cas_script();
flow::Command cas(std::string_view key, std::string_view expected, std::string_view updated);

enum class CasResult { Ok, Gone, Changed, Error };
struct CasReply {
    CasResult result = CasResult::Error;
    std::string current;  // Changed: the value now stored
};
CasReply read_cas(const redisReply* reply);

// The elements of an array reply of bulk strings (Lua tables); nullopt for
// anything else.
std::optional<std::vector<std::string_view>> string_array(const redisReply* reply);

}  // namespace oauth::store
