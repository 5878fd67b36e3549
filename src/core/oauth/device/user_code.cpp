#include "oauth/device/user_code.h"

#include "util/crypto.h"

namespace oauth::device {

namespace {

constexpr unsigned kAlphabetSize = kUserCodeAlphabet.size();
// The largest multiple of the alphabet size that fits in a byte's 256 values.
constexpr unsigned kAcceptBelow = 256 / kAlphabetSize * kAlphabetSize;
static_assert(kAcceptBelow == 240);

}  // namespace

std::optional<char> user_code_char(uint8_t byte) {
    if (byte >= kAcceptBelow) return std::nullopt;
    return kUserCodeAlphabet[byte % kAlphabetSize];
}

std::string new_user_code(const RandomSource& random) {
    std::string code;
    code.reserve(kUserCodeLength);
    while (code.size() < kUserCodeLength) {
        // 16 bytes per draw: refusals (1/16 of bytes) rarely need a second.
        for (char b : random(16)) {
            if (auto c = user_code_char(static_cast<uint8_t>(b))) code.push_back(*c);
            if (code.size() == kUserCodeLength) break;
        }
    }
    return code;
}

std::string new_user_code() { return new_user_code(util::random_bytes); }

std::string display_user_code(std::string_view normalised) {
    std::string out(normalised.substr(0, 4));
    if (normalised.size() > 4) {
        out.push_back('-');
        out.append(normalised.substr(4));
    }
    return out;
}

std::optional<std::string> normalise_user_code(std::string_view typed) {
    std::string code;
    for (char c : typed) {
        if (c == '-' || c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (kUserCodeAlphabet.find(c) == std::string_view::npos) return std::nullopt;
        code.push_back(c);
        if (code.size() > kUserCodeLength) return std::nullopt;
    }
    if (code.size() != kUserCodeLength) return std::nullopt;
    return code;
}

}  // namespace oauth::device
