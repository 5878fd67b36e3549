// Hashes, randomness and constant-time comparison, on OpenSSL.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace oauth::util {

// RAND_bytes; throws std::runtime_error if the CSPRNG fails (never silently weak).
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

// CRYPTO_memcmp over equal lengths; different lengths compare unequal.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace oauth::util
