/*
 * Test-only module: drives ngx_http_oauth_redis.c directly, so the driver is
 * tested without any OAuth flow.  `oauth_redis_harness_redis ...` takes the
 * arguments of oauth_redis; a location with `oauth_redis_harness` runs the
 * request body (RESP commands, their count in ?n=N) and answers one line per
 * reply ("type:text"), or 503 when the driver fails the operation.
 * ?sleep=MS blocks the worker that long before running them: a test's way
 * to make a busy worker's races certain (never do this in a real module).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>

#include "ngx_http_oauth_redis.h"


typedef struct {
    ngx_http_oauth_redis_conf_t  *redis;
} ngx_http_oauth_redis_harness_main_conf_t;


typedef struct {
    ngx_http_request_t           *request;
    ngx_http_oauth_redis_op_t    *op;
} ngx_http_oauth_redis_harness_ctx_t;


static void *ngx_http_oauth_redis_harness_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_oauth_redis_harness(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_oauth_redis_harness_handler(ngx_http_request_t *r);
static void ngx_http_oauth_redis_harness_body(ngx_http_request_t *r);
static void ngx_http_oauth_redis_harness_done(void *data, ngx_int_t rc,
    void **replies, ngx_uint_t n);
static void ngx_http_oauth_redis_harness_cleanup(void *data);
static ngx_int_t ngx_http_oauth_redis_harness_send(ngx_http_request_t *r,
    ngx_uint_t status, u_char *text, size_t len);


static ngx_command_t  ngx_http_oauth_redis_harness_commands[] = {

    { ngx_string("oauth_redis_harness_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_oauth_redis_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_oauth_redis_harness_main_conf_t, redis),
      NULL },

    { ngx_string("oauth_redis_harness"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_oauth_redis_harness,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_oauth_redis_harness_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */
    ngx_http_oauth_redis_harness_create_main_conf,
    NULL,                                  /* init main configuration */
    NULL, NULL, NULL, NULL
};


ngx_module_t  ngx_http_oauth_redis_harness_module = {
    NGX_MODULE_V1,
    &ngx_http_oauth_redis_harness_module_ctx,
    ngx_http_oauth_redis_harness_commands,
    NGX_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_oauth_redis_harness_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_oauth_redis_harness_main_conf_t));
}


static char *
ngx_http_oauth_redis_harness(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_oauth_redis_harness_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_oauth_redis_harness_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_oauth_redis_harness_body);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_oauth_redis_harness_body(ngx_http_request_t *r)
{
    u_char                                    *p;
    size_t                                     len;
    ngx_int_t                                  n, ms;
    ngx_str_t                                  arg;
    ngx_buf_t                                 *b;
    ngx_chain_t                               *cl;
    ngx_pool_cleanup_t                        *cln;
    ngx_http_oauth_redis_harness_ctx_t        *ctx;
    ngx_http_oauth_redis_harness_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r,
                                         ngx_http_oauth_redis_harness_module);

    if (ngx_http_arg(r, (u_char *) "n", 1, &arg) != NGX_OK
        || (n = ngx_atoi(arg.data, arg.len)) <= 0
        || r->request_body == NULL || r->request_body->bufs == NULL
        || r->request_body->temp_file)
    {
        ngx_http_finalize_request(r, NGX_HTTP_BAD_REQUEST);
        return;
    }

    len = 0;
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += cl->buf->last - cl->buf->pos;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    len = 0;
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        ngx_memcpy(p + len, b->pos, b->last - b->pos);
        len += b->last - b->pos;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_oauth_redis_harness_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx == NULL || cln == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ngx_http_arg(r, (u_char *) "sleep", 5, &arg) == NGX_OK
        && (ms = ngx_atoi(arg.data, arg.len)) > 0)
    {
        /* events that arrive meanwhile are seen only after the run below */
        ngx_msleep(ms);
        ngx_time_update();
    }

    ctx->request = r;
    cln->handler = ngx_http_oauth_redis_harness_cleanup;
    cln->data = ctx;

    ctx->op = ngx_http_oauth_redis_run(hmcf->redis, r->connection->log, p,
                                       len, n,
                                       ngx_http_oauth_redis_harness_done, ctx);
    if (ctx->op == NULL) {
        ngx_http_finalize_request(r,
            ngx_http_oauth_redis_harness_send(r, 503, (u_char *) "down\n", 5));
        return;
    }

    /*
     * The body reader's reference holds the request until done.  A client
     * that goes away meanwhile ends the request (499): its cleanup cancels.
     */

    r->read_event_handler = ngx_http_test_reading;
}


static void
ngx_http_oauth_redis_harness_done(void *data, ngx_int_t rc, void **replies,
    ngx_uint_t n)
{
    ngx_http_oauth_redis_harness_ctx_t *ctx = data;

    u_char              *p, *text;
    size_t               len;
    ngx_uint_t           i;
    redisReply          *reply;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ctx->request;
    c = r->connection;
    ctx->op = NULL;

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r,
            ngx_http_oauth_redis_harness_send(r, 503, (u_char *) "error\n",
                                              6));
        ngx_http_run_posted_requests(c);
        return;
    }

    len = 0;
    for (i = 0; i < n; i++) {
        reply = replies[i];
        len += NGX_INT64_LEN + 4 + reply->len;
    }

    text = ngx_pnalloc(r->pool, len + 1);
    if (text == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        ngx_http_run_posted_requests(c);
        return;
    }

    p = text;
    for (i = 0; i < n; i++) {
        reply = replies[i];

        switch (reply->type) {
        case REDIS_REPLY_INTEGER:
            p = ngx_sprintf(p, "i:%L\n", (int64_t) reply->integer);
            break;
        case REDIS_REPLY_NIL:
            p = ngx_sprintf(p, "n:\n");
            break;
        case REDIS_REPLY_ARRAY:
            p = ngx_sprintf(p, "a:%uz\n", reply->elements);
            break;
        case REDIS_REPLY_ERROR:
            p = ngx_sprintf(p, "e:%*s\n", reply->len, reply->str);
            break;
        default:
            p = ngx_sprintf(p, "s:%*s\n", reply->len, reply->str);
        }
    }

    ngx_http_finalize_request(r,
        ngx_http_oauth_redis_harness_send(r, 200, text, p - text));
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_oauth_redis_harness_cleanup(void *data)
{
    ngx_http_oauth_redis_harness_ctx_t *ctx = data;

    if (ctx->op) {
        ngx_http_oauth_redis_cancel(ctx->op);
        ctx->op = NULL;
    }
}


static ngx_int_t
ngx_http_oauth_redis_harness_send(ngx_http_request_t *r, ngx_uint_t status,
    u_char *text, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type, "text/plain");

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = text;
    b->last = text + len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
