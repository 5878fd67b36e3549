// json/json.h: the setters never drop a value silently, and the UTF-8 check
// that guards what enters JSON.
#include <gtest/gtest.h>

#include <vector>

#include "json/json.h"

using namespace oauth;

TEST(Json, Utf8) {
    for (std::string_view ok : std::vector<std::string_view>{"", "abc", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                "\xf4\x8f\xbf\xbf", std::string_view("a\0b", 3)})
        EXPECT_TRUE(json::is_utf8(ok)) << ok;
    for (std::string_view bad : std::vector<std::string_view>{"\xff", "\x80", "\xc3", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80",
                                 "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                                 "\xf0\x9f\x98", "ab\xe2\x82"})
        EXPECT_FALSE(json::is_utf8(bad)) << bad;
}

TEST(Json, SettersThrowRatherThanDrop) {
    json::Json o(json_object());
    EXPECT_THROW(json::set(o.get(), "state", std::string_view("\xff")), json::SetFailed);
    EXPECT_EQ(json_object_get(o.get(), "state"), nullptr);
    EXPECT_THROW(json::set_new(o.get(), "x", nullptr), json::SetFailed);
    EXPECT_THROW(json::set(nullptr, "x", int64_t{1}), json::SetFailed);
    json::Json a(json_array());
    EXPECT_THROW(json::append(a.get(), "\xc0\x80"), json::SetFailed);
    json::set(o.get(), "state", "ok");
    json::set_bool(o.get(), "b", true);
    json::append(a.get(), "x");
    EXPECT_EQ(json::dump(o.get()), R"({"state":"ok","b":true})");
    EXPECT_EQ(json::dump(a.get()), R"(["x"])");
}
