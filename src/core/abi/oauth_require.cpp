// The extern "C" entry points of include/oauth_require.h. Every one is
// noexcept and catches everything; the handlers only reset memory and
// release references (internal()), so nothing can throw from them.
#include <hiredis/hiredis.h>

#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "abi/server_handle.h"
#include "oauth_require.h"
#include "oauth/tokens/resource.h"
#include "require/bearer.h"
#include "require/challenge.h"
#include "require/dpop_check.h"
#include "dpop/nonce.h"
#include "dpop/replay.h"
#include "require/session.h"
#include "abi/session_cache_handle.h"
#include "require/validate.h"

using oauth::require::Reason;

// A location's policy, copied once at configuration time so that a request
// copies nothing of it.
struct oauth_require_rule_s {
    std::vector<std::string> scope_text;
    std::vector<std::string_view> scopes;  // views into scope_text
    std::string audience;
    std::string resource_metadata;  // RFC 9728 §3.1 URL of the oauth_resource
    std::string realm;
    int64_t leeway = 0;
    oauth::require::DpopMode dpop = oauth::require::DpopMode::Allowed;
    int64_t dpop_nonce_lifetime = 0;  // oauth_dpop_nonce; 0: off
};

struct oauth_require_s {
    const oauth_require_rule_s* rule = nullptr;
    oauth::require::ClaimsPtr claims;  // set once authenticated
    bool allowed = false;
    // DPoP: the scheme the token came in, and whether a proof's jti went to
    // Redis as the second command (its reply is then the second).
    oauth::require::Scheme scheme = oauth::require::Scheme::Bearer;
    bool proof_spent = false;
    // The DPoP-Nonce every result of this request carries, when the proof's
    // nonce was missing or the previous window's (dpop/nonce.h).
    std::string nonce;
    // What the last result's oauth_str_t point into, when not the claims.
    std::string command;
    std::string www_authenticate;
    mutable std::string exp;  // $oauth_exp in decimal, made on first read
    // oauth_session_cache: a miss's ticket, remembered when Redis says alive
    // (session_cache.h: spoiled by an invalidation meanwhile).
    oauth::require::SessionCache::Ticket ticket;
    int64_t now = 0;
};

namespace {

oauth_str_t view(std::string_view s) { return {s.data(), s.size()}; }
std::string_view sv(oauth_str_t s) { return s.data ? std::string_view(s.data, s.len) : std::string_view(); }

void deny(oauth_require_s* h, Reason r, oauth_require_result_t* res,
          std::string_view detail = {}) {
    auto ch = oauth::require::dpop_challenge_wanted(h->scheme, h->rule->dpop, h->claims.get())
                  ? oauth::require::dpop_challenge_for(r, h->rule->realm, h->rule->scopes)
                  : oauth::require::challenge_for(r, h->rule->realm, h->rule->scopes);
    oauth::require::add_resource_metadata(ch, h->rule->resource_metadata);
    h->www_authenticate = std::move(ch.www_authenticate);
    h->allowed = false;
    res->verdict = OAUTH_REQUIRE_DENY;
    res->status = ch.status;
    res->www_authenticate = view(h->www_authenticate);
    res->log_reason = view(detail.empty() ? oauth::require::reason_text(r) : detail);
    res->dpop_nonce = view(h->nonce);
}

// The last resort when even building a denial failed.
void internal(oauth_require_result_t* res) noexcept {
    std::memset(res, 0, sizeof(*res));
    res->verdict = OAUTH_REQUIRE_DENY;
    res->status = 500;
    static constexpr char kReason[] = "internal error";
    res->log_reason = {kReason, sizeof(kReason) - 1};
}

void allow(oauth_require_s* h, oauth_require_result_t* res) {
    h->allowed = true;
    res->verdict = OAUTH_REQUIRE_ALLOW;
    res->status = 200;
    res->dpop_nonce = view(h->nonce);
    res->log_reason = view(oauth::require::reason_text(Reason::Ok));
}

void check(const oauth_server_t* server, const oauth_require_rule_s* rule,
           const oauth_require_request_t* request, int64_t now, oauth_require_s* h,
           oauth_require_result_t* res) {
    const auto& config = server->config;
    h->rule = rule;

    const oauth_str_t* authorization = request->authorization;
    auto presented = oauth::require::parse_authorization(
        authorization ? std::optional<std::string_view>(sv(*authorization)) : std::nullopt);
    h->scheme = presented.scheme;
    const auto& bearer = presented.token;
    if (bearer.reason != Reason::Ok) return deny(h, bearer.reason, res);

    bool cache_hit = false;
    auto claims = oauth::require::authenticate(bearer.token, config.keys,
                                               &oauth::require::TokenCache::process(), now,
                                               config.prefix, &cache_hit);
    res->token_cache = cache_hit ? 1 : 2;
    if (!claims) return deny(h, claims.error(), res);

    // RFC 9068 §4, RFC 8725 §3.9: a resource server accepts only tokens
    // meant for it. Without aud= that is the server's oauth_audience (the
    // issuer by default), so servers sharing issuer and keys stay apart.
    std::string_view audience = rule->audience.empty() ? std::string_view(config.audience)
                                                       : std::string_view(rule->audience);
    oauth::require::Policy policy{rule->scopes, audience, rule->leeway};
    Reason r = oauth::require::evaluate(**claims, config.issuer, policy, now);
    h->claims = std::move(*claims);
    if (r != Reason::Ok) return deny(h, r, res);

    // RFC 9449 §7: the proof, checked on every request (only the token's
    // signature is cached).
    oauth::require::DpopRequest dr{
        .proof = request->dpop ? std::optional<std::string_view>(sv(*request->dpop)) : std::nullopt,
        .proof_count = request->dpop_count,
        .method = sv(request->method),
        .url = sv(request->url),
        .now = now,
        .leeway = rule->leeway};
    auto proof = oauth::require::check_dpop(h->scheme, rule->dpop, *h->claims, bearer.token, dr);
    if (!proof) return deny(h, proof.error().reason, res, proof.error().detail);
    if (*proof && rule->dpop_nonce_lifetime > 0) {
        // RFC 9449 §9: checked before the jti is spent; the client retries
        // with a new proof that names the nonce.
        auto nonce = oauth::dpop::decide_nonce(config.dpop_nonce_keys, rule->dpop_nonce_lifetime,
                                               now, (**proof).nonce);
        h->nonce = std::move(nonce.send);
        if (nonce.refused) return deny(h, Reason::UseDpopNonce, res);
    }

    // SPEC §8: a session remembered alive needs no Redis (a DPoP proof's
    // jti always goes to Redis, and the session's EXISTS with it).
    if (oauth_session_cache_s* sc = request->session_cache; sc && sc->link.ready()) {
        if (!*proof && sc->link.cache().alive(h->claims->jti, now)) {
            res->session_cache = 1;
            return allow(h, res);
        }
        res->session_cache = 2;
        h->ticket = sc->link.cache().begin(h->claims->jti);
        h->now = now;
    }

    res->verdict = OAUTH_REQUIRE_REDIS;
    res->redis_count = 1;
    if (!*proof && h->claims->session_prefix == config.prefix) {
        res->redis_command = view(h->claims->session_command);
        return;
    }
    // Verified under another prefix (a reload in a single-process nginx).
    h->command = h->claims->session_prefix == config.prefix
                     ? h->claims->session_command
                     : oauth::require::session_command(config.prefix, h->claims->jti);
    if (*proof) {
        // The jti, beside the session check, in the same round trip.
        h->command += oauth::dpop::replay_command(config.prefix, **proof, rule->leeway);
        h->proof_spent = true;
        res->redis_count = 2;
    }
    res->redis_command = view(h->command);
}

// replies null: Redis could not answer (503, as a count mismatch is).
void resume(oauth_require_s* h, const redisReply* const* replies, size_t n, oauth_require_result_t* res) {
    if (!h || !h->claims) return internal(res);
    size_t want = h->proof_spent ? 2 : 1;
    const redisReply* session = (replies && n == want) ? replies[0] : nullptr;
    Reason r = oauth::require::judge_session(session);
    if (r != Reason::Ok) return deny(h, r, res);
    if (h->proof_spent) {
        switch (oauth::dpop::judge_replay(replies[1])) {
        case oauth::dpop::Replay::Fresh: break;
        case oauth::dpop::Replay::Replayed: return deny(h, Reason::DpopReplayed, res);
        case oauth::dpop::Replay::StoreError: return deny(h, Reason::StoreUnavailable, res);
        }
    }
    if (h->ticket) h->ticket.cache()->remember(h->ticket, h->claims->exp, h->now);
    allow(h, res);
}

}  // namespace

extern "C" {

oauth_require_rule_t* oauth_require_rule_new(const oauth_require_policy_t* policy) noexcept {
    try {
        if (!policy || (policy->nscopes && !policy->scopes)) return nullptr;
        auto rule = std::make_unique<oauth_require_rule_s>();
        for (size_t i = 0; i < policy->nscopes; i++)
            rule->scope_text.emplace_back(sv(policy->scopes[i]));
        for (const auto& s : rule->scope_text) rule->scopes.push_back(s);
        rule->audience = sv(policy->audience);
        // SPEC §9: a location of a resource accepts only tokens for it.
        if (rule->audience.empty()) rule->audience = sv(policy->resource);
        if (policy->resource.len) rule->resource_metadata = oauth::resource::metadata_url(sv(policy->resource));
        rule->realm = sv(policy->realm);
        rule->leeway = policy->leeway;
        rule->dpop_nonce_lifetime = policy->dpop_nonce_lifetime > 0 ? policy->dpop_nonce_lifetime : 0;
        rule->dpop = policy->dpop == OAUTH_REQUIRE_DPOP_REQUIRED ? oauth::require::DpopMode::Required
                                                                 : oauth::require::DpopMode::Allowed;
        return rule.release();
    } catch (...) {
        return nullptr;
    }
}

void oauth_require_rule_free(oauth_require_rule_t* rule) noexcept { delete rule; }

oauth_require_t* oauth_require_check(const oauth_server_t* server, const oauth_require_rule_t* rule,
                                     const oauth_str_t* authorization, int64_t now,
                                     oauth_require_result_t* res) noexcept {
    oauth_require_request_t request{};
    request.authorization = authorization;
    return oauth_require_check_request(server, rule, &request, now, res);
}

oauth_require_t* oauth_require_check_request(const oauth_server_t* server,
                                             const oauth_require_rule_t* rule,
                                             const oauth_require_request_t* request, int64_t now,
                                             oauth_require_result_t* res) noexcept {
    if (!res) return nullptr;
    oauth_require_s* h = nullptr;
    try {
        std::memset(res, 0, sizeof(*res));
        h = new oauth_require_s;
        if (!server || !rule || !request) {
            internal(res);
            return h;
        }
        check(server, rule, request, now, h, res);
    } catch (...) {
        internal(res);
        if (h) h->claims.reset();
    }
    return h;
}

void oauth_require_resume_redis(oauth_require_t* h, const oauth_redis_reply_t* const* replies, size_t n,
                                oauth_require_result_t* res) noexcept {
    if (!res) return;
    try {
        std::memset(res, 0, sizeof(*res));
        resume(h, replies, n, res);
    } catch (...) {
        if (h) h->allowed = false;
        internal(res);
    }
}

void oauth_require_resume_unavailable(oauth_require_t* h, oauth_require_result_t* res) noexcept {
    if (!res) return;
    try {
        std::memset(res, 0, sizeof(*res));
        resume(h, nullptr, 0, res);
    } catch (...) {
        if (h) h->allowed = false;
        internal(res);
    }
}

int oauth_require_claim(const oauth_require_t* h, oauth_str_t name, oauth_str_t* value) noexcept {
    try {
        if (!h || !h->allowed || !h->claims || !value) return 0;
        std::string_view n = sv(name);
        const auto& c = *h->claims;
        std::optional<std::string_view> v;
        // The registered ones come from the parsed fields: $oauth_exp is the
        // whole second even when exp was sent with a fraction.
        if (n == "exp") {
            if (h->exp.empty()) h->exp = std::to_string(c.exp);
            v = h->exp;
        }
        else if (n == "sub" && !c.sub.empty()) v = c.sub;
        else if (n == "client_id" && !c.client_id.empty()) v = c.client_id;
        else if (n == "scope" && !c.scope.empty()) v = c.scope;
        else if (n == "jti") v = c.jti;
        else v = c.get(n);
        if (!v) return 0;
        *value = view(*v);
        return 1;
    } catch (...) {
        return 0;
    }
}

void oauth_require_free(oauth_require_t* h) noexcept { delete h; }

int oauth_require_scope_valid(oauth_str_t scope) noexcept {
    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    if (!scope.data || scope.len == 0) return 0;
    for (size_t i = 0; i < scope.len; i++) {
        unsigned char c = static_cast<unsigned char>(scope.data[i]);
        if (c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e) return 0;
    }
    return 1;
}

size_t oauth_require_cache_size(void) noexcept {
    try {
        return oauth::require::TokenCache::process().size();
    } catch (...) {
        return 0;
    }
}

}  // extern "C"
