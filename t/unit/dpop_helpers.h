// Shared by the dpop_*_test.cpp files: a client's proof key and a proof
// factory where a test changes one header member or claim.
#pragma once
#include <string>

#include "dpop/proof.h"
#include "jose/key.h"
#include "jose/keygen.h"
#include "json/json.h"
#include "util/encoding.h"

namespace oauth::dpop::testing {

inline constexpr int64_t kNow = 1'700'000'000;

inline jose::KeyPtr client_key(jose::Alg alg) {
    auto key = jose::Key::from_pem(jose::generate_private_key_pem(alg));
    if (!key) throw std::runtime_error(key.error());
    return *key;
}
inline const jose::KeyPtr& es_key() {
    static jose::KeyPtr k = client_key(jose::Alg::ES256);
    return k;
}

// The public JWK as a client sends it: kty and the key members only.
inline json::Json client_jwk(const jose::Key& key) {
    json::Json jwk = key.public_jwk();
    json_object_del(jwk.get(), "kid");
    json_object_del(jwk.get(), "use");
    json_object_del(jwk.get(), "alg");
    return jwk;
}

inline json::Json proof_header(const jose::Key& key) {
    json::Json h(json_object());
    json::set(h.get(), "typ", "dpop+jwt");
    json::set(h.get(), "alg", jose::alg_name(key.alg()));
    json::set_new(h.get(), "jwk", client_jwk(key).release());
    return h;
}

inline json::Json proof_claims(std::string_view method = "GET",
                               std::string_view htu = "https://api.example.com/orders",
                               int64_t iat = kNow, std::string_view jti = "proof-jti-1") {
    json::Json c(json_object());
    json::set(c.get(), "jti", jti);
    json::set(c.get(), "htm", method);
    json::set(c.get(), "htu", htu);
    json::set(c.get(), "iat", iat);
    return c;
}

inline std::string sign_proof(const jose::Key& key, const json_t* header, const json_t* claims) {
    std::string input = util::base64url_encode(json::dump(header)) + "." +
                        util::base64url_encode(json::dump(claims));
    return input + "." + util::base64url_encode(key.sign(input));
}

inline std::string proof(const jose::Key& key, const json_t* claims) {
    json::Json h = proof_header(key);
    return sign_proof(key, h.get(), claims);
}

}  // namespace oauth::dpop::testing
