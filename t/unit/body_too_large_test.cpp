// A body past the glue's limit (oauth_max_body_size) reaches the core as
// body_too_large with no body: each endpoint that reads a body refuses in its
// own format, before any Redis work.
#include <gtest/gtest.h>

#include "browser_helpers.h"
#include "oauth/endpoints/endpoints.h"
#include "token_helpers.h"

using namespace oauth;
using token_test::Driver;

namespace {

flow::Request too_large(std::string path, std::string content_type) {
    flow::Request r = token_test::post("", token_test::basic("svc", "secret"));
    r.path = std::move(path);
    r.content_type = std::move(content_type);
    r.body_too_large = true;
    return r;
}

void expect_invalid_request(const Driver& d) {
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(d.step.response.status, 400u);
    EXPECT_EQ(d.step.response.content_type, "application/json");
    EXPECT_EQ(token_test::error_of(d), "invalid_request");
    EXPECT_NE(d.step.response.body.find("too large"), std::string::npos);
}

void expect_413_page(const Driver& d) {
    ASSERT_EQ(d.step.kind, flow::Step::Kind::Respond);
    EXPECT_EQ(d.step.response.status, 413u);
    EXPECT_EQ(d.step.response.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(d.header("X-Frame-Options"), "DENY");
}

}  // namespace

TEST(BodyTooLarge, JsonEndpointsAnswerInvalidRequest) {
    const auto& s = token_test::server();
    const std::string form = "application/x-www-form-urlencoded";
    expect_invalid_request(Driver(endpoints::make_token(s, too_large("/token", form))));
    expect_invalid_request(Driver(endpoints::make_introspect(s, too_large("/introspect", form))));
    expect_invalid_request(Driver(endpoints::make_revoke(s, too_large("/revoke", form))));
    // an empty POST without Content-Type is an empty form there, not this one
    expect_invalid_request(
        Driver(endpoints::make_device_authorization(s, too_large("/device_authorization", ""))));
}

TEST(BodyTooLarge, BrowserPagesAnswerA413Page) {
    auto s = browser_test::browser_server();
    const std::string form = "application/x-www-form-urlencoded";
    expect_413_page(Driver(endpoints::make_login(s, too_large("/login", form))));
    expect_413_page(Driver(endpoints::make_authorize(s, too_large("/authorize", form))));
    expect_413_page(Driver(endpoints::make_consent(s, too_large("/consent", form))));
}

TEST(BodyTooLarge, WithinTheLimitIsNotRefusedForIt) {
    flow::Request r = too_large("/token", "application/x-www-form-urlencoded");
    r.body_too_large = false;
    r.body = "grant_type=client_credentials";
    Driver d(endpoints::make_token(token_test::server(), std::move(r)));
    EXPECT_EQ(d.step.kind, flow::Step::Kind::Redis);   // the client is looked up
}
