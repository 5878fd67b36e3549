// oauth_device_verification: where the user types the code shown by the
// device (RFC 8628 §3.3), sees the client and the scopes, and approves or
// denies. This page is the consent, whatever the client's consent policy.
//
//   GET  DEVICE[?user_code=..]   the code entry form (prefilled from
//                                verification_uri_complete, §3.3.1)
//   POST DEVICE  user_code csrf              -> the confirmation page
//   POST DEVICE  user_code csrf decision=approve|deny
//                                            -> the record is marked
//                                               approved (with the user) or
//                                               denied; the device's next
//                                               poll sees it
// Without an SSO session the visitor is sent to the login page and comes
// back here with the code (sso::send_to_login_for_device).
//
// Guessing (RFC 8628 §5.1): every well-formed code that matches no live
// request counts against the signed-in user (P devtry:{sub}, a fixed
// window), counted in the same atomic step that checks the limit and looks
// the code up (device/user_code_limit.h, USER_CODE_TRY); past the limit the page
// answers 429 before looking anything up.
// Both POSTs count, so the confirmation step cannot be used to skip the
// limit. The README ("Device authorization grant") has the arithmetic.
#include <optional>

#include "http/errors.h"
#include "http/form.h"
#include "http/html.h"
#include "oauth/browser/page_flow.h"
#include "oauth/browser/csrf.h"
#include "oauth/browser/device_pages.h"
#include "oauth/device/record.h"
#include "oauth/device/user_code_limit.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/browser/page_parts.h"
#include "oauth/browser/sso.h"
#include "oauth/device/user_code.h"
#include "store/cas.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/reply.h"
#include "store/script.h"

namespace oauth::endpoints {

namespace {

using flow::Replies;
using flow::Step;

// A record the page rewrites while polls rewrite it too (last_poll): the
// decision is re-applied to the newer value a few times.
constexpr int kCasAttempts = 3;
// What a visitor typed is echoed into the form only when it is this short.
constexpr size_t kMaxEcho = 32;

class DeviceVerificationFlow final : public store::RedisFlow {
public:
    DeviceVerificationFlow(const ServerConfig& server, Request request, http::Form form)
        : RedisFlow(server, std::move(request)), form_(std::move(form)), keys_(server.prefix) {}

    Step begin() override {
        posted_ = request_.method == "POST";
        if (form_.duplicate) return respond(authz::bad_request_page("A field was sent twice."), "duplicate field");
        typed_ = std::string(form_.value("user_code"));
        if (typed_.size() > kMaxEcho) typed_.clear();
        sid_ = sso::sid_from_request(request_, server_);
        if (posted_) {
            std::string_view d = form_.value("decision");
            if (!d.empty() && d != "approve" && d != "deny")
                return respond(authz::bad_request_page("Choose Approve or Deny."), "bad decision");
            deciding_ = !d.empty();
            approve_ = d == "approve";
            code_ = device::normalise_user_code(typed_);
            // RFC 9700 §4.7: before anything else happens.
            bool ok = deciding_ ? csrf::check(request_, server_, form_, pages::kDeviceDecisionPurpose,
                                              decision_context(code_.value_or("")))
                                : csrf::check(request_, server_, form_, pages::kDeviceEntryPurpose, entry_context());
            if (!ok) return respond(csrf::forbidden(), "device: csrf check failed");
        }
        if (!sid_) return to_login();
        state_ = State::Session;
        return Step::redis({sso::fetch(keys_, *sid_)});
    }

    Step replied(Replies replies) override {
        if (store::any_error(replies)) return respond(authz::unavailable_page(), "redis error");
        switch (state_) {
        case State::Session: return with_session(replies[0]);
        case State::Login: return std::move(final_);
        case State::Lookup: return replies.size() == 2 ? looked_up(replies[0], replies[1])
                                                       : respond(authz::unavailable_page(),
                                                                 "device: unexpected user-code reply");
        case State::Record: return with_record(replies[0]);
        case State::Client: return with_client(replies[0]);
        case State::Cas: return cas_replied(replies[0]);
        }
        return respond(oauth::internal_error(), "device: unexpected state");
    }

private:
    enum class State { Session, Login, Lookup, Record, Client, Cas };

    Step respond(http::Response r, std::string reason) {
        return Step::respond(std::move(r), std::move(reason));
    }

    // The CSRF fields are bound to the browser (cookie) and its SSO session;
    // the decision's also to the code it decides.
    std::string entry_context() const { return sid_.value_or(""); }
    std::string decision_context(std::string_view code) const {
        return sid_.value_or("") + "\n" + std::string(code);
    }

    Step to_login() {
        sso::LoginRedirect go = sso::send_to_login_for_device(server_, request_, typed_);
        if (go.commands.empty()) return respond(std::move(go.response), "device: no login page");
        final_ = respond(std::move(go.response), "device: no session, sent to login");
        state_ = State::Login;
        return Step::redis(std::move(go.commands));
    }

    Step with_session(const redisReply* reply) {
        session_ = sso::parse_reply(reply, *sid_);
        if (!session_) return to_login();
        if (!posted_) return respond(entry_page(200, typed_, {}), {});
        if (!code_)
            return respond(entry_page(400, typed_,
                                      "A code is 8 letters, like BCDF-GHJK. Check the code shown "
                                      "on your device."),
                           "device: malformed user code");
        state_ = State::Lookup;
        return Step::redis(device::user_code_try(keys_, session_->sub, *code_));
    }

    // RFC 8628 §5.1: the limit holds before any lookup answers: the try was
    // counted in an atomic step before its lookup is read (device/user_code_limit.h).
    Step looked_up(const redisReply* count, const redisReply* lookup) {
        device::UserCodeTry t = device::read_user_code_try(count, lookup);
        switch (t.result) {
        case device::TryResult::Limited: return too_many();
        case device::TryResult::Wrong: return wrong_code();
        case device::TryResult::Found: break;
        case device::TryResult::Error:
            return respond(authz::unavailable_page(), "device: unexpected user-code reply");
        }
        hash_ = std::move(t.hash);
        state_ = State::Record;
        // a real code is no wrong try: its count goes back with the read
        return Step::redis({{"GET", keys_.device_code(hash_)}, device::user_code_give_back(keys_, session_->sub)});
    }

    Step too_many() { return respond(pages::device_too_many_page(), "device: wrong-code limit reached"); }

    Step wrong_code() {
        return respond(entry_page(400, typed_,
                                  "That code is not valid. Check the code shown on your device "
                                  "and try again."),
                       "device: unknown user code");
    }

    // A code that exists but can no longer be decided: a clear message, no
    // penalty (the user typed a real code).
    Step finished(std::string_view message, std::string reason) {
        return respond(entry_page(400, {}, message), std::move(reason));
    }

    Step with_record(const redisReply* reply) {
        auto text = store::as_string(reply);
        if (!text) return finished("This code has expired. Start again on your device.", "device: expired");
        return judge(std::string(*text));
    }

    Step judge(std::string text) {
        stored_ = std::move(text);
        if (device::is_used(stored_))
            return finished("This code has already been used. Start again on your device if "
                            "you need to sign it in again.",
                            "device: code already used");
        record_ = device::parse_record(stored_);
        if (!record_) return finished("This code is not valid.", "device: unreadable record");
        if (request_.now >= record_->exp)
            return finished("This code has expired. Start again on your device.", "device: expired");
        if (record_->status == device::Status::Approved)
            return finished("This code has already been approved. Go back to your device.",
                            "device: already approved");
        if (record_->status == device::Status::Denied)
            return finished("This request was denied. Start again on your device if that was "
                            "a mistake.",
                            "device: already denied");
        if (deciding_) return decide();
        state_ = State::Client;
        return Step::redis({{"GET", keys_.client(record_->client_id)}});
    }

    Step with_client(const redisReply* reply) {
        std::optional<store::Client> client;
        if (auto text = store::as_string(reply)) client = store::parse_client(*text);
        if (!client) return finished("This code is not valid.", "device: client is gone");
        return respond(pages::device_confirm_page(visitor(), decision_context(*code_), *client, *code_, record_->scope), {});
    }

    // Approve: the record carries who approved, when they signed in and
    // their claims (ID token, userinfo); Deny: RFC 8628 §3.5 access_denied.
    Step decide() {
        device::Record& r = *record_;
        if (approve_) {
            r.status = device::Status::Approved;
            r.sub = session_->sub;
            r.username = session_->username;
            r.auth_time = session_->auth_time;
            r.claims = session_->claims ? json::share(session_->claims.get())
                                        : json::take(json_object());
        } else {
            r.status = device::Status::Denied;
        }
        state_ = State::Cas;
        return Step::redis({store::cas(keys_.device_code(hash_), stored_, device::serialize(r))});
    }

    Step cas_replied(const redisReply* reply) {
        store::CasReply cas = store::read_cas(reply);
        switch (cas.result) {
        case store::CasResult::Ok:
            return respond(pages::device_done_page(approve_), approve_ ? "device: approved" : "device: denied")
                .event({.kind = approve_ ? OAUTH_EVENT_DEVICE_APPROVED : OAUTH_EVENT_DEVICE_DENIED,
                        .client = record_->client_id, .sub = session_->sub});
        case store::CasResult::Gone:
            return finished("This code has expired. Start again on your device.", "device: expired");
        case store::CasResult::Changed:
            // A poll rewrote last_poll meanwhile: judge the newer value.
            if (++cas_attempts_ >= kCasAttempts)
                return respond(authz::unavailable_page(), "device: record kept changing");
            return judge(std::move(cas.current));
        case store::CasResult::Error: break;
        }
        return respond(authz::unavailable_page(), "device: unexpected CAS reply");
    }

    pages::DeviceVisitor visitor() const { return {server_, request_, *session_}; }

    http::Response entry_page(unsigned status, std::string_view prefill, std::string_view error) const {
        return pages::device_entry_page(visitor(), entry_context(), status, prefill, error);
    }

    http::Form form_;
    store::Keys keys_;
    State state_ = State::Session;
    bool posted_ = false, deciding_ = false, approve_ = false;
    std::string typed_, hash_, stored_;
    std::optional<std::string> code_;
    std::optional<std::string> sid_;
    std::optional<sso::Session> session_;
    std::optional<device::Record> record_;
    int cas_attempts_ = 0;
    Step final_;
};

}  // namespace

std::unique_ptr<Flow> make_device_verification(const ServerConfig& server, Request request) {
    return authz::page_flow<DeviceVerificationFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
