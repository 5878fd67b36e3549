#include "jose/keygen.h"

#include <openssl/pem.h>

#include <stdexcept>

#include "jose/ossl.h"

namespace oauth::jose {

namespace {

// RFC 7518 §3.3 minimum; larger keys only make every token slower to sign.
constexpr size_t kRsaBits = 2048;

PkeyPtr generate(Alg alg) {
    switch (alg) {
    case Alg::RS256: return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", kRsaBits));
    case Alg::ES256: return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    case Alg::EdDSA: return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    }
    return nullptr;
}

}  // namespace

std::string generate_private_key_pem(Alg alg) {
    PkeyPtr pkey = generate(alg);
    if (!pkey) throw std::runtime_error(ossl::error("key generation failed"));
    ossl::Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0,
                                         nullptr, nullptr) != 1)
        throw std::runtime_error(ossl::error("cannot write the key as PEM"));
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    std::string pem(data, static_cast<size_t>(len));
    // The memory BIO held the private key; wipe it before it is freed.
    OPENSSL_cleanse(data, static_cast<size_t>(len));
    return pem;
}

}  // namespace oauth::jose
