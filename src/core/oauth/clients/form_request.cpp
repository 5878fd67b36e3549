#include "oauth/clients/form_request.h"

#include "http/errors.h"
#include "oauth/tokens/issue.h"
#include "util/ascii.h"

namespace oauth::form_request {

namespace {

http::Response invalid(std::string_view description) {
    return token::no_cache(error_response(Error::InvalidRequest, description));
}

}  // namespace

bool is_form_content_type(std::string_view ct) {
    return util::is_media_type(ct, "application/x-www-form-urlencoded");
}

std::expected<http::Form, http::Response> parse(const flow::Request& request) {
    if (request.method != "POST") return std::unexpected(invalid("the method must be POST"));
    if (request.body_too_large) return std::unexpected(invalid("the request body is too large"));
    if (!is_form_content_type(request.content_type))
        return std::unexpected(invalid("the body must be application/x-www-form-urlencoded"));
    http::Form form = http::parse_form(request.body);
    if (form.malformed) return std::unexpected(invalid("malformed form body"));
    // RFC 6749 §3.2: request and response parameters MUST NOT be included
    // more than once.
    if (form.duplicate) return std::unexpected(invalid("parameter sent more than once: " + *form.duplicate));
    return form;
}

}  // namespace oauth::form_request
