// What oauth_authorize, oauth_login, oauth_consent, the device verification
// page and the external-login landing share: reading the page's request, the
// answers to the client (RFC 6749 §4.1.2, RFC 9207), the checks on a pending
// request and the decision "may this session finish it now".
#pragma once
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow.h"
#include "http/form.h"
#include "oauth/browser/code.h"
#include "http/errors.h"
#include "oauth/browser/pending.h"
#include "oauth/browser/sso.h"

namespace oauth::authz {

// RFC 6749 §4.1.2.1 + RFC 9207: redirect_uri?error=..&error_description=..
// &state=..&iss=.. (302 after a GET, 303 after a POST).
http::Response error_redirect(const flow::ServerConfig& server, std::string_view redirect_uri,
                              std::string_view state, Error e, std::string_view description,
                              unsigned status);

// RFC 6749 §4.1.2 + RFC 9207: redirect_uri?code=..&state=..&iss=..
http::Response code_redirect(const flow::ServerConfig& server, std::string_view redirect_uri,
                             std::string_view code, std::string_view state, unsigned status);

// The session may finish the request (OIDC Core §3.1.2.1): with prompt=login
// only a login at or after the request counts; with max_age only a login at
// most that many seconds before now.
bool session_satisfies(const Pending& p, const sso::Session& s, int64_t now);

// The pending request was started in this browser (its CSRF cookie): a
// handle is useless in another one (login CSRF, a handle passed around).
bool started_in_this_browser(const Pending& p, const flow::Request& request,
                             const flow::ServerConfig& server);

// The code's record for a pending request approved by a session.
CodeRecord code_record(const Pending& p, const sso::Session& s, int64_t now);

// Consent policy `once`: the remembered scopes cover the requested ones.
bool consent_covers(std::string_view remembered, std::string_view requested);
// The remembered scopes after approving `requested` (union, order kept).
std::string consent_union(std::string_view remembered, std::string_view requested);
// SET P consent:{sub}:{client_id} scopes [EX ttl] (oauth_consent_ttl; 0:
// kept until revoked, or until the user or the client goes).
flow::Command remember_consent(const store::Keys& keys, std::string_view sub,
                               std::string_view client_id, std::string_view scopes, int64_t ttl);

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
