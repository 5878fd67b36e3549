// Stateless DPoP nonces (dpop/nonce.h): two HMACs per key at most, no
// Redis, no per-node memory.
#include "dpop/nonce.h"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <cstring>

#include "jose/ossl.h"
#include "util/crypto.h"
#include "util/encoding.h"

namespace oauth::dpop {

namespace {

constexpr std::string_view kKeyLabel = "ngx_http_oauth DPoP-Nonce v1";
constexpr size_t kNonceBytes = 16;  // 128 bits: not guessable within a window
constexpr size_t kScalar = 32;      // P-256 scalar, Ed25519 seed

// The private secret of a signing key, canonical whatever PEM form it came
// in; empty when the key has none (a public-only key cannot issue nonces).
std::string private_secret(const jose::Key& key) {
    EVP_PKEY* pkey = key.pkey();
    std::string out;
    if (key.alg() == jose::Alg::EdDSA) {
        out.resize(kScalar);
        size_t len = out.size();
        if (EVP_PKEY_get_raw_private_key(pkey, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
            len != kScalar)
            out.clear();
        ERR_clear_error();
        return out;
    }
    BIGNUM* raw = nullptr;
    const char* name = key.alg() == jose::Alg::ES256 ? OSSL_PKEY_PARAM_PRIV_KEY : OSSL_PKEY_PARAM_RSA_D;
    if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1 || !raw) {
        ERR_clear_error();
        return out;
    }
    jose::ossl::Bignum bn(raw);
    int width = key.alg() == jose::Alg::ES256 ? static_cast<int>(kScalar) : BN_num_bytes(bn.get());
    out.resize(static_cast<size_t>(width));
    if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), width) != width) out.clear();
    BN_clear(bn.get());  // a private value: wiped before it is freed
    return out;
}

std::string nonce_of_window(const NonceKey& key, int64_t lifetime, int64_t window) {
    std::string label = "DPoP-Nonce " + std::to_string(lifetime) + " " + std::to_string(window);
    std::string mac = util::hmac_sha256(
        std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), label);
    return util::base64url_encode(std::string_view(mac).substr(0, kNonceBytes));
}

int64_t window_of(int64_t lifetime, int64_t now) {
    // floor division: the windows stay aligned before 1970 too.
    return now >= 0 ? now / lifetime : -((-now + lifetime - 1) / lifetime);
}

}  // namespace

std::vector<NonceKey> derive_nonce_keys(std::span<const jose::KeyPtr> keys) {
    std::vector<NonceKey> out;
    for (const jose::KeyPtr& k : keys) {
        if (!k) continue;
        std::string secret = private_secret(*k);
        if (secret.empty()) continue;
        std::string mac = util::hmac_sha256(secret, kKeyLabel);
        OPENSSL_cleanse(secret.data(), secret.size());
        NonceKey nk{};
        std::memcpy(nk.data(), mac.data(), nk.size());
        OPENSSL_cleanse(mac.data(), mac.size());
        out.push_back(nk);
    }
    return out;
}

std::string nonce_for(const NonceKey& key, int64_t lifetime, int64_t now) {
    return nonce_of_window(key, lifetime, window_of(lifetime, now));
}

NonceVerdict judge_nonce(std::span<const NonceKey> keys, int64_t lifetime, int64_t now,
                         const std::optional<std::string>& nonce) {
    if (!nonce || nonce->empty() || lifetime <= 0) return NonceVerdict::Refused;
    int64_t w = window_of(lifetime, now);
    for (const NonceKey& k : keys)
        if (util::constant_time_equal(*nonce, nonce_of_window(k, lifetime, w))) return NonceVerdict::Current;
    for (const NonceKey& k : keys)
        if (util::constant_time_equal(*nonce, nonce_of_window(k, lifetime, w - 1)))
            return NonceVerdict::Previous;
    return NonceVerdict::Refused;
}

NonceDecision decide_nonce(std::span<const NonceKey> keys, int64_t lifetime, int64_t now,
                           const std::optional<std::string>& nonce) {
    NonceDecision d;
    if (lifetime <= 0) return d;
    if (keys.empty()) {
        // No key to issue with (cannot happen with PEM private keys): refuse
        // rather than let nonces be switched off silently.
        d.refused = true;
        return d;
    }
    NonceVerdict v = judge_nonce(keys, lifetime, now, nonce);
    d.refused = v == NonceVerdict::Refused;
    if (v != NonceVerdict::Current) d.send = nonce_for(keys.front(), lifetime, now);
    return d;
}

}  // namespace oauth::dpop
