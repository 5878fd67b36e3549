// base64url as JOSE needs it (RFC 7515 §2, RFC 4648 §5): no padding, one
// canonical spelling per byte string, the URL-safe alphabet only.
#include <gtest/gtest.h>

#include "util/encoding.h"

using oauth::util::base64url_decode;
using oauth::util::base64url_encode;

TEST(JoseBase64url, RoundTripsEveryLength) {
    std::string bytes;
    for (int i = 0; i < 40; i++) {
        std::string enc = base64url_encode(bytes);
        EXPECT_EQ(enc.find('='), std::string::npos);
        auto dec = base64url_decode(enc);
        ASSERT_TRUE(dec) << enc;
        EXPECT_EQ(*dec, bytes);
        bytes.push_back(static_cast<char>(0xfb + i));  // exercises '-' and '_'
    }
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    EXPECT_EQ(base64url_decode(""), std::string());
}

TEST(JoseBase64url, RefusesPadding) {
    EXPECT_EQ(base64url_decode("QQ"), std::string("A"));
    EXPECT_FALSE(base64url_decode("QQ=="));
    EXPECT_FALSE(base64url_decode("QUI="));
    EXPECT_FALSE(base64url_decode("QQ="));
}

TEST(JoseBase64url, RefusesNonCanonicalTrailingBits) {
    // "QQ" is 'A'; "QR".."QV" decode to the same byte with stray low bits.
    EXPECT_FALSE(base64url_decode("QR"));
    EXPECT_FALSE(base64url_decode("QUJ"));  // "QUI" is canonical for "AB"
    EXPECT_TRUE(base64url_decode("QUI"));
}

TEST(JoseBase64url, RefusesTheStandardAlphabetAndJunk) {
    EXPECT_FALSE(base64url_decode("-_+/"));
    EXPECT_FALSE(base64url_decode("ab+c"));
    EXPECT_FALSE(base64url_decode("ab/c"));
    EXPECT_FALSE(base64url_decode("ab c"));
    EXPECT_FALSE(base64url_decode("abc\n"));
    EXPECT_FALSE(base64url_decode("ab.c"));
    EXPECT_FALSE(base64url_decode(std::string("ab\0c", 4)));
    EXPECT_FALSE(base64url_decode("abcde"));  // length 1 mod 4 encodes nothing
    EXPECT_TRUE(base64url_decode("-_-_"));
}
