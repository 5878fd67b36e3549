// Prepared signing and verification contexts (jose/prepared.h): reused across
// many tokens, shared by threads, and every signature they make verifies with
// a context set up from scratch the way OpenSSL documents it.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "jose/key.h"
#include "jose/keygen.h"
#include "jose/prepared.h"
#include "jose_keys.h"

using oauth::jose::Alg;
using oauth::jose::Key;
using oauth::jose::KeyPtr;

namespace {

const Alg kAlgs[] = {Alg::RS256, Alg::ES256, Alg::EdDSA};

KeyPtr fresh_key(Alg alg) {
    auto key = Key::from_pem(oauth::jose::generate_private_key_pem(alg), "k");
    if (!key) throw std::runtime_error(key.error());
    return *key;
}

// Verification without the pools: a new EVP_MD_CTX per call.
bool independent_verify(const Key& key, std::string_view input, std::string sig) {
    if (key.alg() == Alg::ES256) sig = jose_test::der_of(sig);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const EVP_MD* md = key.alg() == Alg::EdDSA ? nullptr : EVP_sha256();
    bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key.pkey()) == 1 &&
              EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()),
                               sig.size(), reinterpret_cast<const unsigned char*>(input.data()),
                               input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

std::string input_of(int i) { return "eyJhbGciOiJ0ZXN0In0.token-" + std::to_string(i); }

}  // namespace

TEST(JosePrepared, ManyTokensOneContextEveryAlgorithm) {
    for (Alg alg : kAlgs) {
        SCOPED_TRACE(std::string(oauth::jose::alg_name(alg)));
        KeyPtr key = fresh_key(alg);
        for (int i = 0; i < 200; i++) {
            std::string input = input_of(i);
            std::string sig = key->sign(input);
            ASSERT_TRUE(independent_verify(*key, input, sig)) << "token " << i;
            ASSERT_TRUE(key->verify(input, sig)) << "token " << i;
            ASSERT_FALSE(key->verify(input + "x", sig)) << "token " << i;
        }
        // Used one at a time, the pools never grew past one context each.
        EXPECT_EQ(key->prepared().sign.idle(), 1u);
        EXPECT_EQ(key->prepared().verify.idle(), 1u);
    }
}

TEST(JosePrepared, SignaturesHaveTheJwsShape) {
    for (Alg alg : kAlgs) {
        KeyPtr key = fresh_key(alg);
        size_t want = alg == Alg::RS256 ? 256 : 64;  // RFC 7518 §3.3, §3.4; RFC 8032
        for (int i = 0; i < 20; i++) EXPECT_EQ(key->sign(input_of(i)).size(), want);
    }
}

TEST(JosePrepared, DeterministicAlgorithmsStayDeterministicOnAReusedContext) {
    // PKCS#1 v1.5 and Ed25519 sign deterministically: a reused context that
    // kept state from an earlier token would show here.
    for (Alg alg : {Alg::RS256, Alg::EdDSA}) {
        KeyPtr key = fresh_key(alg);
        std::string first = key->sign("same input");
        key->sign("another input");
        EXPECT_EQ(key->sign("same input"), first);
    }
    // ECDSA draws a fresh nonce each time.
    KeyPtr es = fresh_key(Alg::ES256);
    EXPECT_NE(es->sign("same input"), es->sign("same input"));
}

TEST(JosePrepared, BadSignatureLeavesTheVerifierUsable) {
    for (Alg alg : kAlgs) {
        KeyPtr key = fresh_key(alg);
        std::string sig = key->sign("input");
        std::string bad = sig;
        bad[bad.size() / 2] ^= 1;
        EXPECT_FALSE(key->verify("input", bad));
        EXPECT_FALSE(key->verify("input", std::string(sig.size(), '\0')));
        EXPECT_TRUE(key->verify("input", sig));
        EXPECT_EQ(ERR_peek_error(), 0u);
    }
}

TEST(JosePrepared, OtherKeysSignatureRefused) {
    for (Alg alg : kAlgs) {
        KeyPtr a = fresh_key(alg), b = fresh_key(alg);
        EXPECT_FALSE(b->verify("input", a->sign("input")));
    }
}

TEST(JosePrepared, PublicOnlyKeyVerifiesButCannotSign) {
    for (Alg alg : kAlgs) {
        KeyPtr priv = fresh_key(alg);
        unsigned char* der = nullptr;
        int len = i2d_PUBKEY(priv->pkey(), &der);
        ASSERT_GT(len, 0);
        const unsigned char* p = der;
        oauth::jose::PkeyPtr pub(d2i_PUBKEY(nullptr, &p, len));
        OPENSSL_free(der);
        ASSERT_TRUE(pub);
        Key public_only(std::move(pub), alg, "pub");
        std::string sig = priv->sign("input");
        EXPECT_TRUE(public_only.verify("input", sig));
        EXPECT_THROW(public_only.sign("input"), std::runtime_error);
        EXPECT_EQ(ERR_peek_error(), 0u);
        EXPECT_EQ(public_only.prepared().sign.idle(), 0u);  // nothing half-made is kept
    }
}

TEST(JosePrepared, ThreadsShareOneKey) {
    // nginx workers are single-threaded, but the KDF thread pool runs core
    // code too: concurrent signers must each get a context of their own.
    constexpr int kThreads = 4, kPerThread = 150;
    for (Alg alg : kAlgs) {
        SCOPED_TRACE(std::string(oauth::jose::alg_name(alg)));
        KeyPtr key = fresh_key(alg);
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; t++) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kPerThread; i++) {
                    std::string input = input_of(t * kPerThread + i);
                    std::string sig = key->sign(input);
                    if (!key->verify(input, sig) || key->verify(input + "!", sig)) failures++;
                }
            });
        }
        for (auto& th : threads) th.join();
        EXPECT_EQ(failures.load(), 0);
        EXPECT_GE(key->prepared().sign.idle(), 1u);
        EXPECT_LE(key->prepared().sign.idle(), static_cast<size_t>(kThreads));
        // Every context made by the threads still signs verifiably.
        for (int i = 0; i < 2 * kThreads; i++) {
            std::string sig = key->sign(input_of(i));
            EXPECT_TRUE(independent_verify(*key, input_of(i), sig));
        }
    }
}
