// Hashes, randomness and constant-time comparison, on OpenSSL.
#pragma once
#include <array>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace oauth::util {

// RAND_bytes (small draws batched through a per-thread pool, emptied in a
// forked child); throws std::runtime_error if the CSPRNG fails (never
// silently weak).
std::string random_bytes(size_t n);
// n random bytes as base64url: the shape of every opaque token we mint.
std::string random_token(size_t n_bytes);

// SHA-256 fetched from the provider once per process: OpenSSL 3 otherwise
// fetches it on every EVP_sha256()/SHA256() call, a cost on the hot path.
const EVP_MD* sha256_md();
std::string sha256(std::string_view data);      // 32 raw bytes
// The same digest into a fixed array, with a digest context kept per thread:
// no heap allocation, for what runs on every protected request (the worker's
// cache of verified tokens is keyed by the token's SHA-256).
using Sha256Digest = std::array<unsigned char, 32>;
Sha256Digest sha256_digest(std::string_view data);
std::string sha256_hex(std::string_view data);  // 64 hex digits
std::string hmac_sha256(std::string_view key, std::string_view data);

// HMAC-SHA-256 under one key used many times: the MAC, its digest and the
// keyed context are set up once (the one-shot form fetches HMAC and SHA-256
// and keys a new context on every call). mac() of several parts is the MAC
// of their concatenation. Thread-safe (one context behind a mutex).
class HmacSha256 {
public:
    explicit HmacSha256(std::string_view key);
    ~HmacSha256();
    HmacSha256(const HmacSha256&) = delete;
    HmacSha256& operator=(const HmacSha256&) = delete;
    std::string mac(std::initializer_list<std::string_view> parts) const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

// CRYPTO_memcmp over equal lengths; different lengths compare unequal.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace oauth::util
