// Every acceptance rule of oauth_require (SPEC §5, RFC 9068 §4) on the core.
#include <gtest/gtest.h>

#include <vector>

#include "require/session.h"
#include "require/validate.h"
#include "require_helpers.h"

namespace oauth::require {
namespace {

using namespace testing;

class RequireValidate : public ::testing::Test {
protected:
    std::vector<jose::KeyPtr> keys{rsa_key(), ec_key()};
    std::vector<std::string_view> scopes;
    Policy policy;

    void SetUp() override { TokenCache::process().clear(); }

    // authenticate + evaluate, without the cache unless asked.
    Reason check(const std::string& token, int64_t now = kNow, TokenCache* cache = nullptr) {
        auto claims = authenticate(token, keys, cache, now, "oauth:");
        if (!claims) return claims.error();
        policy.scopes = scopes;
        return evaluate(**claims, kIssuer, policy, now);
    }
    Reason check_claims(const json::Json& c, std::string_view typ = "at+jwt") {
        return check(sign(*rsa_key(), c.get(), typ));
    }
};

TEST_F(RequireValidate, GoodTokensPass) {
    EXPECT_EQ(check(sign(*rsa_key(), good_claims().get())), Reason::Ok);
    EXPECT_EQ(check(sign(*ec_key(), good_claims().get())), Reason::Ok);
}

TEST_F(RequireValidate, ClaimsAreParsed) {
    auto c = good_claims();
    json::set(c.get(), "preferred_username", "alice");
    json_object_set_new(c.get(), "admin", json_true());
    json_object_set_new(c.get(), "level", json_integer(7));
    json_object_set_new(c.get(), "nested", json_pack("{s:i}", "a", 1));
    auto claims = authenticate(sign(*rsa_key(), c.get()), keys, nullptr, kNow, "oauth:");
    ASSERT_TRUE(claims);
    const Claims& k = **claims;
    EXPECT_EQ(k.sub, "user-42");
    EXPECT_EQ(k.client_id, "app");
    EXPECT_EQ(k.jti, "jti-0001");
    EXPECT_EQ(k.exp, kNow + 600);
    EXPECT_EQ(k.scopes.size(), 2u);
    EXPECT_EQ(k.get("preferred_username"), "alice");
    EXPECT_EQ(k.get("admin"), "true");
    EXPECT_EQ(k.get("level"), "7");
    EXPECT_EQ(k.get("exp"), std::to_string(kNow + 600));
    EXPECT_FALSE(k.get("nested"));
    EXPECT_FALSE(k.get("missing"));
    EXPECT_EQ(k.key.get(), rsa_key().get());
}

TEST_F(RequireValidate, ClaimNamesMatchIgnoringCaseAsAFallback) {
    auto c = good_claims();
    json::set(c.get(), "Tenant", "t1");
    json::set(c.get(), "tenant", "t2");
    auto claims = authenticate(sign(*rsa_key(), c.get()), keys, nullptr, kNow, "oauth:");
    ASSERT_TRUE(claims);
    EXPECT_EQ((*claims)->get("tenant"), "t2");
    EXPECT_EQ((*claims)->get("Tenant"), "t1");
    EXPECT_EQ((*claims)->get("TENANT"), "t1");
}

// RFC 9068 §4: typ.
TEST_F(RequireValidate, TypMustBeAtJwt) {
    EXPECT_EQ(check_claims(good_claims(), "JWT"), Reason::BadType);
    EXPECT_EQ(check_claims(good_claims(), ""), Reason::BadType);
    EXPECT_EQ(check_claims(good_claims(), "id_token+jwt"), Reason::BadType);
    EXPECT_EQ(check_claims(good_claims(), "application/at+jwt"), Reason::Ok);
    EXPECT_EQ(check_claims(good_claims(), "AT+JWT"), Reason::Ok);
    EXPECT_EQ(check_claims(good_claims(), "Application/AT+JWT"), Reason::Ok);
}

TEST_F(RequireValidate, IssuerMustMatch) {
    auto c = good_claims();
    json::set(c.get(), "iss", "https://evil.example.com");
    EXPECT_EQ(check_claims(c), Reason::WrongIssuer);
    json_object_del(c.get(), "iss");
    EXPECT_EQ(check_claims(c), Reason::WrongIssuer);
    json::set(c.get(), "iss", std::string(kIssuer) + "/");
    EXPECT_EQ(check_claims(c), Reason::WrongIssuer);
}

TEST_F(RequireValidate, ExpWithLeeway) {
    auto c = good_claims();
    json::set(c.get(), "exp", kNow - 30);  // the default leeway is 30s
    EXPECT_EQ(check_claims(c), Reason::Ok);
    json::set(c.get(), "exp", kNow - 31);
    EXPECT_EQ(check_claims(c), Reason::Expired);
    policy.leeway = 0;
    json::set(c.get(), "exp", kNow);
    EXPECT_EQ(check_claims(c), Reason::Ok);
    json::set(c.get(), "exp", kNow - 1);
    EXPECT_EQ(check_claims(c), Reason::Expired);
}

TEST_F(RequireValidate, ExpIsRequired) {
    auto c = good_claims();
    json_object_del(c.get(), "exp");
    EXPECT_EQ(check_claims(c), Reason::MissingExp);
}

// nbf and iat may be up to the leeway (30 s) ahead of our clock, not more.
TEST_F(RequireValidate, FutureDatesWithLeeway) {
    for (auto [claim, refused] : {std::pair{"nbf", Reason::NotYetValid},
                                  std::pair{"iat", Reason::IssuedInFuture}}) {
        auto c = good_claims();
        json::set(c.get(), claim, kNow + 30);
        EXPECT_EQ(check_claims(c), Reason::Ok) << claim;
        json::set(c.get(), claim, kNow + 31);
        EXPECT_EQ(check_claims(c), refused) << claim;
    }
}

TEST_F(RequireValidate, FractionalNumericDates) {
    auto c = good_claims();
    json_object_set_new(c.get(), "exp", json_real(static_cast<double>(kNow) - 31.5));
    EXPECT_EQ(check_claims(c), Reason::Expired);
    json_object_set_new(c.get(), "exp", json_real(static_cast<double>(kNow) + 5.5));
    EXPECT_EQ(check_claims(c), Reason::Ok);
}

TEST_F(RequireValidate, RegisteredClaimTypes) {
    for (const char* name : {"exp", "nbf", "iat"}) {
        auto c = good_claims();
        json::set(c.get(), name, "1700000000");
        EXPECT_EQ(check_claims(c), Reason::BadClaim) << name;
    }
    for (const char* name : {"iss", "sub", "client_id", "scope", "jti"}) {
        auto c = good_claims();
        json::set(c.get(), name, int64_t{5});
        EXPECT_EQ(check_claims(c), Reason::BadClaim) << name;
    }
    auto c = good_claims();
    json_object_set_new(c.get(), "aud", json_integer(1));
    EXPECT_EQ(check_claims(c), Reason::BadClaim);
    json_object_set_new(c.get(), "aud", json_pack("[s,i]", "a", 1));
    EXPECT_EQ(check_claims(c), Reason::BadClaim);
}

TEST_F(RequireValidate, JtiIsRequired) {
    auto c = good_claims();
    json_object_del(c.get(), "jti");
    EXPECT_EQ(check_claims(c), Reason::MissingJti);
    json::set(c.get(), "jti", "");
    EXPECT_EQ(check_claims(c), Reason::MissingJti);
}

TEST_F(RequireValidate, Audience) {
    policy.audience = "https://api.example.com";
    EXPECT_EQ(check_claims(good_claims()), Reason::Ok);
    auto c = good_claims();
    json_object_set_new(c.get(), "aud", json_pack("[s,s]", "https://other", "https://api.example.com"));
    EXPECT_EQ(check_claims(c), Reason::Ok);
    json_object_set_new(c.get(), "aud", json_pack("[s]", "https://other"));
    EXPECT_EQ(check_claims(c), Reason::WrongAudience);
    json::set(c.get(), "aud", "https://api.example.com/");
    EXPECT_EQ(check_claims(c), Reason::WrongAudience);
    json_object_del(c.get(), "aud");
    EXPECT_EQ(check_claims(c), Reason::WrongAudience);
    policy.audience = {};  // no aud= in the directive: any audience
    EXPECT_EQ(check_claims(c), Reason::Ok);
}

TEST_F(RequireValidate, Scopes) {
    scopes = {"orders:read"};
    EXPECT_EQ(check_claims(good_claims()), Reason::Ok);
    scopes = {"orders:read", "profile"};
    EXPECT_EQ(check_claims(good_claims()), Reason::Ok);
    scopes = {"orders:write"};
    EXPECT_EQ(check_claims(good_claims()), Reason::InsufficientScope);
    scopes = {"orders"};  // a prefix is not the scope
    EXPECT_EQ(check_claims(good_claims()), Reason::InsufficientScope);
    auto c = good_claims();
    json_object_del(c.get(), "scope");
    scopes = {"orders:read"};
    EXPECT_EQ(check_claims(c), Reason::InsufficientScope);
    scopes = {};
    EXPECT_EQ(check_claims(c), Reason::Ok);
}

// A token problem outranks a missing scope: 401 before 403.
TEST_F(RequireValidate, TokenErrorsComeBeforeScope) {
    scopes = {"orders:write"};
    auto c = good_claims();
    json::set(c.get(), "exp", kNow - 100);
    EXPECT_EQ(check_claims(c), Reason::Expired);
}

TEST_F(RequireValidate, ControlCharactersAreRefused) {
    for (const char* bad : {"a\r\nX-Admin: 1", "a\nb", "tab\there", "nul", "del\x7f",
                            "c1\xc2\x85"}) {
        std::string v = bad;
        if (v == "nul") v = std::string("a\0b", 3);
        for (const char* name : {"sub", "client_id", "scope", "preferred_username"}) {
            auto c = good_claims();
            json_object_set_new(c.get(), name, json_stringn(v.data(), v.size()));
            // jansson refuses to decode \u0000 at all: Malformed, refused too.
            Reason want = v.find('\0') != std::string::npos ? Reason::Malformed
                                                             : Reason::ControlCharacter;
            EXPECT_EQ(check_claims(c), want) << name;
        }
    }
    auto c = good_claims();
    json_object_set_new(c.get(), "aud", json_pack("[s,s]", "ok", "bad\r\n"));
    EXPECT_EQ(check_claims(c), Reason::ControlCharacter);
    c = good_claims();
    json::set(c.get(), "bad\nname", "v");
    EXPECT_EQ(check_claims(c), Reason::ControlCharacter);
    c = good_claims();
    json::set(c.get(), "name", "caf\xc3\xa9 \xe2\x82\xac");  // UTF-8 text is fine
    EXPECT_EQ(check_claims(c), Reason::Ok);
}

TEST_F(RequireValidate, UnknownKid) {
    auto other = make_key(jose::Alg::ES256, "other");
    EXPECT_EQ(check(sign(*other, good_claims().get())), Reason::UnknownKid);
    // Same kid as a configured key, different key material.
    auto impostor = make_key(jose::Alg::ES256, "ec1");
    EXPECT_EQ(check(sign(*impostor, good_claims().get())), Reason::BadSignature);
    auto c = good_claims();
    EXPECT_EQ(check(raw_token(R"({"alg":"RS256","typ":"at+jwt"})", c.get(), rsa_key().get())),
              Reason::UnknownKid);
}

TEST_F(RequireValidate, AlgNone) {
    auto c = good_claims();
    std::string t = b64(R"({"alg":"none","kid":"rsa1","typ":"at+jwt"})") + "." +
                    b64(json::dump(c.get())) + ".";
    EXPECT_NE(check(t), Reason::Ok);
    EXPECT_EQ(check(raw_token(R"({"alg":"none","kid":"rsa1","typ":"at+jwt"})", c.get(), nullptr, "x")),
              Reason::AlgMismatch);
}

TEST_F(RequireValidate, Hs256WithThePublicKeyAsSecret) {
    auto c = good_claims();
    std::string header = R"({"alg":"HS256","kid":"rsa1","typ":"at+jwt"})";
    std::string input = b64(header) + "." + b64(json::dump(c.get()));
    // The attacker's "secret": the published JWK's modulus, as good a guess as any.
    std::string secret = json::dump(rsa_key()->public_jwk().get());
    std::string t = input + "." + b64(util::hmac_sha256(secret, input));
    EXPECT_EQ(check(t), Reason::AlgMismatch);
}

TEST_F(RequireValidate, AlgKeyMismatch) {
    auto c = good_claims();
    // ES256 signature, but the header names the RSA key.
    EXPECT_EQ(check(raw_token(R"({"alg":"ES256","kid":"rsa1","typ":"at+jwt"})", c.get(), ec_key().get())),
              Reason::AlgMismatch);
    EXPECT_EQ(check(raw_token(R"({"alg":"RS256","kid":"ec1","typ":"at+jwt"})", c.get(), rsa_key().get())),
              Reason::AlgMismatch);
}

TEST_F(RequireValidate, FlippedSignatureBit) {
    std::string t = sign(*rsa_key(), good_claims().get());
    auto dot = t.rfind('.');
    auto sig = *util::base64url_decode(t.substr(dot + 1));
    sig[10] ^= 0x01;
    EXPECT_EQ(check(t.substr(0, dot + 1) + b64(sig)), Reason::BadSignature);

    std::string e = sign(*ec_key(), good_claims().get());
    dot = e.rfind('.');
    sig = *util::base64url_decode(e.substr(dot + 1));
    sig[40] ^= 0x80;
    EXPECT_EQ(check(e.substr(0, dot + 1) + b64(sig)), Reason::BadSignature);
}

TEST_F(RequireValidate, ChangedPayload) {
    std::string t = sign(*rsa_key(), good_claims().get());
    auto c = good_claims();
    json::set(c.get(), "scope", "admin");
    auto first = t.find('.'), second = t.find('.', first + 1);
    std::string forged = t.substr(0, first + 1) + b64(json::dump(c.get())) + t.substr(second);
    EXPECT_EQ(check(forged), Reason::BadSignature);
}

TEST_F(RequireValidate, Shape) {
    std::string t = sign(*rsa_key(), good_claims().get());
    auto last = t.rfind('.');
    EXPECT_EQ(check(t.substr(0, last)), Reason::Malformed);          // 2 parts
    EXPECT_EQ(check(t + ".x"), Reason::Malformed);                   // 4 parts
    EXPECT_EQ(check(t + "="), Reason::Malformed);                    // padding
    EXPECT_EQ(check("!!!." + t.substr(t.find('.') + 1)), Reason::Malformed);  // bad base64
    EXPECT_EQ(check(""), Reason::Malformed);
    EXPECT_EQ(check(".."), Reason::Malformed);
    EXPECT_EQ(check(std::string(20000, 'a') + ".b.c"), Reason::Malformed);  // too big
    auto c = good_claims();
    EXPECT_EQ(check(raw_token("[1]", c.get(), rsa_key().get())), Reason::Malformed);
    std::string input = b64(R"({"alg":"RS256","kid":"rsa1","typ":"at+jwt"})") + "." + b64("not json");
    EXPECT_EQ(check(input + "." + b64(rsa_key()->sign(input))), Reason::Malformed);
}

TEST_F(RequireValidate, TokenOutsideB64TokenIsMalformed) {
    // RFC 6750 §2.1; parse_bearer leaves this to the first verification.
    for (const char* t : {"a,b", "a=b", "!!!.a.b", "a\"b.c.d"}) EXPECT_EQ(check(t), Reason::Malformed) << t;
    std::string t = sign(*rsa_key(), good_claims().get());
    EXPECT_EQ(check(t + ","), Reason::Malformed);
}

TEST_F(RequireValidate, VerifiedClaimsCarryTheirSessionCommand) {
    auto claims = authenticate(sign(*rsa_key(), good_claims().get()), keys, nullptr, kNow, "px:");
    ASSERT_TRUE(claims);
    EXPECT_EQ((*claims)->session_prefix, "px:");
    EXPECT_EQ((*claims)->session_command, session_command("px:", (*claims)->jti));
}

// --- the cache -----------------------------------------------------------

TEST_F(RequireValidate, CacheSkipsTheSignatureButNotThePolicy) {
    TokenCache cache;
    std::string t = sign(*rsa_key(), good_claims().get());
    EXPECT_EQ(check(t, kNow, &cache), Reason::Ok);
    EXPECT_EQ(cache.size(), 1u);
    // Policy is evaluated again from the cached claims on every request.
    scopes = {"orders:write"};
    EXPECT_EQ(check(t, kNow, &cache), Reason::InsufficientScope);
    scopes = {};
    policy.audience = "https://nope";
    EXPECT_EQ(check(t, kNow, &cache), Reason::WrongAudience);
    policy.audience = {};
    EXPECT_EQ(check(t, kNow + 700, &cache), Reason::Expired);  // and the entry is dropped
    EXPECT_EQ(cache.size(), 0u);
}

TEST_F(RequireValidate, CacheHitIsUsedWithoutVerifying) {
    // An entry planted for bytes whose signature is wrong proves that a hit
    // does not verify again; only authenticate() ever plants real entries.
    TokenCache cache;
    std::string t = sign(*rsa_key(), good_claims().get());
    auto dot = t.rfind('.');
    std::string bogus = t.substr(0, dot + 1) + "AAAA";
    EXPECT_EQ(check(bogus, kNow, &cache), Reason::BadSignature);
    EXPECT_EQ(cache.size(), 0u);  // failures are never cached
    auto claims = authenticate(t, keys, nullptr, kNow, "oauth:");
    ASSERT_TRUE(claims);
    cache.insert(bogus, *claims, kNow);
    EXPECT_EQ(check(bogus, kNow, &cache), Reason::Ok);
}

TEST_F(RequireValidate, CacheEntryNeedsTheKeyInThisServer) {
    TokenCache cache;
    std::string t = sign(*ec_key(), good_claims().get());
    EXPECT_EQ(check(t, kNow, &cache), Reason::Ok);
    keys = {rsa_key()};  // another server block, without the EC key
    EXPECT_EQ(check(t, kNow, &cache), Reason::UnknownKid);
}

TEST_F(RequireValidate, CacheIsBoundedLru) {
    TokenCache cache(2);
    auto token = [](const char* jti) {
        auto c = good_claims();
        json::set(c.get(), "jti", jti);
        return sign(*ec_key(), c.get());
    };
    std::string a = token("a"), b = token("b"), c = token("c");
    auto claims_of = [&](const std::string& t) { return *authenticate(t, keys, nullptr, kNow, "oauth:"); };
    cache.insert(a, claims_of(a), kNow);
    cache.insert(b, claims_of(b), kNow);
    ASSERT_TRUE(cache.find(a, kNow));  // a is now the most recent
    cache.insert(c, claims_of(c), kNow);
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_TRUE(cache.find(a, kNow));
    EXPECT_FALSE(cache.find(b, kNow));
    EXPECT_TRUE(cache.find(c, kNow));
    EXPECT_EQ(cache.find(a, kNow)->jti, "a");
}

TEST_F(RequireValidate, CacheRefusesExpiredEntries) {
    TokenCache cache;
    auto c = good_claims();
    json::set(c.get(), "exp", kNow - 5);  // expired, but within the leeway
    std::string t = sign(*rsa_key(), c.get());
    EXPECT_EQ(check(t, kNow, &cache), Reason::Ok);
    EXPECT_EQ(cache.size(), 0u);
}

TEST_F(RequireValidate, CacheKeyIsTheWholeToken) {
    TokenCache cache;
    std::string t = sign(*rsa_key(), good_claims().get());
    EXPECT_EQ(check(t, kNow, &cache), Reason::Ok);
    std::string altered = t;
    altered.back() = altered.back() == 'A' ? 'B' : 'A';
    EXPECT_NE(check(altered, kNow, &cache), Reason::Ok);
}

}  // namespace
}  // namespace oauth::require
