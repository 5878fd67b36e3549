/*
 * oauth_session_cache (SPEC section 8): the worker's cache of sessions
 * found alive, kept true by Redis's client-side caching invalidations on a
 * connection of the worker's own.  The rules live in the core
 * (include/oauth_session_cache.h); this is the directive and the socket.
 */

#ifndef _NGX_HTTP_OAUTH_SESSION_CACHE_H_INCLUDED_
#define _NGX_HTTP_OAUTH_SESSION_CACHE_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "oauth_session_cache.h"


/*
 * The worker's cache when the request's server has oauth_session_cache on,
 * else NULL.  The core uses it only while the invalidation link is ready;
 * a link not started yet in this process is started here.
 */
oauth_session_cache_t *ngx_http_oauth_session_cache_get(
    ngx_http_request_t *r);


#endif /* _NGX_HTTP_OAUTH_SESSION_CACHE_H_INCLUDED_ */
