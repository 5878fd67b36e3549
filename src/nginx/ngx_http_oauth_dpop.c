/*
 * What DPoP (RFC 9449) needs of a request, for the endpoints and for
 * oauth_require: the DPoP header (and how many there were), and the URL as
 * the client saw it, which a proof's htu must name.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth_module.h"


/* The first DPoP header into *value; the number of DPoP headers. */

ngx_uint_t
ngx_http_oauth_dpop_header(ngx_http_request_t *r, ngx_str_t *value)
{
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    n = 0;
    ngx_str_null(value);

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("DPoP") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "DPoP",
                               sizeof("DPoP") - 1) == 0)
        {
            if (n++ == 0) {
                *value = h[i].value;
            }
        }
    }

    return n;
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
