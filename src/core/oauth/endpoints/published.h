// What the two public, cacheable documents (discovery and JWKS) share: they
// answer GET and HEAD only, and may be cached by anyone for a while.
#pragma once
#include <optional>
#include <string>

#include "flow/flow.h"

namespace oauth::published {

// 405 with Allow: GET, HEAD (RFC 9110 §15.5.6) unless the method is GET or HEAD.
std::optional<http::Response> refuse_method(const flow::Request& request);

// 200, application/json, Cache-Control: public, max-age=300 — short enough
// that a key rotation or a new endpoint reaches clients within minutes.
http::Response document(std::string body);

}  // namespace oauth::published
