// store/resp.h: the one RESP writer of the core.
#include <gtest/gtest.h>

#include "store/resp.h"

using oauth::store::append_resp;
using oauth::store::resp;

TEST(StoreResp, OneCommandAsRespArray) {
    std::string out;
    append_resp(out, {"EXISTS", "P at:x"});
    EXPECT_EQ(out, "*2\r\n$6\r\nEXISTS\r\n$6\r\nP at:x\r\n");
}

TEST(StoreResp, StepCommandsFollowEachOther) {
    std::vector<std::vector<std::string>> cmds = {{"GET", "k"}, {"DEL", std::string("a\0b", 3)}};
    using namespace std::string_literals;
    EXPECT_EQ(resp(cmds), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nDEL\r\n$3\r\na\0b\r\n"s);
}

TEST(StoreResp, MoreArgumentsThanTheInlineArray) {
    std::vector<std::string> argv(20, "x");
    std::string out;
    append_resp(out, std::span<const std::string>(argv));
    std::string want = "*20\r\n";
    for (int i = 0; i < 20; i++) want += "$1\r\nx\r\n";
    EXPECT_EQ(out, want);
}
