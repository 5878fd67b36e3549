// What the device flow asks Redis (keys: store/keys.h, P dc: and P uc:).
#pragma once
#include <hiredis/hiredis.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow.h"
#include "store/keys.h"
#include "store/script.h"

namespace oauth::device {

// DEVICE_CAS: compare-and-set of a record, keeping its TTL. Polls (last_poll,
// interval) and the verification page (approve/deny) both rewrite the
// record; the compare keeps one writer from undoing the other.
// KEYS: key   ARGV: expected new
// Reply: {"ok"} | {"none"} (key gone) | {"changed", current value}
const store::Script& cas_script();
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

// P devtry:{sub}: wrong user codes entered by one signed-in user on the
// verification page, counted over a fixed window (the README, "Device authorization grant").
inline constexpr int64_t kWrongCodeLimit = 5;
inline constexpr int64_t kWrongCodeWindow = 600;  // seconds
std::string wrong_code_key(const store::Keys& keys, std::string_view sub);

}  // namespace oauth::device
