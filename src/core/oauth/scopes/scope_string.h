// Scope strings (RFC 6749 §3.3): space-delimited, case-sensitive tokens of
// %x21 / %x23-5B / %x5D-7E. Order is kept as given, duplicates dropped.
#pragma once
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

}  // namespace oauth::scope
