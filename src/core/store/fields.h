// A stored JSON record's members as one table per record: each member's
// name, kind and place in the struct, so that the writer and the reader of
// a record cannot drift apart (one adds a member the other forgets, or reads
// it more leniently than the other writes it).
//
// Reading is strict and the same for every record that uses a table: a
// member may be absent (the struct keeps its default; an object becomes {}),
// but one that is there must have its kind (a string, an integer within its
// Range, an object), or the record is malformed (bounds.h: treated as absent,
// so every flow fails closed on it).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "json/json.h"
#include "store/bounds.h"

namespace oauth::store {

template <class R>
struct Field {
    enum class Kind {
        String,           // always written
        RequiredString,   // always written, and must be there
        StringIfSet,      // written only when not empty
        Integer,          // within `range`; absent reads as `absent`
        RequiredInteger,  // within `range`, and must be there
        Bool,             // true or false; absent reads as false
        Object,           // a JSON object; written as {} when null
    };
    const char* name;
    Kind kind;
    std::string R::*text = nullptr;
    int64_t R::*integer = nullptr;
    json::Json R::*object = nullptr;
    Range range{0, 0};
    int64_t absent = 0;
    bool R::*flag = nullptr;
};

template <class R>
constexpr Field<R> string_field(const char* name, std::string R::*m) {
    return {name, Field<R>::Kind::String, m};
}
template <class R>
constexpr Field<R> required_string_field(const char* name, std::string R::*m) {
    return {name, Field<R>::Kind::RequiredString, m};
}
template <class R>
constexpr Field<R> optional_string_field(const char* name, std::string R::*m) {
    return {name, Field<R>::Kind::StringIfSet, m};
}
template <class R>
constexpr Field<R> integer_field(const char* name, int64_t R::*m, Range range,
                                 int64_t absent = 0) {
    return {name, Field<R>::Kind::Integer, nullptr, m, nullptr, range, absent};
}
template <class R>
constexpr Field<R> bool_field(const char* name, bool R::*m) {
    return {name, Field<R>::Kind::Bool, nullptr, nullptr, nullptr, Range{0, 0}, 0, m};
}
template <class R>
constexpr Field<R> required_integer_field(const char* name, int64_t R::*m, Range range) {
    return {name, Field<R>::Kind::RequiredInteger, nullptr, m, nullptr, range};
}
template <class R>
constexpr Field<R> object_field(const char* name, json::Json R::*m) {
    return {name, Field<R>::Kind::Object, nullptr, nullptr, m};
}

// Writes r's members into o, in the table's order.
template <class R>
void write_fields(json_t* o, const R& r, std::span<const Field<R>> fields) {
    using K = typename Field<R>::Kind;
    for (const Field<R>& f : fields) {
        switch (f.kind) {
        case K::StringIfSet:
            if ((r.*f.text).empty()) break;
            [[fallthrough]];
        case K::String:
        case K::RequiredString: json::set(o, f.name, r.*f.text); break;
        case K::Integer:
        case K::RequiredInteger: json::set(o, f.name, r.*f.integer); break;
        case K::Bool: json::set_new(o, f.name, json_boolean(r.*f.flag)); break;
        case K::Object:
            if (r.*f.object) json::set_copy(o, f.name, (r.*f.object).get());
            else json::set_new(o, f.name, json_object());
            break;
        }
    }
}

// Reads the table's members of o into r; false when one is malformed.
template <class R>
bool read_fields(const json_t* o, R& r, std::span<const Field<R>> fields) {
    using K = typename Field<R>::Kind;
    for (const Field<R>& f : fields) {
        json_t* v = json_object_get(o, f.name);
        switch (f.kind) {
        case K::RequiredString:
            if (!v) return false;
            [[fallthrough]];
        case K::String:
        case K::StringIfSet:
            if (!v) break;
            if (!json_is_string(v)) return false;
            (r.*f.text).assign(json_string_value(v), json_string_length(v));
            break;
        case K::RequiredInteger:
            if (!v) return false;
            [[fallthrough]];
        case K::Integer: {
            auto n = member_or(o, f.name, f.range, f.absent);
            if (!n) return false;
            r.*f.integer = *n;
            break;
        }
        case K::Bool:
            if (v && !json_is_boolean(v)) return false;
            r.*f.flag = v && json_is_true(v);
            break;
        case K::Object:
            if (v && !json_is_object(v)) return false;
            r.*f.object = v ? json::share(v) : json::Json(json_object());
            break;
        }
    }
    return true;
}

// A record's JSON text, written from its table.
template <class R>
std::string serialize_fields(const R& r, std::span<const Field<R>> fields) {
    json::Json o(json_object());
    write_fields(o.get(), r, fields);
    return json::dump(o.get());
}

// A record read from its JSON text by its table (claims nest: depth 32);
// nullopt when the text is not an object or a member is malformed.
template <class R>
std::optional<R> parse_fields(std::string_view text, std::span<const Field<R>> fields) {
    json::Json o = json::parse_object(text, 32);
    R r;
    if (!o || !read_fields(o.get(), r, fields)) return std::nullopt;
    return r;
}

}  // namespace oauth::store
