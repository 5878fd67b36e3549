// Signing keys: PEM private keys turned into OpenSSL objects once, at
// configuration time, then used to sign and verify and published as JWKs.
#pragma once
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

struct Prepared;  // jose/prepared.h: this key's reusable OpenSSL contexts

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
    // SHA-256 as raw r||s (64 bytes, RFC 7518 §3.4), or Ed25519. Throws
    // std::runtime_error only if OpenSSL itself fails (out of memory).
    std::string sign(std::string_view signing_input) const;
    // ES256 accepts only the raw 64-byte r||s form, never DER.
    bool verify(std::string_view signing_input, std::string_view signature) const;

    // pkey must match alg (from_pem guarantees it); it may be public-only, in
    // which case the key can verify, publish and thumbprint but not sign.
    // Reads the public members once, so publishing never re-derives them.
    // Throws std::runtime_error if they cannot be read.
    Key(PkeyPtr pkey, Alg alg, std::string kid);
    ~Key();
    Key(const Key&) = delete;
    Key& operator=(const Key&) = delete;

    // The contexts sign() and verify() borrow (for tests).
    Prepared& prepared() const { return *prepared_; }

private:
    PkeyPtr pkey_;
    Alg alg_;
    std::string kid_;
    // RFC 7638 §3.2 required members besides kty, in publishing order:
    // n e (RSA), crv x y (EC), crv x (OKP).
    std::string_view kty_;
    std::vector<std::pair<const char*, std::string>> members_;
    // Prepared once, used by every signature and verification of this key
    // (mutable state behind a const Key: the pools lock, see prepared.h).
    std::unique_ptr<Prepared> prepared_;
};

using KeyPtr = std::shared_ptr<const Key>;

}  // namespace oauth::jose
