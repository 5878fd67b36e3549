// What the device flow asks Redis (keys: store/keys.h, P dc: and P uc:).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "store/keys.h"

namespace oauth::device {

// P devtry:{sub}: wrong user codes entered by one signed-in user on the
// verification page, counted over a fixed window (the README, "Device authorization grant").
inline constexpr int64_t kWrongCodeLimit = 5;
inline constexpr int64_t kWrongCodeWindow = 600;  // seconds
std::string wrong_code_key(const store::Keys& keys, std::string_view sub);

}  // namespace oauth::device
