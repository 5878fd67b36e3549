#include "oauth/form_request.h"

#include "oauth/errors.h"
#include "oauth/issue.h"

namespace oauth::form_request {

namespace {

flow::Response invalid(std::string_view description) {
    return token::no_cache(error_response(Error::InvalidRequest, description));
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool is_form_content_type(std::string_view ct) {
    size_t semi = ct.find(';');
    std::string_view type = ct.substr(0, semi);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    constexpr std::string_view want = "application/x-www-form-urlencoded";
    if (type.size() != want.size()) return false;
    for (size_t i = 0; i < want.size(); i++)
        if (lower(type[i]) != want[i]) return false;
    return true;
}

std::expected<http::Form, flow::Response> parse(const flow::Request& request) {
    if (request.method != "POST") return std::unexpected(invalid("the method must be POST"));
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
