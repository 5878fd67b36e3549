// OpenSSL operation contexts prepared once per key and reused for every
// signature and verification, instead of set up per token: OpenSSL 3 would
// otherwise fetch the signature algorithm and the digest from the provider,
// duplicate the key's provider data and allocate contexts on every call
// (EVP_DigestSignInit), a cost the profile of the token endpoint showed next
// to the signature itself.
//
// An EVP_PKEY_CTX (or EVP_MD_CTX) must not be used by two threads at once,
// and a key is shared by every thread that signs (the event loop, the KDF
// thread pool), so each operation keeps a small pool: a call borrows a
// prepared context, uses it, and gives it back; the pool grows to the number
// of concurrent users and no further. The pools belong to the Key object
// (jose/key.h) and die with it.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "jose/key.h"

namespace oauth::jose {

// One prepared context: for RS256 and ES256 an EVP_PKEY_CTX initialised for
// sign or verify with SHA-256 as the signature digest (the caller hashes);
// for EdDSA an EVP_MD_CTX after EVP_DigestSignInit/EVP_DigestVerifyInit
// (Ed25519 is one-shot over the whole message, RFC 8032 §5.1.6).
struct PreparedCtx {
    EVP_PKEY_CTX* pkey_ctx = nullptr;
    EVP_MD_CTX* md_ctx = nullptr;
    PreparedCtx() = default;
    PreparedCtx(PreparedCtx&& o) noexcept : pkey_ctx(o.pkey_ctx), md_ctx(o.md_ctx) {
        o.pkey_ctx = nullptr;
        o.md_ctx = nullptr;
    }
    PreparedCtx& operator=(PreparedCtx&& o) noexcept {
        std::swap(pkey_ctx, o.pkey_ctx);
        std::swap(md_ctx, o.md_ctx);
        return *this;
    }
    ~PreparedCtx();
    explicit operator bool() const { return pkey_ctx || md_ctx; }
};

class CtxPool {
public:
    enum class Op { Sign, Verify };
    CtxPool(EVP_PKEY* pkey, Alg alg, Op op) : pkey_(pkey), alg_(alg), op_(op) {}

    // A freshly prepared context; empty (and the OpenSSL error queue left
    // for the caller) when OpenSSL refuses, e.g. signing with a public key.
    PreparedCtx prepare() const;
    // A prepared context from the pool, or a new one when all are in use.
    PreparedCtx take();
    void give_back(PreparedCtx ctx);
    // How many idle contexts the pool holds (for tests).
    size_t idle() const;

private:
    EVP_PKEY* pkey_;  // owned by the Key
    Alg alg_;
    Op op_;
    mutable std::mutex mutex_;
    std::vector<PreparedCtx> idle_;
};

// The encoded JWS headers of a key, one per typ, made on first use: a
// key's header never changes ({"alg","kid"[,"typ"]}, jose/jws.h), so it is
// serialized and base64url-encoded once, not per token.
class HeaderCache {
public:
    // base64url(header JSON) for typ, made by make() the first time.
    template <typename Make>
    std::string get(std::string_view typ, Make&& make) {
        std::lock_guard lock(mutex_);
        for (const auto& [t, encoded] : headers_)
            if (t == typ) return encoded;
        headers_.emplace_back(std::string(typ), make());
        return headers_.back().second;
    }

private:
    std::mutex mutex_;
    std::vector<std::pair<std::string, std::string>> headers_;  // a handful of typs
};

// What a key prepares once: both pools and its headers.
struct Prepared {
    Prepared(EVP_PKEY* pkey, Alg alg)
        : sign(pkey, alg, CtxPool::Op::Sign), verify(pkey, alg, CtxPool::Op::Verify) {}
    CtxPool sign;
    CtxPool verify;
    HeaderCache headers;
};

}  // namespace oauth::jose
