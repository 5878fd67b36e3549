// Signing keys: PEM private keys turned into OpenSSL objects once, at
// configuration time, then used to sign and verify and published as JWKs.
#pragma once
#include <memory>
#include <optional>
#include <expected>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "json/json.h"

namespace oauth::jose {

// RFC 7518 §3.1 / RFC 8037 §3.1: the one algorithm each key type signs with.
enum class Alg { RS256, ES256, EdDSA };
std::string_view alg_name(Alg alg);
std::optional<Alg> alg_from_name(std::string_view name);

struct PkeyFree {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

class Key {
public:
    // RSA >= 2048 bits -> RS256, P-256 -> ES256, Ed25519 -> EdDSA; anything
    // else is refused with a message fit for `nginx -t`. An empty kid means the
    // RFC 7638 thumbprint.
    static std::expected<std::shared_ptr<const Key>, std::string>
    from_pem(std::string_view pem, std::string_view kid = {});
    static std::expected<std::shared_ptr<const Key>, std::string>
    load_file(const std::string& path, std::string_view kid = {});

    Alg alg() const { return alg_; }
    const std::string& kid() const { return kid_; }
    EVP_PKEY* pkey() const { return pkey_.get(); }

    // The public JWK: kty, kid, use "sig", alg, and n e | crv x y | crv x.
    // Never a private member.
    json::Json public_jwk() const;
    // RFC 7638 thumbprint (base64url of SHA-256 of the canonical members).
    std::string thumbprint() const;

    // JWS signature over signing_input: RSASSA-PKCS1-v1_5 SHA-256, ECDSA P-256
    // SHA-256 as raw r||s (64 bytes, RFC 7518 §3.4), or Ed25519.
    std::string sign(std::string_view signing_input) const;
    bool verify(std::string_view signing_input, std::string_view signature) const;

    Key(PkeyPtr pkey, Alg alg, std::string kid)
        : pkey_(std::move(pkey)), alg_(alg), kid_(std::move(kid)) {}

private:
    PkeyPtr pkey_;
    Alg alg_;
    std::string kid_;
};

using KeyPtr = std::shared_ptr<const Key>;

}  // namespace oauth::jose
