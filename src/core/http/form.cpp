#include "http/form.h"

namespace oauth::http {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> form_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); i++) {
        char c = s[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string form_encode(std::string_view s) {
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
    return out;
}

Form parse_form(std::string_view text) {
    Form form;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t amp = text.find('&', pos);
        if (amp == std::string_view::npos) amp = text.size();
        std::string_view pair = text.substr(pos, amp - pos);
        pos = amp + 1;
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        auto name = form_decode(pair.substr(0, eq));
        auto value = form_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (!name || !value) {
            form.malformed = true;
            continue;
        }
        // RFC 8707 §2: resource may be given more than once.
        if (*name == "resource") form.resources.push_back(*value);
        auto [it, inserted] = form.params.emplace(std::move(*name), std::move(*value));
        if (!inserted && !form.duplicate && it->first != "resource") form.duplicate = it->first;
    }
    return form;
}

std::string build_query(std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
    std::string out;
    for (const auto& [k, v] : kv) {
        if (v.empty()) continue;
        if (!out.empty()) out.push_back('&');
        out += form_encode(k);
        out.push_back('=');
        out += form_encode(v);
    }
    return out;
}

}  // namespace oauth::http
