/*
 * What DPoP (RFC 9449) needs of a request, for the endpoints and for
 * oauth_require: the DPoP header (and how many there were), and the URL as
 * the client saw it, which a proof's htu must name; and oauth_dpop_nonce,
 * the server's nonces (sections 8 and 9): the directive and the DPoP-Nonce
 * header of an answer.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth_module.h"


#define NGX_HTTP_OAUTH_DPOP_NONCE_LIFETIME  300     /* 5m */
#define NGX_HTTP_OAUTH_DPOP_NONCE_MAX       86400   /* 1d */


/* The first DPoP header into *value; the number of DPoP headers. */

ngx_uint_t
ngx_http_oauth_dpop_header(ngx_http_request_t *r, ngx_str_t *value)
{
    static ngx_str_t  name = ngx_string("DPoP");

    return ngx_http_oauth_header_in(r, &name, value);
}


/*
 * The request URL as the client saw it: oauth_dpop_origin when set (behind
 * a proxy that ended TLS or renamed the host), else the scheme of the
 * connection nginx accepted and the Host header (the server name without
 * one); then the path as sent, query included (the core drops it).
 */

ngx_int_t
ngx_http_oauth_dpop_url(ngx_http_request_t *r, ngx_str_t *url)
{
    u_char                     *p;
    ngx_str_t                   origin, scheme, host, path;
    ngx_http_oauth_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth_module);

    path = r->unparsed_uri;

    if (path.len == 0 || path.data[0] != '/') {
        /* an absolute-form request target: nginx parsed its path into uri */
        path = r->uri;
    }

    if (olcf->dpop_origin != NULL) {
        if (ngx_http_complex_value(r, olcf->dpop_origin, &origin) != NGX_OK) {
            return NGX_ERROR;
        }

        while (origin.len && origin.data[origin.len - 1] == '/') {
            origin.len--;
        }

        url->len = origin.len + path.len;
        url->data = ngx_pnalloc(r->pool, url->len);
        if (url->data == NULL) {
            return NGX_ERROR;
        }

        p = ngx_cpymem(url->data, origin.data, origin.len);
        ngx_memcpy(p, path.data, path.len);

        return NGX_OK;
    }

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        ngx_str_set(&scheme, "https");
    } else
#endif
    {
        ngx_str_set(&scheme, "http");
    }

    if (r->headers_in.host) {
        host = r->headers_in.host->value;

    } else {
        host = r->headers_in.server;
    }

    url->len = scheme.len + sizeof("://") - 1 + host.len + path.len;
    url->data = ngx_pnalloc(r->pool, url->len);
    if (url->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(url->data, scheme.data, scheme.len);
    p = ngx_cpymem(p, "://", sizeof("://") - 1);
    p = ngx_cpymem(p, host.data, host.len);
    ngx_memcpy(p, path.data, path.len);

    return NGX_OK;
}


/* oauth_dpop_nonce on | off [lifetime=T]; the lifetime (default 5m) or 0 */

char *
ngx_http_oauth_dpop_nonce_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    time_t     *lifetime;
    ngx_str_t  *value, arg;

    lifetime = (time_t *) (p + cmd->offset);

    if (*lifetime != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts > 2) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"oauth_dpop_nonce off\" takes no lifetime");
            return NGX_CONF_ERROR;
        }

        *lifetime = 0;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[1].data, "on") != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\", expected \"on\" or "
                           "\"off\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    *lifetime = NGX_HTTP_OAUTH_DPOP_NONCE_LIFETIME;

    if (cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

    if (value[2].len <= sizeof("lifetime=") - 1
        || ngx_strncmp(value[2].data, "lifetime=", sizeof("lifetime=") - 1)
           != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\", expected "
                           "\"lifetime=T\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    arg.data = value[2].data + sizeof("lifetime=") - 1;
    arg.len = value[2].len - (sizeof("lifetime=") - 1);

    *lifetime = ngx_parse_time(&arg, 1);

    if (*lifetime == (time_t) NGX_ERROR || *lifetime < 1
        || *lifetime > NGX_HTTP_OAUTH_DPOP_NONCE_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid nonce lifetime \"%V\", expected 1s to 1d",
                           &arg);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* The DPoP-Nonce header of an answer (RFC 9449 section 8.1), copied: the
 * core's string lives only until its next call. */

ngx_int_t
ngx_http_oauth_dpop_nonce_header(ngx_http_request_t *r, oauth_str_t *nonce)
{
    static oauth_str_t  name = { "DPoP-Nonce", sizeof("DPoP-Nonce") - 1 };

    if (ngx_http_oauth_header_out(r, &name, nonce) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}
