// JWS signatures (RFC 7518 §3.3, §3.4; RFC 8037 §3.1) on the EVP_PKEY built
// once at configuration time, with contexts prepared once per key
// (jose/prepared.h): nothing here parses a key or sets up OpenSSL per call.
#include <openssl/ecdsa.h>

#include <stdexcept>

#include "jose/key.h"
#include "jose/ossl.h"
#include "jose/prepared.h"
#include "util/crypto.h"

namespace oauth::jose {

namespace {

constexpr size_t kEs256Half = 32;  // RFC 7518 §3.4: r and s, 32 octets each
// The DER ECDSA-Sig-Value of P-256: SEQUENCE of two INTEGERs of up to 33 octets.
constexpr size_t kMaxEs256Der = 72;

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

// ECDSA in OpenSSL speaks DER (an ECDSA-Sig-Value SEQUENCE); JWS wants the
// fixed-width concatenation r || s.
std::string der_to_raw(std::string_view der) {
    const unsigned char* p = bytes(der);
    ossl::EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!sig) throw std::runtime_error(ossl::error("ECDSA signature decoding failed"));
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    std::string raw(2 * kEs256Half, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    if (BN_bn2binpad(r, out, kEs256Half) != kEs256Half ||
        BN_bn2binpad(s, out + kEs256Half, kEs256Half) != kEs256Half)
        throw std::runtime_error("ECDSA signature wider than P-256");
    return raw;
}

// The reverse, for verification; empty on failure.
std::string raw_to_der(std::string_view raw) {
    ossl::EcdsaSig sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(bytes(raw), kEs256Half, nullptr);
    BIGNUM* s = BN_bin2bn(bytes(raw) + kEs256Half, kEs256Half, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ERR_clear_error();
        return {};
    }
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(sig.get(), &der);
    if (len <= 0) {
        ERR_clear_error();
        return {};
    }
    std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    return out;
}

// One attempt with a prepared context: the signature, or empty when OpenSSL
// failed (its error queue left for the caller).
std::string sign_with(const PreparedCtx& ctx, Alg alg, std::string_view input) {
    if (alg == Alg::EdDSA) {
        std::string sig(64, '\0');  // RFC 8032 §5.1.6
        size_t len = sig.size();
        if (EVP_DigestSign(ctx.md_ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           bytes(input), input.size()) != 1 || len != sig.size())
            return {};
        return sig;
    }
    util::Sha256Digest digest = util::sha256_digest(input);
    if (alg == Alg::ES256) {
        unsigned char der[kMaxEs256Der];
        size_t len = sizeof(der);
        if (EVP_PKEY_sign(ctx.pkey_ctx, der, &len, digest.data(), digest.size()) != 1) return {};
        return der_to_raw({reinterpret_cast<const char*>(der), len});
    }
    size_t len = 0;
    if (EVP_PKEY_sign(ctx.pkey_ctx, nullptr, &len, digest.data(), digest.size()) != 1) return {};
    std::string sig(len, '\0');
    if (EVP_PKEY_sign(ctx.pkey_ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                      digest.data(), digest.size()) != 1)
        return {};
    sig.resize(len);
    return sig;
}

// 1 verified, 0 did not, < 0 OpenSSL could not tell (the context is suspect).
int verify_with(const PreparedCtx& ctx, Alg alg, std::string_view input,
                std::string_view signature) {
    if (alg == Alg::EdDSA)
        return EVP_DigestVerify(ctx.md_ctx, bytes(signature), signature.size(), bytes(input),
                                input.size());
    util::Sha256Digest digest = util::sha256_digest(input);
    return EVP_PKEY_verify(ctx.pkey_ctx, bytes(signature), signature.size(), digest.data(),
                           digest.size());
}

}  // namespace

Key::~Key() = default;

std::string Key::sign(std::string_view signing_input) const {
    CtxPool& pool = prepared_->sign;
    PreparedCtx ctx = pool.take();
    if (!ctx) throw std::runtime_error(ossl::error("signing setup failed"));
    std::string sig = sign_with(ctx, alg_, signing_input);
    if (sig.empty()) {
        // Drop the context rather than trust it again, and try once with a
        // fresh one: a reused one-shot context is what an OpenSSL release
        // could start refusing.
        ERR_clear_error();
        ctx = pool.prepare();
        if (!ctx) throw std::runtime_error(ossl::error("signing setup failed"));
        sig = sign_with(ctx, alg_, signing_input);
        if (sig.empty()) throw std::runtime_error(ossl::error("signing failed"));
    }
    pool.give_back(std::move(ctx));
    return sig;
}

bool Key::verify(std::string_view signing_input, std::string_view signature) const {
    std::string der;
    if (alg_ == Alg::ES256) {
        // RFC 7518 §3.4: exactly 64 octets. A DER signature (what some
        // libraries emit by mistake) is refused rather than accepted.
        if (signature.size() != 2 * kEs256Half) return false;
        der = raw_to_der(signature);
        if (der.empty()) return false;
        signature = der;
    } else if (alg_ == Alg::EdDSA && signature.size() != 64) {
        return false;  // RFC 8032 §5.1.6
    } else if (alg_ == Alg::RS256 &&
               signature.size() != static_cast<size_t>(EVP_PKEY_get_size(pkey_.get()))) {
        return false;  // RFC 8017 §8.2.2: the signature is exactly k octets
    }
    CtxPool& pool = prepared_->verify;
    PreparedCtx ctx = pool.take();
    int r = ctx ? verify_with(ctx, alg_, signing_input, signature) : -1;
    if (r < 0) {
        // As in sign(): a suspect context is dropped, and one fresh try.
        ERR_clear_error();
        ctx = pool.prepare();
        r = ctx ? verify_with(ctx, alg_, signing_input, signature) : -1;
    }
    if (r != 1) ERR_clear_error();
    pool.give_back(std::move(ctx));
    return r == 1;
}

}  // namespace oauth::jose
