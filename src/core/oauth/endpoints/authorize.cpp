// oauth_authorize (RFC 6749 §4.1.1, OIDC Core §3.1.2, SPEC §4.3).
//
// A new request (GET query or POST form) is checked in two tiers: until the
// client and its exactly registered redirect_uri are known, every problem is
// an HTML 400 page and never a redirect (RFC 6749 §4.1.2.1, RFC 9700 §4.1);
// after that, errors go back to the client with error, error_description,
// state and iss (RFC 9207).
//
// Then the decision, the same for a new request and for a resumed one
// (AUTHORIZE?authz=H, where login and consent send the browser back):
//   no usable SSO session  -> prompt=none: login_required; else store the
//                             pending request and 302 to LOGIN?login_challenge=H
//   consent needed         -> prompt=none: consent_required; else store and
//                             302 to CONSENT?authz=H
//   otherwise              -> mint the code, 302 to redirect_uri?code&state&iss
#include <algorithm>
#include <charconv>
#include <optional>

#include "dpop/binding.h"
#include "http/form.h"
#include "http/html.h"
#include "oauth/browser/consent_memory.h"
#include "oauth/browser/page_flow.h"
#include "oauth/browser/pending_checks.h"
#include "oauth/browser/redirects.h"
#include "oauth/browser/csrf.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/tokens/id_token.h"
#include "oauth/browser/login_accept_landing.h"
#include "oauth/grants/pkce.h"
#include "oauth/tokens/resource.h"
#include "oauth/scopes/scope_string.h"
#include "store/bounds.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/reply.h"
#include "util/crypto.h"

namespace oauth::endpoints {

namespace {

using authz::Pending;
using flow::Replies;
using flow::Step;

// A parameter name fit to be quoted in an error description and the log:
// short printable ASCII, or nothing (no log injection through names).
std::string quotable(std::string_view name) {
    if (name.size() > 64) return "a parameter";
    for (char c : name)
        if (c < 0x21 || c > 0x7e) return "a parameter";
    return std::string(name);
}

// Bounds on what we keep in Redis for a browser we do not know yet.
constexpr size_t kMaxState = 1024;
constexpr size_t kMaxNonce = 512;
constexpr size_t kMaxLoginHint = 256;  // a longer one is no username of ours

// The client_uri a registered client claimed (shown on the consent page).
std::string registered_client_uri(const store::Client& client) {
    json::Json md = json::parse_object(client.metadata.empty() ? "{}" : client.metadata);
    auto uri = md ? json::get_string(md.get(), "client_uri") : std::nullopt;
    return uri ? std::string(*uri) : std::string();
}

class AuthorizeFlow final : public Flow {
public:
    AuthorizeFlow(const ServerConfig& server, Request request, http::Form form)
        : Flow(server, std::move(request)), form_(std::move(form)), keys_(server.prefix) {}

    Step start() override {
        status_ = request_.method == "POST" ? 303 : 302;
        sid_ = sso::sid_from_request(request_, server_);
        if (const std::string* h = form_.get("authz")) {
            // Resumed after login or consent: only the handle travels.
            if (form_.duplicate || !authz::valid_handle(*h))
                return page(authz::bad_request_page("This sign-in link is not valid."), "bad handle");
            handle_ = *h;
            resumed_ = true;
            phase_ = Phase::Fetch;
            std::vector<flow::Command> cmds{authz::fetch(keys_, handle_)};
            if (sid_) cmds.push_back(sso::fetch(keys_, *sid_));
            return Step::redis(std::move(cmds));
        }
        // RFC 6749 §4.1.2.1: nothing can be redirected before client_id and
        // redirect_uri are trusted, duplicates of them included.
        if (form_.duplicate && (*form_.duplicate == "client_id" || *form_.duplicate == "redirect_uri"))
            return page(authz::bad_request_page("A parameter was sent twice: " + quotable(*form_.duplicate) + "."),
                        "duplicate client_id or redirect_uri");
        std::string_view client_id = form_.value("client_id");
        if (client_id.empty() || client_id.size() > 256)
            return page(authz::bad_request_page("The request names no client (client_id)."),
                        "no client_id");
        phase_ = Phase::Fetch;
        std::vector<flow::Command> cmds{{"GET", keys_.client(client_id)}};
        if (sid_) cmds.push_back(sso::fetch(keys_, *sid_));
        return Step::redis(std::move(cmds));
    }

    Step on_redis(Replies replies) override {
        if (store::any_error(replies)) return page(authz::unavailable_page(), "redis error");
        switch (phase_) {
        case Phase::Fetch: return fetched(replies);
        case Phase::Consent: {
            auto prior = store::as_string(replies[0]);
            pending_->consent_prior = prior ? std::string(*prior) : std::string();
            return decide_consent();
        }
        case Phase::Write: return Step::respond(std::move(final_), std::move(final_reason_));
        }
        return Step::respond(oauth::internal_error(), "bad phase");
    }

private:
    enum class Phase { Fetch, Consent, Write };

    Step page(http::Response r, std::string reason) { return Step::respond(std::move(r), std::move(reason)); }

    Step error(Error e, std::string_view description) {
        return Step::respond(authz::error_redirect(server_, pending_->redirect_uri, pending_->state,
                                                   e, description, status_),
                             std::string(error_code(e)) + ": " + std::string(description));
    }

    Step fetched(Replies replies) {
        if (sid_ && replies.size() > 1) session_ = sso::parse_reply(replies[1], *sid_);
        if (resumed_) {
            auto text = store::as_string(replies[0]);
            if (!text) return page(authz::bad_request_page(
                                       "This sign-in request has expired. Go back to the "
                                       "application and start again."),
                                   "unknown or expired handle");
            pending_ = authz::parse_pending(*text);
            if (!pending_ || pending_->kind != Pending::Kind::Authorize)
                return page(authz::bad_request_page("This sign-in link is not valid."), "bad pending record");
            // The handle works only in the browser that started the request.
            if (!authz::started_in_this_browser(*pending_, request_, server_))
                return page(authz::bad_request_page(
                                "This sign-in was started in another browser. Go back to the "
                                "application and start again."),
                            "handle used by another browser");
            return decide();
        }
        auto text = store::as_string(replies[0]);
        if (!text) return page(authz::bad_request_page("The application is not registered here (unknown client_id)."),
                               "unknown client");
        auto client = store::parse_client(*text);
        if (!client) return page(authz::bad_request_page("The application's registration is unreadable."),
                                 "unreadable client record");
        std::string_view redirect_uri = form_.value("redirect_uri");
        if (redirect_uri.empty())
            return page(authz::bad_request_page("The request has no redirect_uri."), "no redirect_uri");
        // RFC 9700 §4.1.3: exact string comparison.
        if (!client->has_redirect_uri(redirect_uri))
            return page(authz::bad_request_page("The redirect_uri is not registered for this application."),
                        "unregistered redirect_uri");
        return validate(*client);
    }

    // RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1; the redirect_uri is
    // trusted from here on.
    Step validate(const store::Client& client) {
        pending_.emplace();
        Pending& p = *pending_;
        p.kind = Pending::Kind::Authorize;
        p.client_id = client.id;
        p.client_name = client.name.empty() ? client.id : client.name;
        p.redirect_uri = std::string(form_.value("redirect_uri"));
        std::string_view state = form_.value("state");
        if (state.size() <= kMaxState) p.state = std::string(state);
        p.iat = request_.now;
        p.consent_policy = std::string(store::consent_name(client.consent));
        p.client_dynamic = client.dynamic;
        if (client.dynamic) p.client_uri = registered_client_uri(client);

        if (state.size() > kMaxState) return error(Error::InvalidRequest, "state is too long");
        // state and nonce travel through JSON records (the pending request,
        // the code, the ID token), which hold only UTF-8 text: refused, not
        // dropped. The error redirect still carries state byte for byte.
        if (!json::is_utf8(state)) return error(Error::InvalidRequest, "state is not UTF-8 text");
        if (form_.duplicate)  // RFC 6749 §3.1
            return error(Error::InvalidRequest, "parameter sent twice: " + quotable(*form_.duplicate));
        std::string_view response_type = form_.value("response_type");
        if (response_type.empty()) return error(Error::InvalidRequest, "response_type is required");
        if (response_type != "code")
            return error(Error::UnsupportedResponseType, "only response_type=code is supported");
        if (!client.allows_grant(store::kGrantAuthorizationCode))
            return error(Error::UnauthorizedClient, "the client may not use the authorization code grant");
        if (std::string_view mode = form_.value("response_mode"); !mode.empty() && mode != "query")
            return error(Error::InvalidRequest, "only response_mode=query is supported");
        // OIDC Core §3.1.2.6 names the errors (discovery says both are false).
        if (form_.get("request"))
            return error(Error::RequestNotSupported, "request objects are not supported");
        if (form_.get("request_uri"))
            return error(Error::RequestUriNotSupported, "request_uri is not supported");

        // RFC 6749 §3.3: scope; none means the client's registered scopes.
        auto requested = scope::requested(form_.value("scope"), client.scopes);
        if (!requested) return error(Error::InvalidScope, scope::refusal_text(requested.error()));
        p.scope = scope::join(*requested);

        // RFC 8707 §2: the resources the token will be for.
        auto resources = resource::requested(form_.resources, server_);
        if (!resources) return error(Error::InvalidTarget, resources.error());
        p.resource = resource::join(*resources);

        // RFC 7636 §4.3, RFC 9700 §2.1.1: S256 only; required of public clients.
        std::string_view challenge = form_.value("code_challenge");
        std::string_view method = form_.value("code_challenge_method");
        if (challenge.empty()) {
            if (!method.empty())
                return error(Error::InvalidRequest, "code_challenge_method without code_challenge");
            if (client.is_public)
                return error(Error::InvalidRequest, "public clients must send a code_challenge (S256)");
        } else {
            if (method != pkce::kMethodS256)
                return error(Error::InvalidRequest, "code_challenge_method must be S256");
            if (!pkce::valid_challenge(challenge, pkce::kMethodS256))
                return error(Error::InvalidRequest, "malformed code_challenge");
            p.code_challenge = std::string(challenge);
            p.code_challenge_method = std::string(pkce::kMethodS256);
        }

        // RFC 9449 §10: the code is bound to this key's thumbprint.
        if (std::string_view jkt = form_.value("dpop_jkt"); form_.get("dpop_jkt")) {
            if (!dpop::well_formed_jkt(jkt))
                return error(Error::InvalidRequest, "malformed dpop_jkt");
            p.dpop_jkt = std::string(jkt);
        }

        std::string_view nonce = form_.value("nonce");
        if (nonce.size() > kMaxNonce) return error(Error::InvalidRequest, "nonce is too long");
        if (!json::is_utf8(nonce)) return error(Error::InvalidRequest, "nonce is not UTF-8 text");
        p.nonce = std::string(nonce);

        // OIDC Core §3.1.2.1: a hint, so one we cannot use is dropped, not
        // an error.
        if (std::string_view hint = form_.value("login_hint");
            hint.size() <= kMaxLoginHint && json::is_utf8(hint))
            p.login_hint = std::string(hint);

        // OIDC Core §3.1.2.1: max_age, a non-negative integer of seconds.
        if (std::string_view max_age = form_.value("max_age"); !max_age.empty()) {
            int64_t v = 0;
            auto [end, ec] = std::from_chars(max_age.data(), max_age.data() + max_age.size(), v);
            if (ec != std::errc() || end != max_age.data() + max_age.size() || v < 0)
                return error(Error::InvalidRequest, "max_age must be a non-negative integer");
            // Longer than the stored range means the same (any sign-in is
            // recent enough) and keeps the pending record parseable.
            p.max_age = std::min(v, store::kMaxAge.hi);
        }

        // OIDC Core §3.1.2.1: prompt is a space-separated list; none alone.
        auto prompts = scope::parse(form_.value("prompt"));
        if (!prompts) return error(Error::InvalidRequest, "malformed prompt");
        for (const std::string& v : *prompts) {
            if (v == "none") prompt_none_ = true;
            else if (v == "login") p.prompt_login = true;
            else if (v == "consent") p.prompt_consent = true;
            else if (v != "select_account")
                return error(Error::InvalidRequest, "unsupported prompt value: " + v);
        }
        if (prompt_none_ && prompts->size() > 1)
            return error(Error::InvalidRequest, "prompt=none cannot be combined with other values");

        // OIDC Core §3.1.2.1 id_token_hint: the user the client believes is
        // signed in. A session of someone else does not count: with
        // prompt=none that is login_required, otherwise a new login.
        if (std::string_view text = form_.value("id_token_hint"); !text.empty()) {
            auto hint = id_token::read_hint(server_, text);
            if (!hint) return error(Error::InvalidRequest, "id_token_hint is not valid");
            if (session_ && session_->sub != hint->sub) {
                if (prompt_none_)
                    return error(Error::LoginRequired, "the signed-in user is not the id_token_hint's");
                p.prompt_login = true;
            }
        }
        if (p.prompt_login && session_) p.stale_sid = session_->sid;
        return decide();
    }

    Step decide() {
        Pending& p = *pending_;
        if (!session_ || !authz::session_satisfies(p, *session_, request_.now)) {
            if (prompt_none_) return error(Error::LoginRequired, "the user is not signed in");
            if (!resumed_) handle_ = authz::new_handle();
            std::string login = authz::login_url(server_, handle_, p.login_hint);
            if (login.empty())
                return page(authz::no_login_page(), "no login page configured");
            return store_and_go(login, "login needed");
        }
        if (p.consent_policy == "once" && !p.prompt_consent) {
            phase_ = Phase::Consent;
            return Step::redis({{"GET", keys_.consent(session_->sub, p.client_id)}});
        }
        return decide_consent();
    }

    Step decide_consent() {
        Pending& p = *pending_;
        bool needed = p.prompt_consent || p.consent_policy == "always" ||
                      (p.consent_policy == "once" && !authz::consent_covers(p.consent_prior, p.scope));
        if (needed) {
            if (prompt_none_) return error(Error::ConsentRequired, "the user has not consented");
            std::string consent = server_.endpoint_url(OAUTH_EP_CONSENT);
            if (consent.empty())
                return page(html::error_page(500, "Consent unavailable",
                                             "No consent page is configured on this server."),
                            "no consent page configured");
            if (!resumed_) handle_ = authz::new_handle();
            return store_and_go(authz::with_query(consent, {{"authz", handle_}}), "consent needed");
        }
        // Nothing to ask: finish.
        auto minted = authz::mint_code(server_, authz::code_record(p, *session_, request_.now));
        std::vector<flow::Command> cmds{minted.command};
        if (resumed_) cmds.push_back(authz::remove(keys_, handle_));
        final_ = authz::code_redirect(server_, p.redirect_uri, minted.code, p.state, status_);
        final_reason_ = "code issued";
        phase_ = Phase::Write;
        return Step::redis(std::move(cmds));
    }

    // Stores the pending request (bound to this browser) and redirects.
    Step store_and_go(std::string location, std::string reason) {
        Pending& p = *pending_;
        csrf::Browser browser = csrf::browser(request_, server_);
        if (!resumed_) p.browser = util::sha256_hex(browser.secret);
        final_ = html::redirect(location, status_);
        csrf::attach(final_, browser);
        final_reason_ = std::move(reason);
        phase_ = Phase::Write;
        return Step::redis({authz::store(keys_, handle_, p)});
    }

    http::Form form_;
    store::Keys keys_;
    Phase phase_ = Phase::Fetch;
    unsigned status_ = 302;
    bool resumed_ = false;
    bool prompt_none_ = false;
    std::string handle_;
    std::optional<std::string> sid_;
    std::optional<Pending> pending_;
    std::optional<sso::Session> session_;
    http::Response final_;
    std::string final_reason_;
};

}  // namespace

std::unique_ptr<Flow> make_authorize(const ServerConfig& server, Request request) {
    // RFC 6749 §3.1: GET must be supported, POST may be.
    auto form = authz::page_form(request, "Send the request as a form.");
    if (!form) return authz::refusing_flow(server, std::move(request), std::move(form.error()));
    if (form->get("login_verifier"))  // back from an external login (login_accept)
        return make_login_landing(server, std::move(request), std::move(*form));
    return std::make_unique<AuthorizeFlow>(server, std::move(request), std::move(*form));
}

}  // namespace oauth::endpoints
