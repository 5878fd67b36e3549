/*
 * oauth_audit_log PATH | syslog:... | off;  (SPEC section 11)
 *
 * One JSON object a line per security event the core reports with a step
 * (oauth_event_t); the core formats the line, this writes it through
 * nginx's own machinery: a file nginx opens and reopens (USR1) as it does
 * access_log's, or syslog as access_log's syslog: does.
 */

#ifndef _NGX_HTTP_OAUTH_AUDIT_H_INCLUDED_
#define _NGX_HTTP_OAUTH_AUDIT_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "oauth_core.h"


typedef struct {
    ngx_open_file_t              *file;       /* or */
    ngx_syslog_peer_t            *syslog;
} ngx_http_oauth_audit_t;


char *ngx_http_oauth_audit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_oauth_audit_write(ngx_http_request_t *r,
    const oauth_event_t *ev);


#endif /* _NGX_HTTP_OAUTH_AUDIT_H_INCLUDED_ */
