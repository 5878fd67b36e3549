// RFC 8628 §3.4, §3.5: the device polls the token endpoint with
// grant_type=urn:ietf:params:oauth:grant-type:device_code and its
// device_code. The rules are decided in device_poll.cpp; here they meet Redis:
//   GET P dc:{hash}                       -> decide_poll()
//   pending / slow_down: DEVICE_CAS       the new last_poll (and interval)
//   approved:            CONSUME          the record becomes "used:{fid}",
//                                         so a second exchange is invalid_grant
//                        ISSUE            tokens (token::issue)
#include <optional>

#include "oauth/device/poll.h"
#include "oauth/device/user_code_limit.h"
#include "oauth/grants/grant.h"
#include "oauth/tokens/issue.h"
#include "oauth/grants/user_tokens.h"
#include "store/cas.h"
#include "store/reply.h"
#include "store/scripts.h"

namespace oauth::token {

namespace {

using device::PollOutcome;

// A CAS that keeps losing to concurrent writers answers slow_down: the only
// concurrent writers are other polls (too fast anyway) and the user's
// decision, which the next poll will see.
constexpr int kCasAttempts = 3;

class DeviceCodeGrant final : public Grant {
public:
    using Grant::Grant;

    flow::Step start() override {
        std::string_view code = ctx_.form.value("device_code");
        // RFC 6749 §5.2 / RFC 8628 §3.4: device_code is required.
        if (code.empty()) return fail(Error::InvalidRequest, "device_code is required");
        // Not something this server mints: it never existed, so it did not
        // expire either (invalid_grant rather than expired_token).
        if (!device::looks_like_device_code(code))
            return fail(Error::InvalidGrant, "the device code is not valid", "malformed device_code");
        auto resources = requested_resources(ctx_.form, ctx_.server);
        if (!resources) return std::move(resources.error());
        resources_ = std::move(*resources);
        key_ = ctx_.keys.device_code(store::secret_key_id(code));
        state_ = State::Read;
        return flow::Step::redis({{"GET", key_}});
    }

    flow::Step on_redis(flow::Replies replies) override {
        const redisReply* r = replies[0];
        switch (state_) {
        case State::Read:
            if (store::is_error(r)) return store_error();
            if (store::is_nil(r)) return decided(std::nullopt);
            if (auto text = store::as_string(r)) return decided(std::string(*text));
            return decided(std::string("?"));  // not a string: unreadable
        case State::Cas: return cas_replied(r);
        case State::Consume: return consumed(r);
        case State::Issue: return issued(replies);
        }
        return store_error();
    }

private:
    enum class State { Read, Cas, Consume, Issue };

    flow::Step decided(std::optional<std::string> stored) {
        poll_ = device::decide_poll(stored, ctx_.client.id, ctx_.request.now);
        switch (poll_.outcome) {
        case PollOutcome::Pending:
        case PollOutcome::SlowDown:
            state_ = State::Cas;
            stored_ = std::move(*stored);
            return flow::Step::redis({store::cas(key_, stored_, poll_.updated)});
        case PollOutcome::Approved:
            return consume();
        default: return refuse(poll_.outcome);
        }
    }

    flow::Step refuse(PollOutcome o) {
        return fail(device::poll_error(o), device::poll_description(o),
                    "device_code: " + std::string(device::poll_description(o)));
    }

    flow::Step cas_replied(const redisReply* r) {
        if (store::is_error(r)) return store_error();
        store::CasReply cas = store::read_cas(r);
        switch (cas.result) {
        case store::CasResult::Ok: return refuse(poll_.outcome);
        case store::CasResult::Gone: return refuse(PollOutcome::Expired);
        case store::CasResult::Changed:
            if (++cas_attempts_ >= kCasAttempts) return refuse(PollOutcome::SlowDown);
            return decided(std::move(cas.current));
        case store::CasResult::Error: break;
        }
        return store_error();
    }

    // Single use (RFC 8628 §3.5; SPEC §4.3): the record is swapped for a
    // "used:{fid}" marker atomically, and only the caller that swapped it
    // issues tokens. The marker lives one more device-code lifetime.
    flow::Step consume() {
        family_id_ = new_id();
        state_ = State::Consume;
        int64_t keep = std::max<int64_t>(1, ctx_.server.ttl_of(OAUTH_TTL_DEVICE_CODE));
        return flow::Step::redis(
            {store::consume_script().call({key_}, {family_id_, std::to_string(keep)})});
    }

    flow::Step consumed(const redisReply* r) {
        if (store::is_error(r)) return store_error();
        auto items = store::string_array(r);
        if (!items || items->empty()) return store_error();
        if ((*items)[0] == "used") return refuse(PollOutcome::Used);
        if ((*items)[0] != "ok" || items->size() != 2) return refuse(PollOutcome::Expired);
        // The value we swapped out: decided again, it is the approval we saw
        // (an approved record changes only by being consumed).
        device::Poll p = device::decide_poll((*items)[1], ctx_.client.id, ctx_.request.now);
        if (p.outcome != PollOutcome::Approved) return refuse(p.outcome);
        return issue_tokens(*p.record);
    }

    // OIDC Core §3.1.3.3 by analogy: an ID token when openid was granted;
    // the device grant has no nonce.
    flow::Step issue_tokens(const device::Record& rec) {
        tokens_.emplace(issue_for_user(ctx_, UserApproval{.sub = rec.sub,
                                                          .username = rec.username,
                                                          .scope = rec.scope,
                                                          .claims = rec.claims.get(),
                                                          .auth_time = rec.auth_time,
                                                          .nonce = {},
                                                          .resources = resources_},
                                       family_id_));
        state_ = State::Issue;
        return flow::Step::redis(tokens_->issued.commands);
    }

    flow::Step issued(flow::Replies replies) {
        if (!issue_ok(replies)) return finish_issue(tokens_->issued, replies);
        return flow::Step::respond(token_response(tokens_->response().get()));
    }

    State state_ = State::Read;
    std::string key_, stored_, family_id_;
    std::vector<std::string> resources_;  // RFC 8707 at the token request
    device::Poll poll_;
    int cas_attempts_ = 0;
    const Issued* issued() const override { return tokens_ ? &tokens_->issued : nullptr; }
    std::optional<UserTokens> tokens_;
};

}  // namespace

std::unique_ptr<Grant> make_device_code_grant(const GrantContext& ctx) {
    return std::make_unique<DeviceCodeGrant>(ctx);
}

}  // namespace oauth::token
