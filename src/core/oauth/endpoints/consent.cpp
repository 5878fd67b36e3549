// oauth_consent: the built-in consent page (SPEC §4.3).
//   GET  CONSENT?authz=H  lists the client and the requested scopes with
//                         Approve and Deny buttons (needs the SSO session;
//                         without one the browser goes to the login page)
//   POST CONSENT          authz, csrf, decision=approve|deny. The CSRF field
//                         is bound to the browser, the pending handle and the
//                         SSO session. Approve mints the code (and, with the
//                         client's policy `once`, remembers the scopes); Deny
//                         sends error=access_denied (RFC 6749 §4.1.2.1). Both
//                         303 to the client with state and iss (RFC 9207).
#include <optional>

#include "http/form.h"
#include "http/html.h"
#include "oauth/browser/consent_memory.h"
#include "oauth/browser/page_flow.h"
#include "oauth/browser/pending_checks.h"
#include "oauth/browser/redirects.h"
#include "oauth/browser/csrf.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/browser/page_parts.h"
#include "store/keys.h"
#include "store/reply.h"

namespace oauth::endpoints {

namespace {

using authz::Pending;
using flow::Replies;
using flow::Step;

constexpr std::string_view kPurpose = "consent";

class ConsentFlow final : public Flow {
public:
    ConsentFlow(const ServerConfig& server, Request request, http::Form form)
        : Flow(server, std::move(request)), form_(std::move(form)), keys_(server.prefix) {}

    Step start() override {
        posted_ = request_.method == "POST";
        if (form_.duplicate)
            return Step::respond(authz::bad_request_page("A field was sent twice."), "duplicate field");
        handle_ = std::string(form_.value("authz"));
        if (!authz::valid_handle(handle_))
            return Step::respond(authz::bad_request_page("This consent link is not valid."), "bad handle");
        sid_ = sso::sid_from_request(request_, server_);
        if (posted_) {
            // RFC 9700 §4.7: checked before anything else happens.
            if (!csrf::check(request_, server_, form_, kPurpose, context()))
                return Step::respond(csrf::forbidden(), "consent: csrf check failed");
            std::string_view d = form_.value("decision");
            if (d != "approve" && d != "deny")
                return Step::respond(authz::bad_request_page("Choose Approve or Deny."), "no decision");
            approve_ = d == "approve";
        }
        std::vector<flow::Command> cmds{authz::fetch(keys_, handle_)};
        if (sid_) cmds.push_back(sso::fetch(keys_, *sid_));
        return Step::redis(std::move(cmds));
    }

    Step on_redis(Replies replies) override {
        if (store::any_error(replies)) return Step::respond(authz::unavailable_page(), "redis error");
        if (written_)
            return Step::respond(std::move(final_), std::move(final_reason_)).event(final_event_);

        pending_ = authz::parse_pending_reply(replies[0]);
        if (!pending_ || pending_->kind != Pending::Kind::Authorize)
            return Step::respond(authz::bad_request_page(
                                     "This request has expired. Go back to the application and "
                                     "start again."),
                                 "unknown or expired handle");
        if (!authz::started_in_this_browser(*pending_, request_, server_))
            return Step::respond(authz::bad_request_page(
                                     "This request was started in another browser. Go back to "
                                     "the application and start again."),
                                 "handle used by another browser");
        if (sid_ && replies.size() > 1) session_ = sso::parse_reply(replies[1], *sid_);
        if (!session_ || !authz::session_satisfies(*pending_, *session_, request_.now)) {
            // Signed out (or a forced login) meanwhile: sign in, then back
            // through authorize, which comes here again.
            std::string login = authz::login_url(server_, handle_);
            if (login.empty())
                return Step::respond(authz::no_login_page(), "no login page configured");
            return Step::respond(html::redirect(login, posted_ ? 303 : 302), "consent: no session");
        }
        if (!posted_) return Step::respond(page(), {});

        std::vector<flow::Command> cmds{authz::remove(keys_, handle_)};
        if (!approve_) {
            // RFC 6749 §4.1.2.1: the resource owner denied the request.
            final_ = authz::error_redirect(server_, pending_->redirect_uri, pending_->state,
                                           Error::AccessDenied, "the user denied the request", 303);
            final_reason_ = "consent: denied";
            final_event_ = {.kind = OAUTH_EVENT_CONSENT_DENIED, .client = pending_->client_id,
                            .sub = session_->sub};
        } else {
            auto minted = authz::mint_code(server_, authz::code_record(*pending_, *session_, request_.now));
            cmds.push_back(minted.command);
            if (pending_->consent_policy == "once")
                cmds.push_back(authz::remember_consent(
                    keys_, session_->sub, pending_->client_id,
                    authz::consent_union(pending_->consent_prior, pending_->scope),
                    server_.ttl_of(OAUTH_TTL_CONSENT)));
            final_ = authz::code_redirect(server_, pending_->redirect_uri, minted.code, pending_->state, 303);
            final_reason_ = "consent: approved, code issued";
            final_event_ = {.kind = OAUTH_EVENT_CONSENT_GRANTED, .client = pending_->client_id,
                            .sub = session_->sub};
        }
        written_ = true;
        return Step::redis(std::move(cmds));
    }

private:
    // SPEC §9: a client that registered itself named itself; the user is
    // told that nobody vouches for that name or address.
    static std::string self_registered_notice(const Pending& p) {
        std::string out = "<p class=\"oauth-self-registered\">This application registered itself with "
                          "this server: its name";
        if (!p.client_uri.empty())
            out += " and its address (<span class=\"oauth-client-uri\">" + html::escape(p.client_uri) +
                   "</span>)";
        out += " are its own claims, not verified by this server. Approve only if you trust "
               "where you came from.</p>\n";
        return out;
    }

    // The token is bound to the request and to the session approving it.
    std::string context() const { return handle_ + "\n" + sid_.value_or(""); }

    http::Response page() {
        csrf::Browser browser = csrf::browser(request_, server_);
        const Pending& p = *pending_;
        std::string body;
        body += "<p class=\"oauth-intro\"><strong class=\"oauth-client\">" + html::escape(p.client_name) +
                "</strong> asks for access to your account.</p>\n";
        if (p.client_dynamic) body += self_registered_notice(p);
        body += pages::signed_in_as(*session_);
        body += pages::scope_list(p.scope);
        body += pages::form_open(server_, request_, OAUTH_EP_CONSENT);
        body += html::hidden_input("authz", handle_) + "\n";
        body += csrf::hidden_field(browser.secret, kPurpose, context()) + "\n";
        body += pages::decision_buttons() + "</form>";
        http::Response r = html::page(200, "Authorize " + p.client_name, "consent", body);
        csrf::attach(r, browser);
        return r;
    }

    http::Form form_;
    store::Keys keys_;
    bool posted_ = false;
    bool approve_ = false;
    bool written_ = false;
    std::string handle_;
    std::optional<std::string> sid_;
    std::optional<Pending> pending_;
    std::optional<sso::Session> session_;
    http::Response final_;
    flow::Event final_event_;
    std::string final_reason_;
};

}  // namespace

std::unique_ptr<Flow> make_consent(const ServerConfig& server, Request request) {
    return authz::page_flow<ConsentFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
