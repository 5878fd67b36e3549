// RSASSA-PSS with SHA-256 (JWS "PS256", RFC 7518 §3.5): MGF1 with SHA-256
// and a salt as long as the hash (32 bytes), as the RFC fixes it. Verify
// only: we take PS256 from DPoP clients (RFC 9449 §4.2) but sign nothing
// with it.
#pragma once
#include <string_view>

#include <openssl/evp.h>

namespace oauth::jose {

// pkey: an RSA public key. False for a bad signature and whenever OpenSSL
// refuses (its error queue is cleared).
bool verify_ps256(EVP_PKEY* pkey, std::string_view signing_input, std::string_view signature);

}  // namespace oauth::jose
