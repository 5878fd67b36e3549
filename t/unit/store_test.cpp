// Records, password hashing, scopes and the script facility.
#include <gtest/gtest.h>

#include <set>

#include "oauth/scopes/scope_string.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/script.h"
#include "store/scripts.h"
#include "util/password.h"

namespace {

TEST(Password, RoundTripAndFormat) {
    std::string h = oauth::util::hash_secret("correct horse", {4, 8, 1});
    EXPECT_TRUE(h.starts_with("$scrypt$ln=4,r=8,p=1$"));
    EXPECT_TRUE(oauth::util::verify_secret("correct horse", h));
    EXPECT_FALSE(oauth::util::verify_secret("correct horsf", h));
    EXPECT_FALSE(oauth::util::verify_secret("", h));
    // Salted: the same secret hashes differently.
    EXPECT_NE(h, oauth::util::hash_secret("correct horse", {4, 8, 1}));
}

TEST(Password, RefusesMalformedAndAbsurdCosts) {
    std::string h = oauth::util::hash_secret("x", {4, 8, 1});
    std::string tail = h.substr(h.find("$", 8));
    for (std::string bad : {std::string(""), std::string("plain"), "$scrypt$ln=4,r=8$" + tail.substr(1),
                            "$scrypt$ln=40,r=8,p=1" + tail, "$scrypt$ln=4,r=800,p=1" + tail,
                            "$scrypt$ln=x,r=8,p=1" + tail, "$pbkdf2$ln=4,r=8,p=1" + tail})
        EXPECT_FALSE(oauth::util::verify_secret("x", bad)) << bad;
}

TEST(Password, PasswordCostIsFitForPasswords) {
    EXPECT_GE(oauth::util::kPasswordCost.ln, 15);
    EXPECT_GE(oauth::util::kPasswordCost.r, 8);
}

TEST(Records, ClientRoundTrip) {
    oauth::store::Client c;
    c.id = "web";
    c.name = "Web";
    c.secret_hash = "$scrypt$x";
    c.redirect_uris = {"https://a/cb"};
    c.grant_types = {"authorization_code", "refresh_token"};
    c.scopes = {"openid", "profile"};
    c.consent = oauth::store::Consent::Skip;
    auto back = oauth::store::parse_client(oauth::store::serialize(c));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->id, "web");
    EXPECT_EQ(back->secret_hash, "$scrypt$x");
    EXPECT_EQ(back->scope(), "openid profile");
    EXPECT_EQ(back->consent, oauth::store::Consent::Skip);
    EXPECT_TRUE(back->allows_grant("refresh_token"));
    EXPECT_TRUE(back->has_redirect_uri("https://a/cb"));
    EXPECT_FALSE(back->has_redirect_uri("https://a/cb/"));
    EXPECT_FALSE(back->has_post_logout_redirect_uri("https://a/cb"));
    // The public view never carries the hash.
    std::string shown = oauth::json::dump(oauth::store::public_view(c).get());
    EXPECT_EQ(shown.find("secret"), std::string::npos);
}

TEST(Records, PostLogoutRedirectUris) {
    oauth::store::Client c;
    c.id = "web";
    c.is_public = true;
    c.post_logout_redirect_uris = {"https://a/bye"};
    auto back = oauth::store::parse_client(oauth::store::serialize(c));
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->has_post_logout_redirect_uri("https://a/bye"));
    EXPECT_FALSE(back->has_post_logout_redirect_uri("https://a/bye/"));
    // A record written before logout existed has none; a wrong type is corrupt.
    auto old = oauth::store::parse_client(R"({"client_id":"x","public":true,"redirect_uris":[],"grant_types":[]})");
    ASSERT_TRUE(old);
    EXPECT_TRUE(old->post_logout_redirect_uris.empty());
    EXPECT_FALSE(oauth::store::parse_client(
        R"({"client_id":"x","public":true,"post_logout_redirect_uris":"https://a/bye"})"));
}

TEST(Records, CorruptClientsAreRefused) {
    EXPECT_FALSE(oauth::store::parse_client("{}"));
    EXPECT_FALSE(oauth::store::parse_client("[]"));
    EXPECT_FALSE(oauth::store::parse_client(R"({"client_id":"x","public":false})"));
    EXPECT_FALSE(oauth::store::parse_client(R"({"client_id":"x","public":true,"grant_types":"a"})"));
    EXPECT_TRUE(oauth::store::parse_client(R"({"client_id":"x","public":true})"));
}

TEST(Records, UserRoundTrip) {
    oauth::store::User u;
    u.sub = "s1";
    u.username = "alice";
    u.password_hash = "$scrypt$h";
    u.claims = oauth::json::parse_object(R"({"email":"a@x","email_verified":true})");
    auto back = oauth::store::parse_user(oauth::store::serialize(u));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->sub, "s1");
    EXPECT_EQ(oauth::json::get_string(back->claims.get(), "email").value_or(""), "a@x");
}

TEST(Keys, AllStartWithThePrefix) {
    oauth::store::Keys k("pfx:");
    EXPECT_EQ(k.access("j"), "pfx:at:j");
    EXPECT_EQ(k.family("f"), "pfx:fam:{f}");
    EXPECT_EQ(k.family_tokens("f"), "pfx:fam:{f}:at");
    EXPECT_EQ(k.access("f.r"), "pfx:at:{f}.r");
    EXPECT_EQ(k.refresh("f.secret"), "pfx:rt:{f}:" + oauth::store::secret_key_id("f.secret"));
    EXPECT_EQ(k.client_index("c"), "pfx:idx:client:c");
    EXPECT_EQ(k.client_token_index("c"), "pfx:idx:cc:c");
    EXPECT_EQ(k.consent("s", "c"), "pfx:consent:s:c");
    EXPECT_EQ(oauth::store::secret_key_id("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Scope, ParseJoinSubset) {
    auto s = oauth::scope::parse("  a b  a c ");
    ASSERT_TRUE(s);
    EXPECT_EQ(oauth::scope::join(*s), "a b c");
    EXPECT_FALSE(oauth::scope::parse("a \"b\""));  // §3.3 excludes DQUOTE
    EXPECT_FALSE(oauth::scope::parse("a\\b"));
    EXPECT_TRUE(oauth::scope::subset({"a"}, {"a", "b"}));
    EXPECT_FALSE(oauth::scope::subset({"a", "z"}, {"a", "b"}));
}

TEST(Script, Sha1IsRedisName) {
    // Redis names a script by SHA1 of its exact source.
    oauth::store::Script s("return 1");
    EXPECT_EQ(s.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    auto cmd = s.call({"k"}, {"a"});
    EXPECT_EQ(cmd, (oauth::flow::Command{"EVALSHA", s.sha1(), "1", "k", "a"}));
    auto eval = oauth::store::as_eval(cmd);
    ASSERT_TRUE(eval);
    EXPECT_EQ(*eval, (oauth::flow::Command{"EVAL", "return 1", "1", "k", "a"}));
    EXPECT_FALSE(oauth::store::as_eval({"EVALSHA", "0000", "0"}));
    EXPECT_FALSE(oauth::store::as_eval({"GET", "x"}));
}

TEST(Script, EveryScriptHasADistinctSha) {
    std::set<std::string> shas;
    for (const oauth::store::Script* s :
         {&oauth::store::issue_script(), &oauth::store::refresh_lookup_script(),
          &oauth::store::rotate_script(), &oauth::store::revoke_family_script(),
          &oauth::store::revoke_refresh_script(), &oauth::store::revoke_access_script(),
          &oauth::store::consume_script()})
        shas.insert(s->sha1());
    EXPECT_EQ(shas.size(), 7u);
}

}  // namespace
