// Client authentication at the token, introspection, revocation and device
// authorization endpoints (RFC 6749 §2.3.1, §3.2.1): client_secret_basic,
// client_secret_post, or none (a public client sends only client_id).
//
// oauth/client_authenticated_flow.h runs it for the endpoints, in three moves:
//   auto presented = presented_client(request, form);   // or the error Response
//   ClientAuth auth(std::move(*presented));
//   Step::redis({auth.fetch(keys)})  -> auth.on_reply(reply)
//   Outcome::Offload -> Step::offload(); offload() runs auth.offload();
//                       on_offload() calls auth.on_offload()
//   Outcome::Done    -> auth.client() ; Outcome::Failed -> auth.error()
#pragma once
#include <hiredis/hiredis.h>

#include <expected>
#include <memory>
#include <optional>
#include <string>

#include "flow/flow.h"
#include "http/form.h"
#include "store/keys.h"
#include "store/records.h"

namespace oauth::client_auth {

enum class Method { None, Basic, Post };

struct Presented {
    std::string id;
    std::string secret;  // empty for Method::None
    Method method = Method::None;
};

// What the request presents. Errors: two methods, or a client_id in the body
// differing from Basic's -> invalid_request 400; no client at all, or a
// malformed Basic header -> invalid_client 401.
std::expected<Presented, http::Response> presented_client(const flow::Request& request,
                                                          const http::Form& form);

// invalid_client, 401, with WWW-Authenticate: Basic when Basic was tried
// (RFC 6749 §5.2).
http::Response invalid_client(Method tried, std::string_view description);

// The realm of the Basic challenge at the AS endpoints.
inline constexpr std::string_view kBasicRealm = "oauth";

enum class Outcome { Done, Offload, Failed };

class ClientAuth {
public:
    explicit ClientAuth(Presented presented) : presented_(std::move(presented)) {}

    // GET P client:{id}
    flow::Command fetch(const store::Keys& keys) const;
    Outcome on_reply(const redisReply* reply);
    void offload();  // the scrypt verification; thread-pool safe
    Outcome on_offload();

    const store::Client& client() const { return *client_; }
    const Presented& presented() const { return presented_; }
    const http::Response& error() const { return error_; }
    // Why it failed, for the info log (never the secret).
    const std::string& reason() const { return reason_; }

private:
    Outcome fail(std::string reason);
    Presented presented_;
    std::shared_ptr<const store::Client> client_;
    std::optional<bool> verified_;
    http::Response error_;
    std::string reason_;
};

// A bounded per-process cache of successful secret verifications, keyed by
// HMAC(process-random key, client_id, presented secret, stored hash): a
// repeated authentication skips the KDF, and a rotated secret (new stored
// hash) never matches an old entry. Exposed for tests.
// store::parse_client of a client record, remembered by the record's exact
// text (a record read again unchanged is not parsed again); null when the
// record does not parse. Thread-safe; bounded.
std::shared_ptr<const store::Client> parse_client_cached(std::string_view record);

bool secret_cache_hit(std::string_view id, std::string_view secret, std::string_view stored);
void secret_cache_add(std::string_view id, std::string_view secret, std::string_view stored);

}  // namespace oauth::client_auth
