// The request shape shared by the token, introspection and revocation
// endpoints: POST with an application/x-www-form-urlencoded body (RFC 6749
// §3.2, RFC 7662 §2.1, RFC 7009 §2.1), each parameter at most once.
#pragma once
#include <expected>
#include <string_view>

#include "flow/flow.h"
#include "http/form.h"

namespace oauth::form_request {

// "application/x-www-form-urlencoded", any case, parameters (charset) allowed.
bool is_form_content_type(std::string_view content_type);

// The parsed body, or an invalid_request answer (no-store, Pragma no-cache)
// for another method, a body past the glue's limit, another Content-Type, a
// broken escape or a parameter sent twice.
std::expected<http::Form, http::Response> parse(const flow::Request& request);

}  // namespace oauth::form_request
