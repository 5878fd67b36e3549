#include "require/claims.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "util/ascii.h"

namespace oauth::require {

namespace {

// RFC 7519 §2: NumericDate may carry a fraction; whole seconds are enough here.
std::expected<std::optional<int64_t>, Reason> numeric_date(const json_t* payload, const char* name) {
    const json_t* v = json_object_get(payload, name);
    if (!v) return std::nullopt;
    if (json_is_integer(v)) return static_cast<int64_t>(json_integer_value(v));
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!std::isfinite(d) || d > 9.2e18 || d < -9.2e18) return std::unexpected(Reason::BadClaim);
        return static_cast<int64_t>(std::floor(d));
    }
    return std::unexpected(Reason::BadClaim);
}

std::expected<void, Reason> string_claim(const json_t* payload, const char* name, std::string& out) {
    const json_t* v = json_object_get(payload, name);
    if (!v) return {};
    if (!json_is_string(v)) return std::unexpected(Reason::BadClaim);
    out.assign(json_string_value(v), json_string_length(v));
    return {};
}

// What $oauth_claim_NAME shows; nullopt for objects, arrays and null.
std::optional<std::string> scalar_text(const json_t* v) {
    if (json_is_string(v)) return std::string(json_string_value(v), json_string_length(v));
    if (json_is_integer(v)) return std::to_string(static_cast<long long>(json_integer_value(v)));
    if (json_is_true(v)) return std::string("true");
    if (json_is_false(v)) return std::string("false");
    if (json_is_real(v)) {
        char* s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
        if (!s) return std::nullopt;
        std::string out(s);
        free(s);
        return out;
    }
    return std::nullopt;
}

}  // namespace

bool has_control_character(std::string_view s) {
    for (size_t i = 0; i < s.size(); i++) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) return true;
        if (c == 0xc2 && i + 1 < s.size()) {
            unsigned char n = static_cast<unsigned char>(s[i + 1]);
            if (n >= 0x80 && n <= 0x9f) return true;
        }
    }
    return false;
}

std::optional<std::string_view> Claims::get(std::string_view name) const {
    for (const auto& [k, v] : scalars)
        if (k == name) return std::string_view(v);
    for (const auto& [k, v] : scalars)
        if (util::iequals(k, name)) return std::string_view(v);
    return std::nullopt;
}

bool Claims::has_scope(std::string_view s) const {
    for (auto have : scopes)
        if (have == s) return true;
    return false;
}

bool Claims::has_audience(std::string_view a) const {
    for (const auto& have : aud)
        if (have == a) return true;
    return false;
}

std::expected<void, Reason> parse_claims(const json_t* payload, Claims& c) {
    // Control characters first: whatever else is wrong, such a token must
    // never have a value reach a variable (SPEC §5).
    const char* name;
    json_t* value;
    json_object_foreach(const_cast<json_t*>(payload), name, value) {
        if (has_control_character(name)) return std::unexpected(Reason::ControlCharacter);
        if (json_is_string(value) &&
            has_control_character({json_string_value(value), json_string_length(value)}))
            return std::unexpected(Reason::ControlCharacter);
        if (json_is_array(value)) {
            size_t i;
            json_t* item;
            json_array_foreach(value, i, item) {
                if (json_is_string(item) &&
                    has_control_character({json_string_value(item), json_string_length(item)}))
                    return std::unexpected(Reason::ControlCharacter);
            }
        }
    }

    for (auto [claim, field] : {std::pair{"iss", &c.iss}, {"sub", &c.sub},
                                {"client_id", &c.client_id}, {"scope", &c.scope},
                                {"jti", &c.jti}}) {
        if (auto ok = string_claim(payload, claim, *field); !ok) return std::unexpected(ok.error());
    }

    auto exp = numeric_date(payload, "exp");
    auto nbf = numeric_date(payload, "nbf");
    auto iat = numeric_date(payload, "iat");
    if (!exp || !nbf || !iat) return std::unexpected(Reason::BadClaim);
    if (!*exp) return std::unexpected(Reason::MissingExp);  // RFC 9068 §2.2
    c.exp = **exp;
    c.nbf = *nbf;
    c.iat = *iat;

    // RFC 7519 §4.1.3: a single string or an array of strings.
    if (const json_t* aud = json_object_get(payload, "aud")) {
        if (json_is_string(aud)) {
            c.aud.emplace_back(json_string_value(aud), json_string_length(aud));
        } else if (json_is_array(aud)) {
            size_t i;
            json_t* item;
            json_array_foreach(aud, i, item) {
                if (!json_is_string(item)) return std::unexpected(Reason::BadClaim);
                c.aud.emplace_back(json_string_value(item), json_string_length(item));
            }
        } else {
            return std::unexpected(Reason::BadClaim);
        }
    }

    // RFC 9449 §6.1 / RFC 7800 §3.1: cnf is an object; jkt, when there, a string.
    if (const json_t* cnf = json_object_get(payload, "cnf")) {
        if (!json_is_object(cnf)) return std::unexpected(Reason::BadClaim);
        if (auto ok = string_claim(cnf, "jkt", c.cnf_jkt); !ok) return std::unexpected(ok.error());
    }

    // Every session is found by its jti (SPEC §3); no jti, no session check.
    if (c.jti.empty()) return std::unexpected(Reason::MissingJti);

    // RFC 6749 §3.3: scope-tokens separated by single spaces; be lenient on
    // repeated spaces, they only produce empty tokens we skip.
    std::string_view rest(c.scope);
    while (!rest.empty()) {
        size_t sp = rest.find(' ');
        std::string_view tok = rest.substr(0, sp);
        if (!tok.empty()) c.scopes.push_back(tok);
        if (sp == std::string_view::npos) break;
        rest.remove_prefix(sp + 1);
    }

    json_object_foreach(const_cast<json_t*>(payload), name, value) {
        if (auto text = scalar_text(value)) c.scalars.emplace_back(name, std::move(*text));
    }
    return {};
}

}  // namespace oauth::require
