// jose::Key: loading, classification, public JWKs, thumbprints and the
// signatures of each algorithm against the RFC vectors.
#include <gtest/gtest.h>
#include <openssl/ecdsa.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "jose/key.h"
#include "jose/keygen.h"
#include "jose_keys.h"
#include "util/encoding.h"
#include "vectors/jose_rfc.h"

using namespace oauth::jose;
using namespace jose_test;
namespace rfc = jose_rfc;

namespace {

KeyPtr rfc7515_a2_key(std::string_view kid = {}) {
    auto pkey = rsa(rfc::a2::n, rfc::a2::e, rfc::a2::d, rfc::a2::p, rfc::a2::q, rfc::a2::dp,
                    rfc::a2::dq, rfc::a2::qi);
    return load(pkey.get(), kid);
}
KeyPtr rfc7515_a3_key() { return load(p256(rfc::a3::x, rfc::a3::y, rfc::a3::d).get()); }
KeyPtr rfc8037_key() { return load(ed25519(rfc::rfc8037::x, rfc::rfc8037::d).get()); }

std::string member(const Key& key, const char* name) {
    auto jwk = key.public_jwk();
    auto v = oauth::json::get_string(jwk.get(), name);
    return v ? std::string(*v) : std::string("<absent>");
}

void expect_no_private_member(const Key& key) {
    auto jwk = key.public_jwk();
    for (const char* m : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
        EXPECT_EQ(json_object_get(jwk.get(), m), nullptr) << m;
}

std::string error_of(std::string_view pem) {
    auto key = Key::from_pem(pem);
    return key ? std::string("<loaded>") : key.error();
}

}  // namespace

TEST(JoseAlg, NamesRoundTripCaseSensitively) {
    for (Alg a : {Alg::RS256, Alg::ES256, Alg::EdDSA}) EXPECT_EQ(alg_from_name(alg_name(a)), a);
    EXPECT_FALSE(alg_from_name("rs256"));
    EXPECT_FALSE(alg_from_name("none"));
    EXPECT_FALSE(alg_from_name("HS256"));
    EXPECT_FALSE(alg_from_name("ES256 "));
}

// RFC 7515 A.2: PKCS#1 v1.5 is deterministic, so signing the published input
// must reproduce the published signature byte for byte.
TEST(JoseRs256, Rfc7515A2SignMatchesAndVerifies) {
    auto key = rfc7515_a2_key();
    EXPECT_EQ(key->alg(), Alg::RS256);
    std::string sig = unb64(rfc::a2::signature);
    EXPECT_TRUE(key->verify(rfc::a2::signing_input, sig));
    EXPECT_EQ(oauth::util::base64url_encode(key->sign(rfc::a2::signing_input)),
              rfc::a2::signature);
    EXPECT_FALSE(key->verify(std::string(rfc::a2::signing_input) + "x", sig));
    std::string flipped = sig;
    flipped[10] ^= 0x01;
    EXPECT_FALSE(key->verify(rfc::a2::signing_input, flipped));
    EXPECT_FALSE(key->verify(rfc::a2::signing_input, sig.substr(1)));
}

TEST(JoseRs256, PublicJwkHasTheRfcModulusAndNoPrivateMember) {
    auto key = rfc7515_a2_key("2011-04-29");
    EXPECT_EQ(key->kid(), "2011-04-29");
    EXPECT_EQ(oauth::json::dump(key->public_jwk().get()),
              "{\"kty\":\"RSA\",\"kid\":\"2011-04-29\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"" +
                  std::string(rfc::a2::n) + "\",\"e\":\"AQAB\"}");
    expect_no_private_member(*key);
}

// RFC 7638 §3.1 example, on a public-only key: the thumbprint needs no
// private part, and it is the default kid.
TEST(JoseThumbprint, Rfc7638Example) {
    Key key(rsa(rfc::rfc7638::n, rfc::rfc7638::e), Alg::RS256, "");
    EXPECT_EQ(key.thumbprint(), rfc::rfc7638::thumbprint);
    EXPECT_EQ(key.kid(), rfc::rfc7638::thumbprint);
    Key named(rsa(rfc::rfc7638::n, rfc::rfc7638::e), Alg::RS256, "k1");
    EXPECT_EQ(named.kid(), "k1");
    EXPECT_EQ(named.thumbprint(), rfc::rfc7638::thumbprint);  // kid is not hashed
}

TEST(JoseEs256, Rfc7515A3VerifiesAndRoundTrips) {
    auto key = rfc7515_a3_key();
    EXPECT_EQ(key->alg(), Alg::ES256);
    std::string sig = unb64(rfc::a3::signature);
    EXPECT_TRUE(key->verify(rfc::a3::signing_input, sig));

    std::string mine = key->sign(rfc::a3::signing_input);
    EXPECT_EQ(mine.size(), 64u);  // RFC 7518 §3.4: raw r||s
    EXPECT_TRUE(key->verify(rfc::a3::signing_input, mine));
    EXPECT_NE(mine, key->sign(rfc::a3::signing_input));  // randomized k
    std::string flipped = sig;
    flipped[63] ^= 0x80;
    EXPECT_FALSE(key->verify(rfc::a3::signing_input, flipped));
    EXPECT_FALSE(key->verify(rfc::a3::signing_input, std::string(64, '\0')));
}

TEST(JoseEs256, DerSignatureIsRefused) {
    auto key = rfc7515_a3_key();
    std::string raw = unb64(rfc::a3::signature);
    std::string der_sig = der_of(raw);
    ASSERT_GT(der_sig.size(), 64u);
    EXPECT_FALSE(key->verify(rfc::a3::signing_input, der_sig));
    EXPECT_FALSE(key->verify(rfc::a3::signing_input, raw.substr(0, 63)));
}

TEST(JoseEs256, PublicJwk) {
    auto key = rfc7515_a3_key();
    EXPECT_EQ(member(*key, "kty"), "EC");
    EXPECT_EQ(member(*key, "crv"), "P-256");
    EXPECT_EQ(member(*key, "x"), rfc::a3::x);
    EXPECT_EQ(member(*key, "y"), rfc::a3::y);
    EXPECT_EQ(member(*key, "use"), "sig");
    EXPECT_EQ(member(*key, "alg"), "ES256");
    EXPECT_EQ(member(*key, "kid"), key->thumbprint());
    expect_no_private_member(*key);
}

// RFC 8037 A.1-A.5.
TEST(JoseEdDsa, Rfc8037Vectors) {
    auto key = rfc8037_key();
    EXPECT_EQ(key->alg(), Alg::EdDSA);
    EXPECT_EQ(member(*key, "kty"), "OKP");                  // A.2
    EXPECT_EQ(member(*key, "crv"), "Ed25519");
    EXPECT_EQ(member(*key, "x"), rfc::rfc8037::x);
    EXPECT_EQ(key->thumbprint(), rfc::rfc8037::thumbprint);  // A.3
    EXPECT_EQ(key->kid(), rfc::rfc8037::thumbprint);
    EXPECT_EQ(oauth::util::base64url_encode(key->sign(rfc::rfc8037::signing_input)),
              rfc::rfc8037::signature);                      // A.4
    std::string sig = unb64(rfc::rfc8037::signature);
    EXPECT_TRUE(key->verify(rfc::rfc8037::signing_input, sig));  // A.5
    sig[0] ^= 1;
    EXPECT_FALSE(key->verify(rfc::rfc8037::signing_input, sig));
    expect_no_private_member(*key);
}

TEST(JoseKeyLoad, TraditionalPemFormsLoad) {
    auto rsa_key = rsa(rfc::a2::n, rfc::a2::e, rfc::a2::d, rfc::a2::p, rfc::a2::q, rfc::a2::dp,
                       rfc::a2::dq, rfc::a2::qi);
    std::string rsa_pem = private_pem(rsa_key.get(), true);
    ASSERT_NE(rsa_pem.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
    auto a = Key::from_pem(rsa_pem);
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ((*a)->alg(), Alg::RS256);

    auto ec_key = p256(rfc::a3::x, rfc::a3::y, rfc::a3::d);
    // `openssl ecparam -genkey` writes an EC PARAMETERS block first.
    std::string ec_pem = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
                         "-----END EC PARAMETERS-----\n" + private_pem(ec_key.get(), true);
    auto b = Key::from_pem(ec_pem);
    ASSERT_TRUE(b) << b.error();
    EXPECT_EQ((*b)->alg(), Alg::ES256);
}

TEST(JoseKeyLoad, RefusesSmallRsa) {
    auto k = generate("RSA", nullptr, 1024);
    EXPECT_NE(error_of(private_pem(k.get())).find("RSA key under 2048 bits"), std::string::npos);
}

TEST(JoseKeyLoad, RefusesOtherCurvesAndTypes) {
    auto p384 = generate("EC", "P-384");
    EXPECT_NE(error_of(private_pem(p384.get())).find("unsupported EC curve secp384r1"),
              std::string::npos);
    auto ed448 = generate("ED448");
    EXPECT_NE(error_of(private_pem(ed448.get())).find("unsupported key type ED448"),
              std::string::npos);
    auto x25519 = generate("X25519");
    EXPECT_NE(error_of(private_pem(x25519.get())).find("unsupported key type X25519"),
              std::string::npos);
}

TEST(JoseKeyLoad, RefusesNonKeysWithAReason) {
    auto ec = p256(rfc::a3::x, rfc::a3::y, rfc::a3::d);
    EXPECT_NE(error_of(public_pem(ec.get())).find("public key"), std::string::npos);
    EXPECT_NE(error_of("hello").find("no PEM private key"), std::string::npos);
    EXPECT_NE(error_of("").find("no PEM private key"), std::string::npos);

    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PKCS8PrivateKey(bio, ec.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                  const_cast<char*>("secret"));
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string encrypted(data, static_cast<size_t>(len));
    BIO_free(bio);
    EXPECT_NE(error_of(encrypted).find("encrypted private keys are not supported"),
              std::string::npos);
}

TEST(JoseKeyLoad, RefusesBadKid) {
    auto ec = p256(rfc::a3::x, rfc::a3::y, rfc::a3::d);
    std::string pem = private_pem(ec.get());
    EXPECT_FALSE(Key::from_pem(pem, "has space"));
    EXPECT_FALSE(Key::from_pem(pem, "ctl\x01"));
    EXPECT_FALSE(Key::from_pem(pem, std::string(300, 'k')));
    auto ok = Key::from_pem(pem, "k-1_2025");
    ASSERT_TRUE(ok);
    EXPECT_EQ((*ok)->kid(), "k-1_2025");
}

TEST(JoseKeyLoad, FileErrorsNameThePathAndTheCause) {
    auto missing = Key::load_file("/nonexistent/dir/key.pem");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find("/nonexistent/dir/key.pem"), std::string::npos);
    EXPECT_NE(missing.error().find("No such file or directory"), std::string::npos);

    auto dir = Key::load_file("/");
    ASSERT_FALSE(dir);
    EXPECT_NE(dir.error().find("Is a directory"), std::string::npos);

    char path[] = "/tmp/oauth_key_test_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    std::string pem = generate_private_key_pem(Alg::ES256);
    ASSERT_EQ(write(fd, pem.data(), pem.size()), static_cast<ssize_t>(pem.size()));
    close(fd);
    auto key = Key::load_file(path, "file-key");
    EXPECT_TRUE(key) << (key ? "" : key.error());
    if (key) {
        EXPECT_EQ((*key)->kid(), "file-key");
    }
    unlink(path);
}

TEST(JoseKeygen, EveryAlgorithmLoadsBackAndSigns) {
    for (Alg alg : {Alg::RS256, Alg::ES256, Alg::EdDSA}) {
        std::string pem = generate_private_key_pem(alg);
        EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
        auto key = Key::from_pem(pem);
        ASSERT_TRUE(key) << key.error();
        EXPECT_EQ((*key)->alg(), alg);
        EXPECT_TRUE((*key)->verify("input", (*key)->sign("input")));
        EXPECT_NE(generate_private_key_pem(alg), pem);
        if (alg == Alg::RS256) {
            EXPECT_EQ(EVP_PKEY_get_bits((*key)->pkey()), 2048);
        }
    }
}
