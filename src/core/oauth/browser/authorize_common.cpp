#include "oauth/browser/authorize_common.h"

#include "http/html.h"
#include "oauth/browser/csrf.h"
#include "oauth/clients/form_request.h"
#include "oauth/scopes/scope_string.h"
#include "util/crypto.h"

namespace oauth::authz {

http::Response error_redirect(const flow::ServerConfig& server, std::string_view redirect_uri,
                              std::string_view state, Error e, std::string_view description,
                              unsigned status) {
    return html::redirect(with_query(redirect_uri, {{"error", error_code(e)},
                                                    {"error_description", description_text(description)},
                                                    {"state", state},
                                                    {"iss", server.issuer}}),
                          status);
}

http::Response code_redirect(const flow::ServerConfig& server, std::string_view redirect_uri,
                             std::string_view code, std::string_view state, unsigned status) {
    return html::redirect(
        with_query(redirect_uri, {{"code", code}, {"state", state}, {"iss", server.issuer}}),
        status);
}

bool session_satisfies(const Pending& p, const sso::Session& s, int64_t now) {
    // Timestamps have a one-second grain: the session the browser already had
    // is excluded by its id, so a login in the same second still counts.
    if (p.prompt_login && (s.auth_time < p.iat || s.sid == p.stale_sid)) return false;
    return p.max_age < 0 || s.auth_time >= now - p.max_age;
}

bool started_in_this_browser(const Pending& p, const flow::Request& request,
                             const flow::ServerConfig& server) {
    return !p.browser.empty() && util::constant_time_equal(p.browser, csrf::binding(request, server));
}

CodeRecord code_record(const Pending& p, const sso::Session& s, int64_t now) {
    CodeRecord c;
    c.client_id = p.client_id;
    c.redirect_uri = p.redirect_uri;
    c.code_challenge = p.code_challenge;
    c.code_challenge_method = p.code_challenge_method;
    c.nonce = p.nonce;
    c.scope = p.scope;
    c.resource = p.resource;
    c.sub = s.sub;
    c.username = s.username;
    c.auth_time = s.auth_time;
    c.claims = s.claims ? json::share(s.claims.get()) : json::Json(json_object());
    c.iat = now;
    c.dpop_jkt = p.dpop_jkt;
    return c;
}

bool consent_covers(std::string_view remembered, std::string_view requested) {
    auto have = scope::parse(remembered);
    auto want = scope::parse(requested);
    if (!have || !want) return false;
    return scope::subset(*want, *have);
}

std::string consent_union(std::string_view remembered, std::string_view requested) {
    auto have = scope::parse(remembered).value_or(std::vector<std::string>{});
    for (auto& s : scope::parse(requested).value_or(std::vector<std::string>{}))
        if (!scope::contains(have, s)) have.push_back(std::move(s));
    return scope::join(have);
}

flow::Command remember_consent(const store::Keys& keys, std::string_view sub,
                               std::string_view client_id, std::string_view scopes, int64_t ttl) {
    flow::Command cmd{"SET", keys.consent(sub, client_id), std::string(scopes)};
    if (ttl > 0) {
        cmd.push_back("EX");
        cmd.push_back(std::to_string(ttl));
    }
    return cmd;
}

http::Response bad_request_page(std::string_view message) {
    return html::error_page(400, "Sign-in request refused", message);
}

std::expected<http::Form, Refusal> page_form(const flow::Request& request,
                                             std::string_view not_a_form) {
    if (request.method != "GET" && request.method != "POST" && request.method != "HEAD") {
        auto r = html::error_page(405, "Method not allowed", "Use GET or POST.");
        r.header("Allow", "GET, POST");
        return std::unexpected(Refusal{std::move(r), "method not allowed"});
    }
    std::string_view text = request.query;
    if (request.method == "POST") {
        if (request.body_too_large)
            return std::unexpected(Refusal{html::error_page(413, "Request too large",
                                                            "The form sent is too large."),
                                           "request body too large"});
        if (!form_request::is_form_content_type(request.content_type))
            return std::unexpected(Refusal{bad_request_page(not_a_form), "not a form"});
        text = request.body;
    }
    http::Form form = http::parse_form(text);
    if (form.malformed)
        return std::unexpected(Refusal{bad_request_page("The request is malformed."), "malformed form"});
    return form;
}

namespace {

class RefusingFlow final : public flow::Flow {
public:
    RefusingFlow(const flow::ServerConfig& server, flow::Request request, Refusal refusal)
        : Flow(server, std::move(request)), refusal_(std::move(refusal)) {}
    flow::Step start() override {
        return flow::Step::respond(std::move(refusal_.response), std::move(refusal_.reason));
    }

private:
    Refusal refusal_;
};

}  // namespace

std::unique_ptr<flow::Flow> refusing_flow(const flow::ServerConfig& server, flow::Request request,
                                          Refusal refusal) {
    return std::make_unique<RefusingFlow>(server, std::move(request), std::move(refusal));
}

http::Response unavailable_page() {
    return html::error_page(503, "Temporarily unavailable",
                            "The sign-in service cannot answer right now. Try again in a moment.");
}

}  // namespace oauth::authz
