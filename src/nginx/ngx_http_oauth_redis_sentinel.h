/*
 * Redis Sentinel for the driver: which server is the primary.
 *
 * `oauth_redis sentinel=H:P,... master=NAME [sentinel_password=P] ...`: each
 * worker asks the sentinels (`SENTINEL get-master-addr-by-name NAME`, one
 * after the other until one answers, never blocking) and hands the address
 * to the connection pool, whose handshake confirms it with `ROLE`.  Each
 * worker also keeps one subscription (`SUBSCRIBE +switch-master`) on one
 * sentinel, re-established on another when lost, so that a failover is
 * followed at once; a lost data connection, a `READONLY` reply or a `ROLE`
 * other than master makes the pool ask again (at most every ASK_EVERY ms).
 * Until the new primary answers, the pool is in an outage: operations fail
 * at once (503 / temporarily_unavailable), as with one server.
 */

#ifndef _NGX_HTTP_OAUTH_REDIS_SENTINEL_H_INCLUDED_
#define _NGX_HTTP_OAUTH_REDIS_SENTINEL_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_oauth_redis.h"


/*
 * Configuration.  _form() looks at the whole directive: NGX_DECLINED when it
 * names no sentinel option (one server), NGX_OK when it is the Sentinel form
 * (rcf->sentinel allocated; every argument is then an option), NGX_ERROR
 * (logged) for master=/sentinel_password= without sentinel=.  _option()
 * takes sentinel=, master=, sentinel_password= (NGX_DECLINED: not one of
 * them).  _check() runs after all options: master= is required.
 */
ngx_int_t ngx_http_oauth_redis_sentinel_form(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf);
ngx_int_t ngx_http_oauth_redis_sentinel_option(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf, ngx_str_t *value);
ngx_int_t ngx_http_oauth_redis_sentinel_check(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf);

/* A worker starts: ask the sentinels and subscribe (no-op for one server). */
void ngx_http_oauth_redis_sentinel_start(ngx_http_oauth_redis_conf_t *rcf);

/* The pool cannot use the primary it has (a failure, READONLY, ROLE):
 * ask the sentinels again, soon. */
void ngx_http_oauth_redis_sentinel_lost(ngx_http_oauth_redis_sentinel_t *s);

/* The primary the pool connects to, NULL while none is known. */
ngx_addr_t *ngx_http_oauth_redis_sentinel_primary(
    ngx_http_oauth_redis_sentinel_t *s);

/* The handshake's ROLE reply: NGX_OK for a master, else NGX_DECLINED and
 * *role names what the server is. */
ngx_int_t ngx_http_oauth_redis_sentinel_role(void *reply, ngx_str_t *role);


#endif /* _NGX_HTTP_OAUTH_REDIS_SENTINEL_H_INCLUDED_ */
