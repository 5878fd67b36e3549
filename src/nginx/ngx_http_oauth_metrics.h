/*
 * oauth_metrics (SPEC section 11): counters of the whole nginx instance in
 * one shared memory zone, shown in the Prometheus text format.
 *
 * Every count is an ngx_atomic_t in the slot of the worker that counts it
 * (ngx_worker modulo NGX_HTTP_OAUTH_METRICS_SLOTS), so workers never write
 * the same cache line and no lock is taken; the exposition sums the slots.
 * The zone's size is fixed by this layout at configuration time, and the
 * zone is kept across reloads (counters never go back).  Without any
 * oauth_metrics location there is no zone, and every hook below is one
 * test of a NULL pointer.
 *
 * Label values come from the fixed tables of ngx_http_oauth_metrics.c only:
 * never a client id, a user name or anything a request chose.
 */

#ifndef _NGX_HTTP_OAUTH_METRICS_H_INCLUDED_
#define _NGX_HTTP_OAUTH_METRICS_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "oauth_core.h"
#include "oauth_require.h"


typedef enum {
    NGX_HTTP_OAUTH_REQUIRE_OK = 0,
    NGX_HTTP_OAUTH_REQUIRE_NO_TOKEN,
    NGX_HTTP_OAUTH_REQUIRE_INVALID_REQUEST,
    NGX_HTTP_OAUTH_REQUIRE_INVALID_TOKEN,
    NGX_HTTP_OAUTH_REQUIRE_INSUFFICIENT_SCOPE,
    NGX_HTTP_OAUTH_REQUIRE_UNAVAILABLE,
    NGX_HTTP_OAUTH_REQUIRE_ERROR,
    NGX_HTTP_OAUTH_REQUIRE_NRESULTS
} ngx_http_oauth_require_result_e;

typedef enum {
    NGX_HTTP_OAUTH_REDIS_ERR_TIMEOUT = 0,
    NGX_HTTP_OAUTH_REDIS_ERR_CONNECTION,
    NGX_HTTP_OAUTH_REDIS_ERR_REPLY,
    NGX_HTTP_OAUTH_REDIS_ERR_QUEUE_FULL,
    NGX_HTTP_OAUTH_REDIS_NERRORS
} ngx_http_oauth_redis_error_e;


/* the directive: a content handler in the location, the zone in the cycle */
char *ngx_http_oauth_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
/* in each worker: which zone this cycle counts into, if any */
ngx_int_t ngx_http_oauth_metrics_init_process(ngx_cycle_t *cycle);

/* the hooks: each one short call, a no-op without oauth_metrics */
void ngx_http_oauth_metrics_require(oauth_require_result_t *res);
void ngx_http_oauth_metrics_token_cache(int token_cache);
void ngx_http_oauth_metrics_event(const oauth_event_t *ev);
void ngx_http_oauth_metrics_redis_sent(ngx_uint_t ncommands);
uint64_t ngx_http_oauth_metrics_clock(void);
void ngx_http_oauth_metrics_redis_reply(uint64_t started, void **replies,
    ngx_uint_t n);
void ngx_http_oauth_metrics_redis_error(ngx_http_oauth_redis_error_e kind);
void ngx_http_oauth_metrics_redis_up(ngx_uint_t up);


#endif /* _NGX_HTTP_OAUTH_METRICS_H_INCLUDED_ */
