/*
 * `oauth_redis cluster=H:P,...`: Redis Cluster under the driver's API.
 *
 * Each worker asks a seed (then any known node) for `CLUSTER SLOTS`, on
 * nginx events, through that node's own pool of pipelined connections: one
 * pool per node, the driver's (ngx_http_oauth_redis.c), with its own outage
 * and probe.  An operation's commands are routed by the slot the core names
 * for each (oauth_redis_route(): the glue parses no request), sent to their
 * nodes at once, and the caller gets the replies in the original order.
 * MOVED: the slot is re-pointed, the map refreshed in the background, the
 * command sent once more to the node named; ASK: ASKING and the command to
 * the node named, once.  TRYAGAIN, CLUSTERDOWN, a second redirection, a
 * redirection inside MULTI..EXEC, a node that cannot be reached, a slot no
 * node serves: the whole operation fails (the callers answer 503 /
 * temporarily_unavailable), and operations for other nodes go on.
 */

#ifndef _NGX_HTTP_OAUTH_REDIS_CLUSTER_H_INCLUDED_
#define _NGX_HTTP_OAUTH_REDIS_CLUSTER_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth_redis.h"


/* `cluster=H:P,H:P,...` (value): sets rcf->cluster, and u to the first
 * seed's addresses; errors name the directive's file and line. */
ngx_int_t ngx_http_oauth_redis_cluster_seeds(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf, ngx_str_t *value, ngx_url_t *u);

/* Once the options and the handshake are known: the seeds' pools. */
ngx_int_t ngx_http_oauth_redis_cluster_init(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf);

/* ngx_http_oauth_redis_run() and _cancel() for a cluster= configuration. */
ngx_http_oauth_redis_op_t *ngx_http_oauth_redis_cluster_run(
    ngx_http_oauth_redis_conf_t *rcf, ngx_log_t *log, u_char *cmds,
    size_t len, ngx_uint_t n, ngx_http_oauth_redis_done_pt done, void *data);
void ngx_http_oauth_redis_cluster_cancel(ngx_http_oauth_redis_op_t *op);


#endif /* _NGX_HTTP_OAUTH_REDIS_CLUSTER_H_INCLUDED_ */
