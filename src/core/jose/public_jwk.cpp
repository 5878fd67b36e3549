// Building OpenSSL public keys from client-sent JWKs. Everything here runs
// per request (a DPoP proof carries its key), so every member is checked
// before OpenSSL sees it and each failure is a plain refusal.
#include "jose/public_jwk.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <stdexcept>
#include <string>

#include "jose/ossl.h"
#include "json/json.h"
#include "util/encoding.h"

namespace oauth::jose {

namespace {

constexpr int kMinRsaBits = 2048;      // RFC 7518 §3.3
constexpr int kMaxRsaBits = 8192;      // bounds the verify cost a client can ask for
constexpr size_t kMaxMemberSize = 2048;

using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, ossl::Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, ossl::Deleter<OSSL_PARAM, OSSL_PARAM_free>>;

// RFC 7517 §7.3 / RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2: the members
// that only a private (or symmetric) key has.
constexpr const char* kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

std::expected<std::string, JwkError> member(const json_t* jwk, const char* name) {
    auto text = json::get_string(jwk, name);
    if (!text || text->empty() || text->size() > kMaxMemberSize)
        return std::unexpected(JwkError::BadMember);
    auto bytes = util::base64url_decode(*text);
    if (!bytes) return std::unexpected(JwkError::BadMember);
    return std::move(*bytes);
}

PkeyPtr from_params(const char* type, OSSL_PARAM* params) {
    ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* pkey = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        ERR_clear_error();
        return nullptr;
    }
    return PkeyPtr(pkey);
}

std::expected<PkeyPtr, JwkError> rsa_key(const json_t* jwk) {
    auto n = member(jwk, "n");
    auto e = member(jwk, "e");
    if (!n || !e) return std::unexpected(JwkError::BadMember);
    // RFC 7518 §6.3.1.1: n is unsigned big-endian, minimal; its top byte
    // says the size, and a leading zero byte is a non-canonical encoding.
    if ((*n)[0] == '\0' || (*e)[0] == '\0' || e->size() > 8) return std::unexpected(JwkError::BadMember);
    int bits = static_cast<int>(n->size() * 8);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) return std::unexpected(JwkError::BadKey);
    auto u = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
    ossl::Bignum bn_n(BN_bin2bn(u(*n), static_cast<int>(n->size()), nullptr));
    ossl::Bignum bn_e(BN_bin2bn(u(*e), static_cast<int>(e->size()), nullptr));
    ParamBld bld(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !bld ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
        throw std::runtime_error(ossl::error("RSA parameters"));
    Params params(OSSL_PARAM_BLD_to_param(bld.get()));
    if (!params) throw std::runtime_error(ossl::error("RSA parameters"));
    PkeyPtr pkey = from_params("RSA", params.get());
    if (!pkey || EVP_PKEY_get_bits(pkey.get()) < kMinRsaBits) return std::unexpected(JwkError::BadKey);
    return pkey;
}

std::expected<PkeyPtr, JwkError> ec_key(const json_t* jwk) {
    auto crv = json::get_string(jwk, "crv");
    if (!crv) return std::unexpected(JwkError::BadMember);
    if (*crv != "P-256") return std::unexpected(JwkError::UnsupportedKey);
    auto x = member(jwk, "x");
    auto y = member(jwk, "y");
    // RFC 7518 §6.2.1.2-3: each coordinate is the full 32 octets.
    if (!x || !y || x->size() != 32 || y->size() != 32) return std::unexpected(JwkError::BadMember);
    std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed point
    ParamBld bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1)
        throw std::runtime_error(ossl::error("EC parameters"));
    Params params(OSSL_PARAM_BLD_to_param(bld.get()));
    if (!params) throw std::runtime_error(ossl::error("EC parameters"));
    // OpenSSL decodes the point with EC_POINT_oct2point, which refuses a
    // point that is not on the curve (an invalid-curve attack stops here).
    PkeyPtr pkey = from_params("EC", params.get());
    if (!pkey) return std::unexpected(JwkError::BadKey);
    return pkey;
}

std::expected<PkeyPtr, JwkError> okp_key(const json_t* jwk) {
    auto crv = json::get_string(jwk, "crv");
    if (!crv) return std::unexpected(JwkError::BadMember);
    if (*crv != "Ed25519") return std::unexpected(JwkError::UnsupportedKey);
    auto x = member(jwk, "x");
    if (!x || x->size() != 32) return std::unexpected(JwkError::BadMember);
    EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(x->data()),
                                              x->size());
    if (!k) {
        ERR_clear_error();
        return std::unexpected(JwkError::BadKey);
    }
    return PkeyPtr(k);
}

}  // namespace

std::expected<KeyPtr, JwkError> key_from_public_jwk(const json_t* jwk) {
    if (!json_is_object(jwk)) return std::unexpected(JwkError::NotAnObject);
    for (const char* m : kPrivateMembers)
        if (json_object_get(jwk, m)) return std::unexpected(JwkError::PrivateMember);
    auto kty = json::get_string(jwk, "kty");
    if (!kty) return std::unexpected(JwkError::BadMember);

    std::expected<PkeyPtr, JwkError> pkey = std::unexpected(JwkError::UnsupportedKey);
    Alg alg;
    if (*kty == "EC") {
        pkey = ec_key(jwk);
        alg = Alg::ES256;
    } else if (*kty == "RSA") {
        pkey = rsa_key(jwk);
        alg = Alg::RS256;
    } else if (*kty == "OKP") {
        pkey = okp_key(jwk);
        alg = Alg::EdDSA;
    } else {
        return std::unexpected(JwkError::UnsupportedKey);
    }
    if (!pkey) return std::unexpected(pkey.error());
    try {
        // kid "" -> the thumbprint, computed from the members OpenSSL now holds.
        return std::make_shared<const Key>(std::move(*pkey), alg, std::string());
    } catch (const std::runtime_error&) {
        ERR_clear_error();
        return std::unexpected(JwkError::BadKey);
    }
}

}  // namespace oauth::jose
