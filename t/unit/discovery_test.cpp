// Discovery (RFC 8414, OIDC Discovery 1.0) and JWKS (RFC 7517 §5) flows, run
// directly on a ServerConfig, plus the OIDC Core §5.4 scope->claims table.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "flow/flow.h"
#include "jose_keys.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/scopes/known_scopes.h"
#include "vectors/jose_rfc.h"

using namespace oauth;
namespace rfc = jose_rfc;

namespace {

flow::ServerConfig server(std::vector<jose::KeyPtr> keys) {
    flow::ServerConfig s;
    s.issuer = "https://auth.example.com";
    s.audience = s.issuer;
    s.keys = std::move(keys);
    s.endpoint_path[OAUTH_EP_DISCOVERY] = "/.well-known/openid-configuration";
    s.endpoint_path[OAUTH_EP_JWKS] = "/oauth2/jwks";
    s.endpoint_path[OAUTH_EP_TOKEN] = "/oauth2/token";
    return s;
}

const jose::KeyPtr& es_key() {
    static const jose::KeyPtr k =
        jose_test::load(jose_test::p256(rfc::a3::x, rfc::a3::y, rfc::a3::d).get(), "k2");
    return k;
}
const jose::KeyPtr& rs_key() {
    static const jose::KeyPtr k = jose_test::load(
        jose_test::rsa(rfc::a2::n, rfc::a2::e, rfc::a2::d, rfc::a2::p, rfc::a2::q, rfc::a2::dp,
                       rfc::a2::dq, rfc::a2::qi).get(), "k1");
    return k;
}
const jose::KeyPtr& ed_key() {
    static const jose::KeyPtr k =
        jose_test::load(jose_test::ed25519(rfc::rfc8037::x, rfc::rfc8037::d).get());
    return k;
}

flow::Step run(std::unique_ptr<flow::Flow> f) {
    EXPECT_TRUE(f);
    flow::Step step = f->start();
    EXPECT_EQ(step.kind, flow::Step::Kind::Respond);
    return step;
}

flow::Request request(std::string method) {
    flow::Request r;
    r.method = std::move(method);
    r.path = "/x";
    r.now = 1700000000;
    return r;
}

std::string header(const http::Response& r, std::string_view name) {
    for (const auto& [n, v] : r.headers)
        if (n == name) return v;
    return "<absent>";
}

std::vector<std::string> strings(const json_t* doc, const char* member) {
    std::vector<std::string> out;
    json_t* array = json_object_get(doc, member);
    EXPECT_TRUE(json_is_array(array)) << member;
    size_t i;
    json_t* v;
    json_array_foreach(array, i, v) out.emplace_back(json_string_value(v));
    return out;
}

json::Json discovery(const flow::ServerConfig& s, std::string method = "GET") {
    flow::Step step = run(endpoints::make_discovery(s, request(std::move(method))));
    EXPECT_EQ(step.response.status, 200u);
    EXPECT_EQ(step.response.content_type, "application/json");
    EXPECT_EQ(header(step.response, "Cache-Control"), "public, max-age=300");
    json::Json doc = json::parse_object(step.response.body);
    EXPECT_TRUE(doc) << step.response.body;
    return doc;
}

using V = std::vector<std::string>;

}  // namespace

TEST(Discovery, MinimalServerPublishesOnlyWhatItHas) {
    auto doc = discovery(server({es_key()}));
    json_t* d = doc.get();
    EXPECT_EQ(json::get_string(d, "issuer"), "https://auth.example.com");
    EXPECT_EQ(json::get_string(d, "token_endpoint"), "https://auth.example.com/oauth2/token");
    EXPECT_EQ(json::get_string(d, "jwks_uri"), "https://auth.example.com/oauth2/jwks");
    for (const char* absent : {"authorization_endpoint", "introspection_endpoint",
                               "revocation_endpoint", "userinfo_endpoint",
                               "device_authorization_endpoint",
                               "introspection_endpoint_auth_methods_supported",
                               "revocation_endpoint_auth_methods_supported"})
        EXPECT_EQ(json_object_get(d, absent), nullptr) << absent;
    EXPECT_EQ(strings(d, "grant_types_supported"),
              (V{"refresh_token", "client_credentials", "password"}));
    EXPECT_EQ(strings(d, "response_types_supported"), V{"code"});
    EXPECT_EQ(strings(d, "response_modes_supported"), V{"query"});
    EXPECT_EQ(strings(d, "code_challenge_methods_supported"), V{"S256"});
    EXPECT_EQ(strings(d, "token_endpoint_auth_methods_supported"),
              (V{"client_secret_basic", "client_secret_post", "none"}));
    EXPECT_EQ(strings(d, "scopes_supported"),
              (V{"openid", "profile", "email", "address", "phone", "offline_access"}));
    EXPECT_EQ(strings(d, "subject_types_supported"), V{"public"});
    EXPECT_EQ(strings(d, "id_token_signing_alg_values_supported"), V{"ES256"});
    EXPECT_TRUE(json_is_true(json_object_get(d, "authorization_response_iss_parameter_supported")));
    EXPECT_TRUE(json_is_false(json_object_get(d, "request_uri_parameter_supported")));
}

TEST(Discovery, FullServer) {
    auto s = server({rs_key(), es_key(), ed_key()});
    s.issuer = "https://auth.example.com:8443/tenant";  // endpoints use the origin only
    for (auto ep : {OAUTH_EP_AUTHORIZE, OAUTH_EP_INTROSPECT, OAUTH_EP_REVOKE, OAUTH_EP_USERINFO,
                    OAUTH_EP_DEVICE_AUTHORIZATION, OAUTH_EP_LOGIN, OAUTH_EP_CONSENT})
        s.endpoint_path[ep] = "/p/" + std::to_string(ep);
    auto doc = discovery(s);
    json_t* d = doc.get();
    EXPECT_EQ(json::get_string(d, "issuer"), "https://auth.example.com:8443/tenant");
    EXPECT_EQ(json::get_string(d, "authorization_endpoint"),
              "https://auth.example.com:8443/p/" + std::to_string(OAUTH_EP_AUTHORIZE));
    EXPECT_EQ(json::get_string(d, "userinfo_endpoint"),
              "https://auth.example.com:8443/p/" + std::to_string(OAUTH_EP_USERINFO));
    EXPECT_EQ(json::get_string(d, "device_authorization_endpoint"),
              "https://auth.example.com:8443/p/" + std::to_string(OAUTH_EP_DEVICE_AUTHORIZATION));
    EXPECT_TRUE(json::get_string(d, "introspection_endpoint"));
    EXPECT_TRUE(json::get_string(d, "revocation_endpoint"));
    // The browser pages are not metadata.
    EXPECT_EQ(json_object_get(d, "login_endpoint"), nullptr);
    EXPECT_EQ(strings(d, "grant_types_supported"),
              (V{"authorization_code", "refresh_token", "client_credentials", "password",
                 "urn:ietf:params:oauth:grant-type:device_code"}));
    EXPECT_EQ(strings(d, "introspection_endpoint_auth_methods_supported"),
              (V{"client_secret_basic", "client_secret_post"}));
    EXPECT_EQ(strings(d, "revocation_endpoint_auth_methods_supported"),
              (V{"client_secret_basic", "client_secret_post"}));
    EXPECT_EQ(strings(d, "id_token_signing_alg_values_supported"),
              (V{"RS256", "ES256", "EdDSA"}));
    auto claims = strings(d, "claims_supported");
    for (const char* c : {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name",
                          "preferred_username", "email", "email_verified", "address",
                          "phone_number", "phone_number_verified", "updated_at"})
        EXPECT_NE(std::find(claims.begin(), claims.end(), c), claims.end()) << c;
    EXPECT_EQ(claims.size(), 7u + 14u + 2u + 1u + 2u);
}

TEST(Discovery, SigningAlgorithmsSigningKeyFirstAndDistinct) {
    auto second_es = jose_test::load(jose_test::generate("EC", "P-256").get(), "k3");
    auto doc = discovery(server({es_key(), rs_key(), second_es}));
    EXPECT_EQ(strings(doc.get(), "id_token_signing_alg_values_supported"), (V{"ES256", "RS256"}));
}

TEST(Discovery, HeadIsGetAndOtherMethodsAre405) {
    auto s = server({es_key()});
    auto head = discovery(s, "HEAD");
    EXPECT_TRUE(json::get_string(head.get(), "issuer"));
    for (const char* m : {"POST", "PUT", "DELETE", "get"}) {
        flow::Step step = run(endpoints::make_discovery(s, request(m)));
        EXPECT_EQ(step.response.status, 405u) << m;
        EXPECT_EQ(header(step.response, "Allow"), "GET, HEAD");
    }
}

TEST(Jwks, PublishesEveryKeyPublicOnly) {
    auto s = server({rs_key(), es_key(), ed_key()});
    flow::Step step = run(endpoints::make_jwks(s, request("GET")));
    EXPECT_EQ(step.response.status, 200u);
    EXPECT_EQ(step.response.content_type, "application/json");
    EXPECT_EQ(header(step.response, "Cache-Control"), "public, max-age=300");
    json::Json doc = json::parse_object(step.response.body);
    ASSERT_TRUE(doc);
    EXPECT_EQ(json_object_size(doc.get()), 1u);
    json_t* keys = json_object_get(doc.get(), "keys");
    ASSERT_EQ(json_array_size(keys), 3u);
    EXPECT_EQ(json::dump(json_array_get(keys, 0)), json::dump(rs_key()->public_jwk().get()));
    EXPECT_EQ(json::get_string(json_array_get(keys, 0), "kid"), "k1");
    EXPECT_EQ(json::get_string(json_array_get(keys, 1), "kid"), "k2");
    EXPECT_EQ(json::get_string(json_array_get(keys, 2), "kid"), rfc::rfc8037::thumbprint);
    EXPECT_EQ(json::get_string(json_array_get(keys, 2), "x"), rfc::rfc8037::x);
    size_t i;
    json_t* k;
    json_array_foreach(keys, i, k) {
        EXPECT_EQ(json::get_string(k, "use"), "sig");
        for (const char* priv : {"d", "p", "q", "dp", "dq", "qi"})
            EXPECT_EQ(json_object_get(k, priv), nullptr) << priv;
    }
    EXPECT_EQ(step.response.body.find("\"d\""), std::string::npos);
}

TEST(Jwks, MethodNotAllowed) {
    auto s = server({es_key()});
    flow::Step step = run(endpoints::make_jwks(s, request("POST")));
    EXPECT_EQ(step.response.status, 405u);
    EXPECT_EQ(header(step.response, "Allow"), "GET, HEAD");
    EXPECT_EQ(run(endpoints::make_jwks(s, request("HEAD"))).response.status, 200u);
}

TEST(Scopes, ClaimsForScopes) {
    using SV = std::vector<std::string_view>;
    EXPECT_EQ(claims_for_scopes("openid email"), (SV{"email", "email_verified"}));
    EXPECT_EQ(claims_for_scopes("phone  address openid"),
              (SV{"address", "phone_number", "phone_number_verified"}));
    EXPECT_EQ(claims_for_scopes("openid offline_access api:read"), SV{});
    EXPECT_EQ(claims_for_scopes("email email"), (SV{"email", "email_verified"}));
    EXPECT_EQ(claims_for_scopes("Email"), SV{});  // scope tokens are case-sensitive
    auto profile = claims_for_scopes("profile");
    EXPECT_EQ(profile.size(), 14u);
    EXPECT_EQ(profile.front(), "name");
    EXPECT_EQ(profile.back(), "updated_at");
    std::vector<std::string> split{"email", "profile"};
    EXPECT_EQ(claims_for_scopes(std::span<const std::string>(split)).size(), 16u);
    EXPECT_EQ(claims_of_scope("address").size(), 1u);
    EXPECT_TRUE(claims_of_scope("openid").empty());
}
