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

namespace {
int append_to(const char* buffer, size_t size, void* data) {
    static_cast<std::string*>(data)->append(buffer, size);
    return 0;
}
}  // namespace

std::string dump(const json_t* j) {
    // Straight into the string: json_dumps would grow a buffer of its own by
    // doubling from 16 bytes, then copy it, then we would copy it again.
    std::string out;
    out.reserve(512);
    if (!j || json_dump_callback(j, append_to, &out, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
        return {};
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

void set_new(json_t* obj, const char* key, json_t* value) {
    // json_object_set_new steals value even when it fails.
    if (!value || json_object_set_new(obj, key, value) != 0) throw SetFailed();
}

void set_copy(json_t* obj, const char* key, json_t* value) {
    if (!value || json_object_set(obj, key, value) != 0) throw SetFailed();
}

void set(json_t* obj, const char* key, std::string_view s) {
    set_new(obj, key, json_stringn(s.data(), s.size()));
}

void set(json_t* obj, const char* key, int64_t v) { set_new(obj, key, json_integer(v)); }

void set_bool(json_t* obj, const char* key, bool v) { set_new(obj, key, json_boolean(v)); }

void append_new(json_t* array, json_t* value) {
    if (!value || json_array_append_new(array, value) != 0) throw SetFailed();
}

void append(json_t* array, std::string_view s) { append_new(array, json_stringn(s.data(), s.size())); }

void update_missing(json_t* obj, json_t* from) {
    if (json_object_update_missing(obj, from) != 0) throw SetFailed();
}

bool is_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        unsigned c = *p++;
        if (c < 0x80) continue;
        int more;
        unsigned min;
        if (c >= 0xC2 && c <= 0xDF) more = 1, min = 0x80, c &= 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) more = 2, min = 0x800, c &= 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) more = 3, min = 0x10000, c &= 0x07;
        else return false;  // a continuation byte first, C0/C1, F5..FF
        if (end - p < more) return false;
        for (int i = 0; i < more; i++) {
            if ((p[i] & 0xC0) != 0x80) return false;
            c = (c << 6) | (p[i] & 0x3F);
        }
        p += more;
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    }
    return true;
}

}  // namespace oauth::json
