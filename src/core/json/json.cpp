#include "json/json.h"

#include <cstdlib>

namespace oauth::json {

namespace {

bool depth_ok(const json_t* j, int depth_left) {
    if (depth_left < 0) return false;
    if (json_is_object(j)) {
        const char* key;
        json_t* value;
        json_object_foreach(const_cast<json_t*>(j), key, value) {
            if (!depth_ok(value, depth_left - 1)) return false;
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t* value;
        json_array_foreach(j, i, value) {
            if (!depth_ok(value, depth_left - 1)) return false;
        }
    }
    return true;
}

}  // namespace

Json parse_object(std::string_view text, int max_depth) {
    json_error_t err;
    Json j(json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &err));
    if (!j || !json_is_object(j.get()) || !depth_ok(j.get(), max_depth)) return nullptr;
    return j;
}

std::string dump(const json_t* j) {
    char* s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s) return {};
    std::string out(s);
    free(s);
    return out;
}

std::optional<std::string_view> get_string(const json_t* obj, const char* key) {
    json_t* v = json_object_get(obj, key);
    if (!json_is_string(v)) return std::nullopt;
    return std::string_view(json_string_value(v), json_string_length(v));
}

std::optional<int64_t> get_int(const json_t* obj, const char* key) {
    json_t* v = json_object_get(obj, key);
    if (!json_is_integer(v)) return std::nullopt;
    return static_cast<int64_t>(json_integer_value(v));
}

}  // namespace oauth::json
