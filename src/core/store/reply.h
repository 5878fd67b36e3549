// Reading hiredis replies without tripping over their types.
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace oauth::store {

inline bool is_error(const redisReply* r) { return !r || r->type == REDIS_REPLY_ERROR; }
inline bool is_nil(const redisReply* r) { return r && r->type == REDIS_REPLY_NIL; }
// Whether any reply of one step is an error.
inline bool any_error(std::span<const redisReply* const> replies) {
    for (const redisReply* r : replies)
        if (is_error(r)) return true;
    return false;
}

// A bulk or status string; nullopt for nil and every other type.
inline std::optional<std::string_view> as_string(const redisReply* r) {
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) return std::nullopt;
    return std::string_view(r->str, r->len);
}

inline std::optional<int64_t> as_integer(const redisReply* r) {
    if (!r || r->type != REDIS_REPLY_INTEGER) return std::nullopt;
    return r->integer;
}

// NOSCRIPT: EVALSHA's script is not loaded on this server (yet, or any more).
inline bool is_noscript(const redisReply* r) {
    return r && r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with("NOSCRIPT");
}

}  // namespace oauth::store
