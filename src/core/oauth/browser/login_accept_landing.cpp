#include "oauth/browser/login_accept_landing.h"

#include <optional>

#include "http/html.h"
#include "oauth/browser/page_flow.h"
#include "oauth/browser/pending_checks.h"
#include "store/cas.h"
#include "store/keys.h"
#include "store/reply.h"
#include "store/script.h"
#include "util/crypto.h"

namespace oauth::endpoints {

namespace {

using authz::Pending;
using flow::Step;

// A RedisFlow: the compare-and-set is a script (NOSCRIPT is handled there).
class LandingFlow final : public store::RedisFlow {
public:
    LandingFlow(const flow::ServerConfig& server, flow::Request request, http::Form form)
        : RedisFlow(server, std::move(request)), form_(std::move(form)), keys_(server.prefix) {}

    Step begin() override {
        handle_ = std::string(form_.value("login_challenge"));
        if (form_.duplicate || !authz::valid_handle(handle_) || form_.value("login_verifier").empty())
            return refuse("landing: bad parameters");
        return Step::redis({authz::fetch(keys_, handle_)});
    }

    Step replied(flow::Replies replies) override {
        if (store::any_error(replies)) return Step::respond(authz::unavailable_page(), "redis error");
        switch (phase_) {
        case Phase::Fetch: return fetched(replies[0]);
        case Phase::Spend: return spent(replies[0]);
        case Phase::Write: break;
        }
        return Step::respond(std::move(final_), "external login: signed in");
    }

private:
    enum class Phase { Fetch, Spend, Write };

    Step fetched(const redisReply* reply) {
        auto text = store::as_string(reply);
        std::optional<Pending> p = text ? authz::parse_pending(*text) : std::nullopt;
        if (!p || !p->accepted) return refuse("landing: no accepted login for this challenge");
        if (!util::constant_time_equal(util::sha256_hex(form_.value("login_verifier")),
                                       p->accepted->verifier_hash))
            return refuse("landing: wrong login_verifier");
        // Login CSRF: the login must land in the browser that asked for it.
        if (!authz::started_in_this_browser(*p, request_, server_))
            return refuse("landing: another browser");
        next_ = authz::continue_url(server_, handle_, *p);
        if (next_.empty())
            return Step::respond(authz::no_continuation_page(), "no continuation endpoint");
        // The verifier is spent by a compare-and-set on the record as read:
        // of two landings with the same verifier, only one signs in.
        accepted_ = std::move(*p->accepted);
        p->accepted.reset();
        pending_ = std::move(*p);
        phase_ = Phase::Spend;
        return Step::redis({store::cas(keys_.pending(handle_), *text, authz::serialize(*pending_))});
    }

    Step spent(const redisReply* reply) {
        store::CasReply cas = store::read_cas(reply);
        if (cas.result == store::CasResult::Error)
            return Step::respond(authz::unavailable_page(), "landing: unexpected CAS reply");
        if (cas.result != store::CasResult::Ok) return refuse("landing: the login was used meanwhile");
        auto created = sso::create(server_, request_, std::move(accepted_.sub),
                                   std::move(accepted_.username), std::move(accepted_.claims),
                                   accepted_.auth_time);
        std::vector<flow::Command> cmds = std::move(created.commands);
        // A device visitor's record has done its job; an authorization
        // request lives on until its code is minted.
        if (pending_->kind == Pending::Kind::Device) cmds.push_back(authz::remove(keys_, handle_));
        final_ = html::redirect(next_, 303);
        final_.header("Set-Cookie", created.set_cookie);
        phase_ = Phase::Write;
        return Step::redis(std::move(cmds));
    }

    Step refuse(std::string reason) {
        return Step::respond(authz::bad_request_page(
                                 "This sign-in could not be completed. Go back to the "
                                 "application and start again."),
                             std::move(reason));
    }

    http::Form form_;
    store::Keys keys_;
    Phase phase_ = Phase::Fetch;
    std::string handle_, next_;
    std::optional<Pending> pending_;
    authz::Accepted accepted_;
    http::Response final_;
};

}  // namespace

std::unique_ptr<flow::Flow> make_login_landing(const flow::ServerConfig& server,
                                               flow::Request request, http::Form form) {
    return std::make_unique<LandingFlow>(server, std::move(request), std::move(form));
}

}  // namespace oauth::endpoints
