/*
 * Request headers that nginx does not index, or indexes only once
 * (Authorization keeps the first): the one walk over headers_in that
 * counts them and finds the first.  And the one way the module adds a
 * response header.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth_module.h"


/* How many headers named name (case-insensitive); the first one's value
 * into *first unless first is NULL (null when there is none). */

ngx_uint_t
ngx_http_oauth_header_in(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *first)
{
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    n = 0;

    if (first != NULL) {
        ngx_str_null(first);
    }

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

        if (h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            if (n++ == 0 && first != NULL) {
                *first = h[i].value;
            }
        }
    }

    return n;
}


/*
 * Adds a response header with copies of name and value (the core's strings
 * live only until its next call), filled as nginx's own modules fill one:
 * the key also lowercased (filters and other modules read it), hash set once
 * the header is complete (an error page keeps the header list), and on
 * nginx >= 1.23 next = NULL: ngx_list_push() leaves it uninitialized, and
 * nginx walks it (for WWW-Authenticate when another module grants access
 * under "satisfy any": a worker crashed on it), so our header is the whole
 * list of its name, as auth_basic's is.  NULL when out of memory.
 */

ngx_table_elt_t *
ngx_http_oauth_header_out(ngx_http_request_t *r, const oauth_str_t *name,
    const oauth_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 0;

    h->key.len = name->len;
    h->key.data = ngx_pnalloc(r->pool, name->len ? 2 * name->len : 1);
    h->value.len = value->len;
    h->value.data = ngx_pnalloc(r->pool, value->len ? value->len : 1);

    if (h->key.data == NULL || h->value.data == NULL) {
        return NULL;
    }

    ngx_memcpy(h->key.data, name->data, name->len);
    ngx_memcpy(h->value.data, value->data, value->len);

    h->lowcase_key = h->key.data + name->len;
    ngx_strlow(h->lowcase_key, h->key.data, h->key.len);

#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->hash = 1;

    return h;
}
