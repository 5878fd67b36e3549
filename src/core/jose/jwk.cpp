// A key's public half as a JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2) and
// its RFC 7638 thumbprint. Only public parameters are ever read here, so no
// private member can reach a JWKS document.
#include <openssl/core_names.h>

#include <cstdlib>
#include <stdexcept>

#include "jose/key.h"
#include "jose/prepared.h"
#include "jose/ossl.h"
#include "util/crypto.h"
#include "util/encoding.h"

namespace oauth::jose {

namespace {

// RFC 7518 §6.3.1: n and e are unsigned big-endian, minimal length.
std::string bn_param(EVP_PKEY* pkey, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1)
        throw std::runtime_error(ossl::error(std::string("cannot read key parameter ") + name));
    ossl::Bignum bn(raw);
    std::string out(static_cast<size_t>(BN_num_bytes(bn.get())), '\0');
    BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(out.data()));
    return util::base64url_encode(out);
}

// RFC 7518 §6.2.1.2: EC coordinates are the full field size (32 bytes for
// P-256), leading zeros kept.
std::string ec_coordinate(EVP_PKEY* pkey, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1)
        throw std::runtime_error(ossl::error(std::string("cannot read EC coordinate ") + name));
    ossl::Bignum bn(raw);
    std::string out(32, '\0');
    if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), 32) != 32)
        throw std::runtime_error("EC coordinate larger than P-256 allows");
    return util::base64url_encode(out);
}

// RFC 8037 §2: x is the raw 32-byte Ed25519 public key.
std::string okp_public(EVP_PKEY* pkey) {
    std::string out(32, '\0');
    size_t len = out.size();
    if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(out.data()),
                                    &len) != 1 || len != 32)
        throw std::runtime_error(ossl::error("cannot read the Ed25519 public key"));
    return util::base64url_encode(out);
}

}  // namespace

Key::Key(PkeyPtr pkey, Alg alg, std::string kid)
    : pkey_(std::move(pkey)), alg_(alg), kid_(std::move(kid)) {
    if (!pkey_) throw std::runtime_error("no key");
    EVP_PKEY* k = pkey_.get();
    switch (alg_) {
    case Alg::RS256:
        if (!EVP_PKEY_is_a(k, "RSA")) throw std::runtime_error("RS256 needs an RSA key");
        kty_ = "RSA";
        members_.emplace_back("n", bn_param(k, OSSL_PKEY_PARAM_RSA_N));
        members_.emplace_back("e", bn_param(k, OSSL_PKEY_PARAM_RSA_E));
        break;
    case Alg::ES256:
        if (!EVP_PKEY_is_a(k, "EC")) throw std::runtime_error("ES256 needs an EC key");
        kty_ = "EC";
        members_.emplace_back("crv", "P-256");
        members_.emplace_back("x", ec_coordinate(k, OSSL_PKEY_PARAM_EC_PUB_X));
        members_.emplace_back("y", ec_coordinate(k, OSSL_PKEY_PARAM_EC_PUB_Y));
        break;
    case Alg::EdDSA:
        if (!EVP_PKEY_is_a(k, "ED25519")) throw std::runtime_error("EdDSA needs an Ed25519 key");
        kty_ = "OKP";
        members_.emplace_back("crv", "Ed25519");
        members_.emplace_back("x", okp_public(k));
        break;
    }
    if (kid_.empty()) kid_ = thumbprint();  // SPEC §2: kid defaults to the thumbprint
    prepared_ = std::make_unique<Prepared>(pkey_.get(), alg_);
}

json::Json Key::public_jwk() const {
    json::Json jwk(json_object());
    json::set(jwk.get(), "kty", kty_);
    json::set(jwk.get(), "kid", kid_);
    json::set(jwk.get(), "use", "sig");
    json::set(jwk.get(), "alg", alg_name(alg_));
    for (const auto& [name, value] : members_) json::set(jwk.get(), name, value);
    return jwk;
}

std::string Key::thumbprint() const {
    // RFC 7638 §3.2-3.3: only the required members, sorted by name, no
    // whitespace; jansson does the escaping and the ordering.
    json::Json canon(json_object());
    json::set(canon.get(), "kty", kty_);
    for (const auto& [name, value] : members_) json::set(canon.get(), name, value);
    char* text = json_dumps(canon.get(), JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) throw std::runtime_error("out of memory");
    std::string digest = util::sha256(text);
    std::free(text);
    return util::base64url_encode(digest);
}

}  // namespace oauth::jose
