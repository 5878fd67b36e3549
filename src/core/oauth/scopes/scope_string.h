// Scope strings (RFC 6749 §3.3): space-delimited, case-sensitive tokens of
// %x21 / %x23-5B / %x5D-7E. Order is kept as given, duplicates dropped.
#pragma once
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oauth::scope {

// nullopt when a token holds a character §3.3 does not allow.
std::optional<std::vector<std::string>> parse(std::string_view text);
std::string join(const std::vector<std::string>& scopes);
bool contains(const std::vector<std::string>& scopes, std::string_view s);
bool subset(const std::vector<std::string>& requested, const std::vector<std::string>& allowed);

// The one check of a requested scope (RFC 6749 §3.3), for the token
// endpoint's grants and the authorization endpoint: `asked` parsed, each
// token one of `allowed`; nothing asked means all of `allowed`. Refused:
// invalid_scope, with refusal_text() as the description.
enum class Refusal { Malformed, Exceeds };
std::string_view refusal_text(Refusal r);
std::expected<std::vector<std::string>, Refusal> requested(std::string_view asked,
                                                           const std::vector<std::string>& allowed);

}  // namespace oauth::scope
