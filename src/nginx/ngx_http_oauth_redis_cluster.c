/*
 * ngx_http_oauth_module: Redis Cluster routing over the driver's per-node
 * pools.  See the header for the behaviour; this file is the how.
 *
 * Everything here runs in a worker's event loop; nothing blocks.  The slot
 * map is per worker (a 16384-entry table of nodes), read from CLUSTER SLOTS
 * sent through a node's pool like any operation.  The slot of each command
 * comes from the core (oauth_redis_route), the meaning of an error reply
 * too (oauth_redis_redirect): the rules live in one place, src/core/store/
 * cluster.h.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>

#include "oauth_core.h"
#include "ngx_http_oauth_redis.h"
#include "ngx_http_oauth_redis_cluster.h"


#define NGX_HTTP_OAUTH_CLUSTER_SLOTS       16384

/* map refreshes: after a MOVED at most every REFRESH_MOVED ms; after a node
 * failed (a failover may have moved its slots) every REFRESH_FAILED ms */
#define NGX_HTTP_OAUTH_CLUSTER_REFRESH_MOVED   100
#define NGX_HTTP_OAUTH_CLUSTER_REFRESH_FAILED  1000

#define NGX_HTTP_OAUTH_CLUSTER_SLOTS_CMD  "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n"
#define NGX_HTTP_OAUTH_CLUSTER_ASKING     "*1\r\n$6\r\nASKING\r\n"


typedef struct {
    ngx_str_t                        name;     /* "host:port" */
    ngx_http_oauth_redis_conf_t     *conf;     /* its own pool */
    ngx_http_oauth_redis_cluster_t  *cluster;
} ngx_http_oauth_cluster_node_t;


struct ngx_http_oauth_redis_cluster_s {
    ngx_http_oauth_redis_conf_t     *conf;     /* options, handshake */
    ngx_array_t                      seeds;    /* ngx_url_t */
    ngx_array_t                      nodes;    /* node *: seeds first */
    ngx_http_oauth_cluster_node_t  **slots;    /* the map */

    unsigned                         loaded:1;  /* a map was read */
    unsigned                         loading:1;
    ngx_uint_t                       attempts;  /* nodes asked this round */
    ngx_uint_t                       next;      /* node asked next */
    ngx_msec_t                       refreshed_at;
    ngx_queue_t                      waiting;   /* ops before the map */
};


typedef struct {
    ngx_uint_t                       cluster;   /* 1, as the driver's op */
    ngx_http_oauth_redis_done_pt     done;      /* NULL: cancelled */
    void                            *data;
    ngx_http_oauth_redis_cluster_t  *cl;

    u_char                          *cmds;
    size_t                           len;
    ngx_uint_t                       n;
    oauth_redis_route_t             *routes;
    void                           **replies;   /* ours until finished */
    u_char                          *redirected;

    ngx_queue_t                      subs;      /* in flight, per node */
    ngx_queue_t                      queue;     /* cl->waiting */
    unsigned                         waiting:1;
    unsigned                         failed:1;
} ngx_http_oauth_cluster_op_t;


/* The commands of an operation that one node carries. */
typedef struct {
    ngx_queue_t                      queue;     /* cop->subs */
    ngx_http_oauth_cluster_op_t     *cop;
    ngx_http_oauth_redis_op_t       *op;
    ngx_uint_t                       asking;    /* 1: its first is ASKING */
    ngx_uint_t                       n;
    ngx_uint_t                       idx[1];
} ngx_http_oauth_cluster_sub_t;


static ngx_http_oauth_cluster_node_t *ngx_http_oauth_cluster_node_add(
    ngx_http_oauth_redis_cluster_t *cl, ngx_pool_t *pool,
    struct sockaddr *sockaddr, socklen_t socklen, ngx_str_t *name);
static ngx_http_oauth_cluster_node_t *ngx_http_oauth_cluster_node_get(
    ngx_http_oauth_redis_cluster_t *cl, u_char *host, size_t hlen,
    ngx_int_t port);
static ngx_int_t ngx_http_oauth_cluster_refresh(
    ngx_http_oauth_redis_cluster_t *cl);
static void ngx_http_oauth_cluster_refresh_after(
    ngx_http_oauth_redis_cluster_t *cl, ngx_msec_t ms);
static void ngx_http_oauth_cluster_slots_done(void *data, ngx_int_t rc,
    void **replies, ngx_uint_t n);
static ngx_int_t ngx_http_oauth_cluster_read_map(
    ngx_http_oauth_cluster_node_t *asked, redisReply *r);
static ngx_int_t ngx_http_oauth_cluster_dispatch(
    ngx_http_oauth_cluster_op_t *cop);
static ngx_int_t ngx_http_oauth_cluster_send(ngx_http_oauth_cluster_op_t *cop,
    ngx_http_oauth_cluster_node_t *node, ngx_uint_t *idx, ngx_uint_t k,
    ngx_uint_t asking);
static void ngx_http_oauth_cluster_sub_done(void *data, ngx_int_t rc,
    void **replies, ngx_uint_t n);
static void ngx_http_oauth_cluster_fail(ngx_http_oauth_cluster_op_t *cop);
static void ngx_http_oauth_cluster_finish(ngx_http_oauth_cluster_op_t *cop);
static void ngx_http_oauth_cluster_drop_subs(ngx_http_oauth_cluster_op_t *cop);
static void ngx_http_oauth_cluster_free(ngx_http_oauth_cluster_op_t *cop);


/* ---- configuration ---- */

ngx_int_t
ngx_http_oauth_redis_cluster_seeds(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf, ngx_str_t *value, ngx_url_t *u)
{
    u_char                          *p, *last, *comma;
    ngx_url_t                       *seed;
    ngx_http_oauth_redis_cluster_t  *cl;

    cl = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth_redis_cluster_t));
    if (cl == NULL) {
        return NGX_ERROR;
    }

    if (ngx_array_init(&cl->seeds, cf->pool, 4, sizeof(ngx_url_t)) != NGX_OK
        || ngx_array_init(&cl->nodes, cf->pool, 8,
                          sizeof(ngx_http_oauth_cluster_node_t *))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = value->data + sizeof("cluster=") - 1;
    last = value->data + value->len;

    if (p == last) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid oauth_redis \"%V\": an empty list", value);
        return NGX_ERROR;
    }

    while (p <= last) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        seed = ngx_array_push(&cl->seeds);
        if (seed == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(seed, sizeof(ngx_url_t));
        seed->url.data = p;
        seed->url.len = comma - p;
        seed->default_port = 6379;

        /* host:port only: a node is a TCP address (no unix: socket) */
        if (seed->url.len == 0
            || ngx_strncmp(seed->url.data, "unix:", 5) == 0
            || ngx_parse_url(cf->pool, seed) != NGX_OK
            || seed->uri.len || seed->naddrs == 0 || seed->no_port)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid oauth_redis cluster address \"%V\"%s%s",
                               &seed->url, seed->err ? ": " : "",
                               seed->err ? seed->err : "");
            return NGX_ERROR;
        }

        p = comma + 1;
    }

    seed = cl->seeds.elts;

    u->addrs = seed[0].addrs;
    u->naddrs = seed[0].naddrs;

    cl->conf = rcf;
    rcf->cluster = cl;

    return NGX_OK;
}


ngx_int_t
ngx_http_oauth_redis_cluster_init(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf)
{
    ngx_uint_t                       i, k;
    ngx_url_t                       *seed;
    ngx_http_oauth_redis_cluster_t  *cl;

    cl = rcf->cluster;

    cl->slots = ngx_pcalloc(cf->pool, NGX_HTTP_OAUTH_CLUSTER_SLOTS
                                      * sizeof(ngx_http_oauth_cluster_node_t *));
    if (cl->slots == NULL) {
        return NGX_ERROR;
    }

    ngx_queue_init(&cl->waiting);

    seed = cl->seeds.elts;

    for (i = 0; i < cl->seeds.nelts; i++) {
        for (k = 0; k < seed[i].naddrs; k++) {
            if (ngx_http_oauth_cluster_node_add(cl, cf->pool,
                                                seed[i].addrs[k].sockaddr,
                                                seed[i].addrs[k].socklen,
                                                &seed[i].addrs[k].name)
                == NULL)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/* ---- nodes ---- */

static ngx_http_oauth_cluster_node_t *
ngx_http_oauth_cluster_node_add(ngx_http_oauth_redis_cluster_t *cl,
    ngx_pool_t *pool, struct sockaddr *sockaddr, socklen_t socklen,
    ngx_str_t *name)
{
    ngx_http_oauth_cluster_node_t  *node, **slot;

    node = ngx_pcalloc(pool, sizeof(ngx_http_oauth_cluster_node_t));
    if (node == NULL) {
        return NULL;
    }

    node->conf = ngx_http_oauth_redis_node_conf(pool, cl->conf, sockaddr,
                                                socklen, name);
    if (node->conf == NULL) {
        return NULL;
    }

    node->name = node->conf->name;
    node->cluster = cl;

    slot = ngx_array_push(&cl->nodes);
    if (slot == NULL) {
        return NULL;
    }

    *slot = node;

    return node;
}


/* The node at host:port (an IP address, as the cluster announces them),
 * known or new. */

static ngx_http_oauth_cluster_node_t *
ngx_http_oauth_cluster_node_get(ngx_http_oauth_redis_cluster_t *cl,
    u_char *host, size_t hlen, ngx_int_t port)
{
    u_char                          buf[NGX_SOCKADDR_STRLEN + 16], *p;
    ngx_str_t                       name;
    ngx_uint_t                      i;
    ngx_addr_t                      addr;
    ngx_http_oauth_cluster_node_t **nodes;

    if (hlen == 0 || hlen > NGX_SOCKADDR_STRLEN || port <= 0 || port > 65535) {
        return NULL;
    }

    if (ngx_strlchr(host, host + hlen, ':')) {
        p = ngx_sprintf(buf, "[%*s]:%i", hlen, host, port);

    } else {
        p = ngx_sprintf(buf, "%*s:%i", hlen, host, port);
    }

    name.data = buf;
    name.len = p - buf;

    nodes = cl->nodes.elts;

    for (i = 0; i < cl->nodes.nelts; i++) {
        if (nodes[i]->name.len == name.len
            && ngx_strncmp(nodes[i]->name.data, name.data, name.len) == 0)
        {
            return nodes[i];
        }
    }

    if (ngx_parse_addr_port(ngx_cycle->pool, &addr, name.data, name.len)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "oauth_redis: cluster node \"%V\" is not an address",
                      &name);
        return NULL;
    }

    name.data = ngx_pstrdup(ngx_cycle->pool, &name);
    if (name.data == NULL) {
        return NULL;
    }

    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "oauth_redis: cluster node %V", &name);

    return ngx_http_oauth_cluster_node_add(cl, ngx_cycle->pool, addr.sockaddr,
                                           addr.socklen, &name);
}


/* ---- the slot map ---- */

/*
 * CLUSTER SLOTS from the next node that takes it; NGX_ERROR when none
 * does right now (every pool in an outage).  One at a time.
 */

static ngx_int_t
ngx_http_oauth_cluster_refresh(ngx_http_oauth_redis_cluster_t *cl)
{
    ngx_http_oauth_cluster_node_t  **nodes, *node;

    if (cl->loading) {
        return NGX_OK;
    }

    cl->refreshed_at = ngx_current_msec;
    nodes = cl->nodes.elts;

    while (cl->attempts < cl->nodes.nelts) {
        node = nodes[cl->next++ % cl->nodes.nelts];
        cl->attempts++;

        if (ngx_http_oauth_redis_run(node->conf, ngx_cycle->log,
                                     (u_char *) NGX_HTTP_OAUTH_CLUSTER_SLOTS_CMD,
                                     sizeof(NGX_HTTP_OAUTH_CLUSTER_SLOTS_CMD)
                                     - 1, 1,
                                     ngx_http_oauth_cluster_slots_done, node)
            != NULL)
        {
            cl->loading = 1;
            return NGX_OK;
        }
    }

    /* every node refused: a new round for the next operation */
    cl->attempts = 0;

    return NGX_ERROR;
}


static void
ngx_http_oauth_cluster_refresh_after(ngx_http_oauth_redis_cluster_t *cl,
    ngx_msec_t ms)
{
    if (!cl->loading && ngx_current_msec - cl->refreshed_at >= ms) {
        cl->attempts = 0;
        (void) ngx_http_oauth_cluster_refresh(cl);
    }
}


static void
ngx_http_oauth_cluster_slots_done(void *data, ngx_int_t rc, void **replies,
    ngx_uint_t n)
{
    ngx_queue_t                     *q;
    ngx_http_oauth_cluster_op_t     *cop;
    ngx_http_oauth_cluster_node_t   *node;
    ngx_http_oauth_redis_cluster_t  *cl;

    node = data;
    cl = node->cluster;
    cl->loading = 0;

    if (rc != NGX_OK || n != 1
        || ngx_http_oauth_cluster_read_map(node, replies[0]) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "oauth_redis: no slot map from cluster node %V",
                      &node->name);

        if (ngx_http_oauth_cluster_refresh(cl) == NGX_OK) {
            return;
        }

        /* nobody answers: the operations waiting for a first map fail */

        while (!ngx_queue_empty(&cl->waiting)) {
            q = ngx_queue_head(&cl->waiting);
            ngx_queue_remove(q);
            cop = ngx_queue_data(q, ngx_http_oauth_cluster_op_t, queue);
            cop->waiting = 0;
            ngx_http_oauth_cluster_fail(cop);
        }

        return;
    }

    if (!cl->loaded) {
        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "oauth_redis: cluster slot map read from %V, "
                      "%ui node(s) known", &node->name, cl->nodes.nelts);
    }

    cl->loaded = 1;
    cl->attempts = 0;

    while (!ngx_queue_empty(&cl->waiting)) {
        q = ngx_queue_head(&cl->waiting);
        ngx_queue_remove(q);
        cop = ngx_queue_data(q, ngx_http_oauth_cluster_op_t, queue);
        cop->waiting = 0;

        if (ngx_http_oauth_cluster_dispatch(cop) != NGX_OK) {
            ngx_http_oauth_cluster_fail(cop);
        }
    }
}


/*
 * CLUSTER SLOTS: [[start, end, [host, port, id, ...], replica...], ...].
 * Checked whole before the map changes.  A master announced with an empty
 * host is the node that answered (Redis does so for its own address when it
 * does not know it).
 */

static ngx_int_t
ngx_http_oauth_cluster_read_map(ngx_http_oauth_cluster_node_t *asked,
    redisReply *r)
{
    u_char                           *host;
    size_t                            hlen;
    ngx_uint_t                        i, pass;
    ngx_int_t                         s, start, end;
    redisReply                       *e, *m;
    ngx_http_oauth_cluster_node_t    *node;
    ngx_http_oauth_redis_cluster_t   *cl;

    cl = asked->cluster;

    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        return NGX_ERROR;
    }

    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < r->elements; i++) {
            e = r->element[i];

            if (e->type != REDIS_REPLY_ARRAY || e->elements < 3
                || e->element[0]->type != REDIS_REPLY_INTEGER
                || e->element[1]->type != REDIS_REPLY_INTEGER
                || e->element[2]->type != REDIS_REPLY_ARRAY
                || e->element[2]->elements < 2)
            {
                return NGX_ERROR;
            }

            start = e->element[0]->integer;
            end = e->element[1]->integer;
            m = e->element[2];

            if (start < 0 || end < start || end >= NGX_HTTP_OAUTH_CLUSTER_SLOTS
                || m->element[0]->type != REDIS_REPLY_STRING
                || m->element[1]->type != REDIS_REPLY_INTEGER)
            {
                return NGX_ERROR;
            }

            if (pass == 0) {
                continue;
            }

            host = (u_char *) m->element[0]->str;
            hlen = m->element[0]->len;

            if (hlen == 0 || (hlen == 1 && host[0] == '?')) {
                /* "host:port" of the node asked, without the port */
                host = asked->name.data;
                hlen = ngx_strlchr(host, host + asked->name.len, ']')
                       ? (size_t) (ngx_strlchr(host, host + asked->name.len,
                                               ']') - host - 1)
                       : (size_t) (ngx_strlchr(host, host + asked->name.len,
                                               ':') - host);
                if (host[0] == '[') {
                    host++;
                }
            }

            node = ngx_http_oauth_cluster_node_get(cl, host, hlen,
                                                   m->element[1]->integer);
            if (node == NULL) {
                return NGX_ERROR;
            }

            for (s = start; s <= end; s++) {
                cl->slots[s] = node;
            }
        }
    }

    return NGX_OK;
}


/* ---- operations ---- */

ngx_http_oauth_redis_op_t *
ngx_http_oauth_redis_cluster_run(ngx_http_oauth_redis_conf_t *rcf,
    ngx_log_t *log, u_char *cmds, size_t len, ngx_uint_t n,
    ngx_http_oauth_redis_done_pt done, void *data)
{
    u_char                          *p;
    ngx_http_oauth_cluster_op_t     *cop;
    ngx_http_oauth_redis_cluster_t  *cl;

    cl = rcf->cluster;

    p = ngx_alloc(sizeof(ngx_http_oauth_cluster_op_t)
                  + n * (sizeof(oauth_redis_route_t) + sizeof(void *) + 1)
                  + len, log);
    if (p == NULL) {
        return NULL;
    }

    cop = (ngx_http_oauth_cluster_op_t *) p;
    ngx_memzero(cop, sizeof(ngx_http_oauth_cluster_op_t));
    p += sizeof(ngx_http_oauth_cluster_op_t);

    cop->routes = (oauth_redis_route_t *) p;
    p += n * sizeof(oauth_redis_route_t);
    cop->replies = (void **) p;
    p += n * sizeof(void *);
    cop->redirected = p;
    p += n;
    cop->cmds = p;

    ngx_memcpy(cop->cmds, cmds, len);
    ngx_memzero(cop->replies, n * sizeof(void *));
    ngx_memzero(cop->redirected, n);

    cop->cluster = 1;
    cop->done = done;
    cop->data = data;
    cop->cl = cl;
    cop->len = len;
    cop->n = n;
    ngx_queue_init(&cop->subs);

    if (oauth_redis_route((char *) cop->cmds, len, n, cop->routes) != 0) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "oauth_redis: commands the cluster cannot route");
        ngx_free(cop);
        return NULL;
    }

    if (!cl->loaded) {
        /* the first operations of a worker wait for its first map */
        if (ngx_http_oauth_cluster_refresh(cl) != NGX_OK) {
            ngx_free(cop);
            return NULL;
        }

        ngx_queue_insert_tail(&cl->waiting, &cop->queue);
        cop->waiting = 1;

        return (ngx_http_oauth_redis_op_t *) cop;
    }

    if (ngx_http_oauth_cluster_dispatch(cop) != NGX_OK) {
        /* the caller answers 503: nothing may call done */
        ngx_http_oauth_cluster_drop_subs(cop);
        ngx_http_oauth_cluster_free(cop);
        return NULL;
    }

    return (ngx_http_oauth_redis_op_t *) cop;
}


void
ngx_http_oauth_redis_cluster_cancel(ngx_http_oauth_redis_op_t *op)
{
    ngx_http_oauth_cluster_op_t  *cop;

    cop = (ngx_http_oauth_cluster_op_t *) op;

    if (cop->waiting) {
        ngx_queue_remove(&cop->queue);
        cop->waiting = 0;
    }

    /* the nodes' operations read and drop their replies */
    ngx_http_oauth_cluster_drop_subs(cop);
    ngx_http_oauth_cluster_free(cop);
}


/*
 * Every command to the node serving its slot, one operation per node, in
 * the order of their first command; a command without a key goes with the
 * first keyed one.  NGX_ERROR: a slot nobody serves, or a node refused
 * (its outage); what was sent is still in cop->subs.
 */

static ngx_int_t
ngx_http_oauth_cluster_dispatch(ngx_http_oauth_cluster_op_t *cop)
{
    ngx_int_t                        slot;
    ngx_uint_t                       i, j, k, nn, *idx;
    ngx_http_oauth_cluster_node_t  **of, *any, **seen;
    ngx_http_oauth_redis_cluster_t  *cl;
    ngx_int_t                        rc;

    cl = cop->cl;

    of = ngx_alloc(cop->n * (2 * sizeof(void *) + sizeof(ngx_uint_t)),
                   ngx_cycle->log);
    if (of == NULL) {
        return NGX_ERROR;
    }

    seen = of + cop->n;
    idx = (ngx_uint_t *) (seen + cop->n);

    any = NULL;

    for (i = 0; i < cop->n; i++) {
        slot = cop->routes[i].slot;
        of[i] = (slot >= 0) ? cl->slots[slot] : NULL;

        if (slot >= 0 && of[i] == NULL) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "oauth_redis: no cluster node serves slot %i",
                          slot);
            ngx_http_oauth_cluster_refresh_after(cl,
                                        NGX_HTTP_OAUTH_CLUSTER_REFRESH_FAILED);
            ngx_free(of);
            return NGX_ERROR;
        }

        if (any == NULL && of[i]) {
            any = of[i];
        }
    }

    if (any == NULL) {
        any = ((ngx_http_oauth_cluster_node_t **) cl->nodes.elts)[0];
    }

    nn = 0;

    for (i = 0; i < cop->n; i++) {
        if (of[i] == NULL) {
            of[i] = any;
        }

        for (j = 0; j < nn; j++) {
            if (seen[j] == of[i]) {
                break;
            }
        }

        if (j == nn) {
            seen[nn++] = of[i];
        }
    }

    rc = NGX_OK;

    for (j = 0; j < nn && rc == NGX_OK; j++) {
        k = 0;

        for (i = 0; i < cop->n; i++) {
            if (of[i] == seen[j]) {
                idx[k++] = i;
            }
        }

        rc = ngx_http_oauth_cluster_send(cop, seen[j], idx, k, 0);
    }

    ngx_free(of);

    return rc;
}


/* Commands idx[0..k-1] of cop to one node, after an ASKING if asked to. */

static ngx_int_t
ngx_http_oauth_cluster_send(ngx_http_oauth_cluster_op_t *cop,
    ngx_http_oauth_cluster_node_t *node, ngx_uint_t *idx, ngx_uint_t k,
    ngx_uint_t asking)
{
    u_char                        *buf, *p;
    size_t                         from, size;
    ngx_uint_t                     i;
    ngx_http_oauth_cluster_sub_t  *sub;

    sub = ngx_alloc(sizeof(ngx_http_oauth_cluster_sub_t)
                    + k * sizeof(ngx_uint_t), ngx_cycle->log);
    if (sub == NULL) {
        return NGX_ERROR;
    }

    buf = ngx_alloc(cop->len + sizeof(NGX_HTTP_OAUTH_CLUSTER_ASKING),
                    ngx_cycle->log);
    if (buf == NULL) {
        ngx_free(sub);
        return NGX_ERROR;
    }

    p = buf;

    if (asking) {
        p = ngx_cpymem(p, NGX_HTTP_OAUTH_CLUSTER_ASKING,
                       sizeof(NGX_HTTP_OAUTH_CLUSTER_ASKING) - 1);
    }

    for (i = 0; i < k; i++) {
        from = idx[i] ? cop->routes[idx[i] - 1].end : 0;
        size = cop->routes[idx[i]].end - from;
        p = ngx_cpymem(p, cop->cmds + from, size);
        sub->idx[i] = idx[i];
    }

    sub->cop = cop;
    sub->n = k;
    sub->asking = asking;

    /* the driver copies the bytes before it returns */
    sub->op = ngx_http_oauth_redis_run(node->conf, ngx_cycle->log, buf,
                                       p - buf, k + asking,
                                       ngx_http_oauth_cluster_sub_done, sub);
    ngx_free(buf);

    if (sub->op == NULL) {
        ngx_free(sub);
        /* a failover may have moved its slots elsewhere */
        ngx_http_oauth_cluster_refresh_after(cop->cl,
                                        NGX_HTTP_OAUTH_CLUSTER_REFRESH_FAILED);
        return NGX_ERROR;
    }

    ngx_queue_insert_tail(&cop->subs, &sub->queue);

    return NGX_OK;
}


static void
ngx_http_oauth_cluster_sub_done(void *data, ngx_int_t rc, void **replies,
    ngx_uint_t n)
{
    ngx_uint_t                       i, k, redo[16], nredo;
    redisReply                      *r;
    oauth_redis_redirect_t           rd;
    ngx_http_oauth_cluster_op_t     *cop;
    ngx_http_oauth_cluster_sub_t    *sub;
    ngx_http_oauth_cluster_node_t   *node, *to[16];
    ngx_http_oauth_redis_cluster_t  *cl;

    sub = data;
    cop = sub->cop;
    cl = cop->cl;

    ngx_queue_remove(&sub->queue);

    if (rc != NGX_OK || n != sub->n + sub->asking) {
        ngx_free(sub);
        ngx_http_oauth_cluster_refresh_after(cl,
                                        NGX_HTTP_OAUTH_CLUSTER_REFRESH_FAILED);
        ngx_http_oauth_cluster_fail(cop);
        return;
    }

    nredo = 0;

    for (k = 0; k < sub->n; k++) {
        i = sub->idx[k];
        r = replies[k + sub->asking];

        if (r->type == REDIS_REPLY_ERROR) {
            oauth_redis_redirect(r->str, r->len, &rd);

            switch (rd.kind) {

            case OAUTH_REDIS_ERR_MOVED:
            case OAUTH_REDIS_ERR_ASK:

                /* once per command, never inside a transaction (its EXEC
                 * is aborted already) */

                if (cop->redirected[i] || cop->routes[i].in_transaction
                    || nredo == 16)
                {
                    goto failed;
                }

                if (rd.host.len) {
                    node = ngx_http_oauth_cluster_node_get(cl,
                                                (u_char *) rd.host.data,
                                                rd.host.len, rd.port);

                } else {
                    node = NULL;
                }

                if (node == NULL) {
                    goto failed;
                }

                ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                               "oauth redis: %s slot %i to %V",
                               rd.kind == OAUTH_REDIS_ERR_MOVED ? "moved"
                                                                : "ask",
                               rd.slot, &node->name);

                cop->redirected[i] = (rd.kind == OAUTH_REDIS_ERR_ASK) ? 2 : 1;

                if (rd.kind == OAUTH_REDIS_ERR_MOVED) {
                    /* the slot's new owner, now; the whole map soon */
                    cl->slots[rd.slot] = node;
                    ngx_http_oauth_cluster_refresh_after(cl,
                                        NGX_HTTP_OAUTH_CLUSTER_REFRESH_MOVED);
                }

                redo[nredo] = i;
                to[nredo++] = node;
                continue;

            case OAUTH_REDIS_ERR_TRYAGAIN:
            case OAUTH_REDIS_ERR_CLUSTERDOWN:
                ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                              "oauth_redis: cluster answered \"%*s\"",
                              ngx_min(r->len, 128), r->str);
                goto failed;

            default:
                /* an answer of the command's own: the core judges it */
                break;
            }
        }

        cop->replies[i] = r;
        replies[k + sub->asking] = NULL;   /* ours now */
    }

    ngx_free(sub);

    for (k = 0; k < nredo; k++) {
        if (ngx_http_oauth_cluster_send(cop, to[k], &redo[k], 1,
                                        cop->redirected[redo[k]] == 2)
            != NGX_OK)
        {
            ngx_http_oauth_cluster_fail(cop);
            return;
        }
    }

    if (ngx_queue_empty(&cop->subs)) {
        ngx_http_oauth_cluster_finish(cop);
    }

    return;

failed:

    ngx_free(sub);
    ngx_http_oauth_cluster_fail(cop);
}


/* The operation fails at once: what other nodes still owe is dropped. */

static void
ngx_http_oauth_cluster_fail(ngx_http_oauth_cluster_op_t *cop)
{
    ngx_http_oauth_cluster_drop_subs(cop);
    cop->failed = 1;
    ngx_http_oauth_cluster_finish(cop);
}


static void
ngx_http_oauth_cluster_finish(ngx_http_oauth_cluster_op_t *cop)
{
    if (cop->done) {
        if (cop->failed) {
            cop->done(cop->data, NGX_ERROR, NULL, 0);

        } else {
            cop->done(cop->data, NGX_OK, cop->replies, cop->n);
        }
    }

    ngx_http_oauth_cluster_free(cop);
}


static void
ngx_http_oauth_cluster_drop_subs(ngx_http_oauth_cluster_op_t *cop)
{
    ngx_queue_t                   *q;
    ngx_http_oauth_cluster_sub_t  *sub;

    while (!ngx_queue_empty(&cop->subs)) {
        q = ngx_queue_head(&cop->subs);
        ngx_queue_remove(q);

        sub = ngx_queue_data(q, ngx_http_oauth_cluster_sub_t, queue);
        ngx_http_oauth_redis_cancel(sub->op);
        ngx_free(sub);
    }
}


static void
ngx_http_oauth_cluster_free(ngx_http_oauth_cluster_op_t *cop)
{
    ngx_uint_t  i;

    for (i = 0; i < cop->n; i++) {
        if (cop->replies[i]) {
            freeReplyObject(cop->replies[i]);
        }
    }

    ngx_free(cop);
}
