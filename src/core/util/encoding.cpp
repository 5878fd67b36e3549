#include "util/encoding.h"

#include <openssl/evp.h>

namespace oauth::util {

namespace {

std::string encode_block(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

// EVP_DecodeBlock wants padded input and returns the padded length's worth of
// bytes, so the caller passes how many trailing '=' it had.
std::optional<std::string> decode_block(std::string_view padded, size_t pad) {
    if (padded.size() % 4 != 0) return std::nullopt;
    std::string out(padded.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(padded.data()),
                            static_cast<int>(padded.size()));
    if (n < 0 || static_cast<size_t>(n) < pad) return std::nullopt;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

bool is_b64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return encode_block(bytes); }

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') pad++;
    for (size_t i = 0; i < text.size() - pad; i++)
        if (!is_b64_char(text[i])) return std::nullopt;
    return decode_block(text, pad);
}

void base64url_append(std::string& out, std::string_view bytes) {
    size_t at = out.size();
    out.resize(at + 4 * ((bytes.size() + 2) / 3) + 1);
    auto* dst = reinterpret_cast<unsigned char*>(out.data() + at);
    int n = EVP_EncodeBlock(dst, reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(at + static_cast<size_t>(n));
    while (out.size() > at && out.back() == '=') out.pop_back();
    for (size_t i = at; i < out.size(); i++) {
        if (out[i] == '+') out[i] = '-';
        else if (out[i] == '/') out[i] = '_';
    }
}

std::string base64url_encode(std::string_view bytes) {
    std::string s;
    base64url_append(s, bytes);
    return s;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string s;
    s.reserve(text.size() + 3);
    for (char c : text) {
        if (c == '-') s.push_back('+');
        else if (c == '_') s.push_back('/');
        else if (c == '+' || c == '/' || !is_b64_char(c)) return std::nullopt;
        else s.push_back(c);
    }
    size_t pad = (4 - s.size() % 4) % 4;
    s.append(pad, '=');
    auto out = decode_block(s, pad);
    // Reject non-canonical encodings (stray low bits in the last character),
    // so one token has exactly one spelling.
    if (out && base64url_encode(*out) != text) return std::nullopt;
    return out;
}

std::string hex_encode(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

}  // namespace oauth::util
