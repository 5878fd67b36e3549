// JWS compact signing and strict verification (RFC 7515 §5.2, RFC 8725 §3).
#include <gtest/gtest.h>
#include <openssl/ecdsa.h>

#include <vector>

#include "jose/jws.h"
#include "jose_keys.h"
#include "util/crypto.h"
#include "util/encoding.h"
#include "vectors/jose_rfc.h"

using namespace oauth::jose;
using namespace jose_test;
namespace rfc = jose_rfc;
using oauth::util::base64url_encode;

namespace {

struct Keys {
    KeyPtr rs = load(rsa(rfc::a2::n, rfc::a2::e, rfc::a2::d, rfc::a2::p, rfc::a2::q,
                         rfc::a2::dp, rfc::a2::dq, rfc::a2::qi).get(), "rsa");
    KeyPtr es = load(p256(rfc::a3::x, rfc::a3::y, rfc::a3::d).get(), "ec");
    KeyPtr ed = load(ed25519(rfc::rfc8037::x, rfc::rfc8037::d).get(), "ed");
    std::vector<KeyPtr> all{rs, es, ed};
};

const Keys& keys() {
    static const Keys k;
    return k;
}

oauth::json::Json claims() {
    return oauth::json::Json(json_pack("{s:s, s:s, s:I}", "iss", "https://issuer.example",
                                       "sub", "alice", "exp", (json_int_t)2000000000));
}

// A token signed by key with a header and payload we choose verbatim.
std::string forge(const Key& key, std::string_view header, std::string_view payload) {
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    return input + "." + base64url_encode(key.sign(input));
}

std::string header_for(const Key& key) {
    return "{\"alg\":\"" + std::string(alg_name(key.alg())) + "\",\"kid\":\"" + key.kid() + "\"}";
}

JwsError error_of(std::string_view token) {
    auto r = verify_compact(token, keys().all);
    EXPECT_FALSE(r) << "token unexpectedly verified";
    return r ? JwsError::Malformed : r.error();
}

std::vector<std::string> split(const std::string& token) {
    std::vector<std::string> parts;
    size_t start = 0, dot;
    while ((dot = token.find('.', start)) != std::string::npos) {
        parts.push_back(token.substr(start, dot - start));
        start = dot + 1;
    }
    parts.push_back(token.substr(start));
    return parts;
}

}  // namespace

TEST(JoseJws, HeaderMembersInOrder) {
    auto token = sign_compact(*keys().es, "at+jwt", claims().get());
    auto parts = split(token);
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(*oauth::util::base64url_decode(parts[0]),
              "{\"alg\":\"ES256\",\"kid\":\"ec\",\"typ\":\"at+jwt\"}");
    auto untyped = split(sign_compact(*keys().rs, "", claims().get()));
    EXPECT_EQ(*oauth::util::base64url_decode(untyped[0]), "{\"alg\":\"RS256\",\"kid\":\"rsa\"}");
}

TEST(JoseJws, RoundTripEveryAlgorithm) {
    for (const KeyPtr& key : keys().all) {
        auto token = sign_compact(*key, "JWT", claims().get());
        auto v = verify_compact(token, keys().all);
        ASSERT_TRUE(v) << alg_name(key->alg()) << ": " << jws_error_text(v.error());
        EXPECT_EQ(v->key, key.get());
        EXPECT_EQ(oauth::json::get_string(v->payload.get(), "sub"), "alice");
        EXPECT_EQ(oauth::json::get_string(v->header.get(), "typ"), "JWT");
        EXPECT_EQ(oauth::json::get_int(v->payload.get(), "exp"), 2000000000);
    }
}

TEST(JoseJws, RefusesWrongPartCounts) {
    auto token = sign_compact(*keys().es, "at+jwt", claims().get());
    auto p = split(token);
    EXPECT_EQ(error_of(p[0] + "." + p[1]), JwsError::Malformed);
    EXPECT_EQ(error_of(token + "." + p[2]), JwsError::Malformed);
    EXPECT_EQ(error_of(token + "."), JwsError::Malformed);
    EXPECT_EQ(error_of("." + p[1] + "." + p[2]), JwsError::Malformed);
    EXPECT_EQ(error_of(p[0] + ".." + p[2]), JwsError::Malformed);
    EXPECT_EQ(error_of(p[0] + "." + p[1] + "."), JwsError::BadSignature);  // empty signature
    EXPECT_EQ(error_of(""), JwsError::Malformed);
    EXPECT_EQ(error_of(".."), JwsError::Malformed);
}

TEST(JoseJws, RefusesAlgNoneAndHmac) {
    const Key& rs = *keys().rs;
    std::string payload = base64url_encode(oauth::json::dump(claims().get()));
    // RFC 7515 A.5 style unsecured JWS naming a real kid.
    std::string none = base64url_encode("{\"alg\":\"none\",\"kid\":\"rsa\"}") + "." + payload;
    EXPECT_EQ(error_of(none + "."), JwsError::AlgMismatch);  // exactly RFC 7515 A.5's shape
    EXPECT_EQ(error_of(none + ".AAAA"), JwsError::AlgMismatch);
    EXPECT_EQ(error_of(base64url_encode("{\"alg\":\"none\"}") + "." + payload + ".AAAA"),
              JwsError::AlgMismatch);
    // HS256 keyed with the public JWK text: the classic algorithm confusion.
    std::string hs_input = base64url_encode("{\"alg\":\"HS256\",\"kid\":\"rsa\"}") + "." + payload;
    std::string mac = oauth::util::hmac_sha256(oauth::json::dump(rs.public_jwk().get()), hs_input);
    EXPECT_EQ(error_of(hs_input + "." + base64url_encode(mac)), JwsError::AlgMismatch);
    EXPECT_EQ(error_of(forge(rs, "{\"alg\":\"rs256\",\"kid\":\"rsa\"}", "{}")),
              JwsError::AlgMismatch);
}

TEST(JoseJws, KidMustNameAKeyWhoseAlgMatches) {
    const Keys& k = keys();
    EXPECT_EQ(error_of(forge(*k.es, "{\"alg\":\"ES256\",\"kid\":\"other\"}", "{}")),
              JwsError::UnknownKid);
    EXPECT_EQ(error_of(forge(*k.es, "{\"alg\":\"ES256\"}", "{}")), JwsError::UnknownKid);
    EXPECT_EQ(error_of(forge(*k.es, "{\"alg\":\"ES256\",\"kid\":7}", "{}")),
              JwsError::UnknownKid);
    // Signed by the EC key but claiming the RSA key's kid, and vice versa.
    EXPECT_EQ(error_of(forge(*k.es, "{\"alg\":\"ES256\",\"kid\":\"rsa\"}", "{}")),
              JwsError::AlgMismatch);
    EXPECT_EQ(error_of(forge(*k.rs, "{\"alg\":\"RS256\",\"kid\":\"ed\"}", "{}")),
              JwsError::AlgMismatch);
    // Right alg and kid, wrong signer: the signature cannot verify.
    EXPECT_EQ(error_of(forge(*k.ed, "{\"alg\":\"ES256\",\"kid\":\"ec\"}", "{}")),
              JwsError::BadSignature);
    // Verifying against a key set without the signer.
    auto token = sign_compact(*k.ed, "", claims().get());
    std::vector<KeyPtr> others{k.rs, k.es};
    auto r = verify_compact(token, others);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), JwsError::UnknownKid);
}

TEST(JoseJws, FlippedBitsFailTheSignature) {
    for (const KeyPtr& key : keys().all) {
        auto token = sign_compact(*key, "at+jwt", claims().get());
        auto p = split(token);
        std::string sig = *oauth::util::base64url_decode(p[2]);
        sig[sig.size() / 2] ^= 0x04;
        EXPECT_EQ(error_of(p[0] + "." + p[1] + "." + base64url_encode(sig)),
                  JwsError::BadSignature)
            << alg_name(key->alg());
        // A changed claim under the old signature.
        oauth::json::Json c = claims();
        oauth::json::set(c.get(), "sub", "mallory");
        EXPECT_EQ(error_of(p[0] + "." + base64url_encode(oauth::json::dump(c.get())) + "." + p[2]),
                  JwsError::BadSignature);
    }
}

TEST(JoseJws, RefusesBadBase64) {
    auto token = sign_compact(*keys().es, "at+jwt", claims().get());
    auto p = split(token);
    EXPECT_EQ(error_of(p[0] + "=." + p[1] + "." + p[2]), JwsError::Malformed);
    EXPECT_EQ(error_of(p[0] + "." + p[1] + "." + p[2] + "=="), JwsError::Malformed);
    std::string plus = p[2];
    plus[5] = '+';
    EXPECT_EQ(error_of(p[0] + "." + p[1] + "." + plus), JwsError::Malformed);
    EXPECT_EQ(error_of(p[0] + "." + p[1] + " ." + p[2]), JwsError::Malformed);
    // 64 bytes encode to 86 characters whose last carries 2 unused bits.
    std::string sig = p[2];
    ASSERT_EQ(sig.size(), 86u);
    const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    sig.back() = alphabet[alphabet.find(sig.back()) ^ 1];
    EXPECT_EQ(error_of(p[0] + "." + p[1] + "." + sig), JwsError::Malformed);
}

TEST(JoseJws, RefusesNonObjectsAndDeepJson) {
    const Key& es = *keys().es;
    std::string h = header_for(es);
    EXPECT_TRUE(verify_compact(forge(es, h, "{\"a\":{\"b\":[1]}}"), keys().all));
    EXPECT_EQ(error_of(forge(es, h, "[1,2]")), JwsError::Malformed);
    EXPECT_EQ(error_of(forge(es, h, "\"text\"")), JwsError::Malformed);
    EXPECT_EQ(error_of(forge(es, h, "Example of Ed25519 signing")), JwsError::Malformed);
    EXPECT_EQ(error_of(forge(es, h, "{\"a\":1,\"a\":2}")), JwsError::Malformed);
    EXPECT_EQ(error_of(forge(es, h, "{} trailing")), JwsError::Malformed);
    EXPECT_EQ(error_of(forge(es, "[\"ES256\"]", "{}")), JwsError::Malformed);
    EXPECT_EQ(error_of(forge(es, "{\"alg\":\"ES256\",\"kid\":\"ec\"", "{}")), JwsError::Malformed);
    std::string deep = std::string(40, '[') + std::string(40, ']');
    EXPECT_EQ(error_of(forge(es, h, "{\"x\":" + deep + "}")), JwsError::Malformed);
    std::string deep_header = "{\"alg\":\"ES256\",\"kid\":\"ec\",\"x\":" + deep + "}";
    EXPECT_EQ(error_of(forge(es, deep_header, "{}")), JwsError::Malformed);
}

TEST(JoseJws, RefusesCriticalExtensions) {
    const Key& es = *keys().es;
    EXPECT_EQ(error_of(forge(es, "{\"alg\":\"ES256\",\"kid\":\"ec\",\"crit\":[\"exp\"],\"exp\":1}",
                             "{}")),
              JwsError::Malformed);
}

TEST(JoseJws, RefusesOversizedTokens) {
    const Key& ed = *keys().ed;
    std::string h = header_for(ed);
    // Just under the cap verifies; just over is refused before any crypto.
    std::string small = forge(ed, h, "{\"pad\":\"" + std::string(11000, 'a') + "\"}");
    ASSERT_LE(small.size(), kMaxTokenSize);
    EXPECT_TRUE(verify_compact(small, keys().all));
    std::string big = forge(ed, h, "{\"pad\":\"" + std::string(12500, 'a') + "\"}");
    ASSERT_GT(big.size(), kMaxTokenSize);
    EXPECT_EQ(error_of(big), JwsError::Malformed);
}

TEST(JoseJws, Es256DerSignatureIsRefused) {
    const Key& es = *keys().es;
    auto p = split(sign_compact(es, "at+jwt", claims().get()));
    std::string der_sig = der_of(*oauth::util::base64url_decode(p[2]));
    EXPECT_EQ(error_of(p[0] + "." + p[1] + "." + base64url_encode(der_sig)),
              JwsError::BadSignature);
}

TEST(JoseJws, ErrorTextsAreDistinct) {
    EXPECT_NE(jws_error_text(JwsError::Malformed), jws_error_text(JwsError::UnknownKid));
    EXPECT_NE(jws_error_text(JwsError::AlgMismatch), jws_error_text(JwsError::BadSignature));
}
