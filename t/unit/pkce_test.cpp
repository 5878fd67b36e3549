// PKCE at the token endpoint (RFC 7636), on the specification's own vector.
#include <gtest/gtest.h>

#include <string>

#include "oauth/grants/pkce.h"

namespace oauth::pkce {
namespace {

// RFC 7636 Appendix B.
constexpr const char* kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

TEST(Pkce, S256MatchesRfc7636AppendixB) {
    EXPECT_EQ(s256(kVerifier), kChallenge);
    EXPECT_EQ(verify(kChallenge, "S256", std::string_view(kVerifier)), Outcome::Ok);
}

TEST(Pkce, WrongVerifierIsMismatch) {
    std::string other(kVerifier);
    other.back() = 'j';
    EXPECT_EQ(verify(kChallenge, "S256", std::string_view(other)), Outcome::Mismatch);
    // The challenge itself sent as verifier (a "plain" downgrade) fails too.
    EXPECT_EQ(verify(kChallenge, "S256", std::string_view(kChallenge)), Outcome::Mismatch);
}

TEST(Pkce, ChallengeWithoutVerifierAndTheReverse) {
    EXPECT_EQ(verify(kChallenge, "S256", std::nullopt), Outcome::MissingVerifier);
    EXPECT_EQ(verify("", "", std::string_view(kVerifier)), Outcome::UnexpectedVerifier);
    EXPECT_EQ(verify("", "", std::nullopt), Outcome::Ok);
}

TEST(Pkce, PlainIsNeverAccepted) {
    // Even with the verifier equal to the stored challenge.
    EXPECT_EQ(verify(kVerifier, "plain", std::string_view(kVerifier)), Outcome::UnsupportedMethod);
    EXPECT_EQ(verify(kChallenge, "", std::string_view(kVerifier)), Outcome::UnsupportedMethod);
}

TEST(Pkce, VerifierSyntax) {
    EXPECT_TRUE(valid_verifier(kVerifier));
    EXPECT_TRUE(valid_verifier(std::string(43, 'a')));
    EXPECT_TRUE(valid_verifier(std::string(128, '~')));
    EXPECT_TRUE(valid_verifier("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ-._~0123456789"));
    EXPECT_FALSE(valid_verifier(std::string(42, 'a')));
    EXPECT_FALSE(valid_verifier(std::string(129, 'a')));
    EXPECT_FALSE(valid_verifier(std::string(42, 'a') + "+"));
    EXPECT_FALSE(valid_verifier(std::string(42, 'a') + "="));
    EXPECT_FALSE(valid_verifier(std::string(42, 'a') + " "));
    // A malformed verifier fails before any hashing, even if it were to match.
    std::string bad = std::string(30, 'a') + "/";
    EXPECT_EQ(verify(s256(bad), "S256", std::string_view(bad)), Outcome::MalformedVerifier);
}

TEST(Pkce, ChallengeSyntax) {
    EXPECT_TRUE(valid_challenge(kChallenge, "S256"));
    EXPECT_FALSE(valid_challenge(kChallenge, "plain"));
    EXPECT_FALSE(valid_challenge(std::string(kChallenge) + "=", "S256"));
    EXPECT_FALSE(valid_challenge(std::string(42, 'a') + ".", "S256"));
    EXPECT_FALSE(valid_challenge(std::string(44, 'a'), "S256"));
}

}  // namespace
}  // namespace oauth::pkce
