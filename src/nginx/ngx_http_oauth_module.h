/*
 * ngx_http_oauth_module: configuration shared by the glue's files.
 */

#ifndef _NGX_HTTP_OAUTH_MODULE_H_INCLUDED_
#define _NGX_HTTP_OAUTH_MODULE_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "oauth_core.h"
#include "oauth_require.h"
#include "ngx_http_oauth_redis.h"
#include "ngx_http_oauth_metrics.h"
#include "ngx_http_oauth_audit.h"


typedef struct {
    ngx_http_oauth_redis_conf_t  *redis;          /* NULL: no oauth_redis */
    ngx_thread_pool_t            *thread_pool;    /* password hashing */
    ngx_uint_t                    kdf_limit;      /* oauth_kdf_limit: KDF
                                                     runs in flight and */
    ngx_uint_t                    kdf_queue;      /* waiting, per worker */
    ngx_array_t                   resources;      /* of
                                                  ngx_http_oauth_resource_t:
                                                  every oauth_resource */
    ngx_shm_zone_t               *metrics;        /* oauth_metrics, or NULL */
    ngx_int_t                     request_id_index; /* $request_id, for
                                                     oauth_audit_log */
} ngx_http_oauth_main_conf_t;


/* one oauth_resource directive (SPEC section 9) */
typedef struct {
    ngx_str_t                     uri;
    ngx_str_t                     scopes;         /* space-separated */
    void                         *srv_conf;       /* the server{} naming it;
                                                     NULL: at http level */
} ngx_http_oauth_resource_t;


/* oauth_signing_key ... use=: which key signs; every key verifies and is
 * published in JWKS */
#define NGX_HTTP_OAUTH_KEY_DEFAULT  0     /* no use=: the first such signs */
#define NGX_HTTP_OAUTH_KEY_SIGN     1
#define NGX_HTTP_OAUTH_KEY_VERIFY   2


typedef struct {
    ngx_str_t                     issuer;
    ngx_array_t                  *keys;           /* of oauth_key_t *  */
    ngx_array_t                  *key_use;        /* of ngx_uint_t, one per
                                                     key: NGX_HTTP_OAUTH_KEY_* */
    ngx_str_t                     audience;
    ngx_str_t                     login_url;
    time_t                        ttl[OAUTH_TTL_COUNT];
    ngx_str_t                     endpoint_path[OAUTH_EP_COUNT];

    /* oauth_login_limit N per T [address=M|off] */
    ngx_int_t                     login_limit_user;
    ngx_int_t                     login_limit_address;   /* -1: off */
    time_t                        login_limit_window;

    /* oauth_registration open|token; oauth_registration_limit N per T|off */
    ngx_flag_t                    registration_open;
    ngx_int_t                     registration_limit;    /* -1: off */
    time_t                        registration_window;

    ngx_http_oauth_audit_t       *audit;          /* NULL: off */

    oauth_server_t               *server;         /* built when merged */
} ngx_http_oauth_srv_conf_t;


typedef struct ngx_http_oauth_require_s  ngx_http_oauth_require_t;

typedef struct {
    ngx_int_t                     endpoint;       /* oauth_endpoint_e, or
                                                     NGX_CONF_UNSET */
    ngx_http_oauth_require_t     *require;        /* NULL: off; UNSET_PTR */
    time_t                        leeway;
    ngx_str_t                     realm;
    ngx_str_t                     resource;       /* oauth_resource URI */
    size_t                        max_body_size;  /* of an endpoint's
                                                     request, in memory or
                                                     in a temporary file */
    ngx_http_complex_value_t     *dpop_origin;    /* oauth_dpop_origin, or
                                                     NULL (UNSET_PTR) */
    time_t                        dpop_nonce;     /* oauth_dpop_nonce
                                                     lifetime; 0: off */
    oauth_require_rule_t         *rule;           /* require with this
                                                     location's leeway and
                                                     realm, made when merged */

    /* where the endpoint or oauth_require was declared, for merge errors */
    u_char                       *conf_file;
    ngx_uint_t                    conf_line;
} ngx_http_oauth_loc_conf_t;


extern ngx_module_t  ngx_http_oauth_module;


/* ngx_http_oauth_handler.c: the one content handler of every endpoint */
ngx_int_t ngx_http_oauth_content_handler(ngx_http_request_t *r);

/* ngx_http_oauth_require.c: edge protection */
char *ngx_http_oauth_require_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_oauth_require_prepare(ngx_conf_t *cf,
    ngx_http_oauth_loc_conf_t *olcf);
ngx_int_t ngx_http_oauth_require_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_oauth_require_granted_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_oauth_add_variables(ngx_conf_t *cf);

/* ngx_http_oauth_dpop.c: what DPoP proofs are checked against */
ngx_uint_t ngx_http_oauth_dpop_header(ngx_http_request_t *r,
    ngx_str_t *value);
ngx_int_t ngx_http_oauth_dpop_url(ngx_http_request_t *r, ngx_str_t *url);
char *ngx_http_oauth_dpop_nonce_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_oauth_dpop_nonce_header(ngx_http_request_t *r,
    oauth_str_t *nonce);

/* ngx_http_oauth_header.c: request headers nginx does not index, and the
 * response headers the module adds */
ngx_uint_t ngx_http_oauth_header_in(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *first);
ngx_table_elt_t *ngx_http_oauth_header_out(ngx_http_request_t *r,
    const oauth_str_t *name, const oauth_str_t *value);


#endif /* _NGX_HTTP_OAUTH_MODULE_H_INCLUDED_ */
