#include "oauth/endpoints/published.h"

#include "http/errors.h"

namespace oauth::published {

std::optional<http::Response> refuse_method(const flow::Request& request) {
    if (request.method == "GET" || request.method == "HEAD") return std::nullopt;
    http::Response r = error_response(Error::InvalidRequest, "method not allowed");
    r.status = 405;
    r.header("Allow", "GET, HEAD");
    return r;
}

http::Response document(std::string body) {
    http::Response r = http::json_response(200, std::move(body));
    r.header("Cache-Control", "public, max-age=300");
    return r;
}

}  // namespace oauth::published
