/*
 * Edge protection: the oauth_require directive, its access-phase handler
 * and the $oauth_* variables (SPEC section 5).
 *
 * The handler is re-entrant, as auth_request's: the first entry asks the
 * core (Bearer parsing, JWS verification or the worker's cache of verified
 * tokens, policy); when the core wants the session checked, its Redis step
 * (the EXISTS, and a DPoP proof's jti) goes through the one executor of the
 * core's Redis steps (ngx_http_oauth_wait.c, which also cancels it when the
 * client leaves or the request ends), the request is held
 * (r->main->count++, NGX_DONE), and the reply resumes the phases, where the
 * handler is entered again and returns the stored decision.
 *
 * Access-phase semantics, as for auth_basic and auth_request:
 *   - subrequests skip the access phase altogether (nginx itself); they see
 *     the main request's variables;
 *   - an internal redirect clears the module context: the new location is
 *     checked afresh;
 *   - limit_req and limit_conn run in the pre-access phase, before this;
 *   - this handler is registered after the static modules', so nginx runs
 *     it first in the access phase; under "satisfy all" auth_request and
 *     allow/deny run only once the token passed;
 *   - under "satisfy any" a valid token grants access by itself, and a 401
 *     or 403 from here lets another access module (allow 127.0.0.1, ...)
 *     grant it instead (nginx then drops our WWW-Authenticate header); a
 *     400 or 503 ends the request whatever the other modules would say:
 *     a broken request or an unavailable session store fails closed.
 *
 * Denials are logged at info with the core's reason, a Redis failure at
 * error; never the token.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth_module.h"
#include "ngx_http_oauth_session_cache.h"
#include "ngx_http_oauth_wait.h"


#define NGX_HTTP_OAUTH_REQUIRE_MAX_SCOPES  64


struct ngx_http_oauth_require_s {
    oauth_str_t                 *scopes;
    ngx_uint_t                   nscopes;
    ngx_str_t                    audience;
    ngx_int_t                    dpop;        /* OAUTH_REQUIRE_DPOP_*, or
                                                 NGX_CONF_UNSET */
};


typedef struct {
    ngx_http_request_t          *request;
    oauth_require_t             *handle;
    ngx_http_oauth_wait_t        wait;        /* the session check */
    ngx_int_t                    rc;          /* NGX_OK or a status */
    ngx_table_elt_t             *challenge;   /* our WWW-Authenticate */
    unsigned                     done:1;
} ngx_http_oauth_require_ctx_t;


static ngx_int_t ngx_http_oauth_require_decide(ngx_http_request_t *r,
    ngx_http_oauth_require_ctx_t *ctx, oauth_require_result_t *res);
static void ngx_http_oauth_require_resume(ngx_http_request_t *r, void *data,
    const oauth_redis_reply_t *const *replies, size_t n);
static void ngx_http_oauth_require_free(void *data);
static void ngx_http_oauth_require_rule_free(void *data);
static ngx_int_t ngx_http_oauth_require_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_oauth_require_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


/*
 * A module of its own only for the request context: endpoint content
 * handlers keep theirs in ngx_http_oauth_module's slot, and a location may
 * both require a token and serve an endpoint.
 */
static ngx_http_module_t  ngx_http_oauth_require_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */
    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */
    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */
    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_oauth_require_module = {
    NGX_MODULE_V1,
    &ngx_http_oauth_require_module_ctx,    /* module context */
    NULL,                                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_oauth_claim_sub = ngx_string("sub");
static ngx_str_t  ngx_http_oauth_claim_client_id = ngx_string("client_id");
static ngx_str_t  ngx_http_oauth_claim_scope = ngx_string("scope");
static ngx_str_t  ngx_http_oauth_claim_jti = ngx_string("jti");
static ngx_str_t  ngx_http_oauth_claim_exp = ngx_string("exp");


/*
 * Not cacheable: a variable read before the access phase (in a rewrite,
 * say) must not pin an empty value for the rest of the request.
 */
static ngx_http_variable_t  ngx_http_oauth_require_vars[] = {

    { ngx_string("oauth_sub"), NULL, ngx_http_oauth_require_variable,
      (uintptr_t) &ngx_http_oauth_claim_sub, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oauth_client_id"), NULL, ngx_http_oauth_require_variable,
      (uintptr_t) &ngx_http_oauth_claim_client_id,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oauth_scope"), NULL, ngx_http_oauth_require_variable,
      (uintptr_t) &ngx_http_oauth_claim_scope, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oauth_jti"), NULL, ngx_http_oauth_require_variable,
      (uintptr_t) &ngx_http_oauth_claim_jti, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oauth_exp"), NULL, ngx_http_oauth_require_variable,
      (uintptr_t) &ngx_http_oauth_claim_exp, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oauth_claim_"), NULL,
      ngx_http_oauth_require_claim_variable, 0,
      NGX_HTTP_VAR_PREFIX|NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/* oauth_require off | [scope=S[,S...]] [aud=URI] [dpop=allowed|required] */

char *
ngx_http_oauth_require_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth_loc_conf_t *olcf = conf;

    u_char                    *p, *last, *start;
    ngx_str_t                 *value;
    ngx_uint_t                 i, n;
    oauth_str_t                scope;
    ngx_http_oauth_require_t  *req;

    if (olcf->require != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    olcf->conf_file = cf->conf_file->file.name.data;
    olcf->conf_line = cf->conf_file->line;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        olcf->require = NULL;
        return NGX_CONF_OK;
    }

    req = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth_require_t));
    if (req == NULL) {
        return NGX_CONF_ERROR;
    }

    req->dpop = NGX_CONF_UNSET;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "scope=", 6) == 0) {

            if (req->scopes != NULL) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"scope=\" in oauth_require");
                return NGX_CONF_ERROR;
            }

            req->scopes = ngx_pcalloc(cf->pool, sizeof(oauth_str_t)
                                      * NGX_HTTP_OAUTH_REQUIRE_MAX_SCOPES);
            if (req->scopes == NULL) {
                return NGX_CONF_ERROR;
            }

            p = value[i].data + 6;
            last = value[i].data + value[i].len;
            n = 0;

            for ( ;; ) {
                start = p;

                while (p < last && *p != ',') {
                    p++;
                }

                scope.data = (const char *) start;
                scope.len = p - start;

                if (!oauth_require_scope_valid(scope)) {
                    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                       "invalid scope \"%*s\" in "
                                       "oauth_require: a scope is one or "
                                       "more of %%x21 / %%x23-5B / %%x5D-7E "
                                       "(RFC 6749 section 3.3), scopes are "
                                       "separated by commas",
                                       scope.len, start);
                    return NGX_CONF_ERROR;
                }

                if (n == NGX_HTTP_OAUTH_REQUIRE_MAX_SCOPES) {
                    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                       "too many scopes in oauth_require");
                    return NGX_CONF_ERROR;
                }

                req->scopes[n++] = scope;

                if (p == last) {
                    break;
                }

                p++;
            }

            req->nscopes = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "aud=", 4) == 0) {

            if (req->audience.data != NULL) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"aud=\" in oauth_require");
                return NGX_CONF_ERROR;
            }

            req->audience.data = value[i].data + 4;
            req->audience.len = value[i].len - 4;

            if (req->audience.len == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "empty \"aud=\" in oauth_require");
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "dpop=", 5) == 0) {

            if (req->dpop != NGX_CONF_UNSET) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"dpop=\" in oauth_require");
                return NGX_CONF_ERROR;
            }

            if (ngx_strcmp(value[i].data + 5, "allowed") == 0) {
                req->dpop = OAUTH_REQUIRE_DPOP_ALLOWED;

            } else if (ngx_strcmp(value[i].data + 5, "required") == 0) {
                req->dpop = OAUTH_REQUIRE_DPOP_REQUIRED;

            } else {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"%V\" in oauth_require: "
                                   "expected \"dpop=allowed\" or "
                                   "\"dpop=required\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strcmp(value[i].data, "off") == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"off\" must be the only argument of "
                               "oauth_require");
            return NGX_CONF_ERROR;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in oauth_require: "
                           "expected \"off\", \"scope=S[,S...]\", "
                           "\"aud=URI\" or \"dpop=allowed|required\"",
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    olcf->require = req;

    return NGX_CONF_OK;
}


/*
 * The location's rule for the core, made once when the location is merged
 * (its leeway and realm are known then) and freed with the configuration.
 */

ngx_int_t
ngx_http_oauth_require_prepare(ngx_conf_t *cf, ngx_http_oauth_loc_conf_t *olcf)
{
    ngx_pool_cleanup_t        *cln;
    oauth_require_policy_t     policy;
    ngx_http_oauth_require_t  *req;

    if (olcf->rule != NULL) {
        return NGX_OK;
    }

    req = olcf->require;

    policy.scopes = req->scopes;
    policy.nscopes = req->nscopes;
    policy.audience.data = (const char *) req->audience.data;
    policy.audience.len = req->audience.len;
    policy.resource.data = (const char *) olcf->resource.data;
    policy.resource.len = olcf->resource.len;
    policy.leeway = olcf->leeway;
    policy.realm.data = (const char *) olcf->realm.data;
    policy.realm.len = olcf->realm.len;
    policy.dpop = (req->dpop == NGX_CONF_UNSET) ? OAUTH_REQUIRE_DPOP_ALLOWED
                                                : (int) req->dpop;
    policy.dpop_nonce_lifetime = olcf->dpop_nonce;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    olcf->rule = oauth_require_rule_new(&policy);
    if (olcf->rule == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_oauth_require_rule_free;
    cln->data = olcf->rule;

    return NGX_OK;
}


static void
ngx_http_oauth_require_rule_free(void *data)
{
    oauth_require_rule_free(data);
}


ngx_int_t
ngx_http_oauth_require_handler(ngx_http_request_t *r)
{
    ngx_str_t                     *auth, dpop, url;
    oauth_str_t                    header = { NULL, 0 }, proof;
    oauth_require_request_t        req;
    ngx_pool_cleanup_t            *cln;
    oauth_require_result_t         res;
    ngx_http_oauth_srv_conf_t     *oscf;
    ngx_http_oauth_loc_conf_t     *olcf;
    ngx_http_oauth_main_conf_t    *mcf;
    ngx_http_oauth_require_ctx_t  *ctx;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth_module);

    if (olcf->rule == NULL) {
        /* oauth_require is off here */
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth_require_module);

    if (ctx != NULL) {
        /* entered again: after the Redis reply, or woken while waiting */
        return ctx->done ? ctx->rc : NGX_AGAIN;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_oauth_require_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;

    /* frees the core's handle (and the claims the variables point into)
     * when the request's memory goes */
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_oauth_require_free;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_oauth_require_module);

    oscf = ngx_http_get_module_srv_conf(r, ngx_http_oauth_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_oauth_module);

    if (r->headers_in.authorization) {
        auth = &r->headers_in.authorization->value;
        header.data = (const char *) auth->data;
        header.len = auth->len;
    }

    ngx_memzero(&req, sizeof(oauth_require_request_t));

    req.authorization = r->headers_in.authorization ? &header : NULL;
    req.method.data = (const char *) r->method_name.data;
    req.method.len = r->method_name.len;

    /* a request without a DPoP header costs nothing more than before; the
     * core refuses a DPoP-scheme token without a proof by itself */
    req.dpop_count = ngx_http_oauth_dpop_header(r, &dpop);

    if (req.dpop_count) {
        if (ngx_http_oauth_dpop_url(r, &url) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        proof.data = (const char *) dpop.data;
        proof.len = dpop.len;
        req.dpop = &proof;
        req.url.data = (const char *) url.data;
        req.url.len = url.len;
    }

    /* oauth_session_cache: a remembered session needs no Redis */
    req.session_cache = ngx_http_oauth_session_cache_get(r);

    ctx->handle = oauth_require_check_request(oscf->server, olcf->rule, &req,
                                              (int64_t) ngx_time(), &res);

    ngx_http_oauth_metrics_caches(&res);

    if (res.verdict == OAUTH_REQUIRE_REDIS) {

        switch (ngx_http_oauth_wait_redis(r, &ctx->wait, mcf->redis,
                                          res.redis_command, res.redis_count,
                                          ngx_http_oauth_require_resume, ctx))
        {
        case NGX_AGAIN:
            r->main->count++;
            return NGX_DONE;

        case NGX_DECLINED:
            /* Redis is known to be down (an outage) or memory ran out */
            oauth_require_resume_unavailable(ctx->handle, &res);
            break;

        default:
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ctx->rc = ngx_http_oauth_require_decide(r, ctx, &res);
    ctx->done = 1;

    return ctx->rc;
}


/* The session check answered (or Redis failed): the decision, then back into
 * the access phase, where the handler returns ctx->rc. */

static void
ngx_http_oauth_require_resume(ngx_http_request_t *r, void *data,
    const oauth_redis_reply_t *const *replies, size_t n)
{
    ngx_http_oauth_require_ctx_t *ctx = data;

    oauth_require_result_t  res;

    if (r->connection->error) {
        /* the client is gone but its going was not seen yet (the reply
         * came first in this event loop pass): end here, never resume the
         * phases towards the upstream */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "oauth_require: client closed the request while "
                      "its session was checked");
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    if (replies != NULL) {
        /* the session check's reply, and the DPoP jti's when one was sent */
        oauth_require_resume_redis(ctx->handle, replies, n, &res);

    } else {
        oauth_require_resume_unavailable(ctx->handle, &res);
    }

    ctx->rc = ngx_http_oauth_require_decide(r, ctx, &res);
    ctx->done = 1;

    r->main->count--;

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


/* The core's verdict as the access handler's return value. */

static ngx_int_t
ngx_http_oauth_require_decide(ngx_http_request_t *r,
    ngx_http_oauth_require_ctx_t *ctx, oauth_require_result_t *res)
{
    ngx_str_t         reason;
    ngx_uint_t        level;
    ngx_table_elt_t  *h;

    static oauth_str_t  www_authenticate = {
        "WWW-Authenticate", sizeof("WWW-Authenticate") - 1
    };

    reason.data = (u_char *) res->log_reason.data;
    reason.len = res->log_reason.len;

    ngx_http_oauth_metrics_require(res);

    if (res->dpop_nonce.len
        && ngx_http_oauth_dpop_nonce_header(r, &res->dpop_nonce) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (res->verdict == OAUTH_REQUIRE_ALLOW) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "oauth_require: access granted");
        return NGX_OK;
    }

    if (res->status == 0) {
        res->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (res->status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
        /* a failure of the driver is logged at error by it, once per
         * outage, not here once per request; a Redis error reply is */
        level = ctx->wait.failed ? NGX_LOG_INFO : NGX_LOG_ERR;

        ngx_log_error(level, r->connection->log, 0,
                      "oauth_require: %ui, %V", (ngx_uint_t) res->status,
                      &reason);

    } else {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "oauth_require: access denied with %ui, %V",
                      (ngx_uint_t) res->status, &reason);
    }

    if (res->www_authenticate.len) {
        h = ngx_http_oauth_header_out(r, &www_authenticate,
                                      &res->www_authenticate);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* so that "satisfy any" can drop it when another module allows */
        r->headers_out.www_authenticate = h;
        ctx->challenge = h;
    }

    return res->status;
}


/*
 * Precontent phase: a request that gets here was granted access.  Under
 * "satisfy any" a refusal from oauth_require may have been followed by a
 * grant from another access module; nginx then clears only the
 * WWW-Authenticate that r->headers_out.www_authenticate leads to (1.23+:
 * the list it heads), and auth_basic replaces that pointer with its own
 * challenge, so ours could survive into a granted answer.  Drop it here,
 * on every nginx version.
 */

ngx_int_t
ngx_http_oauth_require_granted_handler(ngx_http_request_t *r)
{
    ngx_http_oauth_require_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth_require_module);

    if (ctx != NULL && ctx->challenge != NULL) {
        ctx->challenge->hash = 0;
        ctx->challenge = NULL;
    }

    return NGX_DECLINED;
}


static void
ngx_http_oauth_require_free(void *data)
{
    ngx_http_oauth_require_ctx_t *ctx = data;

    ngx_http_oauth_wait_cancel(&ctx->wait);

    if (ctx->handle) {
        oauth_require_free(ctx->handle);
        ctx->handle = NULL;
    }
}


ngx_int_t
ngx_http_oauth_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_oauth_require_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth_require_get(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *name)
{
    oauth_str_t                    claim, value;
    ngx_http_oauth_require_ctx_t  *ctx;

    /* subrequests skip the access phase: they carry the main request's */
    ctx = ngx_http_get_module_ctx(r->main, ngx_http_oauth_require_module);

    claim.data = (const char *) name->data;
    claim.len = name->len;

    if (ctx == NULL || ctx->handle == NULL || !ctx->done || ctx->rc != NGX_OK
        || !oauth_require_claim(ctx->handle, claim, &value))
    {
        v->not_found = 1;
        return NGX_OK;
    }

    /* the value lives in the claims until the request pool goes */
    v->data = (u_char *) value.data;
    v->len = value.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth_require_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    return ngx_http_oauth_require_get(r, v, (ngx_str_t *) data);
}


static ngx_int_t
ngx_http_oauth_require_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  *var = (ngx_str_t *) data;

    ngx_str_t  name;

    name.data = var->data + sizeof("oauth_claim_") - 1;
    name.len = var->len - (sizeof("oauth_claim_") - 1);

    return ngx_http_oauth_require_get(r, v, &name);
}
