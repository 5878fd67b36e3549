// The ranges of the numbers kept in Redis. Redis is input like any other: a
// value someone wrote there by hand, a bug, or an attacker with access to
// Redis must not reach arithmetic that can overflow (now - t, t + ttl,
// interval + 5 are undefined behaviour on int64 past these bounds). Each
// record's parser checks its numbers against these ranges once, and a record
// with a number outside its range is malformed: treated as absent, so every
// flow fails closed on it.
#pragma once
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "json/json.h"

namespace oauth::store {

struct Range {
    int64_t lo, hi;
    constexpr bool contains(int64_t v) const { return v >= lo && v <= hi; }
};

// 9999-12-31T23:59:59Z: past any real instant, and far enough from INT64_MAX
// that adding any lifetime nginx accepts cannot overflow.
inline constexpr int64_t kMaxEpoch = 253402300799;

// Unix instants: iat, exp, auth_time, last_poll (0 meaning never/unknown).
inline constexpr Range kInstant{0, kMaxEpoch};
// A device's polling interval in seconds (RFC 8628 §3.5): slow_down grows it
// by 5 up to an hour, which is already longer than any device code lives.
inline constexpr Range kPollInterval{1, 3600};
// OIDC Core §3.1.2.1 max_age in seconds; -1 means none was asked.
inline constexpr Range kMaxAge{-1, kMaxEpoch};

// A decimal integer in range, the whole text and nothing else (Redis hash
// fields are strings): no sign but '-', no spaces, no trailing bytes.
inline std::optional<int64_t> parse_decimal(std::string_view s, Range r) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !r.contains(v))
        return std::nullopt;
    return v;
}

// A JSON integer member in range; nullopt when absent, of another type (a
// float, a string) or outside the range.
inline std::optional<int64_t> member(const json_t* obj, const char* key, Range r) {
    auto v = json::get_int(obj, key);
    if (!v || !r.contains(*v)) return std::nullopt;
    return v;
}
// The same for an optional member: `absent` when it is not there.
inline std::optional<int64_t> member_or(const json_t* obj, const char* key, Range r, int64_t absent) {
    if (!json_object_get(obj, key)) return absent;
    return member(obj, key, r);
}

}  // namespace oauth::store
