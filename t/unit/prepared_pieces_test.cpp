// The pieces the token endpoint now prepares once instead of per token:
// the keyed HMAC of the secret-check cache, parsed client records, the JWS
// header of a key, and base64url appended in place.
#include <gtest/gtest.h>

#include <string>

#include "jose/jws.h"
#include "jose/keygen.h"
#include "json/json.h"
#include "oauth/clients/client_auth.h"
#include "util/crypto.h"
#include "util/encoding.h"

using namespace oauth;

TEST(PreparedHmac, MatchesTheOneShotHmacOfTheConcatenation) {
    std::string key = util::random_bytes(32);
    util::HmacSha256 mac(key);
    for (int i = 0; i < 50; i++) {
        std::string a = "id-" + std::to_string(i), b = util::random_bytes(i), c = "hash";
        EXPECT_EQ(mac.mac({a, b, c}), util::hmac_sha256(key, a + b + c));
    }
    EXPECT_EQ(mac.mac({}), util::hmac_sha256(key, ""));
    EXPECT_NE(util::HmacSha256(util::random_bytes(32)).mac({"x"}), mac.mac({"x"}));
}

TEST(ParsedClients, SameTextSharesOneParseChangedTextIsReparsed) {
    std::string v1 = R"({"client_id":"pc","secret_hash":"h1","redirect_uris":[],)"
                     R"("grant_types":["client_credentials"],"scope":"a b"})";
    auto first = client_auth::parse_client_cached(v1);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->id, "pc");
    EXPECT_EQ(first->scopes.size(), 2u);
    EXPECT_EQ(client_auth::parse_client_cached(v1).get(), first.get());

    // The record changed in Redis (scope narrowed, secret rotated): the new
    // text is parsed, never answered from the old entry.
    std::string v2 = R"({"client_id":"pc","secret_hash":"h2","redirect_uris":[],)"
                     R"("grant_types":["client_credentials"],"scope":"a"})";
    auto second = client_auth::parse_client_cached(v2);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->secret_hash, "h2");
    EXPECT_EQ(second->scopes.size(), 1u);
    EXPECT_EQ(first->secret_hash, "h1");  // a flow holding the old one keeps it intact

    EXPECT_FALSE(client_auth::parse_client_cached("{not json"));
    EXPECT_FALSE(client_auth::parse_client_cached(R"({"client_id":"pc"})"));
}

TEST(ParsedClients, StaysBoundedUnderManyDistinctRecords) {
    for (int i = 0; i < 3000; i++) {
        std::string rec = R"({"client_id":"c)" + std::to_string(i) +
                          R"(","public":true,"redirect_uris":[],"grant_types":[]})";
        auto c = client_auth::parse_client_cached(rec);
        ASSERT_TRUE(c);
        ASSERT_EQ(c->id, "c" + std::to_string(i));
    }
}

TEST(Base64urlAppend, AppendsAfterWhatIsThere) {
    for (size_t n = 0; n < 40; n++) {
        std::string bytes = util::random_bytes(n);
        std::string out = "prefix.";
        util::base64url_append(out, bytes);
        EXPECT_EQ(out, "prefix." + util::base64url_encode(bytes));
        EXPECT_EQ(util::base64url_decode(out.substr(7)), bytes);
    }
}

TEST(JwsHeaderCache, EachTypGetsItsOwnHeaderEveryTime) {
    auto key = jose::Key::from_pem(jose::generate_private_key_pem(jose::Alg::ES256), "kid-1");
    ASSERT_TRUE(key);
    json::Json payload = json::parse_object(R"({"sub":"x"})");
    std::vector<jose::KeyPtr> keys{*key};
    for (int round = 0; round < 3; round++) {
        for (std::string_view typ : {"at+jwt", "JWT", ""}) {
            std::string token = jose::sign_compact(**key, typ, payload.get());
            auto v = jose::verify_compact(token, keys);
            ASSERT_TRUE(v) << token;
            EXPECT_EQ(json::get_string(v->header.get(), "kid"), "kid-1");
            EXPECT_EQ(json::get_string(v->header.get(), "alg"), "ES256");
            auto t = json::get_string(v->header.get(), "typ");
            if (typ.empty()) EXPECT_FALSE(t);
            else EXPECT_EQ(t, typ);
            EXPECT_EQ(json::get_string(v->payload.get(), "sub"), "x");
        }
    }
}
