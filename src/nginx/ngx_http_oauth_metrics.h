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


#define NGX_HTTP_OAUTH_METRICS_SLOTS     32
#define NGX_HTTP_OAUTH_METRICS_BUCKETS   13
#define NGX_HTTP_OAUTH_METRICS_NGRANTS   6
#define NGX_HTTP_OAUTH_METRICS_NERRORS   15
#define NGX_HTTP_OAUTH_METRICS_NLOGINS   3


/* label values of grants and error codes (ngx_http_oauth_metrics_count.c) */
extern ngx_str_t  ngx_http_oauth_metrics_grants[NGX_HTTP_OAUTH_METRICS_NGRANTS];
extern ngx_str_t  ngx_http_oauth_metrics_errors[NGX_HTTP_OAUTH_METRICS_NERRORS];


typedef struct {
    ngx_atomic_t    tokens_issued[NGX_HTTP_OAUTH_METRICS_NGRANTS];
    ngx_atomic_t    token_errors[NGX_HTTP_OAUTH_METRICS_NERRORS];
    ngx_atomic_t    require[NGX_HTTP_OAUTH_REQUIRE_NRESULTS];
    ngx_atomic_t    logins[NGX_HTTP_OAUTH_METRICS_NLOGINS];
    ngx_atomic_t    events[OAUTH_EVENT_COUNT];
    ngx_atomic_t    redis_commands;
    ngx_atomic_t    redis_errors[NGX_HTTP_OAUTH_REDIS_NERRORS];
    /* not cumulative here: the last one is past the largest bound */
    ngx_atomic_t    redis_latency[NGX_HTTP_OAUTH_METRICS_BUCKETS + 1];
    ngx_atomic_t    redis_latency_us;          /* the sum */
    ngx_atomic_t    token_cache_hits;
    ngx_atomic_t    token_cache_misses;
    ngx_atomic_t    session_cache_hits;
    ngx_atomic_t    session_cache_misses;
    ngx_atomic_t    redis_up;                  /* 0 or 1: this worker's */
} ngx_http_oauth_metrics_slot_t;


/* a slot per cache line pair, so that two workers never share one */
typedef union {
    ngx_http_oauth_metrics_slot_t   s;
    u_char                          pad[ngx_align(
                                        sizeof(ngx_http_oauth_metrics_slot_t),
                                        128)];
} ngx_http_oauth_metrics_padded_t;


typedef struct {
    ngx_uint_t                       version;
    ngx_http_oauth_metrics_padded_t  slots[NGX_HTTP_OAUTH_METRICS_SLOTS];
} ngx_http_oauth_metrics_shm_t;


/* this worker's slot; NULL without oauth_metrics (and in the master) */
extern ngx_http_oauth_metrics_slot_t  *ngx_http_oauth_metrics_slot;


/* the directive: a content handler in the location, the zone in the cycle */
char *ngx_http_oauth_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
/* in each worker: which zone this cycle counts into, if any */
ngx_int_t ngx_http_oauth_metrics_init_process(ngx_cycle_t *cycle);

/* the hooks: each one short call, a no-op without oauth_metrics */
void ngx_http_oauth_metrics_require(oauth_require_result_t *res);
void ngx_http_oauth_metrics_caches(oauth_require_result_t *res);
void ngx_http_oauth_metrics_event(const oauth_event_t *ev);
void ngx_http_oauth_metrics_redis_sent(ngx_uint_t ncommands);
uint64_t ngx_http_oauth_metrics_clock(void);
void ngx_http_oauth_metrics_redis_reply(uint64_t started, void **replies,
    ngx_uint_t n);
void ngx_http_oauth_metrics_redis_error(ngx_http_oauth_redis_error_e kind);
void ngx_http_oauth_metrics_redis_up(ngx_uint_t up);


#endif /* _NGX_HTTP_OAUTH_METRICS_H_INCLUDED_ */
