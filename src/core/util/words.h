// Space-separated lists: scope (RFC 6749 §3.3), resources kept in a record,
// a client's scopes. One rule for all of them: single spaces separate the
// words, and runs of spaces (or spaces at either end) are tolerated.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace oauth::util {

// The words of `text`, views into it, in order; no empty word.
inline std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t sp = text.find(' ', pos);
        if (sp == std::string_view::npos) sp = text.size();
        if (sp > pos) out.push_back(text.substr(pos, sp - pos));
        pos = sp + 1;
    }
    return out;
}

// The same words, copied.
inline std::vector<std::string> word_strings(std::string_view text) {
    std::vector<std::string> out;
    for (std::string_view w : words(text)) out.emplace_back(w);
    return out;
}

// The words joined by single spaces.
inline std::string join_words(const std::vector<std::string>& list) {
    std::string out;
    for (const auto& w : list) {
        if (!out.empty()) out.push_back(' ');
        out += w;
    }
    return out;
}

}  // namespace oauth::util
