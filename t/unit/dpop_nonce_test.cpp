// Stateless DPoP nonces (dpop/nonce.h): the key every node derives alike,
// the windows, and what a flow does with a proof's nonce.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "dpop/nonce.h"
#include "jose/keygen.h"
#include "jose/ossl.h"

namespace {

using namespace oauth;
using dpop::NonceVerdict;

constexpr int64_t kNow = 1'700'000'000;  // window 5666666 of 300 s
constexpr int64_t kLife = 300;

jose::KeyPtr key_from(const std::string& pem) {
    auto k = jose::Key::from_pem(pem);
    if (!k) throw std::runtime_error(k.error());
    return *k;
}

// RFC 8037 A.1's Ed25519 key, as PKCS#8.
constexpr const char* kRfc8037Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";

std::vector<dpop::NonceKey> keys_of(std::initializer_list<jose::KeyPtr> keys) {
    std::vector<jose::KeyPtr> v(keys);
    return dpop::derive_nonce_keys(v);
}

// The same key written the other way (traditional PKCS#1 / SEC1 vs PKCS#8).
std::string traditional_pem(const jose::Key& key) {
    jose::ossl::Bio bio(BIO_new(BIO_s_mem()));
    EXPECT_EQ(PEM_write_bio_PrivateKey_traditional(bio.get(), key.pkey(), nullptr, nullptr, 0, nullptr,
                                                   nullptr),
              1);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
}

}  // namespace

// A vector computed outside the module (Python hmac over the RFC 8037 seed),
// so the derivation README.md states is the one the code runs.
TEST(DpopNonce, KnownAnswerForTheRfc8037Key) {
    auto keys = keys_of({key_from(kRfc8037Pem)});
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_EQ(dpop::nonce_for(keys[0], kLife, kNow), "mR4wAdh8LT4mrfD81xasBA");
    EXPECT_EQ(dpop::nonce_for(keys[0], kLife, kNow - kLife), "7HobEfP6RHF9VyxKIdw-Xg");
}

TEST(DpopNonce, EveryNodeDerivesTheSameKeyWhateverThePemForm) {
    for (auto alg : {jose::Alg::RS256, jose::Alg::ES256, jose::Alg::EdDSA}) {
        std::string pem = jose::generate_private_key_pem(alg);
        auto a = key_from(pem);
        auto b = key_from(alg == jose::Alg::EdDSA ? pem : traditional_pem(*a));
        auto ka = keys_of({a}), kb = keys_of({b});
        ASSERT_EQ(ka.size(), 1u) << jose::alg_name(alg);
        EXPECT_EQ(ka, kb) << jose::alg_name(alg);
        auto other = keys_of({key_from(jose::generate_private_key_pem(alg))});
        EXPECT_NE(ka, other) << jose::alg_name(alg);
    }
}

TEST(DpopNonce, CurrentAndPreviousWindowsAreAcceptedNothingElse) {
    auto keys = keys_of({key_from(kRfc8037Pem)});
    std::string now = dpop::nonce_for(keys[0], kLife, kNow);
    std::string prev = dpop::nonce_for(keys[0], kLife, kNow - kLife);
    std::string older = dpop::nonce_for(keys[0], kLife, kNow - 2 * kLife);
    std::string next = dpop::nonce_for(keys[0], kLife, kNow + kLife);
    EXPECT_EQ(dpop::judge_nonce(keys, kLife, kNow, now), NonceVerdict::Current);
    EXPECT_EQ(dpop::judge_nonce(keys, kLife, kNow, prev), NonceVerdict::Previous);
    EXPECT_EQ(dpop::judge_nonce(keys, kLife, kNow, older), NonceVerdict::Refused);
    EXPECT_EQ(dpop::judge_nonce(keys, kLife, kNow, next), NonceVerdict::Refused);
    EXPECT_EQ(dpop::judge_nonce(keys, kLife, kNow, std::nullopt), NonceVerdict::Refused);
    EXPECT_EQ(dpop::judge_nonce(keys, kLife, kNow, std::string()), NonceVerdict::Refused);
    EXPECT_EQ(dpop::judge_nonce(keys, kLife, kNow, now + "x"), NonceVerdict::Refused);
    // Another lifetime makes other nonces, even for the same window number.
    EXPECT_EQ(dpop::judge_nonce(keys, kLife + 1, kNow, now), NonceVerdict::Refused);
    // The window turns on the multiple of the lifetime.
    int64_t edge = (kNow / kLife + 1) * kLife;
    EXPECT_EQ(dpop::nonce_for(keys[0], kLife, edge - 1), now);
    EXPECT_NE(dpop::nonce_for(keys[0], kLife, edge), now);
    EXPECT_EQ(dpop::judge_nonce(keys, kLife, edge, now), NonceVerdict::Previous);
    EXPECT_EQ(dpop::judge_nonce(keys, kLife, edge + kLife, now), NonceVerdict::Refused);
}

TEST(DpopNonce, AnotherServersNonceIsRefusedAKeyInTheListIsAccepted) {
    auto a = key_from(jose::generate_private_key_pem(jose::Alg::ES256));
    auto b = key_from(jose::generate_private_key_pem(jose::Alg::ES256));
    auto only_a = keys_of({a});
    auto b_then_a = keys_of({b, a});  // a node that already signs with b
    std::string by_a = dpop::nonce_for(only_a[0], kLife, kNow);
    EXPECT_EQ(dpop::judge_nonce(keys_of({b}), kLife, kNow, by_a), NonceVerdict::Refused);
    EXPECT_EQ(dpop::judge_nonce(b_then_a, kLife, kNow, by_a), NonceVerdict::Current);
    // That node issues with its signer, b.
    auto d = dpop::decide_nonce(b_then_a, kLife, kNow, std::nullopt);
    EXPECT_EQ(d.send, dpop::nonce_for(b_then_a[0], kLife, kNow));
}

TEST(DpopNonce, WhatAFlowDoes) {
    auto keys = keys_of({key_from(kRfc8037Pem)});
    std::string now = dpop::nonce_for(keys[0], kLife, kNow);
    // Off: nothing refused, nothing sent, whatever the proof says.
    auto off = dpop::decide_nonce(keys, 0, kNow, std::nullopt);
    EXPECT_FALSE(off.refused);
    EXPECT_EQ(off.send, "");
    auto current = dpop::decide_nonce(keys, kLife, kNow, now);
    EXPECT_FALSE(current.refused);
    EXPECT_EQ(current.send, "");
    auto rotated = dpop::decide_nonce(keys, kLife, kNow + kLife, now);
    EXPECT_FALSE(rotated.refused);
    EXPECT_EQ(rotated.send, dpop::nonce_for(keys[0], kLife, kNow + kLife));
    auto missing = dpop::decide_nonce(keys, kLife, kNow, std::nullopt);
    EXPECT_TRUE(missing.refused);
    EXPECT_EQ(missing.send, now);
    auto stale = dpop::decide_nonce(keys, kLife, kNow + 2 * kLife, now);
    EXPECT_TRUE(stale.refused);
    // No key to issue with: refused, never silently off.
    EXPECT_TRUE(dpop::decide_nonce({}, kLife, kNow, now).refused);
}
