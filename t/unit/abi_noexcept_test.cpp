// Issue 18 item 6: every extern "C" entry is noexcept (an exception reaching
// C is undefined behaviour; in nginx, a dead worker), and its failure answer
// is built from static storage, so it cannot fail in turn.
#include <gtest/gtest.h>

#include <string_view>

#include "oauth_core.h"
#include "oauth_require.h"

static_assert(noexcept(oauth_key_load(nullptr, nullptr, nullptr, 0)));
static_assert(noexcept(oauth_key_kid(nullptr)));
static_assert(noexcept(oauth_key_free(nullptr)));
static_assert(noexcept(oauth_server_new(nullptr, nullptr, 0)));
static_assert(noexcept(oauth_server_free(nullptr)));
static_assert(noexcept(oauth_flow_start(nullptr, OAUTH_EP_TOKEN, nullptr, nullptr)));
static_assert(noexcept(oauth_flow_resume_redis(nullptr, nullptr, 0, nullptr)));
static_assert(noexcept(oauth_flow_resume_unavailable(nullptr, nullptr)));
static_assert(noexcept(oauth_flow_offload_run(nullptr)));
static_assert(noexcept(oauth_flow_resume_offload(nullptr, nullptr)));
static_assert(noexcept(oauth_flow_free(nullptr)));
static_assert(noexcept(oauth_require_rule_new(nullptr)));
static_assert(noexcept(oauth_require_rule_free(nullptr)));
static_assert(noexcept(oauth_require_check(nullptr, nullptr, nullptr, 0, nullptr)));
static_assert(noexcept(oauth_require_resume(nullptr, nullptr, nullptr)));
static_assert(noexcept(oauth_require_claim(nullptr, oauth_str_t{}, nullptr)));
static_assert(noexcept(oauth_require_free(nullptr)));
static_assert(noexcept(oauth_require_scope_valid(oauth_str_t{})));
static_assert(noexcept(oauth_require_cache_size()));

namespace {

void expect_static_500(const oauth_step_t& s) {
    EXPECT_EQ(s.kind, OAUTH_STEP_RESPOND);
    EXPECT_EQ(s.status, 500u);
    EXPECT_EQ(std::string_view(s.body.data, s.body.len), R"({"error":"server_error"})");
    ASSERT_EQ(s.nheaders, 1u);
    EXPECT_EQ(std::string_view(s.headers[0].name.data, s.headers[0].name.len), "Cache-Control");
}

}  // namespace

TEST(AbiNoexcept, NullArgumentsGetTheStaticAnswer) {
    oauth_step_t s;
    oauth_flow_t* f = oauth_flow_start(nullptr, OAUTH_EP_TOKEN, nullptr, &s);
    ASSERT_NE(f, nullptr);
    expect_static_500(s);
    oauth_flow_resume_redis(nullptr, nullptr, 0, &s);
    expect_static_500(s);
    oauth_flow_resume_unavailable(nullptr, &s);
    expect_static_500(s);
    oauth_flow_resume_offload(nullptr, &s);
    expect_static_500(s);
    oauth_flow_offload_run(nullptr);
    oauth_flow_resume_redis(f, nullptr, 3, &s);  // replies missing
    expect_static_500(s);
    oauth_flow_free(f);
    EXPECT_EQ(oauth_require_check(nullptr, nullptr, nullptr, 0, nullptr), nullptr);
    oauth_require_resume(nullptr, nullptr, nullptr);
    char err[64] = "";
    EXPECT_EQ(oauth_server_new(nullptr, err, sizeof(err)), nullptr);
    EXPECT_STRNE(err, "");
}
