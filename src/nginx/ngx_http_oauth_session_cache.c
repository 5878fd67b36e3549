/*
 * oauth_session_cache on [size=N] | off;     (http, server; default off)
 *
 * Each worker remembers which sessions it found alive (the core's map,
 * include/oauth_session_cache.h) and keeps one connection of its own to the
 * oauth_redis server, on which Redis tells it about every change of a
 * session key: CLIENT TRACKING ... REDIRECT <itself> BCAST PREFIX <P>at:,
 * then SUBSCRIBE __redis__:invalidate (RESP2).  The core says what to send
 * and what each reply means; this file is the socket on nginx events with
 * hiredis's reader, as the Redis driver's connections are.
 *
 * Safety (SPEC section 8): the cache is used only between the SUBSCRIBE's
 * confirmation and the connection's end; every (re)connect and every loss
 * empties it.  A heartbeat PING every second, answered within oauth_redis
 * timeout=, catches a connection that died silently (a Redis host gone
 * without a FIN); a Redis restart shows as a closed connection and as a new
 * run_id when the link comes back.  While the link is not ready, every
 * request asks Redis, as with the cache off.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>

#include "ngx_http_oauth_module.h"
#include "ngx_http_oauth_session_cache.h"
#include "ngx_http_oauth_redis_sentinel.h"


#define NGX_HTTP_OAUTH_SESSION_CACHE_SIZE       10000
#define NGX_HTTP_OAUTH_SESSION_CACHE_MAX_SIZE   10000000

/* a PING this often while the link is ready; its PONG within timeout= */
#define NGX_HTTP_OAUTH_SESSION_CACHE_HEARTBEAT  1000

/* reconnect after a failure: from RETRY_MIN ms, doubling, to RETRY_MAX */
#define NGX_HTTP_OAUTH_SESSION_CACHE_RETRY_MIN  50
#define NGX_HTTP_OAUTH_SESSION_CACHE_RETRY_MAX  1000


typedef struct {
    ngx_flag_t                     enable;
    ngx_uint_t                     size;
} ngx_http_oauth_session_cache_srv_conf_t;


typedef struct {
    ngx_uint_t                     size;       /* the largest size= on */
    oauth_session_cache_t         *cache;      /* the core's, per worker */
    ngx_http_oauth_redis_conf_t   *redis;

    /* the invalidation link (copied into each worker by fork()) */
    ngx_peer_connection_t          peer;
    ngx_log_t                      log;
    redisReader                   *reader;
    u_char                        *out;        /* to send: ngx_alloc'd */
    size_t                         out_len;
    size_t                         out_sent;
    size_t                         out_size;
    ngx_event_t                    retry;      /* reconnect timer */
    ngx_event_t                    heartbeat;  /* PING timer */
    ngx_msec_t                     backoff;
    ngx_uint_t                     next_addr;
    unsigned                       started:1;  /* in this process */
    unsigned                       connected:1;
    unsigned                       ready:1;
    unsigned                       lost_logged:1;
    unsigned                       pinging:1;  /* a PONG is due */
} ngx_http_oauth_session_cache_main_conf_t;


static void *ngx_http_oauth_session_cache_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_oauth_session_cache_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_oauth_session_cache_merge_srv_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_oauth_session_cache_postconfiguration(
    ngx_conf_t *cf);
static char *ngx_http_oauth_session_cache_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void ngx_http_oauth_session_cache_cleanup(void *data);
static ngx_int_t ngx_http_oauth_session_cache_init_process(
    ngx_cycle_t *cycle);
static void ngx_http_oauth_session_cache_primary_changed(void *data);
static void ngx_http_oauth_session_cache_start(
    ngx_http_oauth_session_cache_main_conf_t *scf);
static void ngx_http_oauth_session_cache_connect(
    ngx_http_oauth_session_cache_main_conf_t *scf);
static void ngx_http_oauth_session_cache_retry_handler(ngx_event_t *ev);
static void ngx_http_oauth_session_cache_heartbeat_handler(ngx_event_t *ev);
static void ngx_http_oauth_session_cache_write_handler(ngx_event_t *wev);
static void ngx_http_oauth_session_cache_read_handler(ngx_event_t *rev);
static ngx_int_t ngx_http_oauth_session_cache_got(void *data, void *reply);
static ngx_int_t ngx_http_oauth_session_cache_step(
    ngx_http_oauth_session_cache_main_conf_t *scf,
    oauth_session_cache_step_t *step);
static ngx_int_t ngx_http_oauth_session_cache_queue(
    ngx_http_oauth_session_cache_main_conf_t *scf, oauth_str_t bytes);
static ngx_int_t ngx_http_oauth_session_cache_send(
    ngx_http_oauth_session_cache_main_conf_t *scf);
static void ngx_http_oauth_session_cache_lost(
    ngx_http_oauth_session_cache_main_conf_t *scf, const char *reason,
    oauth_str_t note);
static void ngx_http_oauth_session_cache_close(
    ngx_http_oauth_session_cache_main_conf_t *scf);


static oauth_str_t  ngx_http_oauth_session_cache_no_note = { NULL, 0 };


static ngx_command_t  ngx_http_oauth_session_cache_commands[] = {

    { ngx_string("oauth_session_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE12,
      ngx_http_oauth_session_cache_directive,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_oauth_session_cache_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_oauth_session_cache_postconfiguration, /* postconfiguration */
    ngx_http_oauth_session_cache_create_main_conf, /* create main conf */
    NULL,                                  /* init main configuration */
    ngx_http_oauth_session_cache_create_srv_conf, /* create server conf */
    ngx_http_oauth_session_cache_merge_srv_conf, /* merge server conf */
    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_oauth_session_cache_module = {
    NGX_MODULE_V1,
    &ngx_http_oauth_session_cache_module_ctx, /* module context */
    ngx_http_oauth_session_cache_commands, /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_oauth_session_cache_init_process, /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* ---- configuration ---- */

static void *
ngx_http_oauth_session_cache_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_oauth_session_cache_main_conf_t  *scf;

    scf = ngx_pcalloc(cf->pool,
                      sizeof(ngx_http_oauth_session_cache_main_conf_t));
    if (scf == NULL) {
        return NULL;
    }

    return scf;
}


static void *
ngx_http_oauth_session_cache_create_srv_conf(ngx_conf_t *cf)
{
    ngx_http_oauth_session_cache_srv_conf_t  *sscf;

    sscf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_oauth_session_cache_srv_conf_t));
    if (sscf == NULL) {
        return NULL;
    }

    sscf->enable = NGX_CONF_UNSET;
    sscf->size = NGX_CONF_UNSET_UINT;

    return sscf;
}


/* oauth_session_cache on [size=N] | off */

static char *
ngx_http_oauth_session_cache_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth_session_cache_srv_conf_t *sscf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (sscf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts > 2) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"off\" must be the only argument of "
                               "oauth_session_cache");
            return NGX_CONF_ERROR;
        }

        sscf->enable = 0;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[1].data, "on") != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in oauth_session_cache: "
                           "expected \"on [size=N]\" or \"off\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    sscf->enable = 1;

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "size=", 5) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in "
                               "oauth_session_cache: expected \"size=N\"",
                               &value[2]);
            return NGX_CONF_ERROR;
        }

        n = ngx_atoi(value[2].data + 5, value[2].len - 5);

        if (n == NGX_ERROR || n == 0
            || n > NGX_HTTP_OAUTH_SESSION_CACHE_MAX_SIZE)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"%V\" in oauth_session_cache: a "
                               "number from 1 to %d", &value[2],
                               NGX_HTTP_OAUTH_SESSION_CACHE_MAX_SIZE);
            return NGX_CONF_ERROR;
        }

        sscf->size = n;
    }

    return NGX_CONF_OK;
}


/*
 * The link speaks to the one server of `oauth_redis ADDRESS`, or to the
 * primary the sentinels name (it follows each switch: see _primary_changed).
 * On a Cluster invalidations come only from the master that owns the key, so
 * the link would have to be one per master and follow the slot map: not
 * built, and nginx -t refuses the combination rather than cache unsafely.
 */

static ngx_int_t
ngx_http_oauth_session_cache_supported(ngx_http_oauth_redis_conf_t *rcf)
{
    return rcf->cluster == NULL;
}


static char *
ngx_http_oauth_session_cache_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_oauth_session_cache_srv_conf_t *prev = parent;
    ngx_http_oauth_session_cache_srv_conf_t *conf = child;

    ngx_http_oauth_main_conf_t                *omcf;
    ngx_http_oauth_session_cache_main_conf_t  *scf;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_uint_value(conf->size, prev->size,
                              NGX_HTTP_OAUTH_SESSION_CACHE_SIZE);

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    omcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_oauth_module);

    if (omcf->redis == NULL || omcf->redis == NGX_CONF_UNSET_PTR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oauth_session_cache needs oauth_redis");
        return NGX_CONF_ERROR;
    }

    if (!ngx_http_oauth_session_cache_supported(omcf->redis)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oauth_session_cache works with one Redis server "
                           "or Sentinel, not yet with "
                           "\"oauth_redis cluster=\"");
        return NGX_CONF_ERROR;
    }

    scf = ngx_http_conf_get_module_main_conf(cf,
                                        ngx_http_oauth_session_cache_module);

    /* one map per worker, as big as the biggest size= asked */
    if (conf->size > scf->size) {
        scf->size = conf->size;
    }

    scf->redis = omcf->redis;

    return NGX_CONF_OK;
}


/*
 * The core's cache is made here, in the configuration's pool, and copied
 * into each worker by fork() (empty): every worker owns its own, as the
 * driver's connections.
 */

static ngx_int_t
ngx_http_oauth_session_cache_postconfiguration(ngx_conf_t *cf)
{
    oauth_str_t                                prefix, user, pass;
    ngx_pool_cleanup_t                        *cln;
    ngx_http_oauth_redis_conf_t               *rcf;
    ngx_http_oauth_session_cache_main_conf_t  *scf;

    scf = ngx_http_conf_get_module_main_conf(cf,
                                        ngx_http_oauth_session_cache_module);

    if (scf->size == 0) {
        return NGX_OK;
    }

    rcf = scf->redis;

    prefix.data = (const char *) rcf->prefix.data;
    prefix.len = rcf->prefix.len;
    user.data = (const char *) rcf->username.data;
    user.len = rcf->username.len;
    pass.data = (const char *) rcf->password.data;
    pass.len = rcf->password.len;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    scf->cache = oauth_session_cache_new(scf->size, prefix, user, pass);
    if (scf->cache == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_oauth_session_cache_cleanup;
    cln->data = scf;

    return NGX_OK;
}


static void
ngx_http_oauth_session_cache_cleanup(void *data)
{
    ngx_http_oauth_session_cache_main_conf_t *scf = data;

    /* the master's copy, or a worker's at its exit: no event runs after */
    oauth_session_cache_free(scf->cache);
    scf->cache = NULL;
}


/* ---- the request's side ---- */

oauth_session_cache_t *
ngx_http_oauth_session_cache_get(ngx_http_request_t *r)
{
    ngx_http_oauth_session_cache_srv_conf_t   *sscf;
    ngx_http_oauth_session_cache_main_conf_t  *scf;

    sscf = ngx_http_get_module_srv_conf(r, ngx_http_oauth_session_cache_module);

    if (sscf == NULL || !sscf->enable) {
        return NULL;
    }

    scf = ngx_http_get_module_main_conf(r,
                                        ngx_http_oauth_session_cache_module);

    if (!scf->started) {
        /* a process whose init_process did not run for this cycle (a
         * reload with master_process off) */
        ngx_http_oauth_session_cache_start(scf);
    }

    return scf->cache;
}


/* ---- the invalidation link ---- */

static ngx_int_t
ngx_http_oauth_session_cache_init_process(ngx_cycle_t *cycle)
{
    ngx_http_conf_ctx_t                       *ctx;
    ngx_http_oauth_session_cache_main_conf_t  *scf;

    ctx = (ngx_http_conf_ctx_t *) ngx_get_conf(cycle->conf_ctx,
                                               ngx_http_module);
    if (ctx == NULL) {
        return NGX_OK;
    }

    scf = ctx->main_conf[ngx_http_oauth_session_cache_module.ctx_index];

    if (scf != NULL && scf->cache != NULL) {
        ngx_http_oauth_session_cache_start(scf);
    }

    return NGX_OK;
}


static void
ngx_http_oauth_session_cache_start(
    ngx_http_oauth_session_cache_main_conf_t *scf)
{
    if (scf->cache == NULL || scf->started) {
        return;
    }

    scf->started = 1;

    scf->log = *ngx_cycle->log;
    scf->log.action = "keeping the oauth_session_cache invalidation link";

    scf->retry.handler = ngx_http_oauth_session_cache_retry_handler;
    scf->retry.data = scf;
    scf->retry.log = &scf->log;
    scf->retry.cancelable = 1;     /* never delays a graceful shutdown */

    scf->heartbeat.handler = ngx_http_oauth_session_cache_heartbeat_handler;
    scf->heartbeat.data = scf;
    scf->heartbeat.log = &scf->log;
    scf->heartbeat.cancelable = 1;

    scf->backoff = NGX_HTTP_OAUTH_SESSION_CACHE_RETRY_MIN;

    if (scf->redis->sentinel
        && ngx_http_oauth_redis_on_primary_changed(scf->redis,
               ngx_http_oauth_session_cache_primary_changed, scf)
           != NGX_OK)
    {
        /* without the switch it could track the old primary: no cache */
        ngx_log_error(NGX_LOG_ALERT, &scf->log, 0,
                      "oauth_session_cache: cannot follow the Sentinel "
                      "primary, the cache stays off in this worker");
        return;
    }

    ngx_http_oauth_session_cache_connect(scf);
}


/*
 * A Sentinel failover: what the link tracked was the old primary's data.
 * Empty the cache now and track the new primary (a new link at once).
 */
static void
ngx_http_oauth_session_cache_primary_changed(void *data)
{
    ngx_http_oauth_session_cache_main_conf_t  *scf = data;

    scf->backoff = NGX_HTTP_OAUTH_SESSION_CACHE_RETRY_MIN;
    ngx_http_oauth_session_cache_lost(scf, "the Sentinel primary changed",
                                      ngx_http_oauth_session_cache_no_note);
}


static void
ngx_http_oauth_session_cache_connect(
    ngx_http_oauth_session_cache_main_conf_t *scf)
{
    ngx_int_t                     rc;
    ngx_addr_t                   *addr;
    ngx_connection_t             *c;
    ngx_peer_connection_t        *pc;
    ngx_http_oauth_redis_conf_t  *rcf;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    rcf = scf->redis;

    if (rcf->sentinel) {
        addr = ngx_http_oauth_redis_sentinel_primary(rcf->sentinel);

        if (addr == NULL) {
            /* the sentinels have not named it yet: look again soon */
            if (!scf->retry.timer_set) {
                ngx_add_timer(&scf->retry,
                              NGX_HTTP_OAUTH_SESSION_CACHE_RETRY_MIN);
            }

            return;
        }

    } else {
        addr = &rcf->addrs[scf->next_addr % rcf->naddrs];
    }

    pc = &scf->peer;

    rc = ngx_http_oauth_redis_peer_connect(pc, addr, &scf->log, NGX_ERROR_ERR);

    if (rc == NGX_ERROR) {
        /* nginx logged why; the data path has its own outage */
        scf->next_addr++;
        ngx_http_oauth_session_cache_lost(scf, "cannot connect",
                                          ngx_http_oauth_session_cache_no_note);
        return;
    }

    c = pc->connection;
    c->data = scf;
    c->read->handler = ngx_http_oauth_session_cache_read_handler;
    c->write->handler = ngx_http_oauth_session_cache_write_handler;
    c->read->cancelable = 1;
    c->write->cancelable = 1;

    /*
     * closed by a graceful shutdown like a kept-alive connection, from the
     * connect on: a link still connecting when the worker starts exiting
     * would otherwise be an open socket left behind ("aborting")
     */
    c->idle = 1;

    scf->reader = redisReaderCreate();
    if (scf->reader == NULL) {
        ngx_http_oauth_session_cache_lost(scf, "out of memory",
                                          ngx_http_oauth_session_cache_no_note);
        return;
    }

    scf->connected = 0;
    scf->out_len = 0;
    scf->out_sent = 0;

    /* bounds the connect and the handshake, until tracking is confirmed */
    ngx_add_timer(c->read, rcf->timeout);

    if (rc == NGX_OK) {
        ngx_post_event(c->write, &ngx_posted_events);
    }
}


static void
ngx_http_oauth_session_cache_retry_handler(ngx_event_t *ev)
{
    ngx_http_oauth_session_cache_connect(ev->data);
}


static void
ngx_http_oauth_session_cache_heartbeat_handler(ngx_event_t *ev)
{
    ngx_http_oauth_session_cache_main_conf_t *scf = ev->data;

    oauth_str_t  ping;

    if (!scf->ready) {
        return;
    }

    if (scf->pinging && oauth_session_cache_link_ping_unanswered(scf->cache))
    {
        ngx_http_oauth_session_cache_lost(scf, "no answer to PING",
                                          ngx_http_oauth_session_cache_no_note);
        return;
    }

    ping = oauth_session_cache_link_ping(scf->cache);

    if (ngx_http_oauth_session_cache_queue(scf, ping) != NGX_OK
        || ngx_http_oauth_session_cache_send(scf) != NGX_OK)
    {
        ngx_http_oauth_session_cache_lost(scf, "send failed",
                                          ngx_http_oauth_session_cache_no_note);
        return;
    }

    /* the PONG is due within the timeout; the read handler moves the
     * next PING back to a heartbeat away */
    scf->pinging = 1;
    ngx_add_timer(ev, scf->redis->timeout);
}


static void
ngx_http_oauth_session_cache_write_handler(ngx_event_t *wev)
{
    ngx_connection_t                          *c;
    oauth_session_cache_step_t                 step;
    ngx_http_oauth_session_cache_main_conf_t  *scf;

    c = wev->data;
    scf = c->data;

    if (!scf->connected) {
        if (ngx_http_oauth_redis_test_connect(c) != NGX_OK) {
            scf->next_addr++;
            ngx_http_oauth_session_cache_lost(scf, "cannot connect",
                                              ngx_http_oauth_session_cache_no_note);
            return;
        }

        scf->connected = 1;

        oauth_session_cache_link_start(scf->cache, &step);

        if (ngx_http_oauth_session_cache_step(scf, &step) != NGX_OK) {
            return;
        }
    }

    if (ngx_http_oauth_session_cache_send(scf) != NGX_OK) {
        ngx_http_oauth_session_cache_lost(scf, "send failed",
                                          ngx_http_oauth_session_cache_no_note);
    }
}


static void
ngx_http_oauth_session_cache_read_handler(ngx_event_t *rev)
{
    ngx_int_t                                  rc;
    const char                                *error;
    ngx_connection_t                          *c;
    ngx_http_oauth_session_cache_main_conf_t  *scf;

    c = rev->data;
    scf = c->data;

    if (c->close) {
        /* a graceful shutdown */
        ngx_http_oauth_session_cache_close(scf);
        oauth_session_cache_link_lost(scf->cache);
        scf->ready = 0;
        return;
    }

    if (rev->timedout) {
        ngx_http_oauth_session_cache_lost(scf, scf->connected
                                          ? "tracking not confirmed in time"
                                          : "connect timed out",
                                          ngx_http_oauth_session_cache_no_note);
        return;
    }

    if (!scf->connected) {
        /* a refused connect shows as readable too */
        ngx_http_oauth_session_cache_write_handler(c->write);
        return;
    }

    rc = ngx_http_oauth_redis_read_replies(c, scf->reader,
                                           "connection closed by the server",
                                           ngx_http_oauth_session_cache_got,
                                           scf, &error);
    if (rc == NGX_ERROR) {
        ngx_http_oauth_session_cache_lost(scf, error,
                                          ngx_http_oauth_session_cache_no_note);
        return;
    }

    if (rc == NGX_DONE) {
        return;  /* the link was lost (closed) */
    }

    if (scf->ready && scf->pinging
        && !oauth_session_cache_link_ping_unanswered(scf->cache))
    {
        /* the PONG came: the next PING a heartbeat away */
        scf->pinging = 0;

        if (scf->heartbeat.timer_set) {
            ngx_del_timer(&scf->heartbeat);
        }

        ngx_add_timer(&scf->heartbeat, NGX_HTTP_OAUTH_SESSION_CACHE_HEARTBEAT);
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_oauth_session_cache_lost(scf, "event error",
                                          ngx_http_oauth_session_cache_no_note);
    }
}


/* A reply read on the link: NGX_OK while the link stays. */

static ngx_int_t
ngx_http_oauth_session_cache_got(void *data, void *reply)
{
    ngx_http_oauth_session_cache_main_conf_t *scf = data;

    oauth_session_cache_step_t  step;

    oauth_session_cache_link_reply(scf->cache, reply, &step);

    return ngx_http_oauth_session_cache_step(scf, &step);
}


/* What the core said to do.  NGX_OK, or the link was lost (closed). */

static ngx_int_t
ngx_http_oauth_session_cache_step(
    ngx_http_oauth_session_cache_main_conf_t *scf,
    oauth_session_cache_step_t *step)
{
    ngx_str_t          note;
    ngx_uint_t         level;
    ngx_connection_t  *c;

    c = scf->peer.connection;

    note.data = (u_char *) step->note.data;
    note.len = step->note.len;

    switch (step->action) {

    case OAUTH_SESSION_CACHE_SEND:
        if (note.len) {
            ngx_log_error(NGX_LOG_NOTICE, &scf->log, 0,
                          "oauth_session_cache: %V, the cache was emptied",
                          &note);
        }

        if (ngx_http_oauth_session_cache_queue(scf, step->commands) != NGX_OK
            || ngx_http_oauth_session_cache_send(scf) != NGX_OK)
        {
            ngx_http_oauth_session_cache_lost(scf, "send failed",
                                              ngx_http_oauth_session_cache_no_note);
            return NGX_ERROR;
        }

        return NGX_OK;

    case OAUTH_SESSION_CACHE_READY:
        if (c->read->timer_set) {
            ngx_del_timer(c->read);
        }

        scf->ready = 1;
        scf->pinging = 0;
        scf->backoff = NGX_HTTP_OAUTH_SESSION_CACHE_RETRY_MIN;

        level = scf->lost_logged ? NGX_LOG_NOTICE : NGX_LOG_INFO;

        ngx_log_error(level, &scf->log, 0,
                      "oauth_session_cache: tracking confirmed on %V, the "
                      "cache is in use", scf->peer.name);
        scf->lost_logged = 0;

        if (scf->heartbeat.timer_set) {
            ngx_del_timer(&scf->heartbeat);
        }

        ngx_add_timer(&scf->heartbeat, NGX_HTTP_OAUTH_SESSION_CACHE_HEARTBEAT);
        return NGX_OK;

    case OAUTH_SESSION_CACHE_FAIL:
        ngx_http_oauth_session_cache_lost(scf, NULL, step->note);
        return NGX_ERROR;

    default: /* WAIT */
        return NGX_OK;
    }
}


static ngx_int_t
ngx_http_oauth_session_cache_queue(
    ngx_http_oauth_session_cache_main_conf_t *scf, oauth_str_t bytes)
{
    u_char  *p;
    size_t   size;

    if (bytes.len == 0) {
        return NGX_OK;
    }

    if (scf->out_sent == scf->out_len) {
        scf->out_sent = 0;
        scf->out_len = 0;
    }

    if (scf->out_len + bytes.len > scf->out_size) {
        size = ngx_max(scf->out_size * 2, scf->out_len + bytes.len);
        size = ngx_max(size, 512);

        p = ngx_alloc(size, &scf->log);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (scf->out) {
            ngx_memcpy(p, scf->out, scf->out_len);
            ngx_explicit_memzero(scf->out, scf->out_size);
            ngx_free(scf->out);
        }

        scf->out = p;
        scf->out_size = size;
    }

    ngx_memcpy(scf->out + scf->out_len, bytes.data, bytes.len);
    scf->out_len += bytes.len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth_session_cache_send(
    ngx_http_oauth_session_cache_main_conf_t *scf)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = scf->peer.connection;

    while (c->write->ready && scf->out_sent < scf->out_len) {
        n = c->send(c, scf->out + scf->out_sent, scf->out_len - scf->out_sent);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (n == NGX_AGAIN) {
            break;
        }

        scf->out_sent += n;
    }

    if (scf->out_sent == scf->out_len && scf->out) {
        /* the AUTH it held is not kept in memory */
        ngx_explicit_memzero(scf->out, scf->out_len);
        scf->out_sent = 0;
        scf->out_len = 0;
    }

    if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The link is down: the cache is emptied and unused (the core), the
 * connection closed, a reconnect scheduled.  Logged at error once per
 * outage of the link, at info when it happens again meanwhile.
 */

static void
ngx_http_oauth_session_cache_lost(
    ngx_http_oauth_session_cache_main_conf_t *scf, const char *reason,
    oauth_str_t note)
{
    ngx_str_t   why;
    ngx_uint_t  level;

    oauth_session_cache_link_lost(scf->cache);

    if (reason) {
        why.data = (u_char *) reason;
        why.len = ngx_strlen(reason);

    } else {
        why.data = (u_char *) note.data;
        why.len = note.len;
    }

    level = scf->lost_logged ? NGX_LOG_INFO : NGX_LOG_ERR;

    ngx_log_error(level, &scf->log, 0,
                  "oauth_session_cache: invalidation link to %V lost (%V): "
                  "the cache is emptied, every request asks Redis until "
                  "tracking is back", &scf->redis->name, &why);

    scf->lost_logged = 1;
    scf->ready = 0;
    scf->pinging = 0;

    if (scf->heartbeat.timer_set) {
        ngx_del_timer(&scf->heartbeat);
    }

    if (scf->peer.connection) {
        ngx_http_oauth_session_cache_close(scf);
    }

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    if (!scf->retry.timer_set) {
        ngx_add_timer(&scf->retry, scf->backoff);
    }

    scf->backoff = ngx_min(scf->backoff * 2,
                           NGX_HTTP_OAUTH_SESSION_CACHE_RETRY_MAX);
}


static void
ngx_http_oauth_session_cache_close(
    ngx_http_oauth_session_cache_main_conf_t *scf)
{
    if (scf->peer.connection) {
        ngx_close_connection(scf->peer.connection);
        scf->peer.connection = NULL;
    }

    if (scf->reader) {
        redisReaderFree(scf->reader);
        scf->reader = NULL;
    }

    scf->connected = 0;
    scf->ready = 0;
    scf->out_len = 0;
    scf->out_sent = 0;
}
