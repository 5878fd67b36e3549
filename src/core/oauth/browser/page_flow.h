// What every browser page (authorize, login, consent, device verification,
// the external-login landing) does before its own work: read the page's
// request as a form, refuse what is not one, and its shared error pages.
#pragma once
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "flow/flow.h"
#include "http/form.h"
#include "http/response.h"

namespace oauth::authz {

// The HTML 400 page for a request we cannot trust enough to redirect
// (RFC 6749 §4.1.2.1: unknown client, bad redirect_uri) or cannot continue.
http::Response bad_request_page(std::string_view message);
// The page when Redis cannot answer: 503.
http::Response unavailable_page();

// An answer given before any Redis work, with its reason for the log.
struct Refusal {
    http::Response response;
    std::string reason;
};

// The parameters of a browser page: the query of a GET or HEAD, the body of a
// POST. Another method is refused with 405 and Allow: GET, POST (RFC 9110
// §15.5.6); a POST whose body was past the glue's limit with the 413 page; a
// POST that is not a form (answered with the page `not_a_form`), or a
// malformed form, with the 400 page. Duplicates are the page's to judge.
std::expected<http::Form, Refusal> page_form(const flow::Request& request,
                                             std::string_view not_a_form = "Send the form as a form.");

// A flow that answers at once with the refusal.
std::unique_ptr<flow::Flow> refusing_flow(const flow::ServerConfig& server, flow::Request request,
                                          Refusal refusal);

// The factory of a page whose flow is made from (server, request, form):
// the page_form() refusal, or the flow.
template <class PageFlow>
std::unique_ptr<flow::Flow> page_flow(const flow::ServerConfig& server, flow::Request request) {
    auto form = page_form(request);
    if (!form) return refusing_flow(server, std::move(request), std::move(form.error()));
    return std::make_unique<PageFlow>(server, std::move(request), std::move(*form));
}

}  // namespace oauth::authz
