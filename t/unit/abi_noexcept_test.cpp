// Issue 18 item 6: every extern "C" entry is noexcept (an exception reaching
// C is undefined behaviour; in nginx, a dead worker), and its failure answer
// is built from static storage, so it cannot fail in turn.
#include <gtest/gtest.h>

#include <hiredis/hiredis.h>

#include <string_view>
#include <type_traits>

#include "oauth_core.h"
#include "oauth_require.h"
#include "oauth_session_cache.h"

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
static_assert(noexcept(oauth_require_check_request(nullptr, nullptr, nullptr, 0, nullptr)));
static_assert(noexcept(oauth_require_resume_redis(nullptr, nullptr, 0, nullptr)));
static_assert(noexcept(oauth_require_resume_unavailable(nullptr, nullptr)));
static_assert(noexcept(oauth_require_claim(nullptr, oauth_str_t{}, nullptr)));
static_assert(noexcept(oauth_require_free(nullptr)));
static_assert(noexcept(oauth_require_scope_valid(oauth_str_t{})));
static_assert(noexcept(oauth_require_cache_size()));
static_assert(noexcept(oauth_flow_resume_busy(nullptr, nullptr)));
static_assert(noexcept(oauth_event_audit_line(nullptr, {}, {}, {}, nullptr, 0)));
static_assert(noexcept(oauth_redis_route(nullptr, 0, 0, nullptr)));
static_assert(noexcept(oauth_redis_redirect(nullptr, 0, nullptr)));
static_assert(noexcept(oauth_session_cache_new(0, {}, {}, {})));
static_assert(noexcept(oauth_session_cache_free(nullptr)));
static_assert(noexcept(oauth_session_cache_link_start(nullptr, nullptr)));
static_assert(noexcept(oauth_session_cache_link_reply(nullptr, nullptr, nullptr)));
static_assert(noexcept(oauth_session_cache_link_ping(nullptr)));
static_assert(noexcept(oauth_session_cache_link_ping_unanswered(nullptr)));
static_assert(noexcept(oauth_session_cache_link_lost(nullptr)));
static_assert(noexcept(oauth_session_cache_ready(nullptr)));
static_assert(noexcept(oauth_session_cache_size(nullptr)));

// Replies cross the ABI typed: hiredis's reply, no void * to cast.
static_assert(std::is_same_v<oauth_redis_reply_t, redisReply>);

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
    oauth_require_resume_redis(nullptr, nullptr, 0, nullptr);
    oauth_require_resume_unavailable(nullptr, nullptr);
    oauth_require_result_t res;
    oauth_require_resume_redis(nullptr, nullptr, 0, &res);  // no handle
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY);
    EXPECT_EQ(res.status, 500u);
    oauth_require_resume_unavailable(nullptr, &res);
    EXPECT_EQ(res.verdict, OAUTH_REQUIRE_DENY);
    EXPECT_EQ(res.status, 500u);
    char err[64] = "";
    EXPECT_EQ(oauth_server_new(nullptr, err, sizeof(err)), nullptr);
    EXPECT_STRNE(err, "");
}
