// SPEC §9 in the core, with canned inputs: RFC 7591 client metadata rules
// (oauth/client_metadata.h), RFC 8707 resource values and narrowing and the
// RFC 9728 §3.1 metadata URL (oauth/resource.h), the RFC 9728 §5.1
// challenge parameter, and the registration flow's first steps.
#include <gtest/gtest.h>

#include <string>

#include "flow/flow.h"
#include "json/json.h"
#include "oauth/clients/client_metadata.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/tokens/resource.h"
#include "require/challenge.h"

using namespace oauth;

namespace {

flow::ServerConfig server() {
    flow::ServerConfig s;
    s.issuer = "https://as.example";
    s.audience = s.issuer;
    s.prefix = "oauth:";
    s.endpoint_path[OAUTH_EP_REGISTRATION] = "/register";
    s.resources.push_back({"https://rs.example/mcp", {"mcp:tools"}, true});
    return s;
}

std::expected<registration::Metadata, registration::Refusal> check(const char* text,
                                                                   bool authenticated = false) {
    json::Json body = json::parse_object(text);
    EXPECT_TRUE(body) << text;
    return registration::validate(body.get(), server(), authenticated);
}

Error refusal(const char* text, bool authenticated = false) {
    auto m = check(text, authenticated);
    EXPECT_FALSE(m) << text;
    return m ? Error::ServerError : m.error().error;
}

}  // namespace

TEST(ClientMetadata, DefaultsOfRfc7591Section2) {
    auto m = check(R"({"redirect_uris":["https://app.example/cb"],"extra":1})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->auth_method, "client_secret_basic");
    EXPECT_EQ(m->grant_types, std::vector<std::string>{"authorization_code"});
    EXPECT_FALSE(m->is_public());
    std::string doc = json::dump(m->document.get());
    EXPECT_NE(doc.find(R"("response_types":["code"])"), std::string::npos);
    EXPECT_EQ(doc.find("extra"), std::string::npos);  // ignored, not echoed
    // No scope: every registrable one, resources' included.
    EXPECT_NE(std::find(m->scopes.begin(), m->scopes.end(), "mcp:tools"), m->scopes.end());
}

TEST(ClientMetadata, RedirectUris) {
    EXPECT_TRUE(registration::valid_redirect_uri("https://a.example/cb?x=1"));
    EXPECT_TRUE(registration::valid_redirect_uri("http://127.0.0.1:5000/cb"));
    EXPECT_TRUE(registration::valid_redirect_uri("http://[::1]/cb"));
    EXPECT_TRUE(registration::valid_redirect_uri("http://localhost:1/"));
    EXPECT_FALSE(registration::valid_redirect_uri("http://a.example/cb"));
    EXPECT_FALSE(registration::valid_redirect_uri("http://127.0.0.1.evil.example/cb"));
    EXPECT_FALSE(registration::valid_redirect_uri("http://localhost@evil.example/cb"));
    EXPECT_FALSE(registration::valid_redirect_uri("https://a.example/cb#f"));
    EXPECT_FALSE(registration::valid_redirect_uri("https:///cb"));
    EXPECT_FALSE(registration::valid_redirect_uri("app:/cb"));
    EXPECT_FALSE(registration::valid_redirect_uri("https://a.example/c\nb"));
    EXPECT_EQ(refusal(R"({})"), Error::InvalidRedirectUri);
    EXPECT_EQ(refusal(R"({"redirect_uris":["http://a.example/"]})"), Error::InvalidRedirectUri);
}

TEST(ClientMetadata, GrantsResponsesAndAuthMethods) {
    EXPECT_EQ(refusal(R"({"redirect_uris":["https://a.example/"],"grant_types":["password"]})"),
              Error::InvalidClientMetadata);
    EXPECT_EQ(refusal(R"({"grant_types":["client_credentials"]})"), Error::InvalidClientMetadata);
    EXPECT_TRUE(check(R"({"grant_types":["client_credentials"]})", true));
    EXPECT_EQ(refusal(R"({"grant_types":["client_credentials"],"token_endpoint_auth_method":"none"})", true),
              Error::InvalidClientMetadata);
    EXPECT_EQ(refusal(R"({"redirect_uris":["https://a.example/"],"response_types":["code","token"]})"),
              Error::InvalidClientMetadata);
    EXPECT_EQ(refusal(R"({"grant_types":["client_credentials"],"response_types":["code"]})", true),
              Error::InvalidClientMetadata);
    EXPECT_EQ(refusal(R"({"redirect_uris":["https://a.example/"],"token_endpoint_auth_method":"tls_client_auth"})"),
              Error::InvalidClientMetadata);
}

TEST(ClientMetadata, ScopesAreRegistrableOnly) {
    EXPECT_TRUE(check(R"({"redirect_uris":["https://a.example/"],"scope":"openid mcp:tools"})"));
    EXPECT_EQ(refusal(R"({"redirect_uris":["https://a.example/"],"scope":"oauth:login"})"),
              Error::InvalidClientMetadata);
    EXPECT_EQ(refusal(R"({"redirect_uris":["https://a.example/"],"scope":"orders:write"})"),
              Error::InvalidClientMetadata);
}

TEST(Resource, ValuesAndNarrowing) {
    auto s = server();
    EXPECT_TRUE(resource::requested({"https://rs.example/mcp"}, s));
    EXPECT_FALSE(resource::requested({"https://rs.example/other"}, s));
    EXPECT_FALSE(resource::requested({"https://rs.example/mcp#x"}, s));
    EXPECT_FALSE(resource::requested({"/mcp"}, s));
    auto n = resource::narrowed({"b"}, {"a", "b"});
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, std::vector<std::string>{"b"});
    EXPECT_FALSE(resource::narrowed({"c"}, {"a", "b"}));
    EXPECT_EQ(*resource::narrowed({}, {"a"}), std::vector<std::string>{"a"});
    EXPECT_EQ(resource::audience(s, {}), std::vector<std::string>{"https://as.example"});
}

TEST(Resource, MetadataUrlOfRfc9728Section3_1) {
    EXPECT_EQ(resource::metadata_url("https://rs.example/mcp"),
              "https://rs.example/.well-known/oauth-protected-resource/mcp");
    EXPECT_EQ(resource::metadata_url("https://rs.example/"),
              "https://rs.example/.well-known/oauth-protected-resource");
    EXPECT_EQ(resource::metadata_url("https://rs.example"),
              "https://rs.example/.well-known/oauth-protected-resource");
    EXPECT_EQ(resource::metadata_url("https://rs.example:8443/a/b?x=1"),
              "https://rs.example:8443/.well-known/oauth-protected-resource/a/b?x=1");
}

TEST(Resource, ChallengeNamesTheMetadata) {
    auto ch = require::challenge_for(require::Reason::NoToken, "api", {});
    require::add_resource_metadata(ch, "https://rs.example/.well-known/oauth-protected-resource/mcp");
    EXPECT_EQ(ch.www_authenticate,
              "Bearer realm=\"api\", resource_metadata=\"https://rs.example/.well-known/"
              "oauth-protected-resource/mcp\"");
    auto down = require::challenge_for(require::Reason::StoreUnavailable, "api", {});
    require::add_resource_metadata(down, "https://x/");
    EXPECT_TRUE(down.www_authenticate.empty());
}

TEST(RegistrationFlow, TokenModeWantsABearerAndOpenModeChecksTheBody) {
    auto s = server();
    flow::Request r;
    r.method = "POST";
    r.path = "/register";
    r.content_type = "application/json";
    r.body = R"({"redirect_uris":["https://a.example/"],"token_endpoint_auth_method":"none"})";
    auto f = endpoints::make_registration(s, r);
    flow::Step st = f->start();
    ASSERT_EQ(st.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(st.response.status, 401u);

    s.registration.open = true;
    r.client_address = "192.0.2.1";
    f = endpoints::make_registration(s, r);
    st = f->start();
    ASSERT_EQ(st.kind, flow::Step::Kind::Redis);  // the per-address count
    ASSERT_EQ(st.commands.size(), 1u);
    EXPECT_EQ(st.commands[0].at(3), "oauth:limit:reg:192.0.2.1");

    r.path = "/elsewhere";
    st = endpoints::make_registration(s, r)->start();
    EXPECT_EQ(st.response.status, 404u);
    r.path = "/register/abc";
    r.method = "GET";
    st = endpoints::make_registration(s, r)->start();
    EXPECT_EQ(st.response.status, 401u);  // no registration access token
}
