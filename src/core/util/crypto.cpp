#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OAUTH_HAS_ASAN 1
#endif
#endif
#ifndef OAUTH_HAS_ASAN
#define OAUTH_HAS_ASAN 0
#endif
#if defined(__SANITIZE_ADDRESS__) || OAUTH_HAS_ASAN
#include <sanitizer/lsan_interface.h>
#endif
#include "util/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <pthread.h>

#include <cstring>
#include <mutex>
#include <stdexcept>

#include "util/encoding.h"

namespace oauth::util {

namespace {

// RAND_bytes costs about the same for 16 bytes as for a kilobyte (it locks
// the DRBG and checks the pid for fork safety on every call), and a token
// wants two or three 16-byte draws; so small draws come from a per-thread
// pool filled by one RAND_bytes call. Each byte is handed out once and wiped
// as it leaves. Holding not-yet-used output in memory reveals no more than
// the DRBG's own state, which lives in the same process.
constexpr size_t kPoolSize = 1024;
constexpr size_t kPooledMax = 64;  // larger draws go straight to RAND_bytes

struct RandomPool {
    unsigned char bytes[kPoolSize];
    size_t next = kPoolSize;  // empty
};
thread_local RandomPool pool;

void rand_bytes(unsigned char* out, size_t n) {
    if (n > 0 && RAND_bytes(out, static_cast<int>(n)) != 1)
        throw std::runtime_error("RAND_bytes failed");
}

// A forked child (every nginx worker) must never hand out bytes its parent
// or a sibling also holds: the child empties the pool it inherited.
void empty_pool_in_child() {
    OPENSSL_cleanse(pool.bytes, sizeof(pool.bytes));
    pool.next = kPoolSize;
}

void draw(unsigned char* out, size_t n) {
    static const bool registered = pthread_atfork(nullptr, nullptr, empty_pool_in_child) == 0;
    if (n > kPooledMax || !registered) return rand_bytes(out, n);
    if (kPoolSize - pool.next < n) {
        rand_bytes(pool.bytes, kPoolSize);
        pool.next = 0;
    }
    std::memcpy(out, pool.bytes + pool.next, n);
    OPENSSL_cleanse(pool.bytes + pool.next, n);
    pool.next += n;
}

}  // namespace

std::string random_bytes(size_t n) {
    std::string out(n, '\0');
    draw(reinterpret_cast<unsigned char*>(out.data()), n);
    return out;
}

std::string random_token(size_t n_bytes) { return base64url_encode(random_bytes(n_bytes)); }

const EVP_MD* sha256_md() {
    // Thread-safe one-time initialisation; never freed, as the provider
    // lives as long as the process.
    static const EVP_MD* md = [] {
        const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        return fetched ? fetched : EVP_sha256();
    }();
    return md;
}

std::string sha256(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, sha256_md(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return std::string(reinterpret_cast<char*>(md), len);
}

// A per-thread object never freed on purpose (see sha256_digest): told to
// LeakSanitizer, which would otherwise report one per thread that exited.
template <typename T>
T* kept_for_the_thread(T* object) {
#if defined(__SANITIZE_ADDRESS__) || OAUTH_HAS_ASAN
    if (object) __lsan_ignore_object(object);
#endif
    return object;
}

Sha256Digest sha256_digest(std::string_view data) {
    // Never freed on purpose: a thread_local destructor would run at exit,
    // after OpenSSL's own atexit cleanup may have torn the provider down
    // (the crash flow/abi.cpp works around for offload threads). One small
    // context per thread that hashes here, in practice the event loop's.
    thread_local EVP_MD_CTX* ctx = kept_for_the_thread(EVP_MD_CTX_new());
    Sha256Digest out;
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size())
        throw std::runtime_error("SHA-256 failed");
    return out;
}

std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len))
        throw std::runtime_error("HMAC failed");
    return std::string(reinterpret_cast<char*>(md), len);
}

struct HmacSha256::State {
    std::mutex mutex;
    EVP_MAC_CTX* ctx = nullptr;
};

HmacSha256::HmacSha256(std::string_view key) : state_(std::make_unique<State>()) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    state_->ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
    EVP_MAC_free(mac);  // the context keeps its own reference
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (!state_->ctx ||
        EVP_MAC_init(state_->ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     params) != 1)
        throw std::runtime_error("HMAC setup failed");
}

HmacSha256::~HmacSha256() { EVP_MAC_CTX_free(state_->ctx); }

std::string HmacSha256::mac(std::initializer_list<std::string_view> parts) const {
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t len = 0;
    std::lock_guard lock(state_->mutex);
    // A null key re-initialises with the key already set (no re-keying).
    bool ok = EVP_MAC_init(state_->ctx, nullptr, 0, nullptr) == 1;
    for (std::string_view p : parts)
        ok = ok && EVP_MAC_update(state_->ctx, reinterpret_cast<const unsigned char*>(p.data()),
                                  p.size()) == 1;
    if (!ok || EVP_MAC_final(state_->ctx, md, &len, sizeof(md)) != 1)
        throw std::runtime_error("HMAC failed");
    return std::string(reinterpret_cast<char*>(md), len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace oauth::util
