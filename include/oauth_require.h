/*
 * The C ABI of edge protection (oauth_require, SPEC section 5).  Plain C,
 * included by src/nginx/ngx_http_oauth_require.c next to oauth_core.h.
 *
 * One rule per location, prepared at configuration time:
 *
 *   rule = oauth_require_rule_new(&policy);  ...  oauth_require_rule_free(rule)
 *
 * One check per request:
 *
 *   h = oauth_require_check(server, rule, authorization, now, &res);
 *   res.verdict == OAUTH_REQUIRE_DENY   answer res.status with the
 *                                       WWW-Authenticate value, if any;
 *   res.verdict == OAUTH_REQUIRE_REDIS  send res.redis_command (redis_count
 *                                       RESP commands), then call
 *                                       oauth_require_resume_redis(h,
 *                                       replies, n, &res) with their replies,
 *                                       or oauth_require_resume_unavailable()
 *                                       when Redis failed; either yields
 *                                       ALLOW or DENY;
 *   res.verdict == OAUTH_REQUIRE_ALLOW  the claims are readable through
 *                                       oauth_require_claim() until
 *                                       oauth_require_free(h).
 *
 * The handle holds a reference to the token's parsed claims (shared with the
 * worker's cache of verified tokens) and points to its rule, which must
 * outlive it (a rule lives as long as nginx's configuration); values
 * returned by oauth_require_claim() stay valid until oauth_require_free().
 * Strings in a result stay valid until the next call on the same handle.  No
 * entry point throws; a surprise becomes a 500 denial.  Never logs, never
 * does I/O.
 *
 * This is the endpoints' step protocol (oauth_core.h) at the edge: the same
 * Redis step (RESP commands and their count), resumed the same way (typed
 * replies, or unavailable -> 503), run by the same executor in the glue;
 * where a flow's last step responds, the edge's allows or denies.
 */

#ifndef OAUTH_REQUIRE_H
#define OAUTH_REQUIRE_H

#include "oauth_core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    OAUTH_REQUIRE_DENY = 0,
    OAUTH_REQUIRE_REDIS,
    OAUTH_REQUIRE_ALLOW
} oauth_require_verdict_e;

/* A location's rule: the directive's arguments and the merged oauth_leeway
 * and oauth_realm. */
typedef struct {
    const oauth_str_t  *scopes;      /* every one is required */
    size_t              nscopes;
    oauth_str_t         audience;    /* empty: the resource, else the
                                        server's oauth_audience */
    oauth_str_t         resource;    /* oauth_resource (RFC 8707), or empty:
                                        the 401 names its RFC 9728 metadata */
    int64_t             leeway;      /* seconds */
    oauth_str_t         realm;
    int                 dpop;        /* OAUTH_REQUIRE_DPOP_* */
    int64_t             dpop_nonce_lifetime; /* oauth_dpop_nonce (RFC 9449
                                                section 9): seconds, 0 off */
} oauth_require_policy_t;

/* oauth_require dpop=allowed|required (SPEC section 10) */
#define OAUTH_REQUIRE_DPOP_ALLOWED   0
#define OAUTH_REQUIRE_DPOP_REQUIRED  1

/*
 * What oauth_require_check_request() reads of a request.  The DPoP members
 * matter only when the token comes as "Authorization: DPoP"; url is then
 * the request URL as the client saw it (scheme://host[:port]/path, the
 * query may follow), what the proof's htu must name.
 */
/* The worker's edge session cache (include/oauth_session_cache.h). */
typedef struct oauth_session_cache_s  oauth_session_cache_t;

typedef struct {
    const oauth_str_t  *authorization;  /* NULL when absent */
    const oauth_str_t  *dpop;           /* the first DPoP header, or NULL */
    unsigned            dpop_count;     /* how many DPoP headers */
    oauth_str_t         method;
    oauth_str_t         url;
    /* oauth_session_cache on: the worker's cache, or NULL.  Used only
     * while its invalidation link is ready (a hit answers ALLOW with no
     * Redis command; a miss that Redis finds alive is remembered). */
    oauth_session_cache_t  *session_cache;
} oauth_require_request_t;

typedef struct {
    oauth_require_verdict_e  verdict;
    unsigned                 status;            /* DENY: 400 401 403 503 500 */
    oauth_str_t              www_authenticate;  /* DENY: empty for 503, 500 */
    oauth_str_t              redis_command;     /* REDIS: RESP commands */
    oauth_str_t              log_reason;        /* never token bytes */
    int                      token_cache;       /* the worker's cache of
                                                   verified tokens: 0 not
                                                   asked, 1 hit, 2 miss */
    size_t                   redis_count;       /* REDIS: how many: 1, or 2
                                                   with a DPoP proof's jti */
    oauth_str_t              dpop_nonce;        /* DENY or ALLOW: when not
                                                   empty, send it as the
                                                   DPoP-Nonce header */
    int                      session_cache;     /* the edge session cache:
                                                   0 not asked, 1 hit (no
                                                   Redis), 2 miss */
} oauth_require_result_t;

typedef struct oauth_require_s  oauth_require_t;
typedef struct oauth_require_rule_s  oauth_require_rule_t;

/* Copies the policy (and the strings it points to): a request then copies
 * nothing.  NULL when out of memory. */
oauth_require_rule_t *oauth_require_rule_new(
    const oauth_require_policy_t *policy) OAUTH_NOEXCEPT;

void oauth_require_rule_free(oauth_require_rule_t *rule) OAUTH_NOEXCEPT;

/*
 * authorization: the Authorization header's value, NULL when absent.
 * now: unix seconds.  Returns NULL only when out of memory (res then says
 * DENY 500).
 */
oauth_require_t *oauth_require_check(const oauth_server_t *server,
    const oauth_require_rule_t *rule, const oauth_str_t *authorization,
    int64_t now, oauth_require_result_t *res) OAUTH_NOEXCEPT;

/* The same with the request's DPoP proof (RFC 9449 section 7).
 * oauth_require_check() is this with the Authorization header alone. */
oauth_require_t *oauth_require_check_request(const oauth_server_t *server,
    const oauth_require_rule_t *rule, const oauth_require_request_t *request,
    int64_t now, oauth_require_result_t *res) OAUTH_NOEXCEPT;

/* replies: one per command of redis_command, in order.  A count other than
 * redis_count, or a reply that is not the answer expected (an error reply,
 * say), denies with 503: the session store did not say yes. */
void oauth_require_resume_redis(oauth_require_t *h,
    const oauth_redis_reply_t *const *replies, size_t n,
    oauth_require_result_t *res) OAUTH_NOEXCEPT;

/* Redis could not answer (down, timed out, broke the protocol): DENY 503. */
void oauth_require_resume_unavailable(oauth_require_t *h,
    oauth_require_result_t *res) OAUTH_NOEXCEPT;

/*
 * The value of a claim for the $oauth_* variables, only once the verdict is
 * ALLOW: "sub", "client_id", "scope", "jti", "exp" (decimal), or any
 * top-level string, number or boolean claim.  Returns 1 and sets value when
 * the claim exists, 0 otherwise.
 */
int oauth_require_claim(const oauth_require_t *h, oauth_str_t name,
    oauth_str_t *value) OAUTH_NOEXCEPT;

void oauth_require_free(oauth_require_t *h) OAUTH_NOEXCEPT;

/* RFC 6749 section 3.3 scope-token syntax, for checking the directive's
 * arguments: 1 when valid. */
int oauth_require_scope_valid(oauth_str_t scope) OAUTH_NOEXCEPT;

/* Verified tokens cached by this process, for tests and debugging. */
size_t oauth_require_cache_size(void) OAUTH_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* OAUTH_REQUIRE_H */
