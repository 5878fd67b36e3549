// User codes of the device flow (RFC 8628 §6.1): 8 characters from a
// 20-letter alphabet without vowels (no words, no 0/O or 1/I confusion),
// shown as XXXX-XXXX and accepted on entry in any case, with or without the
// dash or spaces. 20^8 ≈ 2.56e10 codes: see the README, "Device authorization grant" for why that,
// with the rate limit of the verification page, defeats guessing.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace oauth::device {

inline constexpr std::string_view kUserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ";
inline constexpr size_t kUserCodeLength = 8;

// Rejection sampling over one random byte: bytes below 240 (= 12 * 20) map
// to alphabet[byte % 20], each letter from exactly 12 byte values; bytes
// 240..255 are refused (nullopt) so no letter is favoured (no modulo bias).
std::optional<char> user_code_char(uint8_t byte);

// n bytes from a CSPRNG; the default is util::random_bytes (RAND_bytes).
using RandomSource = std::function<std::string(size_t)>;

// A new code in its normalised form (8 letters, no dash).
std::string new_user_code(const RandomSource& random);
std::string new_user_code();

// XXXX-XXXX for display and for the answer's user_code.
std::string display_user_code(std::string_view normalised);

// What a person typed -> the normalised code: ASCII letters upper-cased,
// dashes and whitespace dropped; nullopt unless exactly 8 letters of the
// alphabet remain (so Redis is never asked about anything else).
std::optional<std::string> normalise_user_code(std::string_view typed);

}  // namespace oauth::device
