// The proof algorithms beyond the ones our own keys sign with: PS256
// (RSASSA-PSS, RFC 7518 §3.5) by an RSA jwk, and "Ed25519", the fully
// specified name of EdDSA over Ed25519 (RFC 9864) that panva's dpop 2.x
// sends. Each verifies only as itself.
#include <gtest/gtest.h>
#include <openssl/rsa.h>

#include "dpop/proof.h"
#include "dpop_helpers.h"
#include "jose/ossl.h"
#include "jose/rsa_pss.h"
#include "util/crypto.h"

using namespace oauth;
using namespace oauth::dpop;
using namespace oauth::dpop::testing;

namespace {

const jose::KeyPtr& rsa_key() {
    static jose::KeyPtr k = client_key(jose::Alg::RS256);
    return k;
}
const jose::KeyPtr& ed_key() {
    static jose::KeyPtr k = client_key(jose::Alg::EdDSA);
    return k;
}

// RSASSA-PSS SHA-256 over input with the given salt length, as a client
// signs it (the module itself never signs PS256).
std::string pss_sign(const jose::Key& key, std::string_view input, int salt) {
    jose::ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.pkey(), nullptr));
    util::Sha256Digest d = util::sha256_digest(input);
    EXPECT_TRUE(ctx && EVP_PKEY_sign_init(ctx.get()) == 1 &&
                EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) == 1 &&
                EVP_PKEY_CTX_set_signature_md(ctx.get(), util::sha256_md()) == 1 &&
                EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), util::sha256_md()) == 1 &&
                EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), salt) == 1);
    size_t len = 0;
    EVP_PKEY_sign(ctx.get(), nullptr, &len, d.data(), d.size());
    std::string sig(len, '\0');
    EXPECT_EQ(EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, d.data(),
                            d.size()),
              1);
    sig.resize(len);
    return sig;
}

std::string input_of(const json_t* header, const json_t* claims) {
    return util::base64url_encode(json::dump(header)) + "." + util::base64url_encode(json::dump(claims));
}

std::string ps256_proof(const jose::Key& key, int salt = 32, std::string_view alg = "PS256") {
    json::Json h = proof_header(key);
    json::set(h.get(), "alg", alg);
    json::Json c = proof_claims();
    std::string input = input_of(h.get(), c.get());
    return input + "." + util::base64url_encode(pss_sign(key, input, salt));
}

Expect at_token_endpoint() {
    return Expect{.method = "GET", .url = "https://api.example.com/orders", .now = kNow, .leeway = 30,
                  .access_token = {}, .jkt = {}};
}

std::optional<ProofError> refusal(const std::string& p) {
    auto r = verify_proof(p, at_token_endpoint());
    if (r) return std::nullopt;
    return r.error();
}

std::string with_alg(const jose::Key& key, std::string_view alg) {
    json::Json h = proof_header(key);
    json::set(h.get(), "alg", alg);
    json::Json c = proof_claims();
    return sign_proof(key, h.get(), c.get());
}

}  // namespace

TEST(DpopAlgs, Ps256VerifiesWithTheRsaJwk) {
    auto p = verify_proof(ps256_proof(*rsa_key()), at_token_endpoint());
    ASSERT_TRUE(p.has_value()) << error_text(p.error());
    EXPECT_EQ(p->jkt, rsa_key()->thumbprint());
}

TEST(DpopAlgs, Ps256IsNotRs256AndBackwards) {
    // A PKCS#1 v1.5 signature named PS256, and a PSS one named RS256.
    EXPECT_EQ(refusal(with_alg(*rsa_key(), "PS256")), ProofError::BadSignature);
    EXPECT_EQ(refusal(ps256_proof(*rsa_key(), 32, "RS256")), ProofError::BadSignature);
}

TEST(DpopAlgs, Ps256TakesOnlyTheRfcSaltLength) {
    // RFC 7518 §3.5: the salt is as long as the hash; 0 and 64 are refused.
    EXPECT_EQ(refusal(ps256_proof(*rsa_key(), 0)), ProofError::BadSignature);
    EXPECT_EQ(refusal(ps256_proof(*rsa_key(), 64)), ProofError::BadSignature);
}

TEST(DpopAlgs, Ps256NeedsAnRsaKey) {
    EXPECT_EQ(refusal(with_alg(*es_key(), "PS256")), ProofError::BadAlg);
    EXPECT_FALSE(jose::verify_ps256(es_key()->pkey(), "x", std::string(64, 'a')));
    EXPECT_FALSE(jose::verify_ps256(nullptr, "x", "y"));
}

TEST(DpopAlgs, Ed25519IsEdDsaByItsFullySpecifiedName) {
    auto p = verify_proof(with_alg(*ed_key(), "Ed25519"), at_token_endpoint());
    ASSERT_TRUE(p.has_value()) << error_text(p.error());
    EXPECT_EQ(p->jkt, ed_key()->thumbprint());
    EXPECT_TRUE(verify_proof(with_alg(*ed_key(), "EdDSA"), at_token_endpoint()));
    // Only for an OKP Ed25519 jwk, and spelt exactly.
    EXPECT_EQ(refusal(with_alg(*es_key(), "Ed25519")), ProofError::BadAlg);
    EXPECT_EQ(refusal(with_alg(*ed_key(), "ed25519")), ProofError::BadAlg);
    EXPECT_EQ(refusal(with_alg(*ed_key(), "Ed448")), ProofError::BadAlg);
}

TEST(DpopAlgs, TheAnnouncedListIsWhatVerifies) {
    EXPECT_EQ(kAlgs, "ES256 RS256 PS256 EdDSA Ed25519");
    for (auto alg : supported_algs()) {
        const jose::Key& key = alg == "ES256" ? *es_key() : alg.starts_with("E") ? *ed_key() : *rsa_key();
        std::string p = alg == "PS256" ? ps256_proof(key) : with_alg(key, alg);
        EXPECT_TRUE(verify_proof(p, at_token_endpoint())) << alg;
    }
}
