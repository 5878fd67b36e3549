// oauth_require's check through its C ABI: the Authorization header (Bearer
// parsing, JWS, claims, the verified-token cache) and the session's Redis
// reply. Input: [rule][Authorization]\0[RESP replies]; the seeds are real
// tokens signed by the test keys (t/fuzz/make_seeds.py).
#include <cstdio>

#include "fuzz_support.h"
#include "oauth_require.h"

namespace {

const oauth_require_rule_t* rule(uint8_t which) {
    static const oauth_str_t scopes[] = {fuzz::str("orders:read"), fuzz::str("openid")};
    static oauth_require_rule_t* rules[3] = {};
    if (!rules[0]) {
        oauth_require_policy_t p{};
        p.leeway = 30;
        p.realm = fuzz::str("api");
        rules[0] = oauth_require_rule_new(&p);
        p.scopes = scopes;
        p.nscopes = 1;
        rules[1] = oauth_require_rule_new(&p);
        p.nscopes = 2;
        p.audience = fuzz::str("https://api.example");
        rules[2] = oauth_require_rule_new(&p);
        if (!rules[0] || !rules[1] || !rules[2]) std::abort();
    }
    return rules[which % 3];
}

void check_denial(const oauth_require_result_t& res) {
    switch (res.status) {
    case 400: case 401: case 403: case 500: case 503: return;
    default:
        std::fprintf(stderr, "denial with status %u\n", res.status);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Parts in(data, size);
    uint8_t flags = in.byte();
    std::string_view header = in.next();
    fuzz::Replies replies(in.rest());
    oauth_str_t authorization = fuzz::str(header);

    oauth_require_result_t res{};
    oauth_require_t* h = oauth_require_check(fuzz::server(), rule(flags),
                                             (flags & 0x80) ? nullptr : &authorization,
                                             fuzz::kNow, &res);
    // The edge sends at most one command per check today; a loop keeps the
    // harness right if a check ever asks for more.
    for (int round = 0; h && res.verdict == OAUTH_REQUIRE_REDIS && round < 4; round++) {
        fuzz::ReplyPtr reply = replies.next();
        const redisReply* one[] = {reply.get()};
        if (reply)
            oauth_require_resume_redis(h, one, 1, &res);
        else
            oauth_require_resume_unavailable(h, &res);
    }
    if (res.verdict == OAUTH_REQUIRE_DENY) check_denial(res);
    if (h && res.verdict == OAUTH_REQUIRE_ALLOW) {
        oauth_str_t value;
        for (const char* name : {"sub", "client_id", "scope", "jti", "exp", "iss"})
            oauth_require_claim(h, fuzz::str(name), &value);
    }
    oauth_require_free(h);
    return 0;
}
