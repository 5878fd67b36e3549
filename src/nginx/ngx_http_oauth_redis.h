/*
 * Redis from nginx workers, never blocking: hiredis parses RESP, the sockets
 * are nginx peer connections driven by nginx events and timers.
 *
 * Each worker keeps up to `keepalive` connections to the configured server,
 * opened lazily; an operation is written to the first one with fewer than
 * a pipeline's worth (32) in flight and waits in its FIFO, so many requests
 * share one socket and one send() and recv() per event-loop pass; more
 * connections open only under more load (or a slow Redis).  A connection sends
 * AUTH and SELECT first and carries nothing else until both succeed.
 * `timeout` is every operation's deadline from its submission (queueing,
 * connect, handshake, reply); at most `queue` operations are in flight per
 * worker, more fail at once.  A kept-alive connection found closed by Redis
 * before anything was read sends its operations again, once, on a new one.
 * On a timeout, an error or an EOF the connection is closed, its operations
 * fail, and an outage begins: new operations fail at once, so a dead Redis
 * costs nothing per request, while a probe connects every 50ms in the
 * background (a refused AUTH/SELECT: 50ms doubling to 5s); the first answer
 * ends it, with no reload.  An outage is logged when it begins, as a count
 * at most once a second, and when it ends.
 */

#ifndef _NGX_HTTP_OAUTH_REDIS_H_INCLUDED_
#define _NGX_HTTP_OAUTH_REDIS_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


typedef struct ngx_http_oauth_redis_worker_s  ngx_http_oauth_redis_worker_t;
typedef struct ngx_http_oauth_redis_sentinel_s  ngx_http_oauth_redis_sentinel_t;
typedef struct ngx_http_oauth_redis_cluster_s  ngx_http_oauth_redis_cluster_t;

typedef struct {
    ngx_addr_t                     *addrs;    /* resolved at configuration */
    ngx_uint_t                      naddrs;
    ngx_str_t                       name;     /* "host:port", "unix:/path" */
    ngx_uint_t                      db;
    ngx_str_t                       username; /* empty: AUTH password only */
    ngx_str_t                       password; /* empty: no AUTH */
    ngx_msec_t                      timeout;  /* each operation, in all */
    ngx_uint_t                      keepalive; /* connections per worker */
    ngx_uint_t                      queue;    /* operations in flight */
    ngx_str_t                       prefix;   /* every key starts with it */

    ngx_http_oauth_redis_worker_t  *worker;   /* connections, per process */

    /* sentinel=... master=...: addrs is the primary the sentinels named */
    ngx_http_oauth_redis_sentinel_t *sentinel;
    /* cluster=: the slot map and a pool per node, per process
     * (ngx_http_oauth_redis_cluster.c); NULL: one server */
    ngx_http_oauth_redis_cluster_t *cluster;
} ngx_http_oauth_redis_conf_t;


/*
 * Called exactly once per operation, from an event handler (never from inside
 * ngx_http_oauth_redis_run), unless the operation was cancelled first.
 * rc is NGX_OK with n replies (hiredis redisReply *, freed when the handler
 * returns, except those it sets to NULL in the array: they are its own), or
 * NGX_ERROR (down, timeout, protocol error) with none.
 * Once done is called the operation is gone: do not cancel it afterwards.
 * The handler may call ngx_http_oauth_redis_run and _cancel.
 */
typedef void (*ngx_http_oauth_redis_done_pt)(void *data, ngx_int_t rc,
    void **replies, ngx_uint_t n);

typedef struct ngx_http_oauth_redis_op_s  ngx_http_oauth_redis_op_t;


/* The `oauth_redis ADDRESS [db=N] [username=U] [password=P] [timeout=T]
 * [keepalive=N] [queue=N] [prefix=S]` directive; conf is the module's main
 * conf and cmd->offset the place of its ngx_http_oauth_redis_conf_t pointer
 * (NULL or NGX_CONF_UNSET_PTR until set). */
char *ngx_http_oauth_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * Sends `len` bytes holding `n` (>= 1) RESP commands, copied before it
 * returns; `done` gets their n replies.  NULL when Redis is known to be
 * unavailable right now (an outage, cannot connect), `queue` operations are
 * in flight already, or memory ran out: the
 * caller answers 503 itself, and `done` will not be called.
 */
ngx_http_oauth_redis_op_t *ngx_http_oauth_redis_run(
    ngx_http_oauth_redis_conf_t *rcf, ngx_log_t *log, u_char *cmds,
    size_t len, ngx_uint_t n, ngx_http_oauth_redis_done_pt done, void *data);

/* The requester is gone: `done` will not be called; the replies, when they
 * come, are read and dropped so the connection stays in step. */
void ngx_http_oauth_redis_cancel(ngx_http_oauth_redis_op_t *op);

/*
 * Connects pc to addr for one of the module's own connections (the driver's,
 * a sentinel's, the session cache's invalidation link), in nginx's way
 * (ngx_event_connect_peer, one try, errors logged on log at log_error).
 * NGX_OK or NGX_AGAIN: pc->connection is the connection; NGX_ERROR: nginx
 * closed the socket and logged why, pc->connection is NULL.
 */
ngx_int_t ngx_http_oauth_redis_peer_connect(ngx_peer_connection_t *pc,
    ngx_addr_t *addr, ngx_log_t *log, ngx_uint_t log_error);

/*
 * For the long-lived connections that read replies one at a time (a
 * sentinel's, the session cache's invalidation link): reads what has arrived
 * on c into the hiredis reader and hands each complete reply to
 * handler(data, reply), which may close the connection and then returns
 * anything but NGX_OK (the reply is freed after it returns).  NGX_OK:
 * everything was read, re-arm the read event; NGX_DONE: the handler stopped
 * it, touch c no more; NGX_ERROR: *error says why the connection failed
 * (`closed` when the peer closed it).
 */
typedef ngx_int_t (*ngx_http_oauth_redis_reply_pt)(void *data, void *reply);

ngx_int_t ngx_http_oauth_redis_read_replies(ngx_connection_t *c,
    void *reader, const char *closed, ngx_http_oauth_redis_reply_pt handler,
    void *data, const char **error);

/*
 * For ngx_http_oauth_redis_cluster.c: a one-server configuration for a
 * Cluster node, with its own pool of connections (its own outage and
 * probe), the options and handshake of `tmpl`.  Allocated from `pool` (the
 * configuration's, or the cycle's in a worker).
 */
ngx_http_oauth_redis_conf_t *ngx_http_oauth_redis_node_conf(ngx_pool_t *pool,
    ngx_http_oauth_redis_conf_t *tmpl, struct sockaddr *sockaddr,
    socklen_t socklen, ngx_str_t *name);


/* A non-blocking connect finished: NGX_OK, or NGX_ERROR (logged) when it
 * failed.  For every Redis connection of the module (pool, sentinels,
 * the session cache's link). */
ngx_int_t ngx_http_oauth_redis_test_connect(ngx_connection_t *c);


/*
 * The discovery layer (Sentinel) names a new primary: rcf->addrs now holds
 * it.  The connections to the old one are closed (their operations fail),
 * an outage's probe goes to the new one at once, and every handler given to
 * _on_primary_changed() is called (from an event handler).
 */
void ngx_http_oauth_redis_primary_changed(ngx_http_oauth_redis_conf_t *rcf);

typedef void (*ngx_http_oauth_redis_primary_pt)(void *data);

/* At most NGX_HTTP_OAUTH_REDIS_PRIMARY_HANDLERS per worker; NGX_ERROR when
 * full.  For state derived from the primary's data (a cache). */
#define NGX_HTTP_OAUTH_REDIS_PRIMARY_HANDLERS  4

ngx_int_t ngx_http_oauth_redis_on_primary_changed(
    ngx_http_oauth_redis_conf_t *rcf, ngx_http_oauth_redis_primary_pt handler,
    void *data);


#endif /* _NGX_HTTP_OAUTH_REDIS_H_INCLUDED_ */
