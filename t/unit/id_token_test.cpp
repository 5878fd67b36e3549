// ID tokens (OIDC Core §2, §3.1.3.6, §5.4, §12.2).
#include <gtest/gtest.h>

#include "jose/jws.h"
#include "jose/keygen.h"
#include "oauth/tokens/id_token.h"

namespace oauth::id_token {
namespace {

constexpr int64_t kNow = 1'700'000'000;

jose::KeyPtr key_for(jose::Alg alg) {
    auto key = jose::Key::from_pem(jose::generate_private_key_pem(alg), "k1");
    EXPECT_TRUE(key.has_value());
    return *key;
}

flow::ServerConfig config(jose::KeyPtr key) {
    flow::ServerConfig c;
    c.issuer = "https://auth.example.com";
    c.audience = c.issuer;
    c.prefix = "oauth:";
    c.ttl[OAUTH_TTL_ACCESS_TOKEN] = 600;
    c.keys.push_back(std::move(key));
    return c;
}

// An ID token request for client "spa" with scope openid and nothing
// optional: no nonce, no username, no auth_time.
Request bare_request(std::string_view sub, int64_t now) {
    Request req;
    req.client_id = "spa";
    req.sub = sub;
    req.scope = "openid";
    req.access_token = "a";
    req.now = now;
    return req;
}

json::Json user_claims() {
    return json::parse_object(
        R"({"name":"Alice Liddell","email":"alice@example.com","email_verified":true,)"
        R"("phone_number":"+1 555","custom":"x"})");
}

TEST(IdToken, AtHashMatchesOidcCoreExample) {
    // OIDC Core Appendix A.3/A.4 (RS256).
    EXPECT_EQ(at_hash(jose::Alg::RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
              "77QmUPtjPfzWtF2AnpK9RQ");
    EXPECT_EQ(at_hash(jose::Alg::ES256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
              "77QmUPtjPfzWtF2AnpK9RQ");
    // EdDSA: left half of SHA-512, i.e. 32 bytes -> 43 base64url characters.
    std::string ed = at_hash(jose::Alg::EdDSA, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y");
    EXPECT_EQ(ed.size(), 43u);
    EXPECT_NE(ed.substr(0, 22), "77QmUPtjPfzWtF2AnpK9RQ");
}

TEST(IdToken, WantedOnlyWithOpenid) {
    EXPECT_TRUE(wanted("openid"));
    EXPECT_TRUE(wanted("profile openid email"));
    EXPECT_FALSE(wanted("profile email"));
    EXPECT_FALSE(wanted("openidx"));
    EXPECT_FALSE(wanted(""));
}

TEST(IdToken, ReleasesOnlyTheClaimsOfGrantedScopes) {
    json::Json user = user_claims();
    json::Json email = released_claims(user.get(), "openid email", "alice");
    EXPECT_EQ(json::dump(email.get()), R"({"email":"alice@example.com","email_verified":true})");
    json::Json profile = released_claims(user.get(), "openid profile", "alice");
    EXPECT_EQ(json::dump(profile.get()), R"({"name":"Alice Liddell","preferred_username":"alice"})");
    json::Json none = released_claims(user.get(), "openid", "alice");
    EXPECT_EQ(json::dump(none.get()), "{}");
    json::Json null_claims = released_claims(nullptr, "openid email", "");
    EXPECT_EQ(json::dump(null_claims.get()), "{}");
}

// OIDC Core §5.1.1: address is a JSON object. Records written before the
// CLI took JSON values hold it as a string: serialized JSON is released as
// the object, other text as its "formatted" member.
TEST(IdToken, AddressIsReleasedAsAnObject) {
    struct Case {
        const char* stored;
        const char* released;
    } cases[] = {
        {R"({"address":{"locality":"Paris","country":"FR"}})", R"({"address":{"locality":"Paris","country":"FR"}})"},
        {R"({"address":"{\"locality\":\"Paris\"}"})", R"({"address":{"locality":"Paris"}})"},
        {R"({"address":"1 Main St, Springfield"})", R"({"address":{"formatted":"1 Main St, Springfield"}})"},
        {R"({"address":42})", "{}"},
    };
    for (const auto& c : cases) {
        json::Json user = json::parse_object(c.stored);
        json::Json out = released_claims(user.get(), "openid address", "");
        EXPECT_EQ(json::dump(out.get()), c.released) << c.stored;
    }
}

TEST(IdToken, MintCarriesTheOidcClaimsAndVerifies) {
    for (auto alg : {jose::Alg::ES256, jose::Alg::EdDSA}) {
        auto cfg = config(key_for(alg));
        json::Json user = user_claims();
        std::string tok = mint(cfg, Request{.client_id = "spa",
                                            .sub = "sub-1",
                                            .username = "alice",
                                            .scope = "openid email",
                                            .user_claims = user.get(),
                                            .auth_time = kNow - 30,
                                            .nonce = "n-0S6_WzA2Mj",
                                            .access_token = "at-bytes",
                                            .now = kNow});
        auto v = jose::verify_compact(tok, cfg.keys);
        ASSERT_TRUE(v.has_value());
        EXPECT_EQ(json::get_string(v->header.get(), "typ"), "JWT");
        const json_t* c = v->payload.get();
        EXPECT_EQ(json::get_string(c, "iss"), "https://auth.example.com");
        EXPECT_EQ(json::get_string(c, "sub"), "sub-1");
        EXPECT_EQ(json::get_string(c, "aud"), "spa");
        EXPECT_EQ(json::get_int(c, "iat"), kNow);
        EXPECT_EQ(json::get_int(c, "exp"), kNow + 600);
        EXPECT_EQ(json::get_int(c, "auth_time"), kNow - 30);
        EXPECT_EQ(json::get_string(c, "nonce"), "n-0S6_WzA2Mj");
        EXPECT_EQ(json::get_string(c, "at_hash"), at_hash(alg, "at-bytes"));
        EXPECT_EQ(json::get_string(c, "email"), "alice@example.com");
        EXPECT_TRUE(json_is_true(json_object_get(c, "email_verified")));
        EXPECT_EQ(json_object_get(c, "name"), nullptr);
        EXPECT_EQ(json_object_get(c, "custom"), nullptr);
        EXPECT_EQ(json_object_get(c, "phone_number"), nullptr);
    }
}

TEST(IdToken, NoNonceClaimWhenNoneWasSent) {
    auto cfg = config(key_for(jose::Alg::ES256));
    std::string tok = mint(cfg, bare_request("s", kNow));
    auto v = jose::verify_compact(tok, cfg.keys);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(json_object_get(v->payload.get(), "nonce"), nullptr);
    EXPECT_EQ(json_object_get(v->payload.get(), "auth_time"), nullptr);
}

TEST(IdToken, OnRefreshUsesTheFamily) {
    auto cfg = config(key_for(jose::Alg::ES256));
    store::Family fam;
    fam.id = "fid";
    fam.client_id = "bff";
    fam.sub = "sub-9";
    fam.username = "bob";
    fam.scope = "openid profile";
    fam.auth_time = 1699999000;  // parse_refresh_lookup reads the field, range-checked
    fam.fields = {{"auth_time", "1699999000"}, {"claims", R"({"name":"Bob"})"}};

    auto tok = on_refresh(cfg, fam, "openid profile", "new-at", kNow);
    ASSERT_TRUE(tok.has_value());
    auto v = jose::verify_compact(*tok, cfg.keys);
    ASSERT_TRUE(v.has_value());
    const json_t* c = v->payload.get();
    EXPECT_EQ(json::get_string(c, "aud"), "bff");
    EXPECT_EQ(json::get_string(c, "sub"), "sub-9");
    EXPECT_EQ(json::get_int(c, "auth_time"), 1699999000);
    EXPECT_EQ(json::get_string(c, "name"), "Bob");
    EXPECT_EQ(json::get_string(c, "preferred_username"), "bob");
    EXPECT_EQ(json::get_string(c, "at_hash"), at_hash(jose::Alg::ES256, "new-at"));
    EXPECT_EQ(json_object_get(c, "nonce"), nullptr);

    // A refresh narrowed to drop openid, or a family never granted it: none.
    EXPECT_FALSE(on_refresh(cfg, fam, "profile", "x", kNow).has_value());
    fam.scope = "profile";
    EXPECT_FALSE(on_refresh(cfg, fam, "profile", "x", kNow).has_value());
}

// id_token_hint: an ID token of ours, expired or not; nothing else.
TEST(IdToken, ReadHint) {
    auto cfg = config(key_for(jose::Alg::ES256));
    Request req = bare_request("user-1", kNow - 86400);  // long expired
    auto hint = read_hint(cfg, mint(cfg, req));
    ASSERT_TRUE(hint);
    EXPECT_EQ(hint->sub, "user-1");
    EXPECT_EQ(hint->client_id, "spa");

    auto signed_claims = [&](const char* typ, const char* claims) {
        json::Json c = json::parse_object(claims);
        return jose::sign_compact(*cfg.keys[0], typ, c.get());
    };
    const char* good = R"({"iss":"https://auth.example.com","sub":"u","aud":["spa"]})";
    EXPECT_TRUE(read_hint(cfg, signed_claims("JWT", good)));  // one-element aud
    EXPECT_FALSE(read_hint(cfg, signed_claims("at+jwt", good)));  // an access token
    EXPECT_FALSE(read_hint(cfg, signed_claims("JWT", R"({"iss":"https://other","sub":"u","aud":"spa"})")));
    EXPECT_FALSE(read_hint(cfg, signed_claims("JWT", R"({"iss":"https://auth.example.com","aud":"spa"})")));
    EXPECT_FALSE(read_hint(cfg, signed_claims(
        "JWT", R"({"iss":"https://auth.example.com","sub":"u","aud":["spa","other"]})")));
    auto other = config(key_for(jose::Alg::ES256));  // not our key
    EXPECT_FALSE(read_hint(other, mint(cfg, req)));
    EXPECT_FALSE(read_hint(cfg, "garbage"));
}

}  // namespace
}  // namespace oauth::id_token
