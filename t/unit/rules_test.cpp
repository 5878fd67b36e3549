// The rules that live in one place (issue 11): the grant table that the
// token endpoint, discovery and oauthctl read; the requested-scope check of
// the grants and the authorization endpoint.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flow/server.h"
#include "json/json.h"
#include "oauth/browser/code.h"
#include "oauth/grants/grant.h"
#include "oauth/scopes/scope_string.h"
#include "store/records.h"

using namespace oauth;

namespace {

using Views = std::vector<std::string_view>;

flow::ServerConfig with(std::initializer_list<oauth_endpoint_e> endpoints) {
    flow::ServerConfig s;
    for (auto ep : endpoints) s.endpoint_path[ep] = "/x";
    return s;
}

}  // namespace

TEST(GrantTable, EveryRowHasAFactoryFoundByItsName) {
    for (const auto& g : token::grant_types()) {
        ASSERT_NE(g.factory, nullptr) << g.name;
        EXPECT_EQ(token::find_grant(g.name), g.factory) << g.name;
    }
    EXPECT_EQ(token::find_grant("device_code"), nullptr);  // the alias is oauthctl's only
    EXPECT_EQ(token::find_grant("implicit"), nullptr);
}

TEST(GrantTable, ServedFollowsTheEndpointsThatStartEachGrant) {
    EXPECT_EQ(token::served_grants(with({OAUTH_EP_AUTHORIZE})), Views{});
    EXPECT_EQ(token::served_grants(with({OAUTH_EP_TOKEN})),
              (Views{store::kGrantRefreshToken, store::kGrantClientCredentials, store::kGrantPassword}));
    EXPECT_EQ(token::served_grants(with({OAUTH_EP_TOKEN, OAUTH_EP_AUTHORIZE, OAUTH_EP_DEVICE_AUTHORIZATION})),
              (Views{store::kGrantAuthorizationCode, store::kGrantRefreshToken, store::kGrantClientCredentials,
                     store::kGrantPassword, store::kGrantDeviceCode}));
}

TEST(RequestedScope, NoneAskedIsAllAllowed) {
    std::vector<std::string> allowed{"read", "write"};
    EXPECT_EQ(scope::requested("", allowed), allowed);
}

TEST(RequestedScope, NarrowsKeepingTheOrderAsked) {
    auto got = scope::requested("write  read write", {"read", "write", "admin"});
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, (std::vector<std::string>{"write", "read"}));
}

TEST(RequestedScope, RefusesMoreThanAllowedAndMalformed) {
    auto wider = scope::requested("read admin", {"read"});
    ASSERT_FALSE(wider);
    EXPECT_EQ(wider.error(), scope::Refusal::Exceeds);
    EXPECT_EQ(scope::refusal_text(wider.error()), "scope exceeds what the client may ask for");
    auto bad = scope::requested("read \"x", {"read"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(scope::refusal_text(bad.error()), "malformed scope");
}

// The code record's one field table (store/fields.h): what serialize writes,
// parse_code reads back; a member of the wrong kind makes it malformed.
TEST(FieldTable, CodeRecordRoundTripsAndRefusesWrongKinds) {
    auto c = authz::parse_code(R"({"client_id":"app","redirect_uri":"https://app.example/cb",)"
                               R"("sub":"u1","auth_time":1700000000,"iat":1700000001,)"
                               R"("claims":{"email":"a@example.com"}})");
    ASSERT_TRUE(c);
    std::string text = authz::serialize(*c);
    EXPECT_EQ(text.find("\"resource\""), std::string::npos);  // written only when set
    auto back = authz::parse_code(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(authz::serialize(*back), text);
    EXPECT_EQ(back->redirect_uri, "https://app.example/cb");
    EXPECT_EQ(back->iat, 1700000001);
    EXPECT_EQ(json::dump(back->claims.get()), R"({"email":"a@example.com"})");
    EXPECT_FALSE(authz::parse_code(R"({"client_id":7})"));
    EXPECT_FALSE(authz::parse_code(R"({"iat":-1})"));
    EXPECT_FALSE(authz::parse_code(R"({"claims":[]})"));
    auto empty = authz::parse_code("{}");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(json_is_object(empty->claims.get()));
}
