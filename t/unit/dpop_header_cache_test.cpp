// The worker's cache of checked proof headers (dpop/header_cache.h): a
// client's second proof skips the jwk import, and nothing else.
#include <gtest/gtest.h>

#include "dpop/header_cache.h"
#include "dpop/proof.h"
#include "dpop_helpers.h"

using namespace oauth;
using namespace oauth::dpop;
using namespace oauth::dpop::testing;

namespace {

Expect at(std::string_view jkt) {
    return Expect{.method = "GET", .url = "https://api.example.com/orders", .now = kNow, .leeway = 30,
                  .access_token = {}, .jkt = jkt};
}
std::string header_part(const std::string& p) { return p.substr(0, p.find('.')); }
// A proof by the test's ES256 key for that request.
std::string es_proof(std::string_view jti, int64_t iat = kNow, std::string_view method = "GET") {
    auto c = proof_claims(method, "https://api.example.com/orders", iat, jti);
    return proof(*es_key(), c.get());
}

}  // namespace

TEST(DpopHeaderCache, TheSecondProofOfAKeyUsesTheCachedHeader) {
    HeaderCache::process().clear();
    std::string jkt = es_key()->thumbprint();
    std::string p1 = es_proof("h-1");
    ASSERT_TRUE(verify_proof(p1, at(jkt)));
    EXPECT_EQ(HeaderCache::process().size(), 1u);
    auto cached = HeaderCache::process().find(header_part(p1));
    ASSERT_TRUE(cached);
    EXPECT_EQ(cached->key->kid(), jkt);
    EXPECT_FALSE(cached->pss);

    std::string p2 = es_proof("h-2");
    ASSERT_EQ(header_part(p2), header_part(p1));
    auto r = verify_proof(p2, at(jkt));
    ASSERT_TRUE(r) << error_text(r.error());
    EXPECT_EQ(r->jti, "h-2");
    EXPECT_EQ(HeaderCache::process().size(), 1u);
}

TEST(DpopHeaderCache, ACachedHeaderStillHasEveryOtherRuleChecked) {
    HeaderCache::process().clear();
    std::string jkt = es_key()->thumbprint();
    std::string good = es_proof("h-3");
    ASSERT_TRUE(verify_proof(good, at(jkt)));
    // The same header with another payload and the old signature.
    std::string other = es_proof("h-4");
    std::string forged = other.substr(0, other.rfind('.')) + good.substr(good.rfind('.'));
    EXPECT_EQ(verify_proof(forged, at(jkt)).error(), ProofError::BadSignature);
    // Another token's key, a stale iat, the wrong method.
    EXPECT_EQ(verify_proof(other, at(client_key(jose::Alg::ES256)->thumbprint())).error(),
              ProofError::WrongKey);
    EXPECT_EQ(verify_proof(es_proof("h-5", kNow - 300), at(jkt)).error(), ProofError::Stale);
    EXPECT_EQ(verify_proof(es_proof("h-6", kNow, "POST"), at(jkt)).error(), ProofError::WrongMethod);
}

TEST(DpopHeaderCache, RefusedHeadersAreNotKeptAndTheCacheStaysBounded) {
    HeaderCache::process().clear();
    json::Json h = proof_header(*es_key());
    json::set(h.get(), "typ", "JWT");
    auto c = proof_claims();
    EXPECT_EQ(verify_proof(sign_proof(*es_key(), h.get(), c.get()), at({})).error(), ProofError::BadType);
    EXPECT_EQ(HeaderCache::process().size(), 0u);
    HeaderCache cache;
    for (size_t i = 0; i < HeaderCache::kCapacity + 10; i++)
        cache.insert("h" + std::to_string(i), CheckedHeader{es_key(), false});
    EXPECT_LE(cache.size(), HeaderCache::kCapacity);
    cache.insert(std::string(HeaderCache::kMaxHeader + 1, 'x'), CheckedHeader{es_key(), false});
    EXPECT_FALSE(cache.find(std::string(HeaderCache::kMaxHeader + 1, 'x')));
}
