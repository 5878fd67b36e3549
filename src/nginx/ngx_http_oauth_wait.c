/*
 * Waiting for Redis on behalf of a request (ngx_http_oauth_wait.h): the one
 * executor of the core's Redis steps and its one cancellation policy.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth_wait.h"


static void ngx_http_oauth_wait_done(void *data, ngx_int_t rc,
    void **replies, ngx_uint_t n);
static void ngx_http_oauth_wait_cleanup(void *data);


ngx_int_t
ngx_http_oauth_wait_redis(ngx_http_request_t *r, ngx_http_oauth_wait_t *w,
    ngx_http_oauth_redis_conf_t *rcf, oauth_str_t commands, size_t n,
    ngx_http_oauth_wait_resume_pt resume, void *data)
{
    ngx_http_cleanup_t  *cln;

    w->request = r;
    w->resume = resume;
    w->data = data;
    w->failed = 0;

    if (rcf == NULL) {
        /* no oauth_redis: the core answers 503, nothing failed to log */
        return NGX_DECLINED;
    }

    if (!w->armed) {
        /* a request that dies first must not get the reply: its
         * termination (a 499, an error) cancels the operation */
        cln = ngx_http_cleanup_add(r, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_oauth_wait_cleanup;
        cln->data = w;
        w->armed = 1;
    }

    w->op = ngx_http_oauth_redis_run(rcf, r->connection->log,
                                     (u_char *) commands.data, commands.len,
                                     n, ngx_http_oauth_wait_done, w);

    if (w->op == NULL) {
        /* known to be down (an outage, the queue full) or out of memory:
         * the driver logged it, once per outage */
        w->failed = 1;
        return NGX_DECLINED;
    }

    /*
     * Notice a client that leaves meanwhile: an HTTP/1.x hang-up, an HTTP/2
     * stream reset or its connection closed.  The request then ends with
     * 499 and its cleanup cancels the operation.
     */
    if (r->read_event_handler == ngx_http_block_reading) {
        r->read_event_handler = ngx_http_test_reading;
    }

    return NGX_AGAIN;
}


static void
ngx_http_oauth_wait_done(void *data, ngx_int_t rc, void **replies,
    ngx_uint_t n)
{
    ngx_http_oauth_wait_t *w = data;

    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = w->request;
    c = r->connection;

    w->op = NULL;

    if (r->read_event_handler == ngx_http_test_reading) {
        r->read_event_handler = ngx_http_block_reading;
    }

    if (rc == NGX_OK && n > 0) {
        /* the driver's replies are hiredis redisReply objects: the type
         * oauth_redis_reply_t names (include/oauth_core.h) */
        w->resume(r, w->data, (const oauth_redis_reply_t *const *) replies,
                  n);

    } else {
        w->failed = 1;
        w->resume(r, w->data, NULL, 0);
    }

    ngx_http_run_posted_requests(c);
}


void
ngx_http_oauth_wait_cancel(ngx_http_oauth_wait_t *w)
{
    if (w->op) {
        ngx_http_oauth_redis_cancel(w->op);
        w->op = NULL;
    }
}


static void
ngx_http_oauth_wait_cleanup(void *data)
{
    ngx_http_oauth_wait_cancel(data);
}
