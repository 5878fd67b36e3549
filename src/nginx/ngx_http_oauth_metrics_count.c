/*
 * oauth_metrics: the hooks that count, each one short call from the glue
 * (the endpoints' handler, oauth_require, the Redis driver).  Apart from
 * the zone and the exposition (ngx_http_oauth_metrics.c) so that the Redis
 * driver builds with this file alone (t/redis_harness/): without a slot
 * every hook does nothing.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <hiredis/hiredis.h>

#include "ngx_http_oauth_metrics.h"


ngx_http_oauth_metrics_slot_t  *ngx_http_oauth_metrics_slot;


/* the fixed label values: the only ones ever shown */

ngx_str_t  ngx_http_oauth_metrics_grants[NGX_HTTP_OAUTH_METRICS_NGRANTS] = {
    ngx_string("authorization_code"),
    ngx_string("refresh_token"),
    ngx_string("client_credentials"),
    ngx_string("password"),
    ngx_string("urn:ietf:params:oauth:grant-type:device_code"),
    ngx_string("other")                    /* unknown or missing grant_type */
};


ngx_str_t  ngx_http_oauth_metrics_errors[NGX_HTTP_OAUTH_METRICS_NERRORS] = {
    ngx_string("invalid_request"),
    ngx_string("invalid_client"),
    ngx_string("invalid_grant"),
    ngx_string("unauthorized_client"),
    ngx_string("unsupported_grant_type"),
    ngx_string("invalid_scope"),
    ngx_string("invalid_target"),
    ngx_string("invalid_dpop_proof"),
    ngx_string("access_denied"),
    ngx_string("authorization_pending"),
    ngx_string("slow_down"),
    ngx_string("expired_token"),
    ngx_string("temporarily_unavailable"),
    ngx_string("server_error"),
    ngx_string("other")                    /* any code not listed above */
};



static uint64_t  ngx_http_oauth_metrics_bounds[NGX_HTTP_OAUTH_METRICS_BUCKETS]
    = { 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
        250000, 500000, 1000000 };



/* ---- the hooks ---- */

#define ngx_http_oauth_metrics_add(field, n)                                 \
    (void) ngx_atomic_fetch_add(&ngx_http_oauth_metrics_slot->field, n)


void
ngx_http_oauth_metrics_require(oauth_require_result_t *res)
{
    u_char                           *p;
    ngx_http_oauth_require_result_e   result;

    if (ngx_http_oauth_metrics_slot == NULL) {
        return;
    }

    if (res->verdict == OAUTH_REQUIRE_ALLOW) {
        result = NGX_HTTP_OAUTH_REQUIRE_OK;

    } else {
        switch (res->status) {

        case NGX_HTTP_BAD_REQUEST:
            result = NGX_HTTP_OAUTH_REQUIRE_INVALID_REQUEST;
            break;

        case NGX_HTTP_UNAUTHORIZED:
            /* RFC 6750 §3.1: a challenge without error= is "no token" */
            p = (u_char *) res->www_authenticate.data;
            result = (p != NULL
                      && ngx_strnstr(p, "error=",
                                     res->www_authenticate.len) != NULL)
                     ? NGX_HTTP_OAUTH_REQUIRE_INVALID_TOKEN
                     : NGX_HTTP_OAUTH_REQUIRE_NO_TOKEN;
            break;

        case NGX_HTTP_FORBIDDEN:
            result = NGX_HTTP_OAUTH_REQUIRE_INSUFFICIENT_SCOPE;
            break;

        case NGX_HTTP_SERVICE_UNAVAILABLE:
            result = NGX_HTTP_OAUTH_REQUIRE_UNAVAILABLE;
            break;

        default:
            result = NGX_HTTP_OAUTH_REQUIRE_ERROR;
        }
    }

    ngx_http_oauth_metrics_add(require[result], 1);
}


/* oauth_require's two caches: 0 not asked, 1 hit, 2 miss */
void
ngx_http_oauth_metrics_caches(oauth_require_result_t *res)
{
    if (ngx_http_oauth_metrics_slot == NULL) {
        return;
    }

    if (res->token_cache == 1) {
        ngx_http_oauth_metrics_add(token_cache_hits, 1);

    } else if (res->token_cache == 2) {
        ngx_http_oauth_metrics_add(token_cache_misses, 1);
    }

    if (res->session_cache == 1) {
        ngx_http_oauth_metrics_add(session_cache_hits, 1);

    } else if (res->session_cache == 2) {
        ngx_http_oauth_metrics_add(session_cache_misses, 1);
    }
}


static ngx_uint_t
ngx_http_oauth_metrics_find(ngx_str_t *table, ngx_uint_t n, oauth_str_t *s)
{
    ngx_uint_t  i;

    /* the last entry is "other" */
    for (i = 0; i < n - 1; i++) {
        if (table[i].len == s->len
            && ngx_strncmp(table[i].data, s->data, s->len) == 0)
        {
            return i;
        }
    }

    return n - 1;
}


void
ngx_http_oauth_metrics_event(const oauth_event_t *ev)
{
    ngx_uint_t   i;
    oauth_str_t  s;

    if (ngx_http_oauth_metrics_slot == NULL
        || (ngx_uint_t) ev->kind >= OAUTH_EVENT_COUNT)
    {
        return;
    }

    ngx_http_oauth_metrics_add(events[ev->kind], 1);

    switch (ev->kind) {

    case OAUTH_EVENT_TOKEN_ISSUED:
        s = ev->grant;
        i = ngx_http_oauth_metrics_find(ngx_http_oauth_metrics_grants,
                                        NGX_HTTP_OAUTH_METRICS_NGRANTS, &s);
        ngx_http_oauth_metrics_add(tokens_issued[i], 1);
        break;

    case OAUTH_EVENT_TOKEN_ERROR:
        s = ev->error;
        i = ngx_http_oauth_metrics_find(ngx_http_oauth_metrics_errors,
                                        NGX_HTTP_OAUTH_METRICS_NERRORS, &s);
        ngx_http_oauth_metrics_add(token_errors[i], 1);
        break;

    case OAUTH_EVENT_LOGIN_SUCCEEDED:
        ngx_http_oauth_metrics_add(logins[0], 1);
        break;

    case OAUTH_EVENT_LOGIN_FAILED:
        i = (ev->error.len == sizeof("rate_limited") - 1
             && ngx_strncmp(ev->error.data, "rate_limited", ev->error.len)
                == 0) ? 2 : 1;
        ngx_http_oauth_metrics_add(logins[i], 1);
        break;

    default:
        break;
    }
}


void
ngx_http_oauth_metrics_redis_sent(ngx_uint_t ncommands)
{
    if (ngx_http_oauth_metrics_slot) {
        ngx_http_oauth_metrics_add(redis_commands, ncommands);
    }
}


/* microseconds of a monotonic clock, 0 without oauth_metrics: nginx's own
 * cached time has a millisecond's grain, the buckets start at 100us */
uint64_t
ngx_http_oauth_metrics_clock(void)
{
    struct timespec  ts;

    if (ngx_http_oauth_metrics_slot == NULL
        || clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    {
        return 0;
    }

    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}


void
ngx_http_oauth_metrics_redis_reply(uint64_t started, void **replies,
    ngx_uint_t n)
{
    uint64_t      us;
    ngx_uint_t    i, b;
    redisReply   *reply;

    if (ngx_http_oauth_metrics_slot == NULL) {
        return;
    }

    for (i = 0; i < n; i++) {
        reply = replies[i];

        /*
         * NOSCRIPT is the script cache asking for the script once (after
         * a restart or SCRIPT FLUSH); the flows send it again with EVAL.
         * Not a failure of Redis.
         */
        if (reply != NULL && reply->type == REDIS_REPLY_ERROR
            && !(reply->len >= 8
                 && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0))
        {
            ngx_http_oauth_metrics_add(
                redis_errors[NGX_HTTP_OAUTH_REDIS_ERR_REPLY], 1);
        }
    }

    if (started == 0) {
        return;
    }

    us = ngx_http_oauth_metrics_clock();
    us = (us > started) ? us - started : 0;

    for (b = 0; b < NGX_HTTP_OAUTH_METRICS_BUCKETS; b++) {
        if (us <= ngx_http_oauth_metrics_bounds[b]) {
            break;
        }
    }

    ngx_http_oauth_metrics_add(redis_latency[b], 1);
    ngx_http_oauth_metrics_add(redis_latency_us, us);
}


void
ngx_http_oauth_metrics_redis_error(ngx_http_oauth_redis_error_e kind)
{
    if (ngx_http_oauth_metrics_slot) {
        ngx_http_oauth_metrics_add(redis_errors[kind], 1);
    }
}


void
ngx_http_oauth_metrics_redis_up(ngx_uint_t up)
{
    if (ngx_http_oauth_metrics_slot) {
        /* one writer per slot in the common case: a store, no RMW */
        ngx_http_oauth_metrics_slot->redis_up = up;
    }
}


