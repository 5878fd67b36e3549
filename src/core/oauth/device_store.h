// What the device flow asks Redis (keys: store/keys.h, P dc: and P uc:).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "flow/flow.h"
#include "store/keys.h"
#include "store/script.h"

namespace oauth::device {

// P devtry:{sub}: wrong user codes entered by one signed-in user on the
// verification page, counted over a fixed window (the README, "Device authorization grant").
inline constexpr int64_t kWrongCodeLimit = 5;
inline constexpr int64_t kWrongCodeWindow = 600;  // seconds
std::string wrong_code_key(const store::Keys& keys, std::string_view sub);

// USER_CODE_TRY: the limit, the lookup and the count in one atomic step, so
// that parallel posts from one user cannot all read the count before any of
// them increments it (RFC 8628 §5.1).
//   KEYS: P devtry:{sub}  P uc:{CODE}     ARGV: limit window_seconds
//   Reply: {"limited"}        the user is past the limit: nothing looked up
//          {"found", hash}    a live user code (not counted)
//          {"wrong"}          no such code: counted (the first wrong code
//                             of a window starts it)
const store::Script& user_code_try_script();
flow::Command user_code_try(const store::Keys& keys, std::string_view sub, std::string_view code);

enum class TryResult { Limited, Found, Wrong, Error };
struct UserCodeTry {
    TryResult result = TryResult::Error;
    std::string hash;  // Found: sha256hex of the device code
};
UserCodeTry read_user_code_try(const redisReply* reply);

}  // namespace oauth::device
