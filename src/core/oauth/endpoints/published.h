// What the public, cacheable documents (discovery, JWKS, resource metadata)
// share: they answer GET and HEAD only, and may be cached by anyone for a
// while; one flow serves each from its builder.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "flow/flow.h"

namespace oauth::published {

// 405 with Allow: GET, HEAD (RFC 9110 §15.5.6) unless the method is GET or HEAD.
std::optional<http::Response> refuse_method(const flow::Request& request);

// 200, application/json, Cache-Control: public, max-age=300 — short enough
// that a key rotation or a new endpoint reaches clients within minutes.
http::Response document(std::string body);

// What a document's builder answers: the document's JSON, or a response of
// its own (resource metadata's 404 for a resource not served here) and the
// line to log.
struct Refusal {
    http::Response response;
    std::string log;
};
using Answer = std::variant<std::string, Refusal>;
using Builder = Answer (*)(const flow::ServerConfig&, const flow::Request&);

// The flow of a document's endpoint: refuse_method() (logged as "WHAT:
// method not allowed"), else what `build` answers, a document as document().
std::unique_ptr<flow::Flow> document_flow(const flow::ServerConfig& server,
                                          flow::Request request, std::string_view what,
                                          Builder build);

}  // namespace oauth::published
