// The verification page's wrong-code limit (RFC 8628 §5.1): what it asks
// Redis (keys: store/keys.h, P devtry:, and the P uc: lookup it rides with).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow.h"
#include "store/keys.h"
#include "store/script.h"

namespace oauth::device {

// P devtry:{sub}: wrong user codes entered by one signed-in user on the
// verification page, counted over a fixed window (the README, "Device authorization grant").
inline constexpr int64_t kWrongCodeLimit = 5;
inline constexpr int64_t kWrongCodeWindow = 600;  // seconds
std::string wrong_code_key(const store::Keys& keys, std::string_view sub);

// USER_CODE_TRY: the limit and the count in one atomic step on the user's
// counter alone (its own slot on a Redis Cluster), so that parallel posts
// from one user cannot all read the count before any of them increments it
// (RFC 8628 §5.1). Every try is counted before its answer is looked at; the
// user-code lookup (a GET of P uc:CODE, another slot) rides in the same
// round trip, and a code that is found gives its count back (a wrong code's
// stays). So at most `limit` tries per window are ever answered, and only
// wrong codes stay counted.
//   KEYS: P devtry:{sub}     ARGV: limit window_seconds
//   Reply: {"limited"}        past the limit: the lookup's answer is not read
//          {"counted"}        counted, read the lookup
const store::Script& user_code_try_script();
// {USER_CODE_TRY, GET P uc:CODE}
std::vector<flow::Command> user_code_try(const store::Keys& keys, std::string_view sub,
                                         std::string_view code);
// The count back after a found code (EVAL of a one-key script: decrements a
// positive count only, so an expired counter is never made negative).
flow::Command user_code_give_back(const store::Keys& keys, std::string_view sub);

enum class TryResult { Limited, Found, Wrong, Error };
struct UserCodeTry {
    TryResult result = TryResult::Error;
    std::string hash;  // Found: sha256hex of the device code
};
// The two replies of user_code_try().
UserCodeTry read_user_code_try(const redisReply* count, const redisReply* lookup);

}  // namespace oauth::device
