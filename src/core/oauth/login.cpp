// oauth_login: the built-in login page (SPEC §4.3).
//   GET  LOGIN?login_challenge=H  the form (username, password, CSRF field)
//   POST LOGIN                    checks the CSRF field (403 page otherwise),
//                                 then the password with scrypt on the thread
//                                 pool (util/password.h), never on the event
//                                 loop. Wrong credentials: the form again, 200,
//                                 with one message whatever was wrong (no user
//                                 enumeration; an unknown user costs the same
//                                 KDF run). Success: a new SSO session (cookie),
//                                 then 303 to where the pending request
//                                 continues (pending.h).
#include <optional>

#include "http/form.h"
#include "http/html.h"
#include "oauth/authorize_common.h"
#include "oauth/csrf.h"
#include "oauth/endpoints.h"
#include "oauth/page_parts.h"
#include "oauth/login_accept_landing.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/reply.h"
#include "util/crypto.h"
#include "util/password.h"

namespace oauth::endpoints {

namespace {

using authz::Pending;
using flow::Replies;
using flow::Step;

constexpr std::string_view kPurpose = "login";
constexpr size_t kMaxUsername = 256;
constexpr size_t kMaxPassword = 1024;  // bounds the KDF's input

// Verified against when the user does not exist, so that both cases cost one
// KDF run; its secret is random and forgotten.
const std::string& dummy_hash() {
    static const std::string h = util::hash_secret(util::random_bytes(32), util::kPasswordCost);
    return h;
}

class LoginFlow final : public Flow {
public:
    LoginFlow(const ServerConfig& server, Request request, http::Form form)
        : Flow(server, std::move(request)), form_(std::move(form)), keys_(server.prefix) {}

    Step start() override {
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
        std::vector<flow::Command> cmds{authz::fetch(keys_, handle_)};
        if (posted_) {
            if (!csrf::check(request_, server_, form_, kPurpose, handle_))
                return Step::respond(csrf::forbidden(), "login: csrf check failed");
            username_ = std::string(form_.value("username"));
            password_ = std::string(form_.value("password"));
            if (!username_.empty() && username_.size() <= kMaxUsername)
                cmds.push_back({"GET", keys_.user(username_)});
        }
        return Step::redis(std::move(cmds));
    }

    Step on_redis(Replies replies) override {
        if (store::any_error(replies)) return Step::respond(authz::unavailable_page(), "redis error");
        if (phase_ == Phase::Write) return Step::respond(std::move(final_), "login: signed in");

        pending_ = authz::parse_pending_reply(replies[0]);
        if (!pending_)
            return Step::respond(authz::bad_request_page(
                                     "This sign-in request has expired. Go back to the "
                                     "application and start again."),
                                 "unknown or expired login_challenge");
        if (!posted_) return Step::respond(form_page(200, {}), {});
        if (username_.empty() || password_.empty())
            return Step::respond(form_page(200, "Enter your username and password."), "login: empty field");
        if (username_.size() > kMaxUsername || password_.size() > kMaxPassword)
            return Step::respond(form_page(200, kWrong), "login: oversized field");
        if (replies.size() > 1)
            if (auto u = store::as_string(replies[1])) user_ = store::parse_user(*u);
        return Step::offload();
    }

    void offload() override {
        bool ok = util::verify_secret(password_, user_ ? user_->password_hash : dummy_hash());
        verified_ = ok && user_.has_value();
    }

    Step on_offload() override {
        if (!verified_) return Step::respond(flow::internal_error(), "password check did not run");
        if (!*verified_)
            return Step::respond(form_page(200, kWrong),
                                 user_ ? "login: wrong password" : "login: unknown user");
        std::string next = authz::continue_url(server_, handle_, *pending_);
        if (next.empty())
            return Step::respond(authz::no_continuation_page(), "no continuation endpoint");
        auto created = sso::create(server_, request_, user_->sub, user_->username,
                                   json::share(user_->claims.get()), request_.now);
        std::vector<flow::Command> cmds = std::move(created.commands);
        // A device visitor's record has done its job; an authorization
        // request lives on until its code is minted.
        if (pending_->kind == Pending::Kind::Device) cmds.push_back(authz::remove(keys_, handle_));
        final_ = html::redirect(next, 303);
        final_.header("Set-Cookie", created.set_cookie);
        phase_ = Phase::Write;
        return Step::redis(std::move(cmds));
    }

private:
    enum class Phase { Check, Write };
    static constexpr std::string_view kWrong = "Wrong username or password.";

    flow::Response form_page(unsigned status, std::string_view message) {
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
        flow::Response r = html::page(status, "Sign in", "login", body);
        csrf::attach(r, browser);
        return r;
    }

    http::Form form_;
    store::Keys keys_;
    Phase phase_ = Phase::Check;
    bool posted_ = false;
    std::string handle_, username_, password_;
    std::optional<Pending> pending_;
    std::optional<store::User> user_;
    std::optional<bool> verified_;
    flow::Response final_;
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
