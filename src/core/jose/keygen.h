// Fresh signing keys for `oauthctl key generate` (SPEC §6).
#pragma once
#include <string>

#include "jose/key.h"

namespace oauth::jose {

// A new private key for alg as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"):
// RSA 2048 bits (RS256), P-256 (ES256) or Ed25519 (EdDSA); Key::from_pem
// loads it back. Throws std::runtime_error if OpenSSL fails.
std::string generate_private_key_pem(Alg alg);

}  // namespace oauth::jose
