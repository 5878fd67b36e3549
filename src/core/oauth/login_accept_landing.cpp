#include "oauth/login_accept_landing.h"

#include <optional>

#include "http/html.h"
#include "oauth/authorize_common.h"
#include "store/keys.h"
#include "store/reply.h"
#include "util/crypto.h"

namespace oauth::endpoints {

namespace {

using authz::Pending;
using flow::Step;

class LandingFlow final : public flow::Flow {
public:
    LandingFlow(const flow::ServerConfig& server, flow::Request request, http::Form form)
        : Flow(server, std::move(request)), form_(std::move(form)), keys_(server.prefix) {}

    Step start() override {
        handle_ = std::string(form_.value("login_challenge"));
        if (form_.duplicate || !authz::valid_handle(handle_) || form_.value("login_verifier").empty())
            return refuse("landing: bad parameters");
        return Step::redis({authz::fetch(keys_, handle_)});
    }

    Step on_redis(flow::Replies replies) override {
        if (store::any_error(replies)) return Step::respond(authz::unavailable_page(), "redis error");
        if (written_) return Step::respond(std::move(final_), "external login: signed in");
        std::optional<Pending> p = authz::parse_pending_reply(replies[0]);
        if (!p || !p->accepted) return refuse("landing: no accepted login for this challenge");
        if (!util::constant_time_equal(util::sha256_hex(form_.value("login_verifier")),
                                       p->accepted->verifier_hash))
            return refuse("landing: wrong login_verifier");
        // Login CSRF: the login must land in the browser that asked for it.
        if (!authz::started_in_this_browser(*p, request_))
            return refuse("landing: another browser");
        std::string next = authz::continue_url(server_, handle_, *p);
        if (next.empty())
            return Step::respond(authz::no_continuation_page(), "no continuation endpoint");
        authz::Accepted acc = std::move(*p->accepted);
        p->accepted.reset();  // the verifier is spent
        auto created = sso::create(server_, request_, std::move(acc.sub), std::move(acc.username),
                                   std::move(acc.claims), acc.auth_time);
        std::vector<flow::Command> cmds = std::move(created.commands);
        if (p->kind == Pending::Kind::Device) cmds.push_back(authz::remove(keys_, handle_));
        else cmds.push_back(authz::store(keys_, handle_, *p));
        final_ = html::redirect(next, 303);
        final_.header("Set-Cookie", created.set_cookie);
        written_ = true;
        return Step::redis(std::move(cmds));
    }

private:
    Step refuse(std::string reason) {
        return Step::respond(authz::bad_request_page(
                                 "This sign-in could not be completed. Go back to the "
                                 "application and start again."),
                             std::move(reason));
    }

    http::Form form_;
    store::Keys keys_;
    std::string handle_;
    bool written_ = false;
    flow::Response final_;
};

}  // namespace

std::unique_ptr<flow::Flow> make_login_landing(const flow::ServerConfig& server,
                                               flow::Request request, http::Form form) {
    return std::make_unique<LandingFlow>(server, std::move(request), std::move(form));
}

}  // namespace oauth::endpoints
