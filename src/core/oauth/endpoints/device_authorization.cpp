// The device authorization endpoint (RFC 8628 §3.1, §3.2): a device asks for
// a device_code (kept by the device, polled with at the token endpoint) and
// a user_code (typed by the user on the verification page). The client
// authenticates as at the token endpoint; public clients send client_id.
#include <algorithm>
#include <expected>

#include "oauth/clients/client_authenticated_flow.h"
#include "oauth/device/record.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/grants/grant.h"
#include "oauth/tokens/issue.h"
#include "oauth/scopes/scope_string.h"
#include "oauth/device/user_code.h"
#include "store/reply.h"

namespace oauth::endpoints {

namespace {

using flow::Step;

// A fresh user code collides with a live one with odds of live/2.56e10;
// a few redraws make a failure practically impossible.
constexpr int kUserCodeAttempts = 5;
// P uc:{CODE} outlives its device record by this much, so that a user typing
// a code that has just expired is told so, rather than "not valid" (and is
// not charged a wrong attempt for it).


class DeviceAuthorizationFlow final : public token::ClientAuthenticatedFlow {
public:
    DeviceAuthorizationFlow(const ServerConfig& server, Request request)
        : ClientAuthenticatedFlow(server, std::move(request), "device authorization") {}

private:
    std::expected<http::Form, http::Response> read_form() const override {
        // Every parameter may be absent here (Basic carries the client, scope
        // defaults): an empty POST without a Content-Type is an empty form.
        bool empty_post = request_.method == "POST" && request_.body.empty() &&
                          request_.content_type.empty() && !request_.body_too_large;
        if (empty_post) return http::Form{};
        return ClientAuthenticatedFlow::read_form();
    }

    Step authenticated() override {
        // RFC 8628 §3.1 / RFC 6749 §5.2: only clients registered for the grant.
        if (!client().allows_grant(store::kGrantDeviceCode))
            return token::fail(Error::UnauthorizedClient,
                               "the client may not use the device authorization grant");
        // RFC 8628 §3.1 scope, RFC 6749 §3.3: a subset of the client's,
        // all of them when absent.
        auto granted = token::requested_scope(form_, client().scopes);
        if (!granted) return std::move(granted.error());
        verification_uri_ = server_.endpoint_url(OAUTH_EP_DEVICE_VERIFICATION);
        if (verification_uri_.empty())
            return token::fail(Error::ServerError, "no device verification page is configured",
                               "oauth_device_verification is not configured in this server");

        ttl_ = std::max<int64_t>(1, server_.ttl_of(OAUTH_TTL_DEVICE_CODE));
        device::Record rec;
        rec.client_id = client().id;
        rec.scope = scope::join(*granted);
        rec.interval = std::max<int64_t>(1, server_.ttl_of(OAUTH_TTL_DEVICE_INTERVAL));
        rec.iat = request_.now;
        rec.exp = request_.now + ttl_;
        interval_ = rec.interval;

        // RFC 8628 §3.2 device_code; SPEC §3: stored only as its hash.
        device_code_ = device::new_device_code();
        hash_ = store::secret_key_id(device_code_);
        return Step::redis({{"SET", keys_.device_code(hash_), device::serialize(rec), "NX", "EX",
                             std::to_string(ttl_ + device::kExpiredGrace)},
                            claim_user_code()});
    }

    // The two SETs NX of authenticated(), or one redrawn user code's.
    Step on_replies(flow::Replies replies) override {
        if (store::any_error(replies)) return token::store_error();
        // The last command is the user code's SET NX: nil when taken.
        if (store::is_nil(replies.back())) {
            if (++attempts_ >= kUserCodeAttempts)
                return token::fail(Error::ServerError, "could not allocate a user code",
                                   "user code collisions exhausted the attempts");
            return Step::redis({claim_user_code()});
        }
        return answer();
    }

    // SET P uc:{CODE} hash NX: a code belongs to one live device request.
    flow::Command claim_user_code() {
        user_code_ = device::new_user_code();
        return {"SET", keys_.user_code(user_code_), hash_, "NX", "EX",
                std::to_string(ttl_ + device::kExpiredGrace)};
    }

    Step answer() {
        // RFC 8628 §3.2.
        std::string shown = device::display_user_code(user_code_);
        json::Json body(json_object());
        json::set(body.get(), "device_code", device_code_);
        json::set(body.get(), "user_code", shown);
        json::set(body.get(), "verification_uri", verification_uri_);
        json::set(body.get(), "verification_uri_complete",
                  verification_uri_ + "?" + http::build_query({{"user_code", shown}}));
        json::set(body.get(), "expires_in", ttl_);
        json::set(body.get(), "interval", interval_);
        return Step::respond(token::token_response(body.get()));
    }

    int attempts_ = 0;
    int64_t ttl_ = 0, interval_ = 0;
    std::string verification_uri_, device_code_, hash_, user_code_;
};

}  // namespace

std::unique_ptr<Flow> make_device_authorization(const ServerConfig& server, Request request) {
    return std::make_unique<DeviceAuthorizationFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints
