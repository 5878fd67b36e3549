// Resource indicators (RFC 8707) and protected resource metadata (RFC 9728),
// SPEC §9: the resources a configuration names with oauth_resource, the
// `resource` parameter at authorize and token, and the `aud` it yields.
//
// A grant remembers the resources it was given (the code record, the family
// hash's "resource" field, space-separated: URIs hold no spaces); a later
// request may ask for a subset (RFC 8707 §2.2), never more.
#pragma once
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "flow/server.h"

namespace oauth::resource {

// RFC 8707 §2: each value an absolute URI without fragment, and one this
// configuration names (else invalid_target); duplicates dropped. The error
// is the error_description.
std::expected<std::vector<std::string>, std::string> requested(const std::vector<std::string>& values,
                                                               const flow::ServerConfig& server);

// What a request gets: `asked` when it names resources (each must be in
// `granted` when the grant has any: never wider), else `granted`.
std::expected<std::vector<std::string>, std::string> narrowed(const std::vector<std::string>& asked,
                                                              const std::vector<std::string>& granted);

// The access token's aud: the resources, or the server's oauth_audience
// when there are none.
std::vector<std::string> audience(const flow::ServerConfig& server, const std::vector<std::string>& resources);

std::string join(const std::vector<std::string>& resources);
std::vector<std::string> split(std::string_view text);

// RFC 9728 §3.1: the metadata URL of a resource: /.well-known/
// oauth-protected-resource inserted between its host and its path (a lone
// "/" path dropped).
std::string metadata_url(std::string_view resource);
// The path part of metadata_url() (what oauth_resource_metadata matches).
std::string metadata_path(std::string_view resource);

// The family hash field holding a grant's resources.
inline constexpr std::string_view kFamilyField = "resource";

inline constexpr std::string_view kWellKnown = "/.well-known/oauth-protected-resource";

}  // namespace oauth::resource
