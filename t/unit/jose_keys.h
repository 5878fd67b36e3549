// Test helpers: OpenSSL keys built from JWK members (OSSL_PARAM +
// EVP_PKEY_fromdata), so RFC example keys can be fed to Key::from_pem as
// the PEM an operator would configure.
#pragma once
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "jose/key.h"
#include "util/encoding.h"

namespace jose_test {

// An ES256 signature (raw r||s, RFC 7518 §3.4) re-encoded as DER, the form
// JWS must refuse.
inline std::string der_of(std::string_view raw) {
    auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
    ECDSA_SIG* s = ECDSA_SIG_new();
    ECDSA_SIG_set0(s, BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(s, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    return out;
}

inline std::string unb64(std::string_view s) {
    auto out = oauth::util::base64url_decode(s);
    if (!out) throw std::runtime_error("bad base64url in a test vector");
    return *out;
}

struct ParamBuilder {
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    std::vector<BIGNUM*> bns;
    // The builder keeps pointers until OSSL_PARAM_BLD_to_param: keep the bytes alive.
    std::deque<std::string> octet_store;
    ~ParamBuilder() {
        OSSL_PARAM_BLD_free(bld);
        for (BIGNUM* b : bns) BN_free(b);
    }
    void bn(const char* name, std::string_view b64) {
        std::string raw = unb64(b64);
        BIGNUM* b = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()),
                              static_cast<int>(raw.size()), nullptr);
        bns.push_back(b);
        OSSL_PARAM_BLD_push_BN(bld, name, b);
    }
    void octets(const char* name, std::string raw) {
        const std::string& kept = octet_store.emplace_back(std::move(raw));
        OSSL_PARAM_BLD_push_octet_string(bld, name, kept.data(), kept.size());
    }
    void utf8(const char* name, const char* value) {
        OSSL_PARAM_BLD_push_utf8_string(bld, name, value, 0);
    }
    oauth::jose::PkeyPtr build(const char* type, bool with_private) {
        OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
        EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
        EVP_PKEY* pkey = nullptr;
        if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, &pkey, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                              params) != 1)
            pkey = nullptr;
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        if (!pkey) throw std::runtime_error("EVP_PKEY_fromdata failed");
        return oauth::jose::PkeyPtr(pkey);
    }
};

// d empty: public key only.
inline oauth::jose::PkeyPtr rsa(std::string_view n, std::string_view e, std::string_view d = {},
                                std::string_view p = {}, std::string_view q = {},
                                std::string_view dp = {}, std::string_view dq = {},
                                std::string_view qi = {}) {
    ParamBuilder b;
    b.bn(OSSL_PKEY_PARAM_RSA_N, n);
    b.bn(OSSL_PKEY_PARAM_RSA_E, e);
    if (!d.empty()) {
        b.bn(OSSL_PKEY_PARAM_RSA_D, d);
        b.bn(OSSL_PKEY_PARAM_RSA_FACTOR1, p);
        b.bn(OSSL_PKEY_PARAM_RSA_FACTOR2, q);
        b.bn(OSSL_PKEY_PARAM_RSA_EXPONENT1, dp);
        b.bn(OSSL_PKEY_PARAM_RSA_EXPONENT2, dq);
        b.bn(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi);
    }
    return b.build("RSA", !d.empty());
}

inline oauth::jose::PkeyPtr p256(std::string_view x, std::string_view y, std::string_view d = {}) {
    ParamBuilder b;
    b.utf8(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1");
    b.octets(OSSL_PKEY_PARAM_PUB_KEY, std::string("\x04", 1) + unb64(x) + unb64(y));
    if (!d.empty()) b.bn(OSSL_PKEY_PARAM_PRIV_KEY, d);
    return b.build("EC", !d.empty());
}

inline oauth::jose::PkeyPtr ed25519(std::string_view x, std::string_view d = {}) {
    ParamBuilder b;
    b.octets(OSSL_PKEY_PARAM_PUB_KEY, unb64(x));
    if (!d.empty()) b.octets(OSSL_PKEY_PARAM_PRIV_KEY, unb64(d));
    return b.build("ED25519", !d.empty());
}

// PKCS#8 PEM, or the traditional per-algorithm form ("BEGIN RSA PRIVATE KEY").
inline std::string private_pem(EVP_PKEY* pkey, bool traditional = false) {
    BIO* bio = BIO_new(BIO_s_mem());
    int ok = traditional
                 ? PEM_write_bio_PrivateKey_traditional(bio, pkey, nullptr, nullptr, 0, nullptr,
                                                        nullptr)
                 : PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string out = ok == 1 ? std::string(data, static_cast<size_t>(len)) : std::string();
    BIO_free(bio);
    if (out.empty()) throw std::runtime_error("PEM_write_bio_PrivateKey failed");
    return out;
}

inline std::string public_pem(EVP_PKEY* pkey) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, pkey);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(len));
    BIO_free(bio);
    return out;
}

inline oauth::jose::PkeyPtr generate(const char* type, const char* curve_or_null = nullptr,
                                     size_t rsa_bits = 0) {
    EVP_PKEY* k = rsa_bits ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, rsa_bits)
                  : curve_or_null ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve_or_null)
                                  : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    if (!k) throw std::runtime_error("keygen failed");
    return oauth::jose::PkeyPtr(k);
}

// The RFC example keys, loaded the way the module loads them (from PEM).
inline oauth::jose::KeyPtr load(EVP_PKEY* pkey, std::string_view kid = {}) {
    auto key = oauth::jose::Key::from_pem(private_pem(pkey), kid);
    if (!key) throw std::runtime_error("from_pem: " + key.error());
    return *key;
}

}  // namespace jose_test
