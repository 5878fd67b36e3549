/*
 * Request headers that nginx does not index, or indexes only once
 * (Authorization keeps the first): the one walk over headers_in that
 * counts them and finds the first.
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
