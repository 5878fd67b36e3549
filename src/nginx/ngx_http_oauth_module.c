/*
 * ngx_http_oauth_module: directives, configuration merge, registration.
 *
 * Keys are read into OpenSSL objects while the configuration is parsed, so a
 * bad key fails `nginx -t` with its file and line; each server that has an
 * issuer and keys gets one immutable core object (oauth_server_t) at merge.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth_module.h"
#include "ngx_http_oauth_redis_sentinel.h"


static ngx_int_t ngx_http_oauth_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_oauth_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_oauth_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_oauth_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_oauth_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child);
static void *ngx_http_oauth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_oauth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);

static char *ngx_http_oauth_issuer(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_oauth_signing_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_oauth_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_oauth_login_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_oauth_kdf_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_oauth_registration(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_oauth_registration_limit(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_oauth_resource(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_oauth_resource_params(ngx_conf_t *cf,
    ngx_http_oauth_srv_conf_t *conf, oauth_server_params_t *params);
static char *ngx_http_oauth_init_main_conf(ngx_conf_t *cf, void *conf);
static ngx_int_t ngx_http_oauth_init_process(ngx_cycle_t *cycle);
static void ngx_http_oauth_redis_sentinel_init_process(ngx_cycle_t *cycle);
static const oauth_key_t *const *ngx_http_oauth_keys_signer_first(
    ngx_conf_t *cf, ngx_http_oauth_srv_conf_t *conf);
static void ngx_http_oauth_key_cleanup(void *data);
static void ngx_http_oauth_server_cleanup(void *data);


/* defaults in seconds, indexed by oauth_ttl_e */
static time_t  ngx_http_oauth_ttl_defaults[OAUTH_TTL_COUNT] = {
    600,            /* oauth_access_token_ttl  10m */
    30 * 86400,     /* oauth_refresh_token_ttl 30d */
    60,             /* oauth_code_ttl          60s */
    8 * 3600,       /* oauth_session_ttl       8h  */
    600,            /* oauth_device_code_ttl   10m */
    5,              /* oauth_device_interval   5s  */
    0               /* oauth_consent_ttl       0: until revoked */
};


/* endpoint directives need Redis, but for the published documents */
#define ngx_http_oauth_endpoint_needs_redis(ep)                              \
    ((ep) != OAUTH_EP_DISCOVERY && (ep) != OAUTH_EP_JWKS                     \
     && (ep) != OAUTH_EP_RESOURCE_METADATA)


#define ngx_http_oauth_ttl_offset(i)                                         \
    (offsetof(ngx_http_oauth_srv_conf_t, ttl) + (i) * sizeof(time_t))

#define ngx_http_oauth_endpoint_command(name, ep)                            \
    { ngx_string(name),                                                      \
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,                                     \
      ngx_http_oauth_endpoint,                                               \
      NGX_HTTP_LOC_CONF_OFFSET,                                              \
      0,                                                                     \
      (void *) (ep) }

#define ngx_http_oauth_ttl_command(name, ttl)                                \
    { ngx_string(name),                                                      \
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,                   \
      ngx_conf_set_sec_slot,                                                 \
      NGX_HTTP_SRV_CONF_OFFSET,                                              \
      ngx_http_oauth_ttl_offset(ttl),                                        \
      NULL }


static ngx_command_t  ngx_http_oauth_commands[] = {

    { ngx_string("oauth_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_oauth_redis_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_oauth_main_conf_t, redis),
      NULL },

    { ngx_string("oauth_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_oauth_issuer,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_oauth_srv_conf_t, issuer),
      NULL },

    { ngx_string("oauth_signing_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE123,
      ngx_http_oauth_signing_key,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("oauth_audience"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_oauth_srv_conf_t, audience),
      NULL },

    { ngx_string("oauth_login_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_oauth_srv_conf_t, login_url),
      NULL },

    { ngx_string("oauth_login_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE3|NGX_CONF_TAKE4,
      ngx_http_oauth_login_limit,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("oauth_kdf_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_oauth_kdf_limit,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    ngx_http_oauth_ttl_command("oauth_access_token_ttl",
                               OAUTH_TTL_ACCESS_TOKEN),
    ngx_http_oauth_ttl_command("oauth_refresh_token_ttl",
                               OAUTH_TTL_REFRESH_TOKEN),
    ngx_http_oauth_ttl_command("oauth_code_ttl", OAUTH_TTL_CODE),
    ngx_http_oauth_ttl_command("oauth_session_ttl", OAUTH_TTL_SESSION),
    ngx_http_oauth_ttl_command("oauth_device_code_ttl",
                               OAUTH_TTL_DEVICE_CODE),
    ngx_http_oauth_ttl_command("oauth_device_interval",
                               OAUTH_TTL_DEVICE_INTERVAL),
    ngx_http_oauth_ttl_command("oauth_consent_ttl", OAUTH_TTL_CONSENT),

    { ngx_string("oauth_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_oauth_loc_conf_t, leeway),
      NULL },

    { ngx_string("oauth_max_body_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_oauth_loc_conf_t, max_body_size),
      NULL },

    { ngx_string("oauth_realm"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_oauth_loc_conf_t, realm),
      NULL },

    /* the origin clients reach this location by, for DPoP's htu */
    { ngx_string("oauth_dpop_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_oauth_loc_conf_t, dpop_origin),
      NULL },

    /* server-provided DPoP nonces, RFC 9449 sections 8 and 9 */
    { ngx_string("oauth_dpop_nonce"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_oauth_dpop_nonce_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_oauth_loc_conf_t, dpop_nonce),
      NULL },

    { ngx_string("oauth_require"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF
          |NGX_CONF_ANY,
      ngx_http_oauth_require_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    ngx_http_oauth_endpoint_command("oauth_discovery", OAUTH_EP_DISCOVERY),
    ngx_http_oauth_endpoint_command("oauth_jwks", OAUTH_EP_JWKS),
    ngx_http_oauth_endpoint_command("oauth_token", OAUTH_EP_TOKEN),
    ngx_http_oauth_endpoint_command("oauth_introspect", OAUTH_EP_INTROSPECT),
    ngx_http_oauth_endpoint_command("oauth_revoke", OAUTH_EP_REVOKE),
    ngx_http_oauth_endpoint_command("oauth_authorize", OAUTH_EP_AUTHORIZE),
    ngx_http_oauth_endpoint_command("oauth_login", OAUTH_EP_LOGIN),
    ngx_http_oauth_endpoint_command("oauth_consent", OAUTH_EP_CONSENT),
    ngx_http_oauth_endpoint_command("oauth_userinfo", OAUTH_EP_USERINFO),
    ngx_http_oauth_endpoint_command("oauth_device_authorization",
                                    OAUTH_EP_DEVICE_AUTHORIZATION),
    ngx_http_oauth_endpoint_command("oauth_device_verification",
                                    OAUTH_EP_DEVICE_VERIFICATION),
    ngx_http_oauth_endpoint_command("oauth_login_accept",
                                    OAUTH_EP_LOGIN_ACCEPT),
    ngx_http_oauth_endpoint_command("oauth_logout", OAUTH_EP_LOGOUT),
    ngx_http_oauth_endpoint_command("oauth_resource_metadata",
                                    OAUTH_EP_RESOURCE_METADATA),

    { ngx_string("oauth_registration"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_oauth_registration,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("oauth_registration_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE13,
      ngx_http_oauth_registration_limit,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("oauth_resource"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_oauth_resource,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("oauth_audit_log"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_oauth_audit_directive,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("oauth_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_oauth_metrics_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_oauth_module_ctx = {
    ngx_http_oauth_preconfiguration,       /* preconfiguration */
    ngx_http_oauth_postconfiguration,      /* postconfiguration */

    ngx_http_oauth_create_main_conf,       /* create main configuration */
    ngx_http_oauth_init_main_conf,         /* init main configuration */

    ngx_http_oauth_create_srv_conf,        /* create server configuration */
    ngx_http_oauth_merge_srv_conf,         /* merge server configuration */

    ngx_http_oauth_create_loc_conf,        /* create location configuration */
    ngx_http_oauth_merge_loc_conf          /* merge location configuration */
};


ngx_module_t  ngx_http_oauth_module = {
    NGX_MODULE_V1,
    &ngx_http_oauth_module_ctx,            /* module context */
    ngx_http_oauth_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_oauth_init_process,           /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_oauth_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_oauth_add_variables(cf);
}


static ngx_int_t
ngx_http_oauth_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_oauth_require_handler;

    /* drops our challenge from a request another access module granted */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_oauth_require_granted_handler;

    return NGX_OK;
}


static void *
ngx_http_oauth_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_oauth_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mcf->redis = NULL;
     */

    mcf->kdf_limit = NGX_CONF_UNSET_UINT;
    mcf->request_id_index = NGX_CONF_UNSET;
    mcf->kdf_queue = NGX_CONF_UNSET_UINT;

    if (ngx_array_init(&mcf->resources, cf->pool, 2,
                       sizeof(ngx_http_oauth_resource_t))
        != NGX_OK)
    {
        return NULL;
    }

#if (NGX_THREADS)
    /* password hashing runs on nginx's "default" thread pool */
    mcf->thread_pool = ngx_thread_pool_add(cf, NULL);
    if (mcf->thread_pool == NULL) {
        return NULL;
    }
#endif

    return mcf;
}


/*
 * 4 password KDF runs in flight per worker bound scrypt's memory at
 * 4 x 32 MiB = 128 MiB per worker (nginx's default thread pool has 32 threads:
 * 1 GiB unbounded); 64 more wait, holding no KDF memory, about 64 x 4 /
 * threads x ~100 ms = 1.6 s at worst.
 */
static char *
ngx_http_oauth_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_oauth_main_conf_t *mcf = conf;

    ngx_conf_init_uint_value(mcf->kdf_limit, 4);
    ngx_conf_init_uint_value(mcf->kdf_queue, 64);

    return NGX_CONF_OK;
}


static void *
ngx_http_oauth_create_srv_conf(ngx_conf_t *cf)
{
    ngx_uint_t                  i;
    ngx_http_oauth_srv_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth_srv_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->issuer = { 0, NULL };
     *     conf->audience = { 0, NULL };
     *     conf->login_url = { 0, NULL };
     *     conf->endpoint_path[] = { 0, NULL };
     *     conf->server = NULL;
     */

    conf->keys = NGX_CONF_UNSET_PTR;
    conf->audit = NGX_CONF_UNSET_PTR;

    for (i = 0; i < OAUTH_TTL_COUNT; i++) {
        conf->ttl[i] = NGX_CONF_UNSET;
    }

    conf->login_limit_user = NGX_CONF_UNSET;
    conf->login_limit_address = NGX_CONF_UNSET;
    conf->login_limit_window = NGX_CONF_UNSET;

    conf->registration_open = NGX_CONF_UNSET;
    conf->registration_limit = NGX_CONF_UNSET;
    conf->registration_window = NGX_CONF_UNSET;

    return conf;
}


static ngx_inline oauth_str_t
ngx_http_oauth_str(ngx_str_t *s)
{
    oauth_str_t  o;

    o.data = (const char *) s->data;
    o.len = s->len;

    return o;
}


static char *
ngx_http_oauth_merge_srv_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_oauth_srv_conf_t *prev = parent;
    ngx_http_oauth_srv_conf_t *conf = child;

    char                        err[256];
    ngx_uint_t                  i;
    ngx_pool_cleanup_t         *cln;
    oauth_server_params_t       params;
    ngx_http_oauth_main_conf_t *mcf;

    ngx_conf_merge_str_value(conf->issuer, prev->issuer, "");
    if (conf->keys == NGX_CONF_UNSET_PTR) {
        /* the array rule: a server listing no key inherits all, roles too */
        conf->keys = prev->keys;
        conf->key_use = prev->key_use;
    }

    if (conf->keys == NGX_CONF_UNSET_PTR) {
        conf->keys = NULL;
    }
    ngx_conf_merge_ptr_value(conf->audit, prev->audit, NULL);
    ngx_conf_merge_str_value(conf->audience, prev->audience, "");
    ngx_conf_merge_str_value(conf->login_url, prev->login_url, "");

    for (i = 0; i < OAUTH_TTL_COUNT; i++) {
        ngx_conf_merge_sec_value(conf->ttl[i], prev->ttl[i],
                                 ngx_http_oauth_ttl_defaults[i]);

        /* remembered consent alone may be kept for good */
        if (conf->ttl[i] <= 0 && i != OAUTH_TTL_CONSENT) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "oauth time settings must be positive");
            return NGX_CONF_ERROR;
        }
    }

    /* SPEC §11: 5 per 1m per user name, 50 per 1m per address */
    if (conf->login_limit_user == NGX_CONF_UNSET) {
        conf->login_limit_user = prev->login_limit_user;
        conf->login_limit_address = prev->login_limit_address;
        conf->login_limit_window = prev->login_limit_window;
    }

    if (conf->login_limit_user == NGX_CONF_UNSET) {
        conf->login_limit_user = 5;
        conf->login_limit_address = 50;
        conf->login_limit_window = 60;
    }

    /* the registration location sets its server's mode; default token */
    ngx_conf_merge_value(conf->registration_open, prev->registration_open, 0);

    if (conf->registration_limit == NGX_CONF_UNSET) {
        conf->registration_limit = prev->registration_limit;
        conf->registration_window = prev->registration_window;
    }

    if (conf->registration_limit == NGX_CONF_UNSET) {
        conf->registration_limit = 20;
        conf->registration_window = 3600;
    }

    if (conf->issuer.len == 0 || conf->keys == NULL || conf->keys->nelts == 0)
    {
        /* endpoints and oauth_require in this server will say what lacks */
        return NGX_CONF_OK;
    }

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_oauth_module);

    ngx_memzero(&params, sizeof(oauth_server_params_t));

    params.issuer = ngx_http_oauth_str(&conf->issuer);
    params.audience = ngx_http_oauth_str(&conf->audience);
    params.login_url = ngx_http_oauth_str(&conf->login_url);

    if (mcf->redis) {
        params.redis_prefix = ngx_http_oauth_str(&mcf->redis->prefix);
    }

    for (i = 0; i < OAUTH_TTL_COUNT; i++) {
        params.ttl[i] = conf->ttl[i];
    }

    params.keys = ngx_http_oauth_keys_signer_first(cf, conf);
    if (params.keys == NULL) {
        return NGX_CONF_ERROR;
    }

    params.nkeys = conf->keys->nelts;

    for (i = 0; i < OAUTH_EP_COUNT; i++) {
        params.endpoint_path[i] = ngx_http_oauth_str(&conf->endpoint_path[i]);
    }

    params.login_limit_user = conf->login_limit_user;
    params.login_limit_address = conf->login_limit_address;
    params.login_limit_window = conf->login_limit_window;

    params.registration_open = conf->registration_open;
    params.registration_limit = conf->registration_limit;
    params.registration_window = conf->registration_window;

    if (ngx_http_oauth_resource_params(cf, conf, &params) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    conf->server = oauth_server_new(&params, err, sizeof(err));
    if (conf->server == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "oauth: %s", err);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_oauth_server_cleanup;
    cln->data = conf->server;

    return NGX_CONF_OK;
}


static void *
ngx_http_oauth_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_oauth_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->realm = { 0, NULL };
     *     conf->resource = { 0, NULL };
     *     conf->rule = NULL;
     *     conf->conf_file = NULL;
     *     conf->conf_line = 0;
     */

    conf->endpoint = NGX_CONF_UNSET;
    conf->require = NGX_CONF_UNSET_PTR;
    conf->leeway = NGX_CONF_UNSET;
    conf->max_body_size = NGX_CONF_UNSET_SIZE;
    conf->dpop_origin = NGX_CONF_UNSET_PTR;
    conf->dpop_nonce = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_oauth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_oauth_loc_conf_t *prev = parent;
    ngx_http_oauth_loc_conf_t *conf = child;

    const char                  *what;
    ngx_http_oauth_srv_conf_t   *oscf;
    ngx_http_oauth_main_conf_t  *mcf;

    if (conf->require == NGX_CONF_UNSET_PTR) {
        conf->require = prev->require;

        if (conf->conf_file == NULL) {
            /* errors about an inherited oauth_require point at it */
            conf->conf_file = prev->conf_file;
            conf->conf_line = prev->conf_line;
        }
    }

    if (conf->require == NGX_CONF_UNSET_PTR) {
        conf->require = NULL;
    }

    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 30);
    ngx_conf_merge_str_value(conf->realm, prev->realm, "api");
    ngx_conf_merge_str_value(conf->resource, prev->resource, "");
    ngx_conf_merge_ptr_value(conf->dpop_origin, prev->dpop_origin, NULL);
    ngx_conf_merge_sec_value(conf->dpop_nonce, prev->dpop_nonce, 0);
    ngx_conf_merge_size_value(conf->max_body_size, prev->max_body_size,
                              64 * 1024);

    if (conf->require == NULL && conf->endpoint == NGX_CONF_UNSET) {
        return NGX_CONF_OK;
    }

    /* the server{} being merged: its srv conf was merged before this */
    oscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_oauth_module);
    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_oauth_module);

    what = (conf->endpoint != NGX_CONF_UNSET) ? "endpoint" : "oauth_require";

    if (oscf->issuer.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "oauth %s needs \"oauth_issuer\" in its server "
                      "in %s:%ui", what, conf->conf_file, conf->conf_line);
        return NGX_CONF_ERROR;
    }

    if (oscf->keys == NULL || oscf->keys->nelts == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "oauth %s needs \"oauth_signing_key\" in its server "
                      "in %s:%ui", what, conf->conf_file, conf->conf_line);
        return NGX_CONF_ERROR;
    }

    if (mcf->redis == NULL
        && (conf->require != NULL
            || (conf->endpoint != NGX_CONF_UNSET
                && ngx_http_oauth_endpoint_needs_redis(conf->endpoint))))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "oauth %s needs \"oauth_redis\" in http{} "
                      "in %s:%ui", what, conf->conf_file, conf->conf_line);
        return NGX_CONF_ERROR;
    }

    if (conf->require != NULL
        && ngx_http_oauth_require_prepare(cf, conf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_oauth_issuer(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_oauth_srv_conf_t *oscf = conf;

    ngx_str_t  *value;

    if (oscf->issuer.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* RFC 8414 §2: an https URL with no query or fragment; http is allowed
     * for development and tests */
    if ((ngx_strncmp(value[1].data, "https://", 8) != 0
         && ngx_strncmp(value[1].data, "http://", 7) != 0)
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '?')
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '#')
        || value[1].len < sizeof("http://x") - 1)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid issuer \"%V\": an http(s) URL without "
                           "query or fragment is expected", &value[1]);
        return NGX_CONF_ERROR;
    }

    oscf->issuer = value[1];

    /* "https://as.example/" and "https://as.example" are one issuer */
    while (oscf->issuer.len > 8
           && oscf->issuer.data[oscf->issuer.len - 1] == '/')
    {
        oscf->issuer.len--;
    }

    return NGX_CONF_OK;
}


/*
 * The core signs with the first key it is given (oauth_server_params_t):
 * the roles of use= come down to the order of that list, made here, so the
 * core's signing code knows nothing of them.  The signer is the key marked
 * use=sign, else the first key without use=; the others keep their order.
 */

static const oauth_key_t *const *
ngx_http_oauth_keys_signer_first(ngx_conf_t *cf,
    ngx_http_oauth_srv_conf_t *conf)
{
    ngx_uint_t           i, n, signer, *use;
    oauth_key_t        **keys;
    const oauth_key_t  **out;

    keys = conf->keys->elts;
    use = conf->key_use->elts;
    n = conf->keys->nelts;
    signer = n;

    for (i = 0; i < n; i++) {
        if (use[i] == NGX_HTTP_OAUTH_KEY_SIGN) {
            signer = i;
            break;
        }

        if (use[i] == NGX_HTTP_OAUTH_KEY_DEFAULT && signer == n) {
            signer = i;
        }
    }

    if (signer == n) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no oauth_signing_key to sign with: every key is "
                           "\"use=verify\"; mark one \"use=sign\"");
        return NULL;
    }

    out = ngx_palloc(cf->pool, n * sizeof(oauth_key_t *));
    if (out == NULL) {
        return NULL;
    }

    out[0] = keys[signer];

    for (i = 0, n = 1; i < conf->keys->nelts; i++) {
        if (i != signer) {
            out[n++] = keys[i];
        }
    }

    return out;
}


/* oauth_signing_key PATH [kid=ID] [use=sign|verify] */

static char *
ngx_http_oauth_signing_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_oauth_srv_conf_t *oscf = conf;

    char                 err[256];
    u_char              *kid;
    ngx_str_t           *value, path;
    ngx_uint_t           i, use, *usep, *uses;
    oauth_key_t         *key, **keyp, **keys;
    ngx_pool_cleanup_t  *cln;

    value = cf->args->elts;
    kid = NULL;
    use = NGX_HTTP_OAUTH_KEY_DEFAULT;

    for (i = 2; i < cf->args->nelts; i++) {

        if (kid == NULL && value[i].len > 4
            && ngx_strncmp(value[i].data, "kid=", 4) == 0)
        {
            kid = value[i].data + 4;   /* NUL-terminated by the parser */
            continue;
        }

        if (use == NGX_HTTP_OAUTH_KEY_DEFAULT
            && ngx_strcmp(value[i].data, "use=sign") == 0)
        {
            use = NGX_HTTP_OAUTH_KEY_SIGN;
            continue;
        }

        if (use == NGX_HTTP_OAUTH_KEY_DEFAULT
            && ngx_strcmp(value[i].data, "use=verify") == 0)
        {
            use = NGX_HTTP_OAUTH_KEY_VERIFY;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\": \"kid=ID\", "
                           "\"use=sign\" or \"use=verify\" is expected",
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    key = oauth_key_load((const char *) path.data, (const char *) kid, err,
                         sizeof(err));
    if (key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cannot use signing key \"%V\": %s", &path, err);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_oauth_key_cleanup;
    cln->data = key;

    if (oscf->keys == NGX_CONF_UNSET_PTR) {
        oscf->keys = ngx_array_create(cf->pool, 2, sizeof(oauth_key_t *));
        if (oscf->keys == NULL) {
            return NGX_CONF_ERROR;
        }

        oscf->key_use = ngx_array_create(cf->pool, 2, sizeof(ngx_uint_t));
        if (oscf->key_use == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    keys = oscf->keys->elts;
    uses = oscf->key_use->elts;

    for (i = 0; i < oscf->keys->nelts; i++) {
        if (ngx_strcmp(oauth_key_kid(keys[i]), oauth_key_kid(key)) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate signing key kid \"%s\"",
                               oauth_key_kid(key));
            return NGX_CONF_ERROR;
        }

        if (use == NGX_HTTP_OAUTH_KEY_SIGN
            && uses[i] == NGX_HTTP_OAUTH_KEY_SIGN)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "a second oauth_signing_key with \"use=sign\": "
                               "one key signs, kid \"%s\" does already",
                               oauth_key_kid(keys[i]));
            return NGX_CONF_ERROR;
        }
    }

    keyp = ngx_array_push(oscf->keys);
    if (keyp == NULL) {
        return NGX_CONF_ERROR;
    }

    *keyp = key;

    usep = ngx_array_push(oscf->key_use);
    if (usep == NULL) {
        return NGX_CONF_ERROR;
    }

    *usep = use;

    return NGX_CONF_OK;
}


static char *
ngx_http_oauth_endpoint(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_oauth_loc_conf_t *olcf = conf;

    oauth_endpoint_e            ep;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_oauth_srv_conf_t  *oscf;

    if (olcf->endpoint != NGX_CONF_UNSET) {
        return "is duplicate: one oauth endpoint per location";
    }

    ep = (oauth_endpoint_e) (uintptr_t) cmd->post;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    oscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_oauth_module);

    clcf->handler = ngx_http_oauth_content_handler;

    olcf->endpoint = ep;
    olcf->conf_file = cf->conf_file->file.name.data;
    olcf->conf_line = cf->conf_file->line;

    /* discovery publishes the issuer's origin + this location's path */
    if (oscf->endpoint_path[ep].len == 0 && clcf->regex == NULL) {
        oscf->endpoint_path[ep] = clcf->name;
    }

    return NGX_CONF_OK;
}


/*
 * oauth_login_limit N per T [address=M|off];  N failed password checks per
 * user name, M (default 50) per client address, in one window T.
 */
static char *
ngx_http_oauth_login_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_oauth_srv_conf_t *oscf = conf;

    time_t      window;
    ngx_int_t   n, address;
    ngx_str_t  *value, s;

    if (oscf->login_limit_user != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);
    if (n == NGX_ERROR || n == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid limit \"%V\": a positive number of failed "
                           "password checks is expected", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (value[2].len != 3 || ngx_strncmp(value[2].data, "per", 3) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\": \"N per T\" is expected",
                           &value[2]);
        return NGX_CONF_ERROR;
    }

    window = ngx_parse_time(&value[3], 1);
    if (window == (time_t) NGX_ERROR || window == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid window \"%V\": a positive time is expected",
                           &value[3]);
        return NGX_CONF_ERROR;
    }

    address = 50;

    if (cf->args->nelts == 5) {
        if (value[4].len <= 8
            || ngx_strncmp(value[4].data, "address=", 8) != 0)
        {
            goto invalid;
        }

        s.data = value[4].data + 8;
        s.len = value[4].len - 8;

        if (s.len == 3 && ngx_strncmp(s.data, "off", 3) == 0) {
            address = -1;

        } else {
            address = ngx_atoi(s.data, s.len);
            if (address == NGX_ERROR || address == 0) {
                goto invalid;
            }
        }
    }

    oscf->login_limit_user = n;
    oscf->login_limit_address = address;
    oscf->login_limit_window = window;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\": \"address=N\" (N > 0) or "
                       "\"address=off\" is expected", &value[4]);
    return NGX_CONF_ERROR;
}


/* oauth_kdf_limit N [queue=M];  per worker */
static char *
ngx_http_oauth_kdf_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_oauth_main_conf_t *mcf = conf;

    ngx_int_t   n, queue;
    ngx_str_t  *value;

    if (mcf->kdf_limit != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);
    if (n == NGX_ERROR || n == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid KDF limit \"%V\": a positive number is "
                           "expected", &value[1]);
        return NGX_CONF_ERROR;
    }

    queue = 64;

    if (cf->args->nelts == 3) {
        queue = NGX_ERROR;

        if (value[2].len > 6 && ngx_strncmp(value[2].data, "queue=", 6) == 0) {
            queue = ngx_atoi(value[2].data + 6, value[2].len - 6);
        }

        if (queue == NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": \"queue=N\" is "
                               "expected", &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    mcf->kdf_limit = n;
    mcf->kdf_queue = queue;

    return NGX_CONF_OK;
}


/* oauth_registration [open|token];  RFC 7591 / RFC 7592 (SPEC section 9) */
static char *
ngx_http_oauth_registration(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                       *rv;
    ngx_str_t                  *value;
    ngx_command_t               ep;
    ngx_http_oauth_srv_conf_t  *oscf;

    value = cf->args->elts;
    oscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_oauth_module);

    if (cf->args->nelts == 1
        || (value[1].len == 5 && ngx_strncmp(value[1].data, "token", 5) == 0))
    {
        oscf->registration_open = 0;

    } else if (value[1].len == 4 && ngx_strncmp(value[1].data, "open", 4) == 0)
    {
        oscf->registration_open = 1;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\": \"open\" or \"token\" "
                           "is expected", &value[1]);
        return NGX_CONF_ERROR;
    }

    ep = *cmd;
    ep.post = (void *) OAUTH_EP_REGISTRATION;

    rv = ngx_http_oauth_endpoint(cf, &ep, conf);

    return rv;
}


/* oauth_registration_limit N per T | off;  per client address */
static char *
ngx_http_oauth_registration_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth_srv_conf_t *oscf = conf;

    time_t      window;
    ngx_int_t   n;
    ngx_str_t  *value;

    if (oscf->registration_limit != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
            oscf->registration_limit = -1;
            oscf->registration_window = 3600;
            return NGX_CONF_OK;
        }

        goto invalid;
    }

    n = ngx_atoi(value[1].data, value[1].len);
    if (n == NGX_ERROR || n == 0
        || value[2].len != 3 || ngx_strncmp(value[2].data, "per", 3) != 0)
    {
        goto invalid;
    }

    window = ngx_parse_time(&value[3], 1);
    if (window == (time_t) NGX_ERROR || window == 0) {
        goto invalid;
    }

    oscf->registration_limit = n;
    oscf->registration_window = window;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid oauth_registration_limit: \"N per T\" "
                       "(N > 0, T a positive time) or \"off\" is expected");
    return NGX_CONF_ERROR;
}


/*
 * oauth_resource URI [scope=S[,S...]];  the protected resource (RFC 8707)
 * of the locations below; every one is also a `resource` value that
 * authorize and token accept, in every server of the configuration.
 */
static char *
ngx_http_oauth_resource(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_oauth_loc_conf_t *olcf = conf;

    u_char                     *p;
    ngx_str_t                  *value, *uri, scopes;
    ngx_uint_t                  i;
    ngx_http_oauth_resource_t  *res;
    ngx_http_oauth_main_conf_t *mcf;

    if (olcf->resource.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    uri = &value[1];

    /* RFC 8707 section 2: an absolute URI without fragment; RFC 9728
     * section 3.1 builds its metadata URL from an http(s) one */
    if ((ngx_strncmp(uri->data, "https://", 8) != 0
         && ngx_strncmp(uri->data, "http://", 7) != 0)
        || uri->len < sizeof("http://x") - 1
        || ngx_strlchr(uri->data, uri->data + uri->len, '#'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid resource \"%V\": an http(s) URL without "
                           "fragment is expected", uri);
        return NGX_CONF_ERROR;
    }

    ngx_str_null(&scopes);

    if (cf->args->nelts == 3) {
        if (value[2].len <= 6 || ngx_strncmp(value[2].data, "scope=", 6) != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid oauth_resource parameter \"%V\": "
                               "\"scope=S[,S...]\" is expected", &value[2]);
            return NGX_CONF_ERROR;
        }

        scopes.len = value[2].len - 6;
        scopes.data = ngx_pnalloc(cf->pool, scopes.len);
        if (scopes.data == NULL) {
            return NGX_CONF_ERROR;
        }

        p = value[2].data + 6;

        for (i = 0; i < scopes.len; i++) {
            scopes.data[i] = (p[i] == ',') ? ' ' : p[i];
        }
    }

    olcf->resource = *uri;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_oauth_module);

    res = ngx_array_push(&mcf->resources);
    if (res == NULL) {
        return NGX_CONF_ERROR;
    }

    res->uri = *uri;
    res->scopes = scopes;
    res->srv_conf = (cf->cmd_type & NGX_HTTP_MAIN_CONF)
                    ? NULL
                    : ngx_http_conf_get_module_srv_conf(cf,
                                                        ngx_http_oauth_module);

    return NGX_CONF_OK;
}


/* every oauth_resource of the configuration, for the server's core */
static ngx_int_t
ngx_http_oauth_resource_params(ngx_conf_t *cf, ngx_http_oauth_srv_conf_t *conf,
    oauth_server_params_t *params)
{
    ngx_uint_t                   i;
    oauth_resource_t            *out;
    ngx_http_oauth_resource_t   *res;
    ngx_http_oauth_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_oauth_module);

    if (mcf->resources.nelts == 0) {
        return NGX_OK;
    }

    /* copied by oauth_server_new(): the temporary pool will do */
    out = ngx_pcalloc(cf->temp_pool,
                      mcf->resources.nelts * sizeof(oauth_resource_t));
    if (out == NULL) {
        return NGX_ERROR;
    }

    res = mcf->resources.elts;

    for (i = 0; i < mcf->resources.nelts; i++) {
        out[i].uri = ngx_http_oauth_str(&res[i].uri);
        out[i].scopes = ngx_http_oauth_str(&res[i].scopes);
        out[i].in_server = (res[i].srv_conf == NULL
                            || res[i].srv_conf == (void *) conf);
    }

    params->resources = out;
    params->nresources = mcf->resources.nelts;

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth_init_process(ngx_cycle_t *cycle)
{
    ngx_http_oauth_redis_sentinel_init_process(cycle);

    return ngx_http_oauth_metrics_init_process(cycle);
}


/* oauth_redis sentinel=...: each worker finds the primary at once */

static void
ngx_http_oauth_redis_sentinel_init_process(ngx_cycle_t *cycle)
{
    ngx_http_oauth_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_oauth_module);

    if (mcf != NULL) {
        ngx_http_oauth_redis_sentinel_start(mcf->redis);
    }
}


static void
ngx_http_oauth_key_cleanup(void *data)
{
    oauth_key_free(data);
}


static void
ngx_http_oauth_server_cleanup(void *data)
{
    oauth_server_free(data);
}
