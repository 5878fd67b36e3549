/*
 * The one content handler of every endpoint directive: it turns the request
 * into an oauth_http_request_t, then drives the core's steps (Redis commands
 * through the one executor of Redis steps, ngx_http_oauth_wait.c, which
 * oauth_require's access handler shares; CPU work on the thread pool) until
 * the core responds.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth_module.h"
#include "ngx_http_oauth_wait.h"


typedef struct {
    ngx_http_request_t          *request;
    oauth_flow_t                *flow;
    ngx_http_oauth_wait_t        wait;        /* a Redis step */
    oauth_endpoint_e             endpoint;
    ngx_queue_t                  kdf_queue;   /* in ngx_http_oauth_kdf's */
    unsigned                     kdf_waiting:1;
    unsigned                     body_too_large:1;
} ngx_http_oauth_ctx_t;


#if (NGX_THREADS)

/*
 * KDF work of this worker (oauth_kdf_limit): runs posted to the thread pool,
 * and requests waiting for one.  Each run holds scrypt's memory (32 MiB for a
 * password), so the number running bounds the worker's KDF memory; a waiting
 * request holds none.
 */
typedef struct {
    ngx_uint_t                   running;
    ngx_uint_t                   nwaiting;
    ngx_queue_t                  waiting;
    ngx_uint_t                   refused;     /* since the last log line */
    time_t                       logged;
    ngx_event_t                  hold;        /* see ngx_http_oauth_kdf_hold */
} ngx_http_oauth_kdf_t;


static ngx_http_oauth_kdf_t  ngx_http_oauth_kdf;


/*
 * A graceful shutdown (reload, -s quit) ends the worker as soon as no timer
 * is left that is not cancelable; a request on the thread pool or in its
 * line has none of its own, so it would be dropped with its client
 * connection ("open socket left").  While KDF work is running or waiting,
 * this one timer keeps the worker until it is answered.
 */
#define NGX_HTTP_OAUTH_KDF_HOLD  1000

static void
ngx_http_oauth_kdf_hold_event(ngx_event_t *ev)
{
    if (ngx_http_oauth_kdf.running || ngx_http_oauth_kdf.nwaiting) {
        ngx_add_timer(ev, NGX_HTTP_OAUTH_KDF_HOLD);
    }
}


static void
ngx_http_oauth_kdf_hold(void)
{
    ngx_event_t  *ev;

    ev = &ngx_http_oauth_kdf.hold;

    if (ngx_http_oauth_kdf.running || ngx_http_oauth_kdf.nwaiting) {
        if (!ev->timer_set) {
            ev->handler = ngx_http_oauth_kdf_hold_event;
            /* never read by the handler, but nginx --with-debug logs
             * ngx_event_ident(ev->data) on every timer change */
            ev->data = &ngx_http_oauth_kdf;
            ev->log = ngx_cycle->log;
            ngx_add_timer(ev, NGX_HTTP_OAUTH_KDF_HOLD);
        }

    } else if (ev->timer_set) {
        ngx_del_timer(ev);
    }
}

#endif


static void ngx_http_oauth_start(ngx_http_request_t *r);
static void ngx_http_oauth_drive(ngx_http_oauth_ctx_t *ctx,
    oauth_step_t *step);
static void ngx_http_oauth_redis_done(ngx_http_request_t *r, void *data,
    const oauth_redis_reply_t *const *replies, size_t n);
static ngx_int_t ngx_http_oauth_offload(ngx_http_oauth_ctx_t *ctx,
    oauth_step_t *step);
static ngx_int_t ngx_http_oauth_client_address(ngx_http_request_t *r,
    ngx_str_t *out);
static ngx_int_t ngx_http_oauth_respond(ngx_http_request_t *r,
    oauth_step_t *step);
static ngx_int_t ngx_http_oauth_collect_cookies(ngx_http_request_t *r,
    ngx_str_t *out);
static ngx_int_t ngx_http_oauth_read_body(ngx_http_request_t *r,
    size_t max, ngx_str_t *out);
static void ngx_http_oauth_cleanup(void *data);
static void ngx_http_oauth_events(ngx_http_request_t *r, oauth_step_t *step);


ngx_int_t
ngx_http_oauth_content_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_pool_cleanup_t         *cln;
    ngx_http_oauth_ctx_t       *ctx;
    ngx_http_oauth_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_oauth_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->endpoint = (oauth_endpoint_e) olcf->endpoint;

    /* frees the flow and forgets a pending Redis operation, however the
     * request ends */
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_oauth_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_oauth_module);

    /* POST forms and JSON, and RFC 7592's PUT of client metadata */
    if ((r->method & (NGX_HTTP_POST|NGX_HTTP_PUT))
        && r->headers_in.content_length_n > (off_t) olcf->max_body_size)
    {
        /* past oauth_max_body_size by its Content-Length: not read; the
         * endpoint refuses it in its own format (JSON or a page) rather
         * than with nginx's HTML 413 */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "oauth: request body of %O bytes is past "
                      "oauth_max_body_size %uz",
                      r->headers_in.content_length_n, olcf->max_body_size);

        ctx->body_too_large = 1;

    } else if (r->method & (NGX_HTTP_POST|NGX_HTTP_PUT)) {
        /* forms are small: one memory buffer when the body fits
         * client_body_buffer_size, else nginx spools it to a temporary
         * file, which ngx_http_oauth_read_body() reads back */
        r->request_body_in_single_buf = 1;

        rc = ngx_http_read_client_request_body(r, ngx_http_oauth_start);
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the same footing as after a body read: we hold the request */
    r->main->count++;
    ngx_http_oauth_start(r);

    return NGX_DONE;
}


static void
ngx_http_oauth_start(ngx_http_request_t *r)
{
    ngx_str_t                   body, cookie, address, dpop;
    ngx_uint_t                  nauth;
    oauth_step_t                step;
    oauth_http_request_t        req;
    ngx_http_oauth_ctx_t       *ctx;
    ngx_http_oauth_srv_conf_t  *oscf;
    ngx_http_oauth_loc_conf_t  *olcf;

    static ngx_str_t  authorization = ngx_string("Authorization");

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth_module);
    oscf = ngx_http_get_module_srv_conf(r, ngx_http_oauth_module);
    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth_module);

    ngx_str_null(&body);

    if (!ctx->body_too_large) {
        switch (ngx_http_oauth_read_body(r, olcf->max_body_size, &body)) {

        case NGX_OK:
            break;

        case NGX_DECLINED:
            /* a body of unknown length (chunked, HTTP/2) turned out too
             * large once read */
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "oauth: request body is past "
                          "oauth_max_body_size %uz", olcf->max_body_size);
            ctx->body_too_large = 1;
            break;

        default:
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    if (ngx_http_oauth_collect_cookies(r, &cookie) != NGX_OK
        || ngx_http_oauth_client_address(r, &address) != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_memzero(&req, sizeof(oauth_http_request_t));

    req.method.data = (const char *) r->method_name.data;
    req.method.len = r->method_name.len;
    req.path.data = (const char *) r->uri.data;
    req.path.len = r->uri.len;
    req.query.data = (const char *) r->args.data;
    req.query.len = r->args.len;
    req.body.data = (const char *) body.data;
    req.body.len = body.len;
    req.cookie.data = (const char *) cookie.data;
    req.cookie.len = cookie.len;
    req.now = ngx_time();
    req.leeway = olcf->leeway;
    req.realm.data = (const char *) olcf->realm.data;
    req.realm.len = olcf->realm.len;
    req.client_address.data = (const char *) address.data;
    req.client_address.len = address.len;

    if (r->headers_in.content_type) {
        req.content_type.data =
                          (const char *) r->headers_in.content_type->value.data;
        req.content_type.len = r->headers_in.content_type->value.len;
    }

    if (r->headers_in.authorization) {
        req.authorization.data =
                         (const char *) r->headers_in.authorization->value.data;
        req.authorization.len = r->headers_in.authorization->value.len;
    }

    /* nginx keeps only the first Authorization; a second one is an attempt
     * at two authentication methods (RFC 6749 §2.3) */
    nauth = ngx_http_oauth_header_in(r, &authorization, NULL);

    req.duplicate_authorization = (nauth > 1);

    req.dpop_count = (int) ngx_http_oauth_dpop_header(r, &dpop);
    req.dpop.data = (const char *) dpop.data;
    req.dpop.len = dpop.len;
    req.dpop_nonce_lifetime = olcf->dpop_nonce;
    req.body_too_large = ctx->body_too_large;

    ctx->flow = oauth_flow_start(oscf->server, ctx->endpoint, &req, &step);
    if (ctx->flow == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_oauth_drive(ctx, &step);
}


/*
 * Runs steps until one has to wait (Redis or the thread pool) or the core
 * responds, which finalizes the request.
 */
static void
ngx_http_oauth_drive(ngx_http_oauth_ctx_t *ctx, oauth_step_t *step)
{
    ngx_http_request_t          *r;
    ngx_http_oauth_main_conf_t  *mcf;

    r = ctx->request;
    mcf = ngx_http_get_module_main_conf(r, ngx_http_oauth_module);

    for ( ;; ) {

        ngx_http_oauth_events(r, step);

        if (step->log_reason.len) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "oauth: %*s", step->log_reason.len,
                          step->log_reason.data);
        }

        switch (step->kind) {

        case OAUTH_STEP_REDIS:
            switch (ngx_http_oauth_wait_redis(r, &ctx->wait, mcf->redis,
                                              step->redis_commands,
                                              step->redis_count,
                                              ngx_http_oauth_redis_done, ctx))
            {
            case NGX_AGAIN:
                return;

            case NGX_DECLINED:
                oauth_flow_resume_unavailable(ctx->flow, step);
                continue;

            default:
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }

        case OAUTH_STEP_OFFLOAD:
            switch (ngx_http_oauth_offload(ctx, step)) {

            case NGX_OK:
                return;

            case NGX_DECLINED:
                /* refused: step holds the flow's answer */
                continue;

            default:
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }

        default: /* OAUTH_STEP_RESPOND */
            ngx_http_finalize_request(r, ngx_http_oauth_respond(r, step));
            return;
        }
    }
}


/* What the step says happened: counted, and written to the audit log. */

static void
ngx_http_oauth_events(ngx_http_request_t *r, oauth_step_t *step)
{
    ngx_uint_t  i;

    for (i = 0; i < step->nevents; i++) {
        ngx_http_oauth_metrics_event(&step->events[i]);
        ngx_http_oauth_audit_write(r, &step->events[i]);
    }
}


/* The Redis step answered, or Redis failed (replies NULL). */

static void
ngx_http_oauth_redis_done(ngx_http_request_t *r, void *data,
    const oauth_redis_reply_t *const *replies, size_t n)
{
    ngx_http_oauth_ctx_t *ctx = data;

    oauth_step_t  step;

    if (replies != NULL) {
        oauth_flow_resume_redis(ctx->flow, replies, n, &step);

    } else {
        oauth_flow_resume_unavailable(ctx->flow, &step);
    }

    ngx_http_oauth_drive(ctx, &step);
}


#if (NGX_THREADS)

static ngx_int_t ngx_http_oauth_kdf_post(ngx_http_oauth_ctx_t *ctx);
static void ngx_http_oauth_kdf_next(void);


static void
ngx_http_oauth_offload_thread(void *data, ngx_log_t *log)
{
    ngx_http_oauth_ctx_t **ctxp = data;

    oauth_flow_offload_run((*ctxp)->flow);
}


static void
ngx_http_oauth_offload_event(ngx_event_t *ev)
{
    ngx_http_oauth_ctx_t *ctx = ev->data;

    ngx_connection_t    *c;
    oauth_step_t         step;
    ngx_http_request_t  *r;

    r = ctx->request;
    c = r->connection;

    r->main->blocked--;
    r->aio = 0;

    /* the freed run goes to the next waiting request first: this one may
     * be finalized below */
    ngx_http_oauth_kdf.running--;
    ngx_http_oauth_kdf_next();
    ngx_http_oauth_kdf_hold();

    oauth_flow_resume_offload(ctx->flow, &step);
    ngx_http_oauth_drive(ctx, &step);
    ngx_http_run_posted_requests(c);
}


static ngx_int_t
ngx_http_oauth_kdf_post(ngx_http_oauth_ctx_t *ctx)
{
    ngx_thread_task_t           *task;
    ngx_http_request_t          *r;
    ngx_http_oauth_ctx_t       **ctxp;
    ngx_http_oauth_main_conf_t  *mcf;

    r = ctx->request;
    mcf = ngx_http_get_module_main_conf(r, ngx_http_oauth_module);

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_oauth_ctx_t *));
    if (task == NULL) {
        return NGX_ERROR;
    }

    ctxp = task->ctx;
    *ctxp = ctx;

    task->handler = ngx_http_oauth_offload_thread;
    task->event.handler = ngx_http_oauth_offload_event;
    task->event.data = ctx;

    if (ngx_thread_task_post(mcf->thread_pool, task) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_oauth_kdf.running++;
    ngx_http_oauth_kdf_hold();

    r->main->blocked++;
    r->aio = 1;

    return NGX_OK;
}


/* Starts waiting requests while runs are free. */
static void
ngx_http_oauth_kdf_next(void)
{
    ngx_queue_t                 *q;
    oauth_step_t                 step;
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_oauth_ctx_t        *ctx;
    ngx_http_oauth_main_conf_t  *mcf;

    while (ngx_http_oauth_kdf.nwaiting) {
        q = ngx_queue_head(&ngx_http_oauth_kdf.waiting);
        ctx = ngx_queue_data(q, ngx_http_oauth_ctx_t, kdf_queue);
        r = ctx->request;
        mcf = ngx_http_get_module_main_conf(r, ngx_http_oauth_module);

        if (ngx_http_oauth_kdf.running >= mcf->kdf_limit) {
            return;
        }

        ngx_queue_remove(q);
        ngx_http_oauth_kdf.nwaiting--;
        ctx->kdf_waiting = 0;

        if (r->read_event_handler == ngx_http_test_reading) {
            r->read_event_handler = ngx_http_block_reading;
        }

        if (ngx_http_oauth_kdf_post(ctx) == NGX_OK) {
            continue;
        }

        /* the pool refused the task (its own queue is full) */
        c = r->connection;
        oauth_flow_resume_busy(ctx->flow, &step);
        ngx_http_oauth_drive(ctx, &step);
        ngx_http_run_posted_requests(c);
    }
}

#endif


/*
 * Password hashing costs tens of milliseconds: it runs on nginx's thread
 * pool, the request blocked (not freeable) meanwhile, as in thread-pool file
 * reads.  At most oauth_kdf_limit runs per worker are in the pool; up to
 * queue= more requests wait in line; past that the flow answers 503
 * (NGX_DECLINED, its answer in step).
 */
static ngx_int_t
ngx_http_oauth_offload(ngx_http_oauth_ctx_t *ctx, oauth_step_t *step)
{
    ngx_http_request_t          *r;

#if (NGX_THREADS)
    ngx_http_oauth_main_conf_t  *mcf;

    r = ctx->request;
    mcf = ngx_http_get_module_main_conf(r, ngx_http_oauth_module);

    if (ngx_http_oauth_kdf.waiting.prev == NULL) {
        ngx_queue_init(&ngx_http_oauth_kdf.waiting);
    }

    if (ngx_http_oauth_kdf.running < mcf->kdf_limit
        && ngx_http_oauth_kdf.nwaiting == 0)
    {
        return ngx_http_oauth_kdf_post(ctx);
    }

    if (ngx_http_oauth_kdf.nwaiting < mcf->kdf_queue) {
        ngx_queue_insert_tail(&ngx_http_oauth_kdf.waiting, &ctx->kdf_queue);
        ngx_http_oauth_kdf.nwaiting++;
        ctx->kdf_waiting = 1;
        ngx_http_oauth_kdf_hold();

        /* notice a client that leaves meanwhile: the request ends (499)
         * and its pool cleanup takes it out of the line */
        if (r->read_event_handler == ngx_http_block_reading) {
            r->read_event_handler = ngx_http_test_reading;
        }

        return NGX_OK;
    }

    /* a flood must not flood the log too: one line a second at most */
    ngx_http_oauth_kdf.refused++;

    if (ngx_http_oauth_kdf.logged != ngx_time()) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "oauth: %ui KDF runs in flight and %ui waiting "
                      "(oauth_kdf_limit): %ui requests refused",
                      ngx_http_oauth_kdf.running, ngx_http_oauth_kdf.nwaiting,
                      ngx_http_oauth_kdf.refused);
        ngx_http_oauth_kdf.logged = ngx_time();
        ngx_http_oauth_kdf.refused = 0;
    }

    oauth_flow_resume_busy(ctx->flow, step);

    return NGX_DECLINED;

#else
    /* nginx built without threads: no choice but to hash in line */
    r = ctx->request;
    oauth_flow_offload_run(ctx->flow);
    oauth_flow_resume_offload(ctx->flow, step);
    ngx_http_oauth_drive(ctx, step);

    return NGX_OK;
#endif
}


/*
 * The address the login limits count (after realip, when configured): an
 * IPv6 client by its /64, the least a site hands one subscriber.
 */
static ngx_int_t
ngx_http_oauth_client_address(ngx_http_request_t *r, ngx_str_t *out)
{
#if (NGX_HAVE_INET6)
    u_char               *p;
    size_t                len;
    struct in6_addr       a;
    struct sockaddr_in6  *sin6;

    if (r->connection->sockaddr->sa_family == AF_INET6) {
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;

        if (!IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            a = sin6->sin6_addr;
            ngx_memzero(&a.s6_addr[8], 8);

            p = ngx_pnalloc(r->pool, NGX_INET6_ADDRSTRLEN + sizeof("/64"));
            if (p == NULL) {
                return NGX_ERROR;
            }

            len = ngx_inet6_ntop(a.s6_addr, p, NGX_INET6_ADDRSTRLEN);
            len = ngx_sprintf(p + len, "/64") - p;

            out->data = p;
            out->len = len;

            return NGX_OK;
        }
    }
#endif

    *out = r->connection->addr_text;

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth_copy(ngx_pool_t *pool, ngx_str_t *dst, const oauth_str_t *src)
{
    dst->len = src->len;
    dst->data = ngx_pnalloc(pool, src->len ? src->len : 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, src->data, src->len);

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth_respond(ngx_http_request_t *r, oauth_step_t *step)
{
    u_char       *p;
    ngx_buf_t    *b;
    ngx_int_t     rc;
    ngx_str_t     body;
    ngx_uint_t    i;
    ngx_chain_t   out;

    r->headers_out.status = step->status;

    if (step->content_type.len) {
        if (ngx_http_oauth_copy(r->pool, &r->headers_out.content_type,
                                &step->content_type)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* the type without parameters: what sub_filter_types, gzip_types
         * and charset_types compare */
        p = ngx_strlchr(r->headers_out.content_type.data,
                        r->headers_out.content_type.data
                        + r->headers_out.content_type.len, ';');
        r->headers_out.content_type_len = p
                               ? (size_t) (p - r->headers_out.content_type.data)
                               : r->headers_out.content_type.len;
    }

    for (i = 0; i < step->nheaders; i++) {
        if (ngx_http_oauth_header_out(r, &step->headers[i].name,
                                      &step->headers[i].value)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_oauth_copy(r->pool, &body, &step->body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.content_length_n = body.len;

    if (body.len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body.data;
    b->last = body.data + body.len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_oauth_collect_cookies(ngx_http_request_t *r, ngx_str_t *out)
{
    u_char            *p;
    size_t             len;
    ngx_table_elt_t   *h;

#if (nginx_version >= 1023000)
    ngx_table_elt_t   *first = r->headers_in.cookie;

    len = 0;
    for (h = first; h; h = h->next) {
        len += h->value.len + 2;
    }
#else
    ngx_uint_t         i;
    ngx_table_elt_t  **hh;

    len = 0;
    hh = r->headers_in.cookies.elts;
    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        len += hh[i]->value.len + 2;
    }
#endif

    ngx_str_null(out);

    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

#if (nginx_version >= 1023000)
    for (h = first; h; h = h->next) {
#else
    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        h = hh[i];
#endif
        if (p != out->data) {
            *p++ = ';'; *p++ = ' ';
        }

        p = ngx_cpymem(p, h->value.data, h->value.len);
    }

    out->len = p - out->data;

    return NGX_OK;
}


/*
 * The whole body as one string, from memory or from the temporary file
 * nginx wrote it to (past client_body_buffer_size): NGX_DECLINED when it is
 * longer than max (oauth_max_body_size), NGX_ERROR when memory or the file
 * fails.
 */
static ngx_int_t
ngx_http_oauth_read_body(ngx_http_request_t *r, size_t max, ngx_str_t *out)
{
    u_char       *p;
    off_t         len, size;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    ngx_str_null(out);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? b->file_last - b->file_pos : b->last - b->pos;
    }

    if (len > (off_t) max) {
        return NGX_DECLINED;
    }

    if (len == 0) {
        return NGX_OK;
    }

    b = r->request_body->bufs->buf;

    if (r->request_body->bufs->next == NULL && !b->in_file) {
        out->data = b->pos;
        out->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        size = b->file_last - b->file_pos;

        n = ngx_read_file(b->file, p, (size_t) size, b->file_pos);

        if (n == NGX_ERROR) {
            /* ngx_read_file() logged why */
            return NGX_ERROR;
        }

        if (n != size) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "oauth: read only %z of %O bytes of the request "
                          "body from \"%V\"", n, size, &b->file->name);
            return NGX_ERROR;
        }

        p += n;
    }

    out->len = len;

    return NGX_OK;
}


static void
ngx_http_oauth_cleanup(void *data)
{
    ngx_http_oauth_ctx_t *ctx = data;

    ngx_http_oauth_wait_cancel(&ctx->wait);

#if (NGX_THREADS)
    if (ctx->kdf_waiting) {
        ngx_queue_remove(&ctx->kdf_queue);
        ngx_http_oauth_kdf.nwaiting--;
        ctx->kdf_waiting = 0;
        ngx_http_oauth_kdf_hold();
    }
#endif

    if (ctx->flow) {
        oauth_flow_free(ctx->flow);
        ctx->flow = NULL;
    }
}
