#include "oauth/clients/client_authenticated_flow.h"

#include "oauth/clients/form_request.h"
#include "oauth/tokens/issue.h"

namespace oauth::token {

using client_auth::Outcome;
using flow::Step;

ClientAuthenticatedFlow::ClientAuthenticatedFlow(const flow::ServerConfig& server,
                                                 flow::Request request, std::string name)
    : RedisFlow(server, std::move(request)), keys_(server.prefix), name_(std::move(name)) {}

std::expected<http::Form, http::Response> ClientAuthenticatedFlow::read_form() const {
    return form_request::parse(request_);
}

Step ClientAuthenticatedFlow::on_replies(flow::Replies replies) {
    return flow::Flow::on_redis(replies);
}

Step ClientAuthenticatedFlow::worked() { return flow::Flow::on_offload(); }

Step ClientAuthenticatedFlow::refused() { return Step::respond(no_cache(flow::Flow::on_busy().response),
                                                               "offload refused: kdf limit reached"); }

Step ClientAuthenticatedFlow::busy() {
    if (done_) return refused();
    return Step::respond(no_cache(flow::Flow::on_busy().response), "client auth: kdf limit reached");
}

Step ClientAuthenticatedFlow::begin() {
    auto form = read_form();
    if (!form) return Step::respond(std::move(form.error()), "malformed " + name_ + " request");
    form_ = std::move(*form);
    if (auto answer = check_form()) return std::move(*answer);
    auto presented = client_auth::presented_client(request_, form_);
    if (!presented)
        return Step::respond(no_cache(std::move(presented.error())),
                             "client authentication refused");
    auth_.emplace(std::move(*presented));
    return Step::redis({auth_->fetch(keys_)});
}

Step ClientAuthenticatedFlow::replied(flow::Replies replies) {
    if (done_) return on_replies(replies);
    return outcome(auth_->on_reply(replies[0]));
}

void ClientAuthenticatedFlow::offload() {
    if (done_) work();
    else auth_->offload();
}

Step ClientAuthenticatedFlow::offloaded() {
    if (done_) return worked();
    return outcome(auth_->on_offload());
}

Step ClientAuthenticatedFlow::outcome(Outcome o) {
    if (o == Outcome::Offload) return Step::offload();
    if (o == Outcome::Failed) return Step::respond(no_cache(auth_->error()), auth_->reason());
    done_ = true;
    return authenticated();
}

}  // namespace oauth::token
