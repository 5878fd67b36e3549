// Client authentication (RFC 6749 §2.3.1) and the token endpoint's request
// checks (§3.2), on canned Redis replies.
#include "oauth/clients/client_auth.h"
#include "token_helpers.h"

using namespace token_test;
using oauth::client_auth::Method;
using oauth::client_auth::presented_client;

namespace {

oauth::http::Form form(std::string_view body) { return oauth::http::parse_form(body); }

TEST(ClientAuth, BasicCredentialsAreFormDecoded) {
    // RFC 6749 §2.3.1: id and secret are form-urlencoded inside Basic.
    auto req = post("", "Basic " + oauth::util::base64_encode("my%3Aid:se+c%2Bret"));
    auto p = presented_client(req, form(""));
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->id, "my:id");
    EXPECT_EQ(p->secret, "se c+ret");
    EXPECT_EQ(p->method, Method::Basic);
}

TEST(ClientAuth, SchemeIsCaseInsensitive) {
    auto req = post("", "bAsIc " + oauth::util::base64_encode("a:b"));
    auto p = presented_client(req, form(""));
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->method, Method::Basic);
}

TEST(ClientAuth, PostAndNone) {
    auto p = presented_client(post(""), form("client_id=c&client_secret=s"));
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->method, Method::Post);
    EXPECT_EQ(p->secret, "s");
    auto n = presented_client(post(""), form("client_id=c"));
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(n->method, Method::None);
}

TEST(ClientAuth, TwoMethodsAreInvalidRequest) {
    auto p = presented_client(post("", basic("c", "s")), form("client_secret=s"));
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().status, 400u);
    EXPECT_NE(p.error().body.find("invalid_request"), std::string::npos);
}

TEST(ClientAuth, BodyClientIdMustMatchBasic) {
    EXPECT_TRUE(presented_client(post("", basic("c", "s")), form("client_id=c")).has_value());
    auto p = presented_client(post("", basic("c", "s")), form("client_id=other"));
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().status, 400u);
}

TEST(ClientAuth, NoClientIsInvalidClientWithoutChallenge) {
    auto p = presented_client(post(""), form("grant_type=x"));
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().status, 401u);
    for (const auto& [n, v] : p.error().headers) EXPECT_NE(n, "WWW-Authenticate");
}

TEST(ClientAuth, MalformedBasicIsChallenged) {
    for (std::string h : {std::string("Basic !!!"), "Basic " + oauth::util::base64_encode("nocolon"),
                          "Basic " + oauth::util::base64_encode(":secret")}) {
        auto p = presented_client(post("", h), form(""));
        ASSERT_FALSE(p.has_value()) << h;
        EXPECT_EQ(p.error().status, 401u);
        bool challenged = false;
        for (const auto& [n, v] : p.error().headers)
            challenged = challenged || (n == "WWW-Authenticate" && v.starts_with("Basic realm="));
        EXPECT_TRUE(challenged);
    }
}

TEST(ClientAuth, DuplicateAuthorizationHeader) {
    auto req = post("", basic("c", "s"));
    req.duplicate_authorization = true;
    auto p = presented_client(req, form(""));
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().status, 400u);
}

// Through the token endpoint: the full three moves.
TEST(ClientAuth, UnknownClientIs401WithBasicChallenge) {
    Driver d(token_flow(post("grant_type=client_credentials", basic("ghost", "s"))));
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    EXPECT_EQ(d.command(), (oauth::flow::Command{"GET", "p:client:ghost"}));
    d.reply(nil());
    // the same KDF as a known client's wrong secret, so timing does not tell
    // which client ids exist
    ASSERT_EQ(d.step.kind, Step::Kind::Offload);
    d.offload();
    ASSERT_EQ(d.step.kind, Step::Kind::Respond);
    EXPECT_EQ(d.step.response.status, 401u);
    EXPECT_EQ(error_of(d), "invalid_client");
    EXPECT_EQ(d.header("WWW-Authenticate"), "Basic realm=\"oauth\"");
    expect_no_cache(d);
}

TEST(ClientAuth, UnknownClientWithoutSecretFailsAtOnce) {
    Driver d(token_flow(post("grant_type=client_credentials&client_id=ghost")));
    d.reply(nil());
    ASSERT_EQ(d.step.kind, Step::Kind::Respond);  // nothing to verify
    EXPECT_EQ(d.step.response.status, 401u);
    EXPECT_EQ(error_of(d), "invalid_client");
}

TEST(ClientAuth, WrongSecretRunsOffloadThenFails) {
    auto c = confidential("svc", "right", {"client_credentials"});
    Driver d(token_flow(post("grant_type=client_credentials&client_id=svc&client_secret=wrong")));
    d.reply(str(oauth::store::serialize(c)));
    ASSERT_EQ(d.step.kind, Step::Kind::Offload);  // the KDF never runs on the event loop
    d.offload();
    EXPECT_EQ(d.step.response.status, 401u);
    EXPECT_EQ(error_of(d), "invalid_client");
    EXPECT_EQ(d.header("WWW-Authenticate"), "");  // Basic was not tried
}

TEST(ClientAuth, RepeatedSuccessSkipsTheKdf) {
    auto c = confidential("cached", "s3cret", {"client_credentials"});
    auto record = str(oauth::store::serialize(c));
    Driver first(token_flow(post("grant_type=client_credentials", basic("cached", "s3cret"))));
    first.reply(record);
    ASSERT_EQ(first.step.kind, Step::Kind::Offload);
    first.offload();
    ASSERT_EQ(first.step.kind, Step::Kind::Redis);  // on to issuing

    Driver second(token_flow(post("grant_type=client_credentials", basic("cached", "s3cret"))));
    second.reply(record);
    EXPECT_EQ(second.step.kind, Step::Kind::Redis);  // no offload: cache hit
    // A different secret is not a hit.
    Driver third(token_flow(post("grant_type=client_credentials", basic("cached", "other"))));
    third.reply(record);
    EXPECT_EQ(third.step.kind, Step::Kind::Offload);
}

TEST(ClientAuth, PublicClientPresentingASecretFails) {
    auto c = public_client("pub", {"password"});
    Driver d(token_flow(post("grant_type=password", basic("pub", "x"))));
    d.reply(str(oauth::store::serialize(c)));
    EXPECT_EQ(d.step.response.status, 401u);
}

TEST(ClientAuth, ConfidentialClientWithoutSecretFails) {
    auto c = confidential("svc", "s", {"client_credentials"});
    Driver d(token_flow(post("grant_type=client_credentials&client_id=svc")));
    d.reply(str(oauth::store::serialize(c)));
    EXPECT_EQ(d.step.response.status, 401u);
    EXPECT_EQ(error_of(d), "invalid_client");
}

TEST(ClientAuth, CacheIsKeyedByStoredHash) {
    oauth::client_auth::secret_cache_add("id", "secret", "hash1");
    EXPECT_TRUE(oauth::client_auth::secret_cache_hit("id", "secret", "hash1"));
    EXPECT_FALSE(oauth::client_auth::secret_cache_hit("id", "secret", "hash2"));
    EXPECT_FALSE(oauth::client_auth::secret_cache_hit("id2", "secret", "hash1"));
}

// RFC 6749 §3.2: POST, form-encoded, no parameter twice.
TEST(TokenRequest, ShapeErrors) {
    auto get = post("grant_type=client_credentials");
    get.method = "GET";
    auto json_ct = post("grant_type=client_credentials");
    json_ct.content_type = "application/json";
    for (auto req : {get, json_ct, post("grant_type=a&grant_type=a"), post("scope=a"),
                     post("grant_type=%zz")}) {
        Driver d(token_flow(req));
        ASSERT_EQ(d.step.kind, Step::Kind::Respond);
        EXPECT_EQ(d.step.response.status, 400u);
        EXPECT_EQ(error_of(d), "invalid_request");
        expect_no_cache(d);
    }
}

TEST(TokenRequest, ContentTypeWithCharsetIsFine) {
    auto req = post("grant_type=client_credentials", basic("c", "s"));
    req.content_type = "Application/X-WWW-Form-URLEncoded; charset=UTF-8";
    Driver d(token_flow(req));
    EXPECT_EQ(d.step.kind, Step::Kind::Redis);
}

TEST(TokenRequest, UnknownGrantType) {
    Driver d(token_flow(post("grant_type=magic", basic("c", "s"))));
    EXPECT_EQ(d.step.response.status, 400u);
    EXPECT_EQ(error_of(d), "unsupported_grant_type");
}

}  // namespace
