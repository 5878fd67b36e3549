// JWS signatures (RFC 7518 §3.3, §3.4; RFC 8037 §3.1) on the EVP_PKEY built
// once at configuration time: nothing here parses a key.
#include <openssl/ecdsa.h>

#include <stdexcept>

#include "jose/key.h"
#include "jose/ossl.h"
#include "util/crypto.h"

namespace oauth::jose {

namespace {

constexpr size_t kEs256Half = 32;  // RFC 7518 §3.4: r and s, 32 octets each

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

// Ed25519 hashes internally (RFC 8032 §5.1.6), so EVP wants no digest.
const EVP_MD* digest_of(Alg alg) { return alg == Alg::EdDSA ? nullptr : util::sha256_md(); }

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

}  // namespace

std::string Key::sign(std::string_view signing_input) const {
    ossl::MdCtx ctx(EVP_MD_CTX_new());
    // RSA keys default to PKCS#1 v1.5 padding, which is RS256's (RFC 7518 §3.3).
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digest_of(alg_), nullptr,
                                   pkey_.get()) != 1)
        throw std::runtime_error(ossl::error("signing setup failed"));
    size_t len = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &len, bytes(signing_input),
                       signing_input.size()) != 1)
        throw std::runtime_error(ossl::error("signing failed"));
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       bytes(signing_input), signing_input.size()) != 1)
        throw std::runtime_error(ossl::error("signing failed"));
    sig.resize(len);
    return alg_ == Alg::ES256 ? der_to_raw(sig) : sig;
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
    ossl::MdCtx ctx(EVP_MD_CTX_new());
    bool ok = ctx &&
              EVP_DigestVerifyInit(ctx.get(), nullptr, digest_of(alg_), nullptr,
                                   pkey_.get()) == 1 &&
              EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(),
                               bytes(signing_input), signing_input.size()) == 1;
    if (!ok) ERR_clear_error();
    return ok;
}

}  // namespace oauth::jose
