// dpop_jkt at authorize (RFC 9449 §10): the thumbprint's shape, the rule of
// the code exchange, and the field surviving the pending and code records.
#include <gtest/gtest.h>

#include <string>

#include "dpop/binding.h"
#include "oauth/browser/code.h"
#include "oauth/browser/pending.h"

namespace oauth {
namespace {

// RFC 9449 §10 example (figure 13's key).
constexpr const char* kJkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

TEST(DpopJkt, ShapeOfAThumbprint) {
    EXPECT_TRUE(dpop::well_formed_jkt(kJkt));
    EXPECT_TRUE(dpop::well_formed_jkt("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"));
    EXPECT_FALSE(dpop::well_formed_jkt(""));
    EXPECT_FALSE(dpop::well_formed_jkt(std::string(kJkt).substr(1)));       // 42 chars
    EXPECT_FALSE(dpop::well_formed_jkt(std::string(kJkt) + "A"));           // 44 chars
    EXPECT_FALSE(dpop::well_formed_jkt(std::string(kJkt).substr(0, 42) + "="));
    EXPECT_FALSE(dpop::well_formed_jkt(std::string(kJkt).substr(0, 42) + "+"));
    EXPECT_FALSE(dpop::well_formed_jkt("NzbLsXh8uDCcd/6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
    // Non-zero padding bits: not the encoding of any 32 bytes.
    EXPECT_FALSE(dpop::well_formed_jkt(std::string(kJkt).substr(0, 42) + "t"));
}

TEST(DpopJkt, CodeBindingRule) {
    EXPECT_TRUE(dpop::code_binding_holds("", ""));
    EXPECT_TRUE(dpop::code_binding_holds("", kJkt));  // an unbound code may get bound tokens
    EXPECT_TRUE(dpop::code_binding_holds(kJkt, kJkt));
    EXPECT_FALSE(dpop::code_binding_holds(kJkt, ""));
    EXPECT_FALSE(dpop::code_binding_holds(kJkt, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"));
}

TEST(DpopJkt, SurvivesThePendingAndCodeRecords) {
    authz::Pending p;
    p.client_id = "spa";
    p.redirect_uri = "https://spa.example.com/cb";
    p.dpop_jkt = kJkt;
    auto back = authz::parse_pending(authz::serialize(p));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->dpop_jkt, kJkt);

    authz::CodeRecord c;
    c.client_id = "spa";
    c.dpop_jkt = kJkt;
    auto code = authz::parse_code(authz::serialize(c));
    ASSERT_TRUE(code);
    EXPECT_EQ(code->dpop_jkt, kJkt);
    // A record written before the field existed reads as unbound.
    auto old = authz::parse_code(R"({"client_id":"spa","auth_time":1,"iat":1})");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->dpop_jkt, "");
}

}  // namespace
}  // namespace oauth
