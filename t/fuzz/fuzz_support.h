// What the libFuzzer harnesses share: the test keys of t/fuzz/keys/, a server
// configured with every endpoint, and Redis replies parsed from the fuzzer's
// bytes by hiredis's own reader (so every reply type, size and nesting that
// a Redis could send, or a broken one, reaches the core as a real
// redisReply). Inputs are split into parts at NUL bytes.
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "oauth_core.h"

namespace fuzz {

// The clock of every harness: the seed tokens were minted around it.
inline constexpr int64_t kNow = 1800000000;
inline constexpr std::string_view kIssuer = "https://issuer.example";

// The next NUL-terminated part of the input (the rest when there is no NUL).
class Parts {
public:
    Parts(const uint8_t* data, size_t size)
        : rest_(reinterpret_cast<const char*>(data), size) {}
    std::string_view next() {
        size_t nul = rest_.find('\0');
        std::string_view part = rest_.substr(0, nul);
        rest_ = nul == std::string_view::npos ? std::string_view() : rest_.substr(nul + 1);
        return part;
    }
    uint8_t byte() {
        if (rest_.empty()) return 0;
        uint8_t b = static_cast<uint8_t>(rest_[0]);
        rest_.remove_prefix(1);
        return b;
    }
    std::string_view rest() const { return rest_; }

private:
    std::string_view rest_;
};

struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

// Replies read one after another from RESP text, as the glue reads a
// connection; nullptr once the text holds no further complete reply (or
// breaks the protocol), which the harnesses treat as Redis being down.
class Replies {
public:
    explicit Replies(std::string_view resp) : reader_(redisReaderCreate()) {
        if (reader_) redisReaderFeed(reader_, resp.data(), resp.size());
    }
    ~Replies() {
        if (reader_) redisReaderFree(reader_);
    }
    Replies(const Replies&) = delete;
    Replies& operator=(const Replies&) = delete;

    ReplyPtr next() {
        void* reply = nullptr;
        if (!reader_ || redisReaderGetReply(reader_, &reply) != REDIS_OK) return nullptr;
        return ReplyPtr(static_cast<redisReply*>(reply));
    }

private:
    redisReader* reader_;
};

// Where the fuzzed server has each endpoint (oauth_endpoint_e order).
inline constexpr const char* kEndpointPath[OAUTH_EP_COUNT] = {
    "/.well-known/openid-configuration", "/oauth2/jwks", "/oauth2/token",
    "/oauth2/introspect", "/oauth2/revoke", "/oauth2/authorize",
    "/oauth2/login", "/oauth2/consent", "/oauth2/userinfo",
    "/oauth2/device_authorization", "/oauth2/device",
    "/oauth2/login/accept", "/oauth2/logout", "/oauth2/register",
    "/.well-known/oauth-protected-resource"};

inline oauth_str_t str(std::string_view s) { return {s.data(), s.size()}; }

// ES256, RS256 and EdDSA keys (the first signs: ES256, the cheapest
// signature, so minting flows stay fast under the fuzzer), loaded once.
const std::vector<oauth_key_t*>& keys();
// A server with every endpoint at /oauth2/<name>, built once per process.
const oauth_server_t* server();

}  // namespace fuzz
