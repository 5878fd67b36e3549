/*
 * ngx_http_oauth_module: the Redis driver.  Sockets are nginx peer
 * connections on the worker's event loop; hiredis only formats the AUTH and
 * SELECT of the handshake and parses replies (redisReader).  See the header
 * for the behaviour; this file is the how.
 *
 * All I/O happens in event handlers: ngx_http_oauth_redis_run() only queues
 * bytes and posts the write event, so a failure it causes is reported from
 * an event, never from inside the call that caused it.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>

#include "ngx_http_oauth_redis.h"
#include "ngx_http_oauth_redis_sentinel.h"
#include "ngx_http_oauth_redis_cluster.h"
#include "ngx_http_oauth_metrics.h"


#define NGX_HTTP_OAUTH_REDIS_PORT           6379
#define NGX_HTTP_OAUTH_REDIS_TIMEOUT        200
#define NGX_HTTP_OAUTH_REDIS_KEEPALIVE      4
#define NGX_HTTP_OAUTH_REDIS_MAX_KEEPALIVE  1024

#define NGX_HTTP_OAUTH_REDIS_QUEUE         1024
#define NGX_HTTP_OAUTH_REDIS_MAX_QUEUE      1048576

/*
 * While Redis is unreachable, a connect every PROBE ms: a failed connect
 * costs one socket, and Redis coming back is seen within that time.  A
 * handshake that Redis refuses (AUTH, SELECT) will fail again until someone
 * changes a configuration: those retries back off from REFUSED_MIN,
 * doubling, to REFUSED_MAX.
 */
#define NGX_HTTP_OAUTH_REDIS_PROBE          50
#define NGX_HTTP_OAUTH_REDIS_REFUSED_MIN    50
#define NGX_HTTP_OAUTH_REDIS_REFUSED_MAX    5000

/* an outage's count of failed operations, at most once per REPORT ms */
#define NGX_HTTP_OAUTH_REDIS_REPORT         1000

/* operations in flight on a connection before another one is opened */
#define NGX_HTTP_OAUTH_REDIS_PIPELINE       32

/* replies stored inside an operation; more are allocated apart */
#define NGX_HTTP_OAUTH_REDIS_NREPLIES       8
/* finished operations kept for reuse, per worker */
#define NGX_HTTP_OAUTH_REDIS_FREE_MAX       1024

#define NGX_HTTP_OAUTH_REDIS_BUF_SIZE       4096
#define NGX_HTTP_OAUTH_REDIS_BUF_KEEP       262144
#define NGX_HTTP_OAUTH_REDIS_READ_SIZE      16384


typedef enum {
    NGX_HTTP_OAUTH_REDIS_CLOSED = 0,
    NGX_HTTP_OAUTH_REDIS_CONNECTING,
    NGX_HTTP_OAUTH_REDIS_HANDSHAKE,      /* AUTH/SELECT sent, not answered */
    NGX_HTTP_OAUTH_REDIS_READY
} ngx_http_oauth_redis_status_e;


typedef struct {
    u_char                         *start;
    u_char                         *pos;
    u_char                         *last;
    u_char                         *end;
} ngx_http_oauth_redis_buf_t;


typedef struct {
    ngx_http_oauth_redis_worker_t  *worker;
    ngx_peer_connection_t           peer;
    ngx_log_t                       log;
    ngx_http_oauth_redis_status_e   status;

    ngx_queue_t                     ops;       /* FIFO awaiting replies */
    ngx_uint_t                      nops;      /* its length */

    redisReader                    *reader;
    ngx_str_t                      *hs;        /* handshake or probe */
    size_t                          hs_sent;   /* of *hs */
    ngx_http_oauth_redis_buf_t      out;       /* user commands to send */

    /*
     * The operations in the FIFO went onto a kept-alive idle connection and
     * nothing has been read since: if Redis turns out to have closed it
     * (its idle timeout, CLIENT KILL), they never reached it and go again on
     * a new connection.  Meanwhile out keeps every byte they were sent as.
     */
    unsigned                        reused:1;
} ngx_http_oauth_redis_conn_t;


struct ngx_http_oauth_redis_worker_s {
    ngx_http_oauth_redis_conf_t    *conf;
    ngx_http_oauth_redis_conn_t    *conns;     /* conf->keepalive slots */

    ngx_str_t                       handshake; /* AUTH and SELECT, or empty */
    ngx_uint_t                      handshake_n;
    ngx_str_t                       probe;     /* the handshake and a PING */
    ngx_uint_t                      probe_n;

    ngx_queue_t                     free_ops;
    ngx_uint_t                      nfree;

    ngx_uint_t                      nops;      /* in flight, all connections */
    ngx_uint_t                      next_addr;

    ngx_log_t                       log;       /* names the Redis */

    /* an outage: from a failure until Redis answers again */
    unsigned                        down:1;
    ngx_msec_t                      down_since;
    ngx_uint_t                      down_failed;   /* operations, in all */
    ngx_uint_t                      unreported;    /* ... since reported_at */
    ngx_msec_t                      reported_at;
    ngx_uint_t                      refused;       /* handshakes in a row */
    ngx_event_t                     probe_ev;

    /* operations refused because queue= were in flight */
    ngx_uint_t                      full;
    ngx_msec_t                      full_at;

    /* told when the discovery layer names another primary */
    ngx_http_oauth_redis_primary_pt primary_handlers[
                                        NGX_HTTP_OAUTH_REDIS_PRIMARY_HANDLERS];
    void                           *primary_data[
                                        NGX_HTTP_OAUTH_REDIS_PRIMARY_HANDLERS];
    ngx_uint_t                      nprimary_handlers;
    unsigned                        role_logged:1; /* once per primary */
};


struct ngx_http_oauth_redis_op_s {
    /* 0; a Cluster operation's first member is 1 (redis_cluster.c) */
    ngx_uint_t                      cluster;
    ngx_queue_t                     queue;     /* FIFO or free list */
    ngx_http_oauth_redis_done_pt    done;      /* NULL: cancelled */
    void                           *data;
    ngx_uint_t                      n;
    ngx_uint_t                      nreplies;
    void                          **replies;
    ngx_msec_t                      deadline;  /* submitted + timeout */
    uint64_t                        started;   /* oauth_metrics' clock */
    unsigned                        handshake:1;
    unsigned                        pooled:1;  /* may go to the free list */
    void                           *inline_replies[
                                        NGX_HTTP_OAUTH_REDIS_NREPLIES];
};


static ngx_int_t ngx_http_oauth_redis_option(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf, ngx_str_t *value);
static ngx_http_oauth_redis_worker_t *ngx_http_oauth_redis_worker_new(
    ngx_pool_t *pool, ngx_http_oauth_redis_conf_t *rcf);
static ngx_int_t ngx_http_oauth_redis_handshake(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf, ngx_http_oauth_redis_worker_t *w);
static ngx_http_oauth_redis_conn_t *ngx_http_oauth_redis_pick(
    ngx_http_oauth_redis_worker_t *w);
static ngx_int_t ngx_http_oauth_redis_connect(
    ngx_http_oauth_redis_conn_t *conn, ngx_uint_t probe, ngx_uint_t waiting);
static void ngx_http_oauth_redis_arm(ngx_http_oauth_redis_conn_t *conn);
#if (NGX_HAVE_UNIX_DOMAIN)
static ngx_int_t ngx_http_oauth_redis_unix_missing(ngx_addr_t *addr);
#endif
static void ngx_http_oauth_redis_write_handler(ngx_event_t *wev);
static void ngx_http_oauth_redis_read_handler(ngx_event_t *rev);
static ngx_int_t ngx_http_oauth_redis_send(ngx_http_oauth_redis_conn_t *conn);
static ngx_int_t ngx_http_oauth_redis_replies(
    ngx_http_oauth_redis_conn_t *conn);
static ngx_int_t ngx_http_oauth_redis_check_handshake(
    ngx_http_oauth_redis_conn_t *conn, ngx_http_oauth_redis_op_t *op);
static ngx_uint_t ngx_http_oauth_redis_readonly(void **replies, ngx_uint_t n);
static void ngx_http_oauth_redis_lost(ngx_http_oauth_redis_conn_t *conn,
    const char *reason);
static ngx_int_t ngx_http_oauth_redis_retry(ngx_http_oauth_redis_conn_t *conn,
    const char *reason);
static void ngx_http_oauth_redis_fail(ngx_http_oauth_redis_conn_t *conn,
    const char *reason);
static void ngx_http_oauth_redis_close(ngx_http_oauth_redis_conn_t *conn);
static void ngx_http_oauth_redis_outage(ngx_http_oauth_redis_worker_t *w,
    ngx_log_t *log, const char *reason, ngx_uint_t failed, ngx_uint_t refused);
static void ngx_http_oauth_redis_report(ngx_http_oauth_redis_worker_t *w);
static void ngx_http_oauth_redis_up(ngx_http_oauth_redis_worker_t *w);
static void ngx_http_oauth_redis_probe(ngx_event_t *ev);
static ngx_log_t *ngx_http_oauth_redis_worker_log(
    ngx_http_oauth_redis_worker_t *w);
static u_char *ngx_http_oauth_redis_log_error(ngx_log_t *log, u_char *buf,
    size_t len);
static ngx_http_oauth_redis_op_t *ngx_http_oauth_redis_op_alloc(
    ngx_http_oauth_redis_worker_t *w, ngx_uint_t n, ngx_log_t *log);
static void ngx_http_oauth_redis_op_free(ngx_http_oauth_redis_worker_t *w,
    ngx_http_oauth_redis_op_t *op);
static ngx_int_t ngx_http_oauth_redis_buf_append(
    ngx_http_oauth_redis_buf_t *b, u_char *data, size_t len, ngx_uint_t keep,
    ngx_log_t *log);


/* ---- configuration ---- */

char *
ngx_http_oauth_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_int_t                        rc;
    ngx_str_t                       *value;
    ngx_url_t                        u;
    ngx_uint_t                       i, first;
    ngx_http_oauth_redis_conf_t     *rcf, **field;
    ngx_http_oauth_redis_worker_t   *w;

    field = (ngx_http_oauth_redis_conf_t **) (p + cmd->offset);

    if (*field != NULL && *field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    rcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth_redis_conf_t));
    if (rcf == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));

    /* sentinel=... master=...: no address, every argument is an option */

    first = 2;

    rc = ngx_http_oauth_redis_sentinel_form(cf, rcf);
    if (rc == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    if (rc == NGX_OK) {
        first = 1;
        goto options;
    }

    u.url = value[1];
    u.default_port = NGX_HTTP_OAUTH_REDIS_PORT;

    if (ngx_strncmp(value[1].data, "cluster=", 8) == 0) {
        /* the seeds; fills u as the first seed's */
        if (ngx_http_oauth_redis_cluster_seeds(cf, rcf, &value[1], &u)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

    } else if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid oauth_redis address \"%V\"%s%s",
                           &u.url, u.err ? ": " : "", u.err ? u.err : "");
        return NGX_CONF_ERROR;
    }

    if (u.uri.len || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid oauth_redis address \"%V\"", &u.url);
        return NGX_CONF_ERROR;
    }

    rcf->addrs = u.addrs;
    rcf->naddrs = u.naddrs;
    rcf->name = u.url;

options:

    rcf->timeout = NGX_HTTP_OAUTH_REDIS_TIMEOUT;
    rcf->keepalive = NGX_HTTP_OAUTH_REDIS_KEEPALIVE;
    rcf->queue = NGX_HTTP_OAUTH_REDIS_QUEUE;
    ngx_str_set(&rcf->prefix, "oauth:");

    for (i = first; i < cf->args->nelts; i++) {
        if (ngx_http_oauth_redis_option(cf, rcf, &value[i]) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_oauth_redis_sentinel_check(cf, rcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (rcf->username.len && rcf->password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid oauth_redis parameters: "
                           "\"username=\" needs \"password=\"");
        return NGX_CONF_ERROR;
    }

    w = ngx_http_oauth_redis_worker_new(cf->pool, rcf);
    if (w == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_oauth_redis_handshake(cf, rcf, w) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    rcf->worker = w;

    if (rcf->cluster
        && ngx_http_oauth_redis_cluster_init(cf, rcf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    *field = rcf;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_oauth_redis_option(ngx_conf_t *cf, ngx_http_oauth_redis_conf_t *rcf,
    ngx_str_t *value)
{
    ngx_int_t  n;
    ngx_str_t  s;

    n = ngx_http_oauth_redis_sentinel_option(cf, rcf, value);
    if (n != NGX_DECLINED) {
        return n;
    }

    if (ngx_strncmp(value->data, "db=", 3) == 0) {
        if (rcf->cluster) {
            /* a Cluster has database 0 only */
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid oauth_redis parameter \"%V\": "
                               "a cluster has no db=", value);
            return NGX_ERROR;
        }

        n = ngx_atoi(value->data + 3, value->len - 3);
        if (n == NGX_ERROR || n > 0x7fffffff) {
            goto invalid;
        }

        rcf->db = n;
        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "username=", 9) == 0) {
        rcf->username.data = value->data + 9;
        rcf->username.len = value->len - 9;

        if (rcf->username.len == 0) {
            goto invalid;
        }

        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "password=", 9) == 0) {
        rcf->password.data = value->data + 9;
        rcf->password.len = value->len - 9;

        if (rcf->password.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid oauth_redis parameter "
                               "\"password=\": empty");
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "timeout=", 8) == 0) {
        s.data = value->data + 8;
        s.len = value->len - 8;

        n = ngx_parse_time(&s, 0);
        if (n == NGX_ERROR || n == 0) {
            goto invalid;
        }

        rcf->timeout = (ngx_msec_t) n;
        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "keepalive=", 10) == 0) {
        n = ngx_atoi(value->data + 10, value->len - 10);
        if (n == NGX_ERROR || n == 0
            || n > NGX_HTTP_OAUTH_REDIS_MAX_KEEPALIVE)
        {
            goto invalid;
        }

        rcf->keepalive = n;
        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "queue=", 6) == 0) {
        n = ngx_atoi(value->data + 6, value->len - 6);
        if (n == NGX_ERROR || n == 0 || n > NGX_HTTP_OAUTH_REDIS_MAX_QUEUE) {
            goto invalid;
        }

        rcf->queue = n;
        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "prefix=", 7) == 0) {
        rcf->prefix.data = value->data + 7;
        rcf->prefix.len = value->len - 7;
        return NGX_OK;
    }

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid oauth_redis parameter \"%V\"", value);
    return NGX_ERROR;
}


/*
 * AUTH and SELECT, formatted once; they open every connection.  A probe
 * (a connection opened during an outage to see whether Redis is back) sends
 * them and a PING: a Redis without password or db must answer something.
 */

#define NGX_HTTP_OAUTH_REDIS_PING  "*1\r\n$4\r\nPING\r\n"


/*
 * The worker state of one Redis server (the oauth_redis server, or a
 * Cluster node): its keepalive connections, allocated at configuration time
 * and copied into each worker by fork(), so that every worker owns its
 * connections without any init hook.
 */

static ngx_http_oauth_redis_worker_t *
ngx_http_oauth_redis_worker_new(ngx_pool_t *pool,
    ngx_http_oauth_redis_conf_t *rcf)
{
    ngx_uint_t                      i;
    ngx_http_oauth_redis_worker_t  *w;

    w = ngx_pcalloc(pool, sizeof(ngx_http_oauth_redis_worker_t));
    if (w == NULL) {
        return NULL;
    }

    w->conns = ngx_pcalloc(pool,
                           rcf->keepalive * sizeof(ngx_http_oauth_redis_conn_t));
    if (w->conns == NULL) {
        return NULL;
    }

    for (i = 0; i < rcf->keepalive; i++) {
        w->conns[i].worker = w;
        ngx_queue_init(&w->conns[i].ops);
    }

    w->conf = rcf;
    ngx_queue_init(&w->free_ops);

    return w;
}


static ngx_int_t
ngx_http_oauth_redis_handshake(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf, ngx_http_oauth_redis_worker_t *w)
{
    int      len[3];
    char    *cmd[3];
    u_char  *p, db[NGX_INT_T_LEN];
    size_t   dblen;

    ngx_uint_t  i, k;

    k = 0;

    if (rcf->password.len) {
        if (rcf->username.len) {
            len[k] = redisFormatCommand(&cmd[k], "AUTH %b %b",
                                        rcf->username.data,
                                        rcf->username.len,
                                        rcf->password.data,
                                        rcf->password.len);
        } else {
            len[k] = redisFormatCommand(&cmd[k], "AUTH %b",
                                        rcf->password.data,
                                        rcf->password.len);
        }

        if (len[k] < 0) {
            return NGX_ERROR;
        }

        k++;
    }

    if (rcf->db) {
        dblen = ngx_sprintf(db, "%ui", rcf->db) - db;

        len[k] = redisFormatCommand(&cmd[k], "SELECT %b", db, dblen);
        if (len[k] < 0) {
            for (i = 0; i < k; i++) {
                redisFreeCommand(cmd[i]);
            }

            return NGX_ERROR;
        }

        k++;
    }

    if (rcf->sentinel) {
        /* the primary the sentinels named must still be one (SPEC 7) */
        len[k] = redisFormatCommand(&cmd[k], "ROLE");
        if (len[k] < 0) {
            for (i = 0; i < k; i++) {
                ngx_explicit_memzero(cmd[i], len[i]);
                redisFreeCommand(cmd[i]);
            }

            return NGX_ERROR;
        }

        k++;
    }

    w->handshake_n = k;
    w->handshake.len = 0;

    for (i = 0; i < k; i++) {
        w->handshake.len += len[i];
    }

    /* the probe is the handshake followed by a PING, in one buffer */

    w->probe_n = k + 1;
    w->probe.len = w->handshake.len + sizeof(NGX_HTTP_OAUTH_REDIS_PING) - 1;

    w->probe.data = ngx_pnalloc(cf->pool, w->probe.len);
    w->handshake.data = w->probe.data;

    p = w->probe.data;

    for (i = 0; i < k; i++) {
        if (p) {
            p = ngx_cpymem(p, cmd[i], len[i]);
        }

        /* the formatted AUTH holds the password: wipe the heap copy */
        ngx_explicit_memzero(cmd[i], len[i]);
        redisFreeCommand(cmd[i]);
    }

    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, NGX_HTTP_OAUTH_REDIS_PING,
               sizeof(NGX_HTTP_OAUTH_REDIS_PING) - 1);

    return NGX_OK;
}


/* The header says what it is for. */

ngx_int_t
ngx_http_oauth_redis_peer_connect(ngx_peer_connection_t *pc, ngx_addr_t *addr,
    ngx_log_t *log, ngx_uint_t log_error)
{
    ngx_int_t  rc;

    ngx_memzero(pc, sizeof(ngx_peer_connection_t));

    pc->sockaddr = addr->sockaddr;
    pc->socklen = addr->socklen;
    pc->name = &addr->name;
    pc->get = ngx_event_get_peer;
    pc->log = log;
    pc->log_error = log_error;
    pc->tries = 1;

    rc = ngx_event_connect_peer(pc);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        pc->connection = NULL;
        return NGX_ERROR;
    }

    return rc;
}


/* The header says what it is for. */

ngx_int_t
ngx_http_oauth_redis_read_replies(ngx_connection_t *c, void *reader,
    const char *closed, ngx_http_oauth_redis_reply_pt handler, void *data,
    const char **error)
{
    u_char     buf[NGX_HTTP_OAUTH_REDIS_READ_SIZE];
    void      *reply;
    ssize_t    n;
    ngx_int_t  rc;

    while (c->read->ready) {
        n = c->recv(c, buf, sizeof(buf));

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == NGX_ERROR || n == 0) {
            *error = n ? "receive failed" : closed;
            return NGX_ERROR;
        }

        if (redisReaderFeed(reader, (char *) buf, n) != REDIS_OK) {
            *error = "protocol error";
            return NGX_ERROR;
        }

        for ( ;; ) {
            reply = NULL;

            if (redisReaderGetReply(reader, &reply) != REDIS_OK) {
                *error = "protocol error";
                return NGX_ERROR;
            }

            if (reply == NULL) {
                break;
            }

            rc = handler(data, reply);
            freeReplyObject(reply);

            if (rc != NGX_OK) {
                return NGX_DONE;
            }
        }
    }

    return NGX_OK;
}


/* A Cluster node's configuration (the header says why). */

ngx_http_oauth_redis_conf_t *
ngx_http_oauth_redis_node_conf(ngx_pool_t *pool,
    ngx_http_oauth_redis_conf_t *tmpl, struct sockaddr *sockaddr,
    socklen_t socklen, ngx_str_t *name)
{
    ngx_addr_t                     *addr;
    ngx_http_oauth_redis_conf_t    *rcf;
    ngx_http_oauth_redis_worker_t  *w;

    rcf = ngx_pcalloc(pool, sizeof(ngx_http_oauth_redis_conf_t));
    addr = ngx_pcalloc(pool, sizeof(ngx_addr_t));

    if (rcf == NULL || addr == NULL) {
        return NULL;
    }

    *rcf = *tmpl;
    rcf->cluster = NULL;

    addr->sockaddr = ngx_pcalloc(pool, socklen);
    if (addr->sockaddr == NULL) {
        return NULL;
    }

    ngx_memcpy(addr->sockaddr, sockaddr, socklen);
    addr->socklen = socklen;
    addr->name = *name;

    rcf->addrs = addr;
    rcf->naddrs = 1;
    rcf->name = *name;
    rcf->db = 0;

    w = ngx_http_oauth_redis_worker_new(pool, rcf);
    if (w == NULL) {
        return NULL;
    }

    /* the same AUTH (no SELECT: a cluster has db 0 only) */
    w->handshake = tmpl->worker->handshake;
    w->handshake_n = tmpl->worker->handshake_n;
    w->probe = tmpl->worker->probe;
    w->probe_n = tmpl->worker->probe_n;

    rcf->worker = w;

    return rcf;
}


/* ---- operations ---- */

ngx_http_oauth_redis_op_t *
ngx_http_oauth_redis_run(ngx_http_oauth_redis_conf_t *rcf, ngx_log_t *log,
    u_char *cmds, size_t len, ngx_uint_t n, ngx_http_oauth_redis_done_pt done,
    void *data)
{
    ngx_uint_t                      idle;
    ngx_connection_t               *c;
    ngx_http_oauth_redis_op_t      *op;
    ngx_http_oauth_redis_conn_t    *conn;
    ngx_http_oauth_redis_worker_t  *w;

    w = rcf->worker;

    if (n == 0 || len == 0) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "oauth_redis: operation without commands");
        return NULL;
    }

    if (rcf->cluster) {
        /* split by slot over the nodes' own pools, which come back here */
        return ngx_http_oauth_redis_cluster_run(rcf, log, cmds, len, n, done,
                                                data);
    }

    if (w->down) {
        /* fail fast: the probe, not the requests, finds Redis back */
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0,
                       "oauth redis: down, operation refused");
        w->down_failed++;
        w->unreported++;
        ngx_http_oauth_redis_report(w);
        ngx_http_oauth_metrics_redis_error(NGX_HTTP_OAUTH_REDIS_ERR_CONNECTION);
        return NULL;
    }

    if (w->nops >= rcf->queue) {

        /*
         * As many operations as queue= wait already: this one would wait
         * behind them all, likely past its deadline.  Refused at once; the
         * line is logged at the first refusal, then at most once a second.
         */

        w->full++;
        ngx_http_oauth_metrics_redis_error(NGX_HTTP_OAUTH_REDIS_ERR_QUEUE_FULL);

        if (w->full_at == 0
            || ngx_current_msec - w->full_at >= NGX_HTTP_OAUTH_REDIS_REPORT)
        {
            ngx_log_error(NGX_LOG_ERR, ngx_http_oauth_redis_worker_log(w), 0,
                          "oauth_redis: %ui operation(s) refused: %ui in "
                          "flight in this worker, the most queue=%ui allows",
                          w->full, w->nops, rcf->queue);
            w->full = 0;
            w->full_at = ngx_current_msec;
        }

        return NULL;
    }

    conn = ngx_http_oauth_redis_pick(w);
    if (conn == NULL) {
        ngx_http_oauth_metrics_redis_error(NGX_HTTP_OAUTH_REDIS_ERR_CONNECTION);
        return NULL;
    }

    op = ngx_http_oauth_redis_op_alloc(w, n, log);
    if (op == NULL) {
        return NULL;
    }

    /* counted here, uncounted by op_free(), whatever becomes of it */
    w->nops++;

    /*
     * Idle since an earlier pass (not a done handler queueing behind the
     * reply just read): Redis may have closed it meanwhile, unseen yet.
     */

    c = conn->peer.connection;
    idle = (conn->status == NGX_HTTP_OAUTH_REDIS_READY && conn->nops == 0
            && c->idle);

    if (idle) {
        conn->reused = 1;
    }

    if (ngx_http_oauth_redis_buf_append(&conn->out, cmds, len, conn->reused,
                                        log)
        != NGX_OK)
    {
        ngx_http_oauth_redis_op_free(w, op);

        if (idle) {
            conn->reused = 0;
        }

        return NULL;
    }

    op->done = done;
    op->data = data;

    /*
     * The deadline counts from this pass of the event loop (the cached
     * clock), and covers waiting behind other operations, connecting, the
     * handshake and the reply.
     */

    op->deadline = ngx_current_msec + rcf->timeout;
    op->started = ngx_http_oauth_metrics_clock();
    ngx_http_oauth_metrics_redis_sent(n);

    ngx_queue_insert_tail(&conn->ops, &op->queue);
    conn->nops++;

    if (conn->nops == 1) {
        /* the FIFO's head: its deadline is the connection's timer */
        ngx_http_oauth_redis_arm(conn);
    }

    c->idle = 0;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, log, 0,
                   "oauth redis: run %ui commands, %uz bytes on #%uA, "
                   "%ui pending", n, len, c->number, conn->nops);

    /*
     * Writing from the posted event batches every command queued during
     * this pass of the event loop into one send().  While connecting or in
     * the handshake, the connect handler and the handshake's replies send.
     */

    if (conn->status == NGX_HTTP_OAUTH_REDIS_READY) {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    return op;
}


void
ngx_http_oauth_redis_cancel(ngx_http_oauth_redis_op_t *op)
{
    if (op->cluster) {
        ngx_http_oauth_redis_cluster_cancel(op);
        return;
    }

    /* stays in its FIFO: its replies must still be read, in order */

    op->done = NULL;
    op->data = NULL;
}


/*
 * The first open connection with room in its pipeline, else a new one while
 * some slot is free, one connect at a time, else the least busy.  NULL only
 * when nothing is open and connecting failed (the failure began an outage).
 */

static ngx_http_oauth_redis_conn_t *
ngx_http_oauth_redis_pick(ngx_http_oauth_redis_worker_t *w)
{
    ngx_uint_t                    i, connecting;
    ngx_http_oauth_redis_conn_t  *conn, *best, *spare;

    best = NULL;
    spare = NULL;
    connecting = 0;

    for (i = 0; i < w->conf->keepalive; i++) {
        conn = &w->conns[i];

        if (conn->status == NGX_HTTP_OAUTH_REDIS_CLOSED) {
            if (spare == NULL) {
                spare = conn;
            }

            continue;
        }

        if (conn->status == NGX_HTTP_OAUTH_REDIS_CONNECTING) {
            connecting = 1;
        }

        /* fill the first open connection up to a pipeline's worth: one
         * send() and one recv() then serve a whole event-loop pass */
        if (conn->nops < NGX_HTTP_OAUTH_REDIS_PIPELINE) {
            return conn;
        }

        if (best == NULL || conn->nops < best->nops) {
            best = conn;
        }
    }

    if (spare && !connecting
        && ngx_http_oauth_redis_connect(spare, 0, best ? 0 : 1) == NGX_OK)
    {
        return spare;
    }

    return best;
}


/* ---- connections ---- */

/*
 * probe: opened by the outage's timer, it sends a PING after the handshake,
 * and its failures are not logged one by one (the outage is, once).
 * waiting: the operations that fail if this connect fails, for the count.
 */

static ngx_int_t
ngx_http_oauth_redis_connect(ngx_http_oauth_redis_conn_t *conn,
    ngx_uint_t probe, ngx_uint_t waiting)
{
    ngx_int_t                       rc;
    ngx_uint_t                      level;
    ngx_addr_t                     *addr;
    ngx_connection_t               *c;
    ngx_peer_connection_t          *pc;
    ngx_http_oauth_redis_op_t      *op;
    ngx_http_oauth_redis_conf_t    *rcf;
    ngx_http_oauth_redis_worker_t  *w;

    w = conn->worker;
    rcf = w->conf;

    /* one log per connection: ours carries the action, not the cycle's */

    conn->log = *ngx_cycle->log;
    conn->log.handler = ngx_http_oauth_redis_log_error;
    conn->log.data = w;
    conn->log.action = "connecting";

    if (rcf->sentinel
        && ngx_http_oauth_redis_sentinel_primary(rcf->sentinel) == NULL)
    {
        /* the sentinels have not named one yet (outage() asks them) */
        ngx_http_oauth_redis_outage(w, &conn->log, "no primary known yet",
                                    waiting, 0);
        return NGX_ERROR;
    }

    addr = &rcf->addrs[w->next_addr % rcf->naddrs];
    pc = &conn->peer;

    /*
     * A probe's failed connect is the outage going on, already logged and
     * counted: nginx's own "connect() failed" lines (error, or crit for a
     * unix socket not yet accessible) are not wanted 20 times a second.
     * Its log keeps only alert and worse until it is connected.
     */

    level = conn->log.log_level;

    if (probe && level >= NGX_LOG_CRIT) {
        conn->log.log_level = NGX_LOG_ALERT;
    }

#if (NGX_HAVE_UNIX_DOMAIN)

    /*
     * A stopped Redis removes its socket file, and connect() failing with
     * ENOENT is logged by nginx at crit: an outage is an error, say so here.
     */

    if (addr->sockaddr->sa_family == AF_UNIX
        && ngx_http_oauth_redis_unix_missing(addr))
    {
        conn->log.log_level = level;
        ngx_http_oauth_redis_outage(w, &conn->log, "cannot connect (no such "
                                    "socket)", waiting, 0);
        return NGX_ERROR;
    }

#endif

    rc = ngx_http_oauth_redis_peer_connect(pc, addr, &conn->log,
                                           NGX_ERROR_ERR);

    if (rc == NGX_ERROR) {
        conn->log.log_level = level;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &conn->log, 0,
                   "oauth redis: connect to %V: %i", pc->name, rc);

    if (rc == NGX_ERROR) {
        /* nginx closed the socket and logged why */

        /* another address, if the name has several, next time */
        w->next_addr++;

        ngx_http_oauth_redis_outage(w, &conn->log, "cannot connect",
                                    waiting, 0);
        return NGX_ERROR;
    }

    c = pc->connection;
    c->data = conn;
    c->read->handler = ngx_http_oauth_redis_read_handler;
    c->write->handler = ngx_http_oauth_redis_write_handler;

    conn->reader = redisReaderCreate();
    if (conn->reader == NULL) {
        ngx_http_oauth_redis_close(conn);
        return NGX_ERROR;
    }

    conn->status = NGX_HTTP_OAUTH_REDIS_CONNECTING;
    conn->reused = 0;
    conn->hs = probe ? &w->probe : &w->handshake;
    conn->hs_sent = 0;
    conn->out.pos = conn->out.start;
    conn->out.last = conn->out.start;

    if (conn->hs->len) {
        op = ngx_http_oauth_redis_op_alloc(w, probe ? w->probe_n
                                                    : w->handshake_n,
                                           &conn->log);
        if (op == NULL) {
            ngx_http_oauth_redis_close(conn);
            return NGX_ERROR;
        }

        op->handshake = 1;
        op->deadline = ngx_current_msec + rcf->timeout;
        ngx_queue_insert_tail(&conn->ops, &op->queue);
        conn->nops++;

        ngx_http_oauth_redis_arm(conn);
    }

    /* bounds a connect that no operation waits for (out of memory) */
    ngx_add_timer(c->write, rcf->timeout);

    if (rc == NGX_OK) {
        /* connected at once (a unix socket): finish from an event */
        ngx_post_event(c->write, &ngx_posted_events);
    }

    return NGX_OK;
}


/*
 * The connection's one timer (its read event's) is the earliest deadline
 * of its operations: the FIFO's head, or the one right behind a handshake
 * (whose own deadline may be later, for operations sent again).  Deleted
 * first: ngx_add_timer() ignores moves under NGX_TIMER_LAZY_DELAY, longer
 * than a typical timeout here.
 */

static void
ngx_http_oauth_redis_arm(ngx_http_oauth_redis_conn_t *conn)
{
    ngx_msec_t                  deadline;
    ngx_msec_int_t              left;
    ngx_queue_t                *q;
    ngx_event_t                *rev;
    ngx_http_oauth_redis_op_t  *op, *next;

    rev = conn->peer.connection->read;

    if (rev->timer_set) {
        ngx_del_timer(rev);
    }

    if (ngx_queue_empty(&conn->ops)) {
        return;
    }

    q = ngx_queue_head(&conn->ops);
    op = ngx_queue_data(q, ngx_http_oauth_redis_op_t, queue);
    deadline = op->deadline;

    if (op->handshake && ngx_queue_next(q) != ngx_queue_sentinel(&conn->ops)) {
        next = ngx_queue_data(ngx_queue_next(q), ngx_http_oauth_redis_op_t,
                              queue);

        if ((ngx_msec_int_t) (next->deadline - deadline) < 0) {
            deadline = next->deadline;
        }
    }

    left = (ngx_msec_int_t) (deadline - ngx_current_msec);

    ngx_add_timer(rev, left > 0 ? (ngx_msec_t) left : 1);
}


#if (NGX_HAVE_UNIX_DOMAIN)

static ngx_int_t
ngx_http_oauth_redis_unix_missing(ngx_addr_t *addr)
{
    ngx_file_info_t      fi;
    struct sockaddr_un  *saun;

    saun = (struct sockaddr_un *) addr->sockaddr;

    /* a local stat(), no I/O wait: nginx does as much per request */

    if (ngx_file_info(saun->sun_path, &fi) == NGX_FILE_ERROR
        && ngx_errno == NGX_ENOENT)
    {
        return 1;
    }

    return 0;
}

#endif


ngx_int_t
ngx_http_oauth_redis_test_connect(ngx_connection_t *c)
{
    int        err;
    socklen_t  len;

#if (NGX_HAVE_KQUEUE)

    if (ngx_event_flags & NGX_USE_KQUEUE_EVENT) {
        if (c->write->pending_eof || c->read->pending_eof) {
            err = c->write->pending_eof ? c->write->kq_errno
                                        : c->read->kq_errno;

            (void) ngx_connection_error(c, err, "connect() failed");
            return NGX_ERROR;
        }

        return NGX_OK;
    }

#endif

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = ngx_socket_errno;
    }

    if (err) {
        (void) ngx_connection_error(c, err, "connect() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_oauth_redis_write_handler(ngx_event_t *wev)
{
    ngx_connection_t             *c;
    ngx_http_oauth_redis_conn_t  *conn;

    c = wev->data;
    conn = c->data;

    if (conn->status == NGX_HTTP_OAUTH_REDIS_CONNECTING) {

        if (wev->timedout) {
            ngx_http_oauth_redis_fail(conn, "connect timed out");
            return;
        }

        if (ngx_http_oauth_redis_test_connect(c) != NGX_OK) {
            ngx_http_oauth_redis_fail(conn, "cannot connect");
            return;
        }

        if (wev->timer_set) {
            ngx_del_timer(wev);
        }

        /* a probe's quiet connect is over: errors are errors again */
        conn->log.log_level = ngx_cycle->log->log_level;

        conn->log.action = NULL;
        conn->status = conn->hs->len ? NGX_HTTP_OAUTH_REDIS_HANDSHAKE
                                     : NGX_HTTP_OAUTH_REDIS_READY;

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "oauth redis: connected #%uA", c->number);

        if (conn->nops == 0) {
            /* its operation could not be queued (out of memory) */

            if (ngx_exiting || ngx_terminate) {
                ngx_http_oauth_redis_fail(conn, NULL);
                return;
            }

            c->idle = 1;
        }
    }

    if (ngx_http_oauth_redis_send(conn) != NGX_OK) {
        ngx_http_oauth_redis_lost(conn, "send failed");
    }
}


/* Writes what the connection's state allows; waits on NGX_AGAIN. */

static ngx_int_t
ngx_http_oauth_redis_send(ngx_http_oauth_redis_conn_t *conn)
{
    u_char            *p;
    size_t             size;
    ssize_t            n;
    ngx_connection_t  *c;

    c = conn->peer.connection;

    while (c->write->ready) {

        if (conn->hs_sent < conn->hs->len) {
            p = conn->hs->data + conn->hs_sent;
            size = conn->hs->len - conn->hs_sent;

        } else if (conn->status == NGX_HTTP_OAUTH_REDIS_READY
                   && conn->out.pos < conn->out.last)
        {
            p = conn->out.pos;
            size = conn->out.last - conn->out.pos;

        } else {
            break;
        }

        n = c->send(c, p, size);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "oauth redis: send %uz: %z", size, n);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (n == NGX_AGAIN) {
            break;
        }

        if (conn->hs_sent < conn->hs->len) {
            conn->hs_sent += n;

        } else {
            conn->out.pos += n;
        }
    }

    /* what was sent on a reused connection is kept until a reply comes */

    if (conn->out.pos == conn->out.last && !conn->reused) {

        if (conn->out.end - conn->out.start > NGX_HTTP_OAUTH_REDIS_BUF_KEEP) {
            /* a rare huge command: do not keep its buffer */
            ngx_free(conn->out.start);
            conn->out.start = NULL;
            conn->out.end = NULL;
        }

        conn->out.pos = conn->out.start;
        conn->out.last = conn->out.start;
    }

    if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_oauth_redis_read_handler(ngx_event_t *rev)
{
    u_char                        buf[NGX_HTTP_OAUTH_REDIS_READ_SIZE];
    ssize_t                       n;
    ngx_connection_t             *c;
    ngx_http_oauth_redis_conn_t  *conn;

    c = rev->data;
    conn = c->data;

    if (c->close) {
        /* an idle connection of an exiting worker */
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "oauth redis: close idle #%uA", c->number);
        ngx_http_oauth_redis_fail(conn, NULL);
        return;
    }

    if (conn->status == NGX_HTTP_OAUTH_REDIS_CONNECTING) {

        if (rev->timedout) {
            /* the deadline of an operation waiting for this connect */
            ngx_http_oauth_redis_fail(conn, "connect timed out");
            return;
        }

        /* a refused connect shows as readable too: sort it out there */
        ngx_http_oauth_redis_write_handler(c->write);
        return;
    }

    if (rev->timedout) {
        ngx_http_oauth_redis_fail(conn, "timed out waiting for a reply");
        return;
    }

    while (rev->ready) {
        n = c->recv(c, buf, sizeof(buf));

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "oauth redis: recv: %z", n);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == NGX_ERROR) {
            ngx_http_oauth_redis_lost(conn, "receive failed");
            return;
        }

        if (n == 0) {
            if (conn->nops == 0) {
                /* e.g. Redis's own idle timeout: not a failure */
                ngx_log_error(NGX_LOG_INFO, c->log, 0,
                              "oauth_redis: idle connection closed "
                              "by the server");
                ngx_http_oauth_redis_fail(conn, NULL);
                return;
            }

            ngx_http_oauth_redis_lost(conn, "connection closed by the server");
            return;
        }

        /* Redis has answered something since: no longer safe to resend */
        conn->reused = 0;

        if (redisReaderFeed(conn->reader, (char *) buf, n) != REDIS_OK) {
            ngx_http_oauth_redis_fail(conn, "protocol error");
            return;
        }

        if (ngx_http_oauth_redis_replies(conn) != NGX_OK) {
            /* closed */
            return;
        }
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_oauth_redis_fail(conn, "event error");
    }
}


/*
 * Hands every complete reply to the head of the FIFO.  NGX_OK: the
 * connection is still open; otherwise it was closed (and its operations
 * failed) and must not be touched.
 */

static ngx_int_t
ngx_http_oauth_redis_replies(ngx_http_oauth_redis_conn_t *conn)
{
    void                           *reply;
    ngx_int_t                       rc;
    ngx_uint_t                      got, readonly;
    ngx_queue_t                    *q;
    ngx_connection_t               *c;
    ngx_http_oauth_redis_op_t      *op;
    ngx_http_oauth_redis_worker_t  *w;

    c = conn->peer.connection;
    w = conn->worker;
    got = 0;

    for ( ;; ) {
        reply = NULL;

        if (redisReaderGetReply(conn->reader, &reply) != REDIS_OK) {
            ngx_http_oauth_redis_fail(conn, "protocol error");
            return NGX_ERROR;
        }

        if (reply == NULL) {
            break;
        }

        if (ngx_queue_empty(&conn->ops)) {
            freeReplyObject(reply);
            ngx_http_oauth_redis_fail(conn, "unexpected reply");
            return NGX_ERROR;
        }

        got++;

        q = ngx_queue_head(&conn->ops);
        op = ngx_queue_data(q, ngx_http_oauth_redis_op_t, queue);

        op->replies[op->nreplies++] = reply;

        if (op->nreplies < op->n) {
            continue;
        }

        ngx_queue_remove(q);
        conn->nops--;

        if (op->handshake) {
            rc = ngx_http_oauth_redis_check_handshake(conn, op);
            ngx_http_oauth_redis_op_free(w, op);

            if (rc != NGX_OK) {
                /* NGX_ERROR: refused (logged), back off; NGX_DECLINED: a
                 * Redis still loading its data, probe again soon */
                ngx_http_oauth_redis_outage(w, &conn->log, NULL, conn->nops,
                                            rc == NGX_ERROR);
                ngx_http_oauth_redis_fail(conn, NULL);
                return NGX_ERROR;
            }

            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                           "oauth redis: #%uA ready", c->number);

            conn->status = NGX_HTTP_OAUTH_REDIS_READY;
            w->refused = 0;
            ngx_http_oauth_redis_up(w);

            if (conn->out.pos < conn->out.last) {
                ngx_post_event(c->write, &ngx_posted_events);
            }

            continue;
        }

        /* Redis answers: an outage is over */
        ngx_http_oauth_redis_up(w);
        ngx_http_oauth_metrics_redis_reply(op->started, op->replies, op->n);

        readonly = w->conf->sentinel
                   && ngx_http_oauth_redis_readonly(op->replies, op->n);

        if (op->done) {
            /* may queue more operations here or elsewhere, never close */
            op->done(op->data, NGX_OK, op->replies, op->n);
        }

        ngx_http_oauth_redis_op_free(w, op);

        if (readonly) {
            /* demoted by a failover: the sentinels know the primary */
            ngx_http_oauth_redis_fail(conn, "READONLY reply, the server is "
                                      "a replica now");
            return NGX_ERROR;
        }
    }

    if (got == 0) {
        return NGX_OK;
    }

    /* the next operation's deadline, or none */
    ngx_http_oauth_redis_arm(conn);

    if (!ngx_queue_empty(&conn->ops)) {
        return NGX_OK;
    }

    if (ngx_exiting || ngx_terminate) {
        ngx_http_oauth_redis_fail(conn, NULL);
        return NGX_DONE;
    }

    /* an idle keepalive connection: closed by a graceful shutdown */
    c->idle = 1;

    return NGX_OK;
}


/*
 * NGX_OK; NGX_ERROR: refused (AUTH, SELECT, or a probe's PING), logged;
 * NGX_DECLINED: a probe's PING answered LOADING or BUSY: Redis is up but
 * not ready yet.
 */

static ngx_int_t
ngx_http_oauth_redis_check_handshake(ngx_http_oauth_redis_conn_t *conn,
    ngx_http_oauth_redis_op_t *op)
{
    char                           *what;
    ngx_str_t                       role;
    ngx_uint_t                      i;
    redisReply                     *reply;
    ngx_http_oauth_redis_worker_t  *w;

    w = conn->worker;

    for (i = 0; i < op->n; i++) {
        reply = op->replies[i];

        if (w->conf->sentinel && i == w->handshake_n - 1) {
            /* ROLE: anything but a master sends the pool to the sentinels
             * (by the outage), logged once, not at every probe */

            if (ngx_http_oauth_redis_sentinel_role(reply, &role) == NGX_OK) {
                continue;
            }

            if (!w->role_logged) {
                ngx_log_error(NGX_LOG_ERR, &conn->log, 0,
                              "oauth_redis: ROLE answered \"%V\", "
                              "not master", &role);
                w->role_logged = 1;
            }

            return NGX_DECLINED;
        }

        if (i == w->handshake_n) {
            /* the probe's PING: any answer but an error */

            if (reply->type != REDIS_REPLY_ERROR) {
                continue;
            }

            if ((reply->len >= 7 && ngx_strncmp(reply->str, "LOADING", 7) == 0)
                || (reply->len >= 4 && ngx_strncmp(reply->str, "BUSY", 4) == 0))
            {
                ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &conn->log, 0,
                               "oauth redis: probe: %*s",
                               ngx_min(reply->len, 256), reply->str);
                return NGX_DECLINED;
            }

            what = "PING";

        } else if (reply->type == REDIS_REPLY_STATUS) {
            continue;

        } else {
            what = (i == 0 && w->conf->password.len) ? "AUTH" : "SELECT";
        }

        /*
         * Redis's error text names the failure (WRONGPASS, NOAUTH, "DB
         * index is out of range"), never the password sent.
         */

        ngx_log_error(NGX_LOG_ERR, &conn->log, 0,
                      "oauth_redis: %s refused: %*s", what,
                      (reply->type == REDIS_REPLY_ERROR)
                      ? ngx_min(reply->len, 256) : 0,
                      reply->str);

        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The connection broke (EOF, reset, a failed send): when it had been idle
 * and nothing came since the operations were written, Redis dropped it
 * before reading them, so they go again, once, on a new connection.
 */

static void
ngx_http_oauth_redis_lost(ngx_http_oauth_redis_conn_t *conn,
    const char *reason)
{
    if (conn->reused && ngx_http_oauth_redis_retry(conn, reason) == NGX_OK) {
        return;
    }

    ngx_http_oauth_redis_fail(conn, reason);
}


/*
 * Moves the operations and their bytes to a new connection in the same
 * slot.  Their deadlines stay: the retry is within the timeout.  A second
 * failure is not retried: the new connection is not a reused one.  NGX_OK
 * when this took care of everything, even a connect that failed (its ops
 * are failed and counted then).
 */

static ngx_int_t
ngx_http_oauth_redis_retry(ngx_http_oauth_redis_conn_t *conn,
    const char *reason)
{
    ngx_int_t                    rc;
    ngx_uint_t                   nops;
    ngx_queue_t                  ops;
    ngx_http_oauth_redis_buf_t   out;

    nops = conn->nops;

    ngx_log_error(NGX_LOG_INFO, &conn->log, 0,
                  "oauth_redis: %s on a kept-alive connection before any "
                  "reply, sending %ui operation(s) again on a new one",
                  reason, nops);

    ngx_queue_init(&ops);

    if (!ngx_queue_empty(&conn->ops)) {
        ngx_queue_add(&ops, &conn->ops);
        ngx_queue_init(&conn->ops);
    }

    conn->nops = 0;

    out = conn->out;
    ngx_memzero(&conn->out, sizeof(ngx_http_oauth_redis_buf_t));

    ngx_http_oauth_redis_close(conn);

    rc = ngx_http_oauth_redis_connect(conn, 0, nops);

    /* the same bytes, from their start; behind the handshake, if any */

    conn->out = out;
    conn->out.pos = out.start;

    if (!ngx_queue_empty(&ops)) {
        ngx_queue_add(&conn->ops, &ops);
    }

    conn->nops += nops;

    if (rc != NGX_OK) {
        /* connect() began the outage and counted them: fail them quietly */
        ngx_http_oauth_redis_fail(conn, NULL);
        return NGX_OK;
    }

    ngx_http_oauth_redis_arm(conn);

    return NGX_OK;
}


/*
 * Closes the connection and fails everything it carried.  reason NULL: a
 * quiet close (shutdown, idle EOF, a failure already accounted for);
 * otherwise a failure of Redis, for the outage.
 */

/* for oauth_metrics: the reasons that are a deadline passing */

static ngx_http_oauth_redis_error_e
ngx_http_oauth_redis_error_kind(const char *reason)
{
    if (reason != NULL && ngx_strstr(reason, "timed out") != NULL) {
        return NGX_HTTP_OAUTH_REDIS_ERR_TIMEOUT;
    }

    return NGX_HTTP_OAUTH_REDIS_ERR_CONNECTION;
}


static void
ngx_http_oauth_redis_fail(ngx_http_oauth_redis_conn_t *conn,
    const char *reason)
{
    ngx_uint_t                      nops;
    ngx_queue_t                     ops, *q;
    ngx_http_oauth_redis_op_t      *op;
    ngx_http_oauth_redis_worker_t  *w;

    w = conn->worker;
    nops = 0;

    ngx_queue_init(&ops);

    while (!ngx_queue_empty(&conn->ops)) {
        q = ngx_queue_head(&conn->ops);
        ngx_queue_remove(q);
        ngx_queue_insert_tail(&ops, q);

        op = ngx_queue_data(q, ngx_http_oauth_redis_op_t, queue);
        if (!op->handshake) {
            nops++;
        }
    }

    if (reason) {
        ngx_http_oauth_redis_outage(w, &conn->log, reason, nops, 0);
    }

    /* closed first: a done handler that runs again sees the outage */

    ngx_http_oauth_redis_close(conn);

    while (!ngx_queue_empty(&ops)) {
        q = ngx_queue_head(&ops);
        ngx_queue_remove(q);

        op = ngx_queue_data(q, ngx_http_oauth_redis_op_t, queue);

        if (!op->handshake) {
            ngx_http_oauth_metrics_redis_error(
                ngx_http_oauth_redis_error_kind(reason));
        }

        if (op->done && !op->handshake) {
            op->done(op->data, NGX_ERROR, NULL, 0);
        }

        ngx_http_oauth_redis_op_free(w, op);
    }
}


static void
ngx_http_oauth_redis_close(ngx_http_oauth_redis_conn_t *conn)
{
    ngx_http_oauth_redis_op_t  *op;
    ngx_queue_t                *q;

    while (!ngx_queue_empty(&conn->ops)) {
        q = ngx_queue_head(&conn->ops);
        ngx_queue_remove(q);

        op = ngx_queue_data(q, ngx_http_oauth_redis_op_t, queue);
        ngx_http_oauth_redis_op_free(conn->worker, op);
    }

    conn->nops = 0;

    if (conn->peer.connection) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &conn->log, 0,
                       "oauth redis: close #%uA",
                       conn->peer.connection->number);

        ngx_close_connection(conn->peer.connection);
        conn->peer.connection = NULL;
    }

    if (conn->reader) {
        redisReaderFree(conn->reader);
        conn->reader = NULL;
    }

    conn->status = NGX_HTTP_OAUTH_REDIS_CLOSED;
    conn->reused = 0;
    conn->hs_sent = 0;
    conn->out.pos = conn->out.start;
    conn->out.last = conn->out.start;
}


/* ---- outages ---- */

/*
 * A failure of Redis: a connect refused or timed out, a reply past its
 * deadline, a broken connection or protocol, a refused handshake.  The
 * first begins an outage, logged once; during it every operation fails at
 * once (the callers answer 503), failures are counted, and the count is
 * logged at most once a second; a probe timer reconnects in the background
 * and the first answer of Redis ends the outage, logged once.
 *
 * The two retry policies hold together because they apply to different
 * failures.  A Redis that is down or restarting costs a probe one connect
 * every 50 ms, and must be used again as soon as it answers: fixed and
 * short.  A Redis that answers but refuses our AUTH or SELECT will refuse
 * the next attempt too, until someone fixes a configuration, and each
 * attempt is a log line and an authentication failure on its side: 50 ms
 * doubling to 5 s, reset by a handshake that succeeds.
 */

static void
ngx_http_oauth_redis_outage(ngx_http_oauth_redis_worker_t *w, ngx_log_t *log,
    const char *reason, ngx_uint_t failed, ngx_uint_t refused)
{
    ngx_msec_t    delay;
    ngx_event_t  *ev;

    ngx_http_oauth_metrics_redis_up(0);

    if (w->conf->sentinel) {
        /* perhaps a failover: the sentinels may name another primary */
        ngx_http_oauth_redis_sentinel_lost(w->conf->sentinel);
    }

    if (!w->down) {
        /* reason NULL: the cause was logged already (a refused AUTH) */

        if (reason) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "oauth_redis: %s, %ui operation(s) failed",
                          reason, failed);
        }

        w->down = 1;
        w->down_since = ngx_current_msec;
        w->down_failed = failed;
        w->unreported = 0;
        w->reported_at = ngx_current_msec;

    } else {
        if (reason) {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                           "oauth redis: %s during the outage, "
                           "%ui operation(s) failed", reason, failed);
        }

        w->down_failed += failed;
        w->unreported += failed;
        ngx_http_oauth_redis_report(w);
    }

    ev = &w->probe_ev;

    if (ev->handler == NULL) {
        ev->handler = ngx_http_oauth_redis_probe;
        ev->data = w;
        ev->cancelable = 1;   /* never delays a graceful shutdown */
    }

    ev->log = ngx_http_oauth_redis_worker_log(w);

    if (refused) {
        delay = NGX_HTTP_OAUTH_REDIS_REFUSED_MIN << ngx_min(w->refused, 16);
        delay = ngx_min(delay, NGX_HTTP_OAUTH_REDIS_REFUSED_MAX);
        w->refused++;

        if (ev->timer_set) {
            ngx_del_timer(ev);
        }

        ngx_add_timer(ev, delay);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                       "oauth redis: refused, next attempt in %M ms", delay);

    } else if (!ev->timer_set) {
        ngx_add_timer(ev, NGX_HTTP_OAUTH_REDIS_PROBE);
    }
}


/* The outage's count since the last line, at most once a second. */

static void
ngx_http_oauth_redis_report(ngx_http_oauth_redis_worker_t *w)
{
    if (w->unreported == 0
        || ngx_current_msec - w->reported_at < NGX_HTTP_OAUTH_REDIS_REPORT)
    {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, ngx_http_oauth_redis_worker_log(w), 0,
                  "oauth_redis: unavailable for %M ms, %ui operation(s) "
                  "failed in the last %M ms",
                  (ngx_msec_t) (ngx_current_msec - w->down_since),
                  w->unreported,
                  (ngx_msec_t) (ngx_current_msec - w->reported_at));

    w->unreported = 0;
    w->reported_at = ngx_current_msec;
}


/*
 * Redis answered.  The end of an outage is logged at the level of its
 * start, so that an error_log at its default level shows both.
 */

static void
ngx_http_oauth_redis_up(ngx_http_oauth_redis_worker_t *w)
{
    ngx_http_oauth_metrics_redis_up(1);

    if (!w->down) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, ngx_http_oauth_redis_worker_log(w), 0,
                  "oauth_redis: available again after %M ms, "
                  "%ui operation(s) failed meanwhile",
                  (ngx_msec_t) (ngx_current_msec - w->down_since),
                  w->down_failed);

    w->down = 0;
    w->down_failed = 0;
    w->unreported = 0;

    if (w->probe_ev.timer_set) {
        ngx_del_timer(&w->probe_ev);
    }
}


/*
 * The outage's timer: a connection that sends the handshake and a PING.
 * Its answer ends the outage; its failure (outage()) arms the timer again.
 */

static void
ngx_http_oauth_redis_probe(ngx_event_t *ev)
{
    ngx_uint_t                      i;
    ngx_http_oauth_redis_conn_t    *conn, *spare;
    ngx_http_oauth_redis_worker_t  *w;

    w = ev->data;

    if (!w->down || ngx_exiting || ngx_terminate) {
        return;
    }

    ngx_http_oauth_redis_report(w);

    spare = NULL;

    for (i = 0; i < w->conf->keepalive; i++) {
        conn = &w->conns[i];

        if (conn->status == NGX_HTTP_OAUTH_REDIS_CONNECTING
            || conn->status == NGX_HTTP_OAUTH_REDIS_HANDSHAKE)
        {
            /* one attempt at a time: look again after this one */
            spare = NULL;
            break;
        }

        if (conn->status == NGX_HTTP_OAUTH_REDIS_CLOSED && spare == NULL) {
            spare = conn;
        }
    }

    if (spare == NULL) {
        ngx_add_timer(ev, NGX_HTTP_OAUTH_REDIS_PROBE);
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ev->log, 0, "oauth redis: probe");

    /* a failure calls outage(), which arms this timer again */
    (void) ngx_http_oauth_redis_connect(spare, 1, 0);
}


/* ---- the primary, for discovery (Sentinel) ---- */

void
ngx_http_oauth_redis_primary_changed(ngx_http_oauth_redis_conf_t *rcf)
{
    ngx_uint_t                      i, failed;
    ngx_http_oauth_redis_conn_t    *conn;
    ngx_http_oauth_redis_worker_t  *w;

    w = rcf->worker;
    failed = 0;

    /* what was sent to the old primary may or may not have been done:
     * those operations fail (their callers answer 503), none is resent */

    for (i = 0; i < rcf->keepalive; i++) {
        conn = &w->conns[i];

        if (conn->status == NGX_HTTP_OAUTH_REDIS_CLOSED) {
            continue;
        }

        failed += conn->nops;
        ngx_http_oauth_redis_fail(conn, NULL);
    }

    ngx_log_error(NGX_LOG_WARN, ngx_http_oauth_redis_worker_log(w), 0,
                  "oauth_redis: the primary is now %V, %ui operation(s) on "
                  "the old one failed", &rcf->addrs[0].name, failed);

    w->next_addr = 0;
    w->refused = 0;
    w->role_logged = 0;

    if (w->down && !ngx_exiting && !ngx_terminate) {
        /* the outage's probe tries the new primary now, not in 50 ms */
        if (w->probe_ev.timer_set) {
            ngx_del_timer(&w->probe_ev);
        }

        ngx_add_timer(&w->probe_ev, 1);
    }

    for (i = 0; i < w->nprimary_handlers; i++) {
        w->primary_handlers[i](w->primary_data[i]);
    }
}


ngx_int_t
ngx_http_oauth_redis_on_primary_changed(ngx_http_oauth_redis_conf_t *rcf,
    ngx_http_oauth_redis_primary_pt handler, void *data)
{
    ngx_http_oauth_redis_worker_t  *w;

    w = rcf->worker;

    if (w->nprimary_handlers == NGX_HTTP_OAUTH_REDIS_PRIMARY_HANDLERS) {
        return NGX_ERROR;
    }

    w->primary_handlers[w->nprimary_handlers] = handler;
    w->primary_data[w->nprimary_handlers] = data;
    w->nprimary_handlers++;

    return NGX_OK;
}


/* A READONLY error among an operation's replies: a demoted primary. */

static ngx_uint_t
ngx_http_oauth_redis_readonly(void **replies, ngx_uint_t n)
{
    ngx_uint_t   i;
    redisReply  *r;

    for (i = 0; i < n; i++) {
        r = replies[i];

        if (r->type == REDIS_REPLY_ERROR && r->len >= 8
            && ngx_strncmp(r->str, "READONLY", 8) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* A log naming the Redis, for lines about the worker's, not a connection. */

static ngx_log_t *
ngx_http_oauth_redis_worker_log(ngx_http_oauth_redis_worker_t *w)
{
    w->log = *ngx_cycle->log;
    w->log.handler = ngx_http_oauth_redis_log_error;
    w->log.data = w;
    w->log.action = NULL;

    return &w->log;
}


/* Error lines end with ", redis: ADDRESS", as upstream ones name theirs. */

static u_char *
ngx_http_oauth_redis_log_error(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char                         *p;
    ngx_http_oauth_redis_worker_t  *w;

    w = log->data;
    p = buf;

    if (log->action) {
        p = ngx_snprintf(p, len, " while %s", log->action);
        len -= p - buf;
    }

    if (w->conf->sentinel
        && ngx_http_oauth_redis_sentinel_primary(w->conf->sentinel))
    {
        /* the sentinels' master and the primary they named */
        return ngx_snprintf(p, len, ", redis: %V at %V", &w->conf->name,
                            &w->conf->addrs[0].name);
    }

    return ngx_snprintf(p, len, ", redis: %V", &w->conf->name);
}


/* ---- memory: never the request's pool, which may die first ---- */

static ngx_http_oauth_redis_op_t *
ngx_http_oauth_redis_op_alloc(ngx_http_oauth_redis_worker_t *w, ngx_uint_t n,
    ngx_log_t *log)
{
    ngx_queue_t                *q;
    ngx_http_oauth_redis_op_t  *op;

    if (n <= NGX_HTTP_OAUTH_REDIS_NREPLIES && !ngx_queue_empty(&w->free_ops)) {
        q = ngx_queue_head(&w->free_ops);
        ngx_queue_remove(q);
        w->nfree--;

        op = ngx_queue_data(q, ngx_http_oauth_redis_op_t, queue);

    } else {
        op = ngx_alloc(sizeof(ngx_http_oauth_redis_op_t), log);
        if (op == NULL) {
            return NULL;
        }
    }

    ngx_memzero(op, offsetof(ngx_http_oauth_redis_op_t, inline_replies));

    op->n = n;

    if (n <= NGX_HTTP_OAUTH_REDIS_NREPLIES) {
        op->replies = op->inline_replies;
        op->pooled = 1;

    } else {
        op->replies = ngx_alloc(n * sizeof(void *), log);
        if (op->replies == NULL) {
            ngx_free(op);
            return NULL;
        }
    }

    return op;
}


static void
ngx_http_oauth_redis_op_free(ngx_http_oauth_redis_worker_t *w,
    ngx_http_oauth_redis_op_t *op)
{
    ngx_uint_t  i;

    if (!op->handshake) {
        w->nops--;
    }

    for (i = 0; i < op->nreplies; i++) {
        freeReplyObject(op->replies[i]);
    }

    if (!op->pooled) {
        ngx_free(op->replies);
        ngx_free(op);
        return;
    }

    if (w->nfree >= NGX_HTTP_OAUTH_REDIS_FREE_MAX) {
        ngx_free(op);
        return;
    }

    ngx_queue_insert_head(&w->free_ops, &op->queue);
    w->nfree++;
}


/*
 * keep: the bytes already sent stay too (a reused connection's, to be sent
 * again if Redis had closed it); otherwise they may be dropped.
 */

static ngx_int_t
ngx_http_oauth_redis_buf_append(ngx_http_oauth_redis_buf_t *b, u_char *data,
    size_t len, ngx_uint_t keep, ngx_log_t *log)
{
    size_t   used, sent, size;
    u_char  *p, *from;

    if ((size_t) (b->end - b->last) >= len) {
        b->last = ngx_cpymem(b->last, data, len);
        return NGX_OK;
    }

    from = keep ? b->start : b->pos;
    sent = b->pos - from;
    used = b->last - from;

    if ((size_t) (b->end - b->start) >= used + len) {
        /* room once the sent part is dropped */
        ngx_memmove(b->start, from, used);

    } else {
        size = ngx_max((size_t) NGX_HTTP_OAUTH_REDIS_BUF_SIZE,
                       (size_t) (b->end - b->start));

        while (size < used + len) {
            size *= 2;
        }

        p = ngx_alloc(size, log);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (used) {
            ngx_memcpy(p, from, used);
        }

        ngx_free(b->start);

        b->start = p;
        b->end = p + size;
    }

    b->pos = b->start + sent;
    b->last = ngx_cpymem(b->start + used, data, len);

    return NGX_OK;
}
