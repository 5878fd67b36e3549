// RAII over jansson values and the few helpers every component wants.
#pragma once
#include <jansson.h>

#include <cstdint>
#include <exception>
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

// Setting members and array items. jansson refuses a string that is not
// UTF-8 (json_stringn answers NULL) and any allocation can fail; with the
// plain calls the member would then be silently missing (a redirect without
// its state). These never drop: they throw SetFailed, which the ABI answers
// with a 500. Input is checked for UTF-8 where it enters (is_utf8), so this
// catches only the unforeseen.
struct SetFailed : std::exception {
    const char* what() const noexcept override { return "a JSON value could not be set"; }
};
void set(json_t* obj, const char* key, std::string_view s);
void set(json_t* obj, const char* key, int64_t v);
void set_bool(json_t* obj, const char* key, bool v);
// Steals `value` (also when it throws); a null value (a failed constructor) throws.
void set_new(json_t* obj, const char* key, json_t* value);
// Adds a reference to `value`.
void set_copy(json_t* obj, const char* key, json_t* value);
// Steals `value`, like set_new.
void append_new(json_t* array, json_t* value);
void append(json_t* array, std::string_view s);
// Adds the members of `from` that `obj` does not have yet.
void update_missing(json_t* obj, json_t* from);

// Whether s is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), the only text JSON can carry.
bool is_utf8(std::string_view s);

}  // namespace oauth::json
