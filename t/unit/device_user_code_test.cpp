// RFC 8628 §6.1 user codes: alphabet, format, normalisation, and the
// rejection sampling that keeps every letter equally likely.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "oauth/device/user_code_limit.h"
#include "oauth/device/user_code.h"
#include "token_helpers.h"

using namespace oauth::device;

TEST(DeviceUserCode, AlphabetIsTwentyConsonants) {
    EXPECT_EQ(kUserCodeAlphabet.size(), 20u);
    std::set<char> letters(kUserCodeAlphabet.begin(), kUserCodeAlphabet.end());
    EXPECT_EQ(letters.size(), 20u);
    for (char vowel : std::string_view("AEIOUY")) EXPECT_FALSE(letters.contains(vowel)) << vowel;
}

TEST(DeviceUserCode, EveryLetterComesFromExactlyTwelveBytes) {
    std::map<char, int> from;
    int refused = 0;
    for (int b = 0; b < 256; b++) {
        auto c = user_code_char(static_cast<uint8_t>(b));
        if (c) from[*c]++;
        else refused++;
    }
    EXPECT_EQ(refused, 16);  // 240..255: the bias a plain b % 20 would have
    EXPECT_EQ(from.size(), 20u);
    for (auto [c, n] : from) EXPECT_EQ(n, 12) << c;
    for (int b = 240; b < 256; b++) EXPECT_FALSE(user_code_char(static_cast<uint8_t>(b))) << b;
}

TEST(DeviceUserCode, RefusedBytesAreSkippedNotFolded) {
    // A source that yields only refused bytes first, then 0..: the code must
    // be built from the accepted bytes only.
    int calls = 0;
    RandomSource src = [&](size_t n) {
        std::string out(n, '\0');
        for (size_t i = 0; i < n; i++)
            out[i] = static_cast<char>(calls == 0 ? 240 + (i % 16) : static_cast<int>(i));
        calls++;
        return out;
    };
    EXPECT_EQ(new_user_code(src), "BCDFGHJK");
    EXPECT_EQ(calls, 2);
}

TEST(DeviceUserCode, MixedSourceTakesAcceptedBytesInOrder) {
    RandomSource src = [](size_t n) {
        std::string out(n, '\0');
        const uint8_t seq[] = {255, 19, 250, 20, 239, 241, 1, 2, 3, 4, 5, 6, 7, 8};
        for (size_t i = 0; i < n; i++) out[i] = static_cast<char>(seq[i % sizeof seq]);
        return out;
    };
    // 19 -> Z, 20 -> B, 239 -> 239 % 20 = 19 -> Z, then 1..5 -> C D F G H
    EXPECT_EQ(new_user_code(src), "ZBZCDFGH");
}

TEST(DeviceUserCode, RealCodesAreEightLettersOfTheAlphabet) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; i++) {
        std::string c = new_user_code();
        ASSERT_EQ(c.size(), kUserCodeLength);
        for (char ch : c) EXPECT_NE(kUserCodeAlphabet.find(ch), std::string_view::npos) << c;
        seen.insert(c);
    }
    EXPECT_GT(seen.size(), 195u);  // 2.56e10 codes: repeats would mean a broken source
}

TEST(DeviceUserCode, DisplayedWithADashInTheMiddle) {
    EXPECT_EQ(display_user_code("WDJBMJHT"), "WDJB-MJHT");
}

TEST(DeviceUserCode, EntryIsCaseDashAndSpaceInsensitive) {
    for (const char* typed : {"WDJB-MJHT", "wdjb-mjht", "WDJBMJHT", "wdjbmjht", "WdJb-MjHt",
                              " wdjb mjht ", "WDJB - MJHT", "w-d-j-b-m-j-h-t", "wdjb\tmjht\n"}) {
        auto n = normalise_user_code(typed);
        ASSERT_TRUE(n) << typed;
        EXPECT_EQ(*n, "WDJBMJHT") << typed;
    }
}

TEST(DeviceUserCode, AnythingElseIsRefused) {
    for (const char* typed : {"", "WDJB-MJH", "WDJB-MJHTX", "WDJB-MJHA" /* vowel */,
                              "WDJB-MJH1", "WDJB_MJHT", "WDJB.MJHT", "WDJB-MJH\xc3\xa9",
                              "--------", "WDJB-MJHT-WDJB-MJHT", "%57DJBMJHT"}) {
        EXPECT_FALSE(normalise_user_code(typed)) << typed;
    }
}

// USER_CODE_TRY (device_store.h): the limit and the count in one script on
// the user's counter alone (one slot), the code's lookup next to it in the
// same round trip; parallel posts cannot outrun the count.
TEST(UserCodeTry, OneScriptOnTheUsersCountAndALookupBesideIt) {
    oauth::store::Keys keys("p:");
    std::vector<oauth::flow::Command> cmds = user_code_try(keys, "sub-1", "BCDFGHJK");
    ASSERT_EQ(cmds.size(), 2u);
    const auto& c = cmds[0];
    ASSERT_EQ(c.size(), 6u);
    EXPECT_EQ(c[0], "EVALSHA");
    EXPECT_EQ(c[1], user_code_try_script().sha1());
    EXPECT_EQ(c[2], "1");
    EXPECT_EQ(c[3], wrong_code_key(keys, "sub-1"));
    EXPECT_EQ(c[4], std::to_string(kWrongCodeLimit));
    EXPECT_EQ(c[5], std::to_string(kWrongCodeWindow));
    EXPECT_EQ(cmds[1], (oauth::flow::Command{"GET", keys.user_code("BCDFGHJK")}));
    // the give-back of a found code: one key, as EVAL (never NOSCRIPT)
    oauth::flow::Command back = user_code_give_back(keys, "sub-1");
    ASSERT_EQ(back.size(), 4u);
    EXPECT_EQ(back[0], "EVAL");
    EXPECT_EQ(back[2], "1");
    EXPECT_EQ(back[3], wrong_code_key(keys, "sub-1"));
}

TEST(UserCodeTry, RepliesAreReadStrictly) {
    token_test::ReplyArena a;
    // limited: the lookup's answer is never read, even a found code
    EXPECT_EQ(read_user_code_try(a.array({a.str("limited")}), a.str("abc")).result, TryResult::Limited);
    EXPECT_EQ(read_user_code_try(a.array({a.str("counted")}), a.nil()).result, TryResult::Wrong);
    UserCodeTry found = read_user_code_try(a.array({a.str("counted")}), a.str("abc"));
    EXPECT_EQ(found.result, TryResult::Found);
    EXPECT_EQ(found.hash, "abc");
    for (const redisReply* bad : {a.nil(), a.error("ERR"), a.integer(1), a.array({}),
                                  a.array({a.str("counted"), a.str("x")}), a.array({a.str("maybe")}),
                                  a.str("counted")})
        EXPECT_EQ(read_user_code_try(bad, a.str("abc")).result, TryResult::Error);
    // a lookup that failed (CLUSTERDOWN, an empty value) is no answer either
    for (const redisReply* bad : {a.error("CLUSTERDOWN"), a.str(""), a.integer(1)})
        EXPECT_EQ(read_user_code_try(a.array({a.str("counted")}), bad).result, TryResult::Error);
    EXPECT_EQ(read_user_code_try(nullptr, nullptr).result, TryResult::Error);
}
