// RAII over jansson values and the few helpers every component wants.
#pragma once
#include <jansson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace oauth::json {

struct Decref {
    void operator()(json_t* j) const noexcept { json_decref(j); }
};
// Owns one reference.
using Json = std::unique_ptr<json_t, Decref>;

inline Json take(json_t* j) { return Json(j); }
inline Json share(json_t* j) { return Json(json_incref(j)); }

// Parses an object, refusing anything else, trailing bytes, or nesting deeper
// than max_depth (jansson itself has no depth limit worth relying on).
Json parse_object(std::string_view text, int max_depth = 16);

// Compact serialization with keys in insertion order.
std::string dump(const json_t* j);

std::optional<std::string_view> get_string(const json_t* obj, const char* key);
std::optional<int64_t> get_int(const json_t* obj, const char* key);

inline void set(json_t* obj, const char* key, std::string_view s) {
    json_object_set_new(obj, key, json_stringn(s.data(), s.size()));
}
inline void set(json_t* obj, const char* key, int64_t v) {
    json_object_set_new(obj, key, json_integer(v));
}

}  // namespace oauth::json
