/*
 * oauth_audit_log: the directive and the writer.
 *
 * A line is written by one write() on a file opened with O_APPEND (nginx's
 * open files are), so lines of several workers never interleave, and an
 * event is on disk as soon as the request that caused it is answered: an
 * audit trail is not buffered the way access_log may be.  Security events
 * are few (sign-ins, tokens issued), the syscall is cheap next to the Redis
 * round trips of the same request.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth_module.h"


/* the longest line: identifiers are bounded well below this by the core */
#define NGX_HTTP_OAUTH_AUDIT_MAX  4096


static ngx_str_t  ngx_http_oauth_request_id = ngx_string("request_id");


char *
ngx_http_oauth_audit_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_oauth_srv_conf_t *oscf = conf;

    ngx_str_t                   *value;
    ngx_int_t                    index;
    ngx_http_oauth_audit_t      *audit;
    ngx_http_oauth_main_conf_t  *mcf;

    if (oscf->audit != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        oscf->audit = NULL;
        return NGX_CONF_OK;
    }

    audit = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth_audit_t));
    if (audit == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_strncmp(value[1].data, "syslog:", 7) == 0) {
        audit->syslog = ngx_pcalloc(cf->pool, sizeof(ngx_syslog_peer_t));
        if (audit->syslog == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_syslog_process_conf(cf, audit->syslog) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }

    } else {
        audit->file = ngx_conf_open_file(cf->cycle, &value[1]);
        if (audit->file == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_oauth_module);

    if (mcf->request_id_index == NGX_CONF_UNSET) {
        index = ngx_http_get_variable_index(cf, &ngx_http_oauth_request_id);
        if (index == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }

        mcf->request_id_index = index;
    }

    oscf->audit = audit;

    return NGX_CONF_OK;
}


void
ngx_http_oauth_audit_write(ngx_http_request_t *r, const oauth_event_t *ev)
{
    u_char                      *p, *start, buf[NGX_HTTP_OAUTH_AUDIT_MAX];
    size_t                       n;
    ssize_t                      written;
    oauth_str_t                  time, addr, id;
    ngx_http_variable_value_t   *vv;
    ngx_http_oauth_audit_t      *audit;
    ngx_http_oauth_srv_conf_t   *oscf;
    ngx_http_oauth_main_conf_t  *mcf;

    oscf = ngx_http_get_module_srv_conf(r, ngx_http_oauth_module);
    audit = oscf->audit;

    /* counted in oauth_metrics, not an audit event */
    if (audit == NULL || ev->kind == OAUTH_EVENT_TOKEN_ERROR) {
        return;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_oauth_module);

    id.data = "";
    id.len = 0;

    vv = ngx_http_get_indexed_variable(r, mcf->request_id_index);
    if (vv != NULL && !vv->not_found) {
        id.data = (const char *) vv->data;
        id.len = vv->len;
    }

    time.data = (const char *) ngx_cached_http_log_iso8601.data;
    time.len = ngx_cached_http_log_iso8601.len;
    addr.data = (const char *) r->connection->addr_text.data;
    addr.len = r->connection->addr_text.len;

    p = buf;

    if (audit->syslog) {
        /* "<PRI>TIMESTAMP HOSTNAME TAG: ", as access_log's syslog: */
        p = ngx_syslog_add_header(audit->syslog, buf);
    }

    start = p;

    n = oauth_event_audit_line(ev, time, addr, id, (char *) p,
                               buf + sizeof(buf) - p);
    if (n == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth_audit_log: event %d not written: its line is "
                      "past %d bytes", (int) ev->kind,
                      NGX_HTTP_OAUTH_AUDIT_MAX);
        return;
    }

    if (audit->syslog) {
        /* one message a line: syslog frames it, no newline */
        (void) ngx_syslog_send(audit->syslog, buf, p - buf + n - 1);
        return;
    }

    written = ngx_write_fd(audit->file->fd, start, n);

    if (written != (ssize_t) n) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log,
                      written == -1 ? ngx_errno : 0,
                      "oauth_audit_log: write() to \"%V\" failed",
                      &audit->file->name);
    }
}
