/*
 * The one way a request waits for Redis, for every client of the core's step
 * protocol: the endpoints' content handler (ngx_http_oauth_handler.c) and
 * oauth_require's access handler (ngx_http_oauth_require.c).  The core hands
 * out "run these n RESP commands, then resume me with their replies"; this
 * sends them through the driver (ngx_http_oauth_redis.c) and resumes the
 * caller from the reply's event.
 *
 * One cancellation policy:
 *   - the request ends before the reply (terminated, finalized, its pool
 *     freed): the operation is cancelled, the caller is never resumed; the
 *     request cleanup does it, and the owner's pool cleanup calls
 *     ngx_http_oauth_wait_cancel() too, for a pool freed without a
 *     termination;
 *   - the client leaves meanwhile (an HTTP/1.x hang-up, an HTTP/2 stream
 *     reset): noticed through ngx_http_test_reading, the request ends with
 *     499 and is cancelled as above;
 *   - the reply comes while the connection is already in error (the
 *     hang-up not seen yet in this event loop pass): the caller is resumed
 *     all the same, since what Redis just did (a code redeemed, a token
 *     issued) still has its audit event to write; oauth_require then ends
 *     the request with 499 rather than connect an upstream for nobody.
 *
 * The wait lives in the caller's request context; waiting allocates only
 * the request cleanup, once per request (what the driver copies is its
 * own).
 */

#ifndef _NGX_HTTP_OAUTH_WAIT_H_INCLUDED_
#define _NGX_HTTP_OAUTH_WAIT_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "oauth_core.h"
#include "ngx_http_oauth_redis.h"


/* Resumes the core: replies (n, in order) when Redis answered, NULL when it
 * could not (down, timeout, protocol error: the driver logged it).  Called
 * from the reply's event handler; ngx_http_run_posted_requests() follows. */
typedef void (*ngx_http_oauth_wait_resume_pt)(ngx_http_request_t *r,
    void *data, const oauth_redis_reply_t *const *replies, size_t n);


typedef struct {
    ngx_http_request_t              *request;
    ngx_http_oauth_redis_op_t       *op;        /* pending, or NULL */
    ngx_http_oauth_wait_resume_pt    resume;
    void                            *data;
    unsigned                         armed:1;   /* request cleanup added */
    unsigned                         failed:1;  /* the driver failed (and
                                                   logged it) */
} ngx_http_oauth_wait_t;


/*
 * Sends `n` commands (RESP, back to back) for request r.  NGX_AGAIN: waiting,
 * resume() will be called once, unless the request ends first.
 * NGX_DECLINED: Redis is unavailable right now (no server configured, an
 * outage, the queue full, memory): resume() will not be called, the caller
 * resumes the core with "unavailable" itself (w->failed says whether the
 * driver had a server to fail).  NGX_ERROR: no memory for the cleanup.
 */
ngx_int_t ngx_http_oauth_wait_redis(ngx_http_request_t *r,
    ngx_http_oauth_wait_t *w, ngx_http_oauth_redis_conf_t *rcf,
    oauth_str_t commands, size_t n, ngx_http_oauth_wait_resume_pt resume,
    void *data);

/* Forgets a pending operation: its reply will be read and dropped. */
void ngx_http_oauth_wait_cancel(ngx_http_oauth_wait_t *w);


#endif /* _NGX_HTTP_OAUTH_WAIT_H_INCLUDED_ */
