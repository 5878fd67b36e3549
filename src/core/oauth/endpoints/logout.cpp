// oauth_logout: OpenID Connect RP-Initiated Logout 1.0 (the
// end_session_endpoint). Ends the browser's single sign-on session; the
// tokens already issued live on (an app revokes its own at oauth_revoke).
//
//   GET|POST LOGOUT  id_token_hint, client_id, post_logout_redirect_uri,
//                    state (logout_hint, ui_locales: ignored)
//
// The hint is an ID token of ours (signature, iss, typ JWT; an expired one is
// fine, §2); client_id must then be its aud. post_logout_redirect_uri needs
// the client (hint or client_id) and must be one it registered
// (`oauthctl client create --post-logout-redirect-uri`), exactly (§3);
// anything else is a 400 page and no redirect at all.
//
// A page of another site can send the browser here (logout CSRF), so the
// session ends at once only when the hint names the signed-in user;
// otherwise a page asks (§2: the OP SHOULD ask) and its POST carries a CSRF
// field. Without a session there is nothing to end and nothing to ask.
//
// Ending: DEL P sso:{sid}, ZREM P idx:sso:{sub} sid, the cookie cleared; then
// 303 to post_logout_redirect_uri?state=.. or a "signed out" page.
#include <optional>

#include "http/form.h"
#include "http/html.h"
#include "oauth/browser/page_flow.h"
#include "oauth/browser/csrf.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/tokens/id_token.h"
#include "oauth/browser/page_parts.h"
#include "oauth/browser/pending.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/reply.h"

namespace oauth::endpoints {

namespace {

using flow::Replies;
using flow::Step;

constexpr std::string_view kPurpose = "logout";
constexpr size_t kMaxState = 1024;  // as at authorize: it goes back in a Location

class LogoutFlow final : public Flow {
public:
    LogoutFlow(const ServerConfig& server, Request request, http::Form form)
        : Flow(server, std::move(request)), form_(std::move(form)), keys_(server.prefix) {}

    Step start() override {
        if (form_.duplicate)
            return Step::respond(authz::bad_request_page("A field was sent twice."), "duplicate field");
        client_id_ = std::string(form_.value("client_id"));
        redirect_uri_ = std::string(form_.value("post_logout_redirect_uri"));
        state_ = std::string(form_.value("state"));
        if (state_.size() > kMaxState)
            return refuse("logout: state is too long");
        if (std::string_view hint = form_.value("id_token_hint"); !hint.empty()) {
            hint_ = id_token::read_hint(server_, hint);
            if (!hint_)
                return refuse("logout: id_token_hint not valid");
            if (!client_id_.empty() && client_id_ != hint_->client_id)
                return refuse("logout: client_id is not the hint's audience");
            client_id_ = hint_->client_id;
        }
        if (!redirect_uri_.empty() && client_id_.empty())
            return refuse("logout: post_logout_redirect_uri without a client");
        sid_ = sso::sid_from_request(request_, server_);
        if (request_.method == "POST" && form_.get(csrf::kField) &&
            !csrf::check(request_, server_, form_, kPurpose, sid_.value_or("")))
            return Step::respond(csrf::forbidden(), "logout: csrf check failed");

        // Replies: [client] [session], each only when there is one to read.
        std::vector<flow::Command> cmds;
        if (!client_id_.empty()) cmds.push_back({"GET", keys_.client(client_id_)});
        if (sid_) cmds.push_back(sso::fetch(keys_, *sid_));
        if (cmds.empty()) return finish();
        return Step::redis(std::move(cmds));
    }

    Step on_redis(Replies replies) override {
        if (store::any_error(replies)) return Step::respond(authz::unavailable_page(), "redis error");
        if (ended_) return finish();
        size_t i = 0;
        if (!client_id_.empty()) {
            auto text = store::as_string(replies[i++]);
            auto client = text ? store::parse_client(*text) : std::nullopt;
            if (!client)
                return refuse("logout: unknown client");
            // RP-Initiated Logout §3: registered, compared exactly.
            if (!redirect_uri_.empty() && !client->has_post_logout_redirect_uri(redirect_uri_))
                return refuse("logout: post_logout_redirect_uri not registered");
        }
        std::optional<sso::Session> session;
        if (sid_) session = sso::parse_reply(replies[i], *sid_);
        if (!session) return finish();

        bool confirmed = request_.method == "POST" && form_.get(csrf::kField);
        if (!confirmed && !(hint_ && hint_->sub == session->sub))
            return Step::respond(confirm_page(*session), "logout: asking");
        ended_ = true;
        return Step::redis({{"DEL", keys_.sso(session->sid)},
                            {"ZREM", keys_.sso_index(session->sub), session->sid}});
    }

private:
    // RP-Initiated Logout §3: a request we cannot trust is a page, never a
    // redirect; the reason goes to the log only.
    Step refuse(std::string_view reason) {
        return Step::respond(authz::bad_request_page("This sign-out request is not valid."),
                             std::string(reason));
    }

    // The session is gone (or there was none): clear the cookie, then back
    // to the client or the signed-out page.
    Step finish() {
        http::Response r =
            redirect_uri_.empty()
                ? html::page(200, "Signed out", "logout",
                             "<p class=\"oauth-intro\">You are signed out.</p>")
                : html::redirect(authz::with_query(redirect_uri_, {{"state", state_}}), 303);
        if (sid_) r.header("Set-Cookie", sso::clear_cookie(server_));
        return Step::respond(std::move(r), ended_ ? "logout: signed out" : "logout: no session");
    }

    http::Response confirm_page(const sso::Session& session) {
        csrf::Browser browser = csrf::browser(request_, server_);
        std::string body = pages::signed_in_as(session);
        body += "<p class=\"oauth-intro\">Sign out?</p>\n";
        body += pages::form_open(server_, request_, OAUTH_EP_LOGOUT);
        body += csrf::hidden_field(browser.secret, kPurpose, session.sid) + "\n";
        // Carried on so that the POST ends where the GET would have.
        for (auto [name, value] : {std::pair<std::string_view, std::string_view>{"client_id", client_id_},
                                   {"post_logout_redirect_uri", redirect_uri_},
                                   {"state", state_}})
            if (!value.empty()) body += html::hidden_input(name, value) + "\n";
        body += "<div class=\"oauth-actions\"><button type=\"submit\">Sign out</button></div>\n"
                "</form>";
        http::Response r = html::page(200, "Sign out", "logout", body);
        csrf::attach(r, browser);
        return r;
    }

    http::Form form_;
    store::Keys keys_;
    std::string client_id_, redirect_uri_, state_;
    std::optional<id_token::Hint> hint_;
    std::optional<std::string> sid_;
    bool ended_ = false;
};

}  // namespace

std::unique_ptr<Flow> make_logout(const ServerConfig& server, Request request) {
    return authz::page_flow<LogoutFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
