// oauth_login: the built-in login page (SPEC §4.3).
//   GET  LOGIN?login_challenge=H  the form (username, password, CSRF field)
//   POST LOGIN                    checks the CSRF field (403 page otherwise),
//                                 then the password by the one password rule
//                                 (oauth/password_check.h): brute-force limits
//                                 first (429, the form with a wait), then
//                                 scrypt on the thread pool, never on the event
//                                 loop. Wrong credentials: the form again, 200,
//                                 with one message whatever was wrong (no user
//                                 enumeration; an unknown user costs the same
//                                 KDF run and counts the same). Success: a new
//                                 SSO session (cookie), then 303 to where the
//                                 pending request continues (pending.h).
#include <optional>

#include "http/errors.h"
#include "http/form.h"
#include "http/html.h"
#include "oauth/browser/page_flow.h"
#include "oauth/browser/pending.h"
#include "oauth/browser/csrf.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/browser/page_parts.h"
#include "oauth/browser/login_accept_landing.h"
#include "oauth/users/password_check.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/reply.h"
#include "store/script.h"

namespace oauth::endpoints {

namespace {

using authz::Pending;
using flow::Replies;
using flow::Step;

constexpr std::string_view kPurpose = "login";

// A RedisFlow: the brute-force counters are Lua scripts (NOSCRIPT re-sends).
class LoginFlow final : public store::RedisFlow {
public:
    LoginFlow(const ServerConfig& server, Request request, http::Form form)
        : RedisFlow(server, std::move(request)), form_(std::move(form)), keys_(server.prefix) {}

private:
    Step begin() override {
        posted_ = request_.method == "POST";
        if (form_.duplicate)
            return Step::respond(authz::bad_request_page("A field was sent twice."), "duplicate field");
        handle_ = std::string(form_.value("login_challenge"));
        if (handle_.empty())
            return Step::respond(authz::bad_request_page(
                                     "There is nothing to sign in to. Open the application you "
                                     "want to use and sign in from there."),
                                 "no login_challenge");
        if (!authz::valid_handle(handle_))
            return Step::respond(authz::bad_request_page("This sign-in link is not valid."), "bad login_challenge");
        if (posted_) {
            if (!csrf::check(request_, server_, form_, kPurpose, handle_))
                return Step::respond(csrf::forbidden(), "login: csrf check failed");
            username_ = std::string(form_.value("username"));
            check_.emplace(server_, keys_, username_, std::string(form_.value("password")),
                           request_.client_address);
        }
        return Step::redis({authz::fetch(keys_, handle_)});
    }

    Step replied(Replies replies) override {
        // the give-back's reply does not matter (login_limit.h)
        if (store::any_error(replies) && phase_ != Phase::Release && phase_ != Phase::Busy)
            return Step::respond(authz::unavailable_page(), "redis error");
        switch (phase_) {
        case Phase::Pending: return pending_read(replies[0]);
        case Phase::Lookup: return looked_up(replies);
        case Phase::Release: return sign_in();
        case Phase::Busy: return busy_page();
        case Phase::Write:
            return Step::respond(std::move(final_), "login: signed in")
                .event({.kind = OAUTH_EVENT_LOGIN_SUCCEEDED, .client = pending_->client_id,
                        .sub = check_->user().sub, .username = username_});
        }
        return Step::respond(oauth::internal_error(), "login: unexpected step");
    }

    Step pending_read(const redisReply* reply) {
        pending_ = authz::parse_pending_reply(reply);
        if (!pending_)
            return Step::respond(authz::bad_request_page(
                                     "This sign-in request has expired. Go back to the "
                                     "application and start again."),
                                 "unknown or expired login_challenge");
        if (!posted_) return Step::respond(form_page(200, {}), {});
        if (username_.empty() || form_.value("password").empty())
            return Step::respond(form_page(200, "Enter your username and password."), "login: empty field");
        if (!check_->within_bounds()) return Step::respond(form_page(200, kWrong), "login: oversized field");
        phase_ = Phase::Lookup;
        return Step::redis(check_->lookup());
    }

    Step looked_up(Replies replies) {
        switch (check_->looked_up(replies)) {
        case password::Check::Next::Unavailable:
            return Step::respond(authz::unavailable_page(), "redis error");
        case password::Check::Next::Limited: {
            std::string wait = std::to_string(check_->retry_after());
            http::Response r = form_page(429, "Too many failed sign-in attempts. Wait " + wait +
                                                  " seconds, then try again.");
            r.header("Retry-After", wait);
            return Step::respond(std::move(r), "login: login limit reached")
                .event(failed("rate_limited"));
        }
        case password::Check::Next::Offload:
            return Step::offload();
        case password::Check::Next::Redis:
            return Step::redis(check_->pending());
        }
        return Step::respond(oauth::internal_error(), "login: unexpected verdict");
    }

    void offload() override { check_->run(); }

    Step offloaded() override {
        if (!check_->verified()) return Step::respond(oauth::internal_error(), "password check did not run");
        if (!*check_->verified())
            return Step::respond(form_page(200, kWrong),
                                 check_->known_user() ? "login: wrong password" : "login: unknown user")
                .event(failed("invalid_credentials"));
        // Not a failure: the reservation goes back (login_limit.h).
        phase_ = Phase::Release;
        return Step::redis(check_->release());
    }

    Step busy() override {
        // The password was never checked: not a failure either.
        phase_ = Phase::Busy;
        return Step::redis(check_->release());
    }

    Step busy_page() {
        http::Response r = html::error_page(503, "Try again",
                                            "The sign-in service is busy. Wait a moment, then "
                                            "go back and try again.");
        r.header("Retry-After", "1");
        return Step::respond(std::move(r), "login: kdf limit reached");
    }

    // The audit event of a refused sign-in: the user name as typed, never
    // the password.
    flow::Event failed(std::string why) const {
        return {.kind = OAUTH_EVENT_LOGIN_FAILED, .client = pending_->client_id,
                .username = username_, .error = std::move(why)};
    }

    // After the give-back, whatever its reply: the password was right.
    Step sign_in() {
        std::string next = authz::continue_url(server_, handle_, *pending_);
        if (next.empty())
            return Step::respond(authz::no_continuation_page(), "no continuation endpoint");
        const store::User& user = check_->user();
        auto created = sso::create(server_, request_, user.sub, user.username,
                                   json::share(user.claims.get()), request_.now);
        std::vector<flow::Command> cmds = std::move(created.commands);
        // A device visitor's record has done its job; an authorization
        // request lives on until its code is minted.
        if (pending_->kind == Pending::Kind::Device) cmds.push_back(authz::remove(keys_, handle_));
        final_ = html::redirect(next, 303);
        final_.header("Set-Cookie", created.set_cookie);
        phase_ = Phase::Write;
        return Step::redis(std::move(cmds));
    }

    enum class Phase { Pending, Lookup, Release, Busy, Write };
    static constexpr std::string_view kWrong = "Wrong username or password.";

    http::Response form_page(unsigned status, std::string_view message) {
        csrf::Browser browser = csrf::browser(request_, server_);
        std::string body;
        if (pending_->kind == Pending::Kind::Authorize)
            body += "<p class=\"oauth-intro\">to continue to <strong class=\"oauth-client\">" +
                    html::escape(pending_->client_name) + "</strong></p>\n";
        else
            body += "<p class=\"oauth-intro\">to connect a device</p>\n";
        body += pages::alert(message);
        body += pages::form_open(server_, request_, OAUTH_EP_LOGIN);
        body += html::hidden_input("login_challenge", handle_) + "\n";
        body += csrf::hidden_field(browser.secret, kPurpose, handle_) + "\n";
        body += "<label for=\"username\">Username</label>\n"
                "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" "
                "autocapitalize=\"none\" required autofocus value=\"" +
                html::escape(posted_ ? username_ : pending_->login_hint) + "\">\n";
        body += "<label for=\"password\">Password</label>\n"
                "<input type=\"password\" id=\"password\" name=\"password\" "
                "autocomplete=\"current-password\" required>\n";
        body += "<div class=\"oauth-actions\"><button type=\"submit\">Sign in</button></div>\n"
                "</form>";
        http::Response r = html::page(status, "Sign in", "login", body);
        csrf::attach(r, browser);
        return r;
    }

    http::Form form_;
    store::Keys keys_;
    Phase phase_ = Phase::Pending;
    bool posted_ = false;
    std::string handle_, username_;
    std::optional<Pending> pending_;
    std::optional<password::Check> check_;
    http::Response final_;
};

}  // namespace

std::unique_ptr<Flow> make_login(const ServerConfig& server, Request request) {
    auto form = authz::page_form(request);
    if (!form) return authz::refusing_flow(server, std::move(request), std::move(form.error()));
    if (request.method != "POST" && form->get("login_verifier"))  // back from an external login
        return make_login_landing(server, std::move(request), std::move(*form));
    return std::make_unique<LoginFlow>(server, std::move(request), std::move(*form));
}

}  // namespace oauth::endpoints
