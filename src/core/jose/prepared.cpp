#include "jose/prepared.h"

#include <openssl/rsa.h>

#include "util/crypto.h"

namespace oauth::jose {

PreparedCtx::~PreparedCtx() {
    EVP_PKEY_CTX_free(pkey_ctx);
    EVP_MD_CTX_free(md_ctx);
}

PreparedCtx CtxPool::prepare() const {
    PreparedCtx out;
    bool sign = op_ == Op::Sign;
    if (alg_ == Alg::EdDSA) {
        out.md_ctx = EVP_MD_CTX_new();
        if (!out.md_ctx) return {};
        int ok = sign ? EVP_DigestSignInit(out.md_ctx, nullptr, nullptr, nullptr, pkey_)
                      : EVP_DigestVerifyInit(out.md_ctx, nullptr, nullptr, nullptr, pkey_);
        return ok == 1 ? std::move(out) : PreparedCtx{};
    }
    out.pkey_ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_, nullptr);
    if (!out.pkey_ctx) return {};
    if ((sign ? EVP_PKEY_sign_init(out.pkey_ctx) : EVP_PKEY_verify_init(out.pkey_ctx)) != 1)
        return {};
    // RS256: PKCS#1 v1.5 with the SHA-256 DigestInfo (RFC 7518 §3.3);
    // ES256: ECDSA over the SHA-256 hash (§3.4).
    if (alg_ == Alg::RS256 && EVP_PKEY_CTX_set_rsa_padding(out.pkey_ctx, RSA_PKCS1_PADDING) != 1)
        return {};
    if (EVP_PKEY_CTX_set_signature_md(out.pkey_ctx, util::sha256_md()) != 1) return {};
    return out;
}

PreparedCtx CtxPool::take() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            PreparedCtx ctx = std::move(idle_.back());
            idle_.pop_back();
            return ctx;
        }
    }
    return prepare();
}

void CtxPool::give_back(PreparedCtx ctx) {
    if (!ctx) return;
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(ctx));
}

size_t CtxPool::idle() const {
    std::lock_guard lock(mutex_);
    return idle_.size();
}

}  // namespace oauth::jose
