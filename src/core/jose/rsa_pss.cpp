// A context per call: a PS256 proof key is the client's, built for one
// request (jose/public_jwk.h), so there is nothing to prepare ahead.
#include "jose/rsa_pss.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "jose/ossl.h"
#include "util/crypto.h"

namespace oauth::jose {

bool verify_ps256(EVP_PKEY* pkey, std::string_view signing_input, std::string_view signature) {
    if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) return false;
    ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    util::Sha256Digest digest = util::sha256_digest(signing_input);
    const EVP_MD* md = util::sha256_md();
    bool ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
              EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) == 1 &&
              EVP_PKEY_CTX_set_signature_md(ctx.get(), md) == 1 &&
              EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) == 1 &&
              EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), static_cast<int>(digest.size())) == 1 &&
              EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                              signature.size(), digest.data(), digest.size()) == 1;
    ERR_clear_error();
    return ok;
}

}  // namespace oauth::jose
