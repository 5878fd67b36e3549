// Password and client-secret hashing: scrypt (RFC 7914) through OpenSSL's
// EVP_PBE_scrypt, encoded "$scrypt$ln=L,r=R,p=P$SALT$HASH" (standard base64),
// so every stored hash carries its own cost and can be verified forever.
//
// Costs: passwords use N=2^15, r=8, p=1 (32 MiB, 60-150 ms on our 2-core build host;
// RFC 7914 §2 and OWASP's scrypt floor). Client secrets are generated with 256
// random bits, so no dictionary attack applies; they use N=2^12 (4 MiB, a few
// ms, ~18 measured) and a verification cache on top (oauth/client_auth.h).
//
// This is CPU work that must never run on the nginx event loop: flows call it
// from Flow::offload().
#pragma once
#include <string>
#include <string_view>

namespace oauth::util {

struct ScryptCost {
    int ln;  // log2(N)
    int r;
    int p;
    bool operator==(const ScryptCost&) const = default;
};

inline constexpr ScryptCost kPasswordCost{15, 8, 1};
inline constexpr ScryptCost kClientSecretCost{12, 8, 1};

// A fresh 16-byte salt from RAND_bytes, 32-byte derived key.
std::string hash_secret(std::string_view secret, ScryptCost cost = kPasswordCost);

// Constant-time comparison of the derived key. False for a malformed
// encoding or a cost outside sane bounds (a tampered record must not make us
// allocate gigabytes).
bool verify_secret(std::string_view secret, std::string_view encoded);

// What an unknown account (a user, a client) is verified against, so that
// it costs the same KDF as a known one: the hash, at that cost, of a random
// secret that is forgotten at once, so it matches nothing anyone can send.
// kPasswordCost or kClientSecretCost; made on first use (on the thread that
// verifies).
const std::string& unmatchable_hash(ScryptCost cost);

}  // namespace oauth::util
