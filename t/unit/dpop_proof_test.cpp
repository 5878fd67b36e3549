// DPoP proof verification (RFC 9449 §4.3), one rule a test, on canned
// proofs: the RFC's own examples and proofs signed here with one thing
// changed.
#include <gtest/gtest.h>

#include "dpop/proof.h"
#include "dpop/replay.h"
#include "dpop_helpers.h"
#include "jose/public_jwk.h"
#include "util/crypto.h"

using namespace oauth;
using namespace oauth::dpop;
using namespace oauth::dpop::testing;

namespace {

// RFC 9449 figure 2 (§4.1) and figure 13 (§7.1), their access token and the
// thumbprint of their key (§6.1).
constexpr std::string_view kRfcTokenProof =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19"
    ".eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ"
    ".2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
constexpr std::string_view kRfcResourceProof =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19"
    ".eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9"
    ".2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";
constexpr std::string_view kRfcAccessToken = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
constexpr std::string_view kRfcJkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

Expect at_resource(std::string_view token = "the-access-token", std::string_view jkt = {}) {
    return Expect{.method = "GET", .url = "https://api.example.com/orders", .now = kNow,
                  .leeway = 30, .access_token = token, .jkt = jkt};
}
Expect at_token_endpoint() {
    return Expect{.method = "GET", .url = "https://api.example.com/orders", .now = kNow, .leeway = 30,
                  .access_token = {}, .jkt = {}};
}

// A proof for at_resource(): good claims plus ath.
json::Json resource_claims(std::string_view token = "the-access-token") {
    json::Json c = proof_claims();
    json::set(c.get(), "ath", access_token_hash(token));
    return c;
}

ProofError refusal(std::string_view proof, const Expect& e) {
    auto r = verify_proof(proof, e);
    EXPECT_FALSE(r.has_value());
    return r ? ProofError::Malformed : r.error();
}

}  // namespace

TEST(DpopRfcExamples, TokenRequestProofVerifies) {
    Expect e{.method = "POST", .url = "https://server.example.com/token", .now = 1562262616,
             .leeway = 30, .access_token = {}, .jkt = {}};
    auto p = verify_proof(kRfcTokenProof, e);
    ASSERT_TRUE(p.has_value()) << error_text(p.error());
    EXPECT_EQ(p->jkt, kRfcJkt);
    EXPECT_EQ(p->jti, "-BwC3ESc6acc2lTc");
    EXPECT_EQ(p->iat, 1562262616);
    EXPECT_FALSE(p->nonce.has_value());
}

TEST(DpopRfcExamples, ResourceProofVerifiesWithItsTokenAndKey) {
    Expect e{.method = "GET", .url = "https://resource.example.org/protectedresource",
             .now = 1562262618, .leeway = 30, .access_token = kRfcAccessToken, .jkt = kRfcJkt};
    auto p = verify_proof(kRfcResourceProof, e);
    ASSERT_TRUE(p.has_value()) << error_text(p.error());
    EXPECT_EQ(access_token_hash(kRfcAccessToken), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    e.access_token = "another token";
    EXPECT_EQ(refusal(kRfcResourceProof, e), ProofError::WrongAth);
    e.access_token = kRfcAccessToken;
    e.jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
    EXPECT_EQ(refusal(kRfcResourceProof, e), ProofError::WrongKey);
}

TEST(DpopProof, EachAlgorithmVerifiesAndGivesItsThumbprint) {
    for (auto alg : {jose::Alg::ES256, jose::Alg::RS256, jose::Alg::EdDSA}) {
        jose::KeyPtr key = alg == jose::Alg::ES256 ? es_key() : client_key(alg);
        json::Json c = resource_claims();
        auto p = verify_proof(proof(*key, c.get()), at_resource("the-access-token", key->thumbprint()));
        ASSERT_TRUE(p.has_value()) << jose::alg_name(alg) << ": " << error_text(p.error());
        EXPECT_EQ(p->jkt, key->thumbprint());
        EXPECT_EQ(p->jti, "proof-jti-1");
    }
}

TEST(DpopProof, TypMustBeDpopJwt) {
    json::Json h = proof_header(*es_key());
    json::Json c = proof_claims();
    json::set(h.get(), "typ", "JWT");
    EXPECT_EQ(refusal(sign_proof(*es_key(), h.get(), c.get()), at_token_endpoint()), ProofError::BadType);
    json_object_del(h.get(), "typ");
    EXPECT_EQ(refusal(sign_proof(*es_key(), h.get(), c.get()), at_token_endpoint()), ProofError::BadType);
    json::set(h.get(), "typ", "application/DPoP+JWT");  // media types ignore case
    EXPECT_TRUE(verify_proof(sign_proof(*es_key(), h.get(), c.get()), at_token_endpoint()));
}

TEST(DpopProof, AlgNoneAndHmacAreRefused) {
    json::Json c = proof_claims();
    json::Json h = proof_header(*es_key());
    json::set(h.get(), "alg", "none");
    std::string unsigned_proof = util::base64url_encode(json::dump(h.get())) + "." +
                                 util::base64url_encode(json::dump(c.get())) + ".";
    EXPECT_EQ(refusal(unsigned_proof, at_token_endpoint()), ProofError::BadAlg);
    json::set(h.get(), "alg", "HS256");
    std::string input = util::base64url_encode(json::dump(h.get())) + "." +
                        util::base64url_encode(json::dump(c.get()));
    std::string mac = util::hmac_sha256("secret", input);
    EXPECT_EQ(refusal(input + "." + util::base64url_encode(mac), at_token_endpoint()),
              ProofError::BadAlg);
}

TEST(DpopProof, AlgMustBeTheKeysAlgorithm) {
    json::Json h = proof_header(*es_key());
    json::set(h.get(), "alg", "RS256");
    json::Json c = proof_claims();
    EXPECT_EQ(refusal(sign_proof(*es_key(), h.get(), c.get()), at_token_endpoint()), ProofError::BadAlg);
}

TEST(DpopProof, PrivateKeyInJwkIsRefused) {
    json::Json h = proof_header(*es_key());
    json::set(json_object_get(h.get(), "jwk"), "d", "c2VjcmV0LXNjYWxhci1ub3QtcmVhbGx5LTMyLWJ5dGVz");
    json::Json c = proof_claims();
    EXPECT_EQ(refusal(sign_proof(*es_key(), h.get(), c.get()), at_token_endpoint()),
              ProofError::PrivateKey);
}

TEST(DpopProof, JwkMissingOrUnusableIsRefused) {
    json::Json c = proof_claims();
    json::Json h = proof_header(*es_key());
    json_object_del(h.get(), "jwk");
    EXPECT_EQ(refusal(sign_proof(*es_key(), h.get(), c.get()), at_token_endpoint()), ProofError::BadKey);
    // A point off the curve (y changed).
    h = proof_header(*es_key());
    json::set(json_object_get(h.get(), "jwk"), "y", util::base64url_encode(std::string(32, '\x01')));
    EXPECT_EQ(refusal(sign_proof(*es_key(), h.get(), c.get()), at_token_endpoint()), ProofError::BadKey);
    // Another curve.
    h = proof_header(*es_key());
    json::set(json_object_get(h.get(), "jwk"), "crv", "P-384");
    EXPECT_EQ(refusal(sign_proof(*es_key(), h.get(), c.get()), at_token_endpoint()), ProofError::BadKey);
}

TEST(DpopProof, SignatureMustVerify) {
    json::Json c = proof_claims();
    std::string p = proof(*es_key(), c.get());
    // Another key's signature over the same input, the embedded key unchanged.
    jose::KeyPtr other = client_key(jose::Alg::ES256);
    std::string input = p.substr(0, p.rfind('.'));
    EXPECT_EQ(refusal(input + "." + util::base64url_encode(other->sign(input)), at_token_endpoint()),
              ProofError::BadSignature);
}

TEST(DpopProof, HtmMustBeTheMethod) {
    json::Json c = proof_claims("POST");
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::WrongMethod);
    c = proof_claims("get");  // methods are case-sensitive (RFC 9110 §9.1)
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::WrongMethod);
}

TEST(DpopProof, HtuWithAnotherPathIsRefused) {
    json::Json c = proof_claims("GET", "https://api.example.com/admin");
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::WrongUrl);
    c = proof_claims("GET", "https://evil.example.com/orders");
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::WrongUrl);
    c = proof_claims("GET", "http://api.example.com/orders");
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::WrongUrl);
}

TEST(DpopProof, HtuQueryAndFragmentAreIgnored) {
    for (auto htu : {"https://api.example.com/orders?page=2", "https://api.example.com/orders#top",
                     "https://api.example.com/orders?a=1#b", "HTTPS://API.Example.COM:443/orders"}) {
        json::Json c = proof_claims("GET", htu);
        EXPECT_TRUE(verify_proof(proof(*es_key(), c.get()), at_token_endpoint())) << htu;
    }
    Expect e = at_token_endpoint();
    e.url = "https://api.example.com/orders?x=y";  // the request's query is ignored too
    json::Json c = proof_claims();
    EXPECT_TRUE(verify_proof(proof(*es_key(), c.get()), e));
}

TEST(DpopUrl, Normalisation) {
    EXPECT_TRUE(same_url("http://h:80/p", "http://h/p"));
    EXPECT_TRUE(same_url("http://h", "http://h/"));
    EXPECT_TRUE(same_url("http://[::1]:8080/p", "http://[::1]:8080/p"));
    EXPECT_FALSE(same_url("http://[::1]:8080/p", "http://[::1]:8081/p"));
    EXPECT_FALSE(same_url("http://h:8080/p", "http://h/p"));
    EXPECT_FALSE(same_url("http://h/p", "http://h/P"));  // paths are case-sensitive
    EXPECT_FALSE(same_url("http://u@h/p", "http://h/p"));
    EXPECT_FALSE(same_url("ftp://h/p", "ftp://h/p"));
    EXPECT_FALSE(same_url("/p", "/p"));
    EXPECT_FALSE(same_url("http://h:x/p", "http://h/p"));
}

TEST(DpopProof, IatWithinTheLeeway) {
    json::Json c = proof_claims("GET", "https://api.example.com/orders", kNow - 31);
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::Stale);
    c = proof_claims("GET", "https://api.example.com/orders", kNow + 31);
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::Future);
    for (int64_t d : {-30, 0, 30}) {
        c = proof_claims("GET", "https://api.example.com/orders", kNow + d);
        EXPECT_TRUE(verify_proof(proof(*es_key(), c.get()), at_token_endpoint())) << d;
    }
    c = proof_claims();
    json::set(c.get(), "iat", "1700000000");  // a string is no NumericDate
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::MissingClaim);
}

TEST(DpopProof, RequiredClaims) {
    for (const char* name : {"jti", "htm", "htu", "iat"}) {
        json::Json c = proof_claims();
        json_object_del(c.get(), name);
        EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::MissingClaim)
            << name;
    }
    json::Json c = proof_claims("GET", "https://api.example.com/orders", kNow, "");
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::MissingClaim);
    c = proof_claims("GET", "https://api.example.com/orders", kNow, std::string(kMaxJtiSize + 1, 'j'));
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::MissingClaim);
}

TEST(DpopProof, AthAtAResource) {
    json::Json c = proof_claims();
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_resource()), ProofError::MissingAth);
    c = resource_claims("another-token");
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_resource()), ProofError::WrongAth);
    c = resource_claims();
    EXPECT_TRUE(verify_proof(proof(*es_key(), c.get()), at_resource()));
}

TEST(DpopProof, KeyMustBeTheBoundOne) {
    json::Json c = resource_claims();
    jose::KeyPtr other = client_key(jose::Alg::ES256);
    EXPECT_EQ(refusal(proof(*other, c.get()), at_resource("the-access-token", es_key()->thumbprint())),
              ProofError::WrongKey);
}

TEST(DpopProof, NonceIsReturned) {
    json::Json c = proof_claims();
    json::set(c.get(), "nonce", "n-1");
    auto p = verify_proof(proof(*es_key(), c.get()), at_token_endpoint());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->nonce, "n-1");
    json::set(c.get(), "nonce", 7);
    EXPECT_EQ(refusal(proof(*es_key(), c.get()), at_token_endpoint()), ProofError::MissingClaim);
}

TEST(DpopProof, MalformedShapes) {
    json::Json c = proof_claims();
    std::string good = proof(*es_key(), c.get());
    EXPECT_EQ(refusal("", at_token_endpoint()), ProofError::Malformed);
    EXPECT_EQ(refusal("a.b", at_token_endpoint()), ProofError::Malformed);
    EXPECT_EQ(refusal(good + ".x", at_token_endpoint()), ProofError::Malformed);
    EXPECT_EQ(refusal("!!!." + good.substr(good.find('.') + 1), at_token_endpoint()), ProofError::Malformed);
    EXPECT_EQ(refusal(std::string(kMaxProofSize + 1, 'a'), at_token_endpoint()), ProofError::Malformed);
    json::Json h = proof_header(*es_key());
    json::set_new(h.get(), "crit", json_pack("[s]", "exp"));
    EXPECT_EQ(refusal(sign_proof(*es_key(), h.get(), c.get()), at_token_endpoint()), ProofError::Malformed);
}

TEST(DpopJwk, PublicOnlyKeysAndTheirThumbprint) {
    // RFC 7638 §3.1's RSA key.
    json::Json jwk(json_pack("{s:s, s:s, s:s}", "kty", "RSA", "e", "AQAB", "n",
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
        "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvzq"
        "Y368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu"
        "0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"));
    auto key = jose::key_from_public_jwk(jwk.get());
    ASSERT_TRUE(key);
    EXPECT_EQ((*key)->kid(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    EXPECT_EQ((*key)->alg(), jose::Alg::RS256);
    // The same with a private member.
    json::set(jwk.get(), "p", "AQAB");
    EXPECT_EQ(jose::key_from_public_jwk(jwk.get()).error(), jose::JwkError::PrivateMember);
    // A symmetric key.
    json::Json oct(json_pack("{s:s, s:s}", "kty", "oct", "k", "c2VjcmV0"));
    EXPECT_EQ(jose::key_from_public_jwk(oct.get()).error(), jose::JwkError::PrivateMember);
    json_object_del(oct.get(), "k");
    EXPECT_EQ(jose::key_from_public_jwk(oct.get()).error(), jose::JwkError::UnsupportedKey);
    // RSA under 2048 bits.
    json::Json small(json_pack("{s:s, s:s, s:s}", "kty", "RSA", "e", "AQAB", "n",
                               util::base64url_encode(std::string(128, '\xc3')).c_str()));
    EXPECT_EQ(jose::key_from_public_jwk(small.get()).error(), jose::JwkError::BadKey);
    EXPECT_EQ(jose::key_from_public_jwk(nullptr).error(), jose::JwkError::NotAnObject);
}

TEST(DpopReplay, OneSetNxPerProofScopedByKey) {
    Proof p{.jkt = "thumb", .jti = "j1", .iat = kNow, .nonce = {}};
    auto argv = replay_argv("oauth:", p, 30);
    ASSERT_EQ(argv.size(), 6u);
    EXPECT_EQ(argv[0], "SET");
    EXPECT_EQ(argv[1], "oauth:dpop:" + util::sha256_hex("thumb j1"));
    EXPECT_EQ(argv[3], "NX");
    EXPECT_EQ(argv[5], "61");  // 2 x leeway + 1
    Proof q{.jkt = "other", .jti = "j1", .iat = kNow, .nonce = {}};
    EXPECT_NE(replay_argv("oauth:", q, 30)[1], argv[1]);
    EXPECT_EQ(replay_command("oauth:", p, 30).substr(0, 8), "*6\r\n$3\r\n");

    redisReply ok{};
    ok.type = REDIS_REPLY_STATUS;
    ok.str = const_cast<char*>("OK");
    ok.len = 2;
    redisReply nil{};
    nil.type = REDIS_REPLY_NIL;
    redisReply err{};
    err.type = REDIS_REPLY_ERROR;
    err.str = const_cast<char*>("ERR");
    err.len = 3;
    EXPECT_EQ(judge_replay(&ok), Replay::Fresh);
    EXPECT_EQ(judge_replay(&nil), Replay::Replayed);
    EXPECT_EQ(judge_replay(&err), Replay::StoreError);
    EXPECT_EQ(judge_replay(nullptr), Replay::StoreError);
}
