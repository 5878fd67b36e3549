#include "oauth/browser/page_flow.h"

#include "http/html.h"
#include "oauth/clients/form_request.h"

namespace oauth::authz {

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
