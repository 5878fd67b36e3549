// RFC 6749 §4.1.2.1, §5.2: error_description holds only %x20-21 / %x23-5B /
// %x5D-7E. Some descriptions quote what the request sent (a duplicated
// parameter's name): every byte outside the set is replaced where the
// description is written, in JSON bodies and in error redirects alike.
#include "oauth/browser/redirects.h"
#include "http/errors.h"
#include "token_helpers.h"

using namespace token_test;

namespace {

void expect_in_charset(std::string_view d) {
    for (unsigned char c : d)
        EXPECT_TRUE(c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e))
            << "byte " << int(c) << " in: " << d;
}

const std::string kHostile = std::string("a\"b\\c\xff\n\x01\x7f\xc3\xa9 d");

}  // namespace

TEST(ErrorDescription, JsonBodiesStayInTheCharset) {
    auto r = oauth::error_response(oauth::Error::InvalidRequest, kHostile);
    auto body = oauth::json::parse_object(r.body);
    ASSERT_TRUE(body);
    auto d = oauth::json::get_string(body.get(), "error_description");
    ASSERT_TRUE(d);
    expect_in_charset(*d);
    EXPECT_EQ(d->substr(0, 1), "a");
    EXPECT_NE(d->find(" d"), std::string::npos);  // the rest is kept
}

TEST(ErrorDescription, RedirectsStayInTheCharset) {
    auto r = oauth::authz::error_redirect(server(), "https://c.example/cb", "st",
                                          oauth::Error::InvalidRequest, kHostile, 302);
    std::string loc;
    for (const auto& [k, v] : r.headers)
        if (k == "Location") loc = v;
    auto q = oauth::http::parse_form(loc.substr(loc.find('?') + 1));
    expect_in_charset(q.value("error_description"));
}

TEST(ErrorDescription, ADuplicatedParameterNameAtTheTokenEndpoint) {
    Driver d(token_flow(post("grant_type=password&x%22%5C%FF%0A=1&x%22%5C%FF%0A=2", basic("app", "s"))));
    auto body = d.body();
    EXPECT_EQ(oauth::json::get_string(body.get(), "error").value_or(""), "invalid_request");
    expect_in_charset(oauth::json::get_string(body.get(), "error_description").value_or(""));
}
