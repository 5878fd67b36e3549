// Scopes this server knows and the user claims each one releases
// (OIDC Core §5.4), shared by discovery, ID tokens and userinfo.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oauth {

// scopes_supported in discovery (OIDC Discovery §3): openid, profile, email,
// address, phone, offline_access.
std::span<const std::string_view> supported_scopes();

// claims_supported in discovery: the ID token's own claims (OIDC Core §2)
// followed by every claim a scope can release.
std::span<const std::string_view> supported_claims();

// OIDC Core §5.4: the claims one scope releases; empty for openid,
// offline_access and any scope that releases no claim.
std::span<const std::string_view> claims_of_scope(std::string_view scope);

// The claims released by a space-separated scope string (RFC 6749 §3.3),
// each once, in table order.
std::vector<std::string_view> claims_for_scopes(std::string_view scope);
// The same for scopes already split.
std::vector<std::string_view> claims_for_scopes(std::span<const std::string> scopes);
std::vector<std::string_view> claims_for_scopes(std::span<const std::string_view> scopes);

}  // namespace oauth
