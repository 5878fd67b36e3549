// Byte encodings used across the core, all on OpenSSL: base64url (RFC 4648 §5,
// no padding, as JOSE wants), standard base64 and hex.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace oauth::util {

std::string base64url_encode(std::string_view bytes);
// The same, appended to out (no temporary string: JWS builds one buffer).
void base64url_append(std::string& out, std::string_view bytes);
// Strict: rejects padding, whitespace and characters outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding (as in HTTP Basic); strict.
std::optional<std::string> base64_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);

}  // namespace oauth::util
