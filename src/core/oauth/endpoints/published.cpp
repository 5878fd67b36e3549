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

namespace {

class DocumentFlow final : public flow::Flow {
public:
    DocumentFlow(const flow::ServerConfig& server, flow::Request request, std::string_view what,
                 Builder build)
        : Flow(server, std::move(request)), what_(what), build_(build) {}

    flow::Step start() override {
        if (auto refused = refuse_method(request_))
            return flow::Step::respond(std::move(*refused),
                                       std::string(what_) + ": method not allowed");
        Answer a = build_(server_, request_);
        if (auto* r = std::get_if<Refusal>(&a))
            return flow::Step::respond(std::move(r->response), std::move(r->log));
        return flow::Step::respond(document(std::move(std::get<std::string>(a))));
    }

private:
    std::string_view what_;
    Builder build_;
};

}  // namespace

std::unique_ptr<flow::Flow> document_flow(const flow::ServerConfig& server,
                                          flow::Request request, std::string_view what,
                                          Builder build) {
    return std::make_unique<DocumentFlow>(server, std::move(request), what, build);
}

}  // namespace oauth::published
