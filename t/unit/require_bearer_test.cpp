// RFC 6750 §2.1 header parsing.
#include <gtest/gtest.h>

#include "require/bearer.h"

using oauth::require::is_b64token;
using oauth::require::parse_bearer;
using oauth::require::Reason;

TEST(RequireBearer, NoHeaderIsNoToken) {
    EXPECT_EQ(parse_bearer(std::nullopt).reason, Reason::NoToken);
    EXPECT_EQ(parse_bearer("").reason, Reason::NoToken);
}

TEST(RequireBearer, OtherSchemesAreNoToken) {
    EXPECT_EQ(parse_bearer("Basic YWxpY2U6c2VjcmV0").reason, Reason::NoToken);
    EXPECT_EQ(parse_bearer("Digest username=x").reason, Reason::NoToken);
    EXPECT_EQ(parse_bearer("Bearerx abc").reason, Reason::NoToken);
    EXPECT_EQ(parse_bearer("DPoP abc").reason, Reason::NoToken);
}

TEST(RequireBearer, SchemeIsCaseInsensitive) {
    for (const char* h : {"Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER abc.def.ghi",
                          "bEaReR abc.def.ghi"}) {
        auto b = parse_bearer(h);
        EXPECT_EQ(b.reason, Reason::Ok) << h;
        EXPECT_EQ(b.token, "abc.def.ghi") << h;
    }
}

TEST(RequireBearer, ExtraSpacesAroundAreTolerated) {
    auto b = parse_bearer("  Bearer   a.b.c  ");
    EXPECT_EQ(b.reason, Reason::Ok);
    EXPECT_EQ(b.token, "a.b.c");
}

TEST(RequireBearer, BearerWithoutTokenIsMalformed) {
    EXPECT_EQ(parse_bearer("Bearer").reason, Reason::MalformedHeader);
    EXPECT_EQ(parse_bearer("Bearer ").reason, Reason::MalformedHeader);
    EXPECT_EQ(parse_bearer("bearer    ").reason, Reason::MalformedHeader);
}

TEST(RequireBearer, TwoTokensAreMalformed) {
    EXPECT_EQ(parse_bearer("Bearer a.b.c d.e.f").reason, Reason::MalformedHeader);
    EXPECT_EQ(parse_bearer("Bearer a.b.c\td.e.f").reason, Reason::MalformedHeader);
}

// One token of other characters is a bad token (401), not a bad header: the
// header parser hands it on, the check before verifying refuses it.
TEST(RequireBearer, B64TokenCharacters) {
    EXPECT_TRUE(is_b64token("aZ09-._~+/=="));
    EXPECT_FALSE(is_b64token(""));
    EXPECT_FALSE(is_b64token("a=b"));  // '=' only at the end
    EXPECT_FALSE(is_b64token("==="));
    EXPECT_FALSE(is_b64token("a,b"));
    EXPECT_FALSE(is_b64token("a\"b"));
    EXPECT_FALSE(is_b64token(std::string_view("a\0b", 3)));
    EXPECT_FALSE(is_b64token("a\xc3\xa9"));
    EXPECT_FALSE(is_b64token("!!!.a.b"));
    auto b = parse_bearer("Bearer a,b");
    EXPECT_EQ(b.reason, Reason::Ok);
    EXPECT_EQ(b.token, "a,b");
}
