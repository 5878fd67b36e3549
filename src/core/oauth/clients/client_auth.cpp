#include "oauth/clients/client_auth.h"

#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "http/errors.h"
#include "store/reply.h"
#include "util/ascii.h"
#include "util/crypto.h"
#include "util/encoding.h"
#include "util/password.h"

namespace oauth::client_auth {

namespace {

http::Response invalid_request(std::string_view description) {
    return error_response(Error::InvalidRequest, description);
}

// The cache: a set of HMAC digests; emptied when full, so it stays bounded
// without bookkeeping (a miss only costs one KDF run).
constexpr size_t kCacheMax = 4096;
std::mutex cache_mutex;

std::unordered_set<std::string>& cache() {
    static std::unordered_set<std::string> c;
    return c;
}

const util::HmacSha256& cache_mac() {
    // Never destroyed: its destructor would free an OpenSSL context at exit,
    // possibly after OpenSSL's own atexit cleanup (see util::sha256_digest).
    static const util::HmacSha256* mac = new util::HmacSha256(util::random_bytes(32));
    return *mac;
}

std::string cache_digest(std::string_view id, std::string_view secret, std::string_view stored) {
    // Length-prefixed fields: no two (id, secret, hash) triples share an input.
    std::string i = std::to_string(id.size()) + ':', s = std::to_string(secret.size()) + ':',
                h = std::to_string(stored.size()) + ':';
    return cache_mac().mac({i, id, s, secret, h, stored});
}

// Parsed client records by their exact stored text. Every request still
// reads the record from Redis (a deleted or changed client takes effect at
// once); only re-parsing identical bytes is skipped. Emptied when full.
constexpr size_t kParsedMax = 1024;
struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
std::mutex parsed_mutex;
std::unordered_map<std::string, std::shared_ptr<const store::Client>, TextHash, std::equal_to<>>&
parsed() {
    static std::unordered_map<std::string, std::shared_ptr<const store::Client>, TextHash,
                              std::equal_to<>>
        m;
    return m;
}

}  // namespace

std::shared_ptr<const store::Client> parse_client_cached(std::string_view record) {
    {
        std::lock_guard lock(parsed_mutex);
        auto it = parsed().find(record);
        if (it != parsed().end()) return it->second;
    }
    auto client = store::parse_client(record);
    if (!client) return nullptr;
    auto shared = std::make_shared<const store::Client>(std::move(*client));
    std::lock_guard lock(parsed_mutex);
    if (parsed().size() >= kParsedMax) parsed().clear();
    parsed().emplace(std::string(record), shared);
    return shared;
}

bool secret_cache_hit(std::string_view id, std::string_view secret, std::string_view stored) {
    std::string d = cache_digest(id, secret, stored);
    std::lock_guard lock(cache_mutex);
    return cache().contains(d);
}

void secret_cache_add(std::string_view id, std::string_view secret, std::string_view stored) {
    std::string d = cache_digest(id, secret, stored);
    std::lock_guard lock(cache_mutex);
    if (cache().size() >= kCacheMax) cache().clear();
    cache().insert(std::move(d));
}

http::Response invalid_client(Method tried, std::string_view description) {
    http::Response r = error_response(Error::InvalidClient, description);
    if (tried == Method::Basic)
        r.header("WWW-Authenticate", "Basic realm=\"" + std::string(kBasicRealm) + "\"");
    return r;
}

std::expected<Presented, http::Response> presented_client(const flow::Request& request,
                                                          const http::Form& form) {
    const std::string* body_id = form.get("client_id");
    const std::string* body_secret = form.get("client_secret");
    bool basic = util::istarts_with(request.authorization, "basic ");

    if (request.duplicate_authorization) return std::unexpected(invalid_request("more than one Authorization header"));
    if (basic) {
        // RFC 6749 §2.3.1: only one method per request.
        if (body_secret) return std::unexpected(invalid_request("more than one client authentication method"));
        std::string_view cred = std::string_view(request.authorization).substr(6);
        while (!cred.empty() && cred.front() == ' ') cred.remove_prefix(1);
        while (!cred.empty() && cred.back() == ' ') cred.remove_suffix(1);
        auto decoded = util::base64_decode(cred);
        size_t colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos)
            return std::unexpected(invalid_client(Method::Basic, "malformed Basic credentials"));
        // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic.
        auto id = http::form_decode(std::string_view(*decoded).substr(0, colon));
        auto secret = http::form_decode(std::string_view(*decoded).substr(colon + 1));
        if (!id || !secret || id->empty())
            return std::unexpected(invalid_client(Method::Basic, "malformed Basic credentials"));
        if (body_id && *body_id != *id)
            return std::unexpected(invalid_request("client_id differs from the authenticated client"));
        return Presented{std::move(*id), std::move(*secret), Method::Basic};
    }
    if (!body_id || body_id->empty())
        return std::unexpected(invalid_client(Method::None, "client authentication required"));
    if (body_secret) return Presented{*body_id, *body_secret, Method::Post};
    return Presented{*body_id, {}, Method::None};
}

flow::Command ClientAuth::fetch(const store::Keys& keys) const {
    return {"GET", keys.client(presented_.id)};
}

Outcome ClientAuth::fail(std::string reason) {
    reason_ = std::move(reason);
    error_ = invalid_client(presented_.method, "client authentication failed");
    return Outcome::Failed;
}

Outcome ClientAuth::on_reply(const redisReply* reply) {
    if (store::is_error(reply)) {
        reason_ = "redis error reading the client";
        error_ = error_response(Error::TemporarilyUnavailable, "the session store is unavailable");
        return Outcome::Failed;
    }
    auto text = store::as_string(reply);
    if (!text) {
        // An unknown client costs what a known one with a wrong secret
        // costs (the KDF, on the pool), so that timing does not tell which
        // client ids exist; without a secret there is nothing to verify.
        if (presented_.method == Method::None) return fail("unknown client");
        return Outcome::Offload;  // client_ stays null
    }
    client_ = parse_client_cached(*text);
    if (!client_) return fail("unreadable client record");
    if (client_->is_public) {
        // A public client has no secret; one that sends a secret is confused
        // or someone else.
        if (presented_.method != Method::None) return fail("public client presented a secret");
        return Outcome::Done;
    }
    if (presented_.method == Method::None) return fail("confidential client without a secret");
    if (secret_cache_hit(client_->id, presented_.secret, client_->secret_hash)) return Outcome::Done;
    return Outcome::Offload;
}

void ClientAuth::offload() {
    const std::string& hash =
        client_ ? client_->secret_hash : util::unmatchable_hash(util::kClientSecretCost);
    verified_ = util::verify_secret(presented_.secret, hash) && client_;
}

Outcome ClientAuth::on_offload() {
    if (!verified_) return fail("secret verification did not run");
    if (!*verified_) return fail(client_ ? "wrong client secret" : "unknown client");
    secret_cache_add(client_->id, presented_.secret, client_->secret_hash);
    return Outcome::Done;
}

}  // namespace oauth::client_auth
