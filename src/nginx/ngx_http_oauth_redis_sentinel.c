/*
 * ngx_http_oauth_module: Redis Sentinel discovery (see the header for the
 * behaviour).  Two connections per worker, both nginx peer connections on
 * the event loop with a hiredis reader: a query, opened when the pool needs
 * the primary and closed once answered, and a subscription, kept open.
 * The only way out of this file is ngx_http_oauth_redis_primary_changed().
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>

#include "ngx_http_oauth_redis.h"
#include "ngx_http_oauth_redis_sentinel.h"


#define NGX_HTTP_OAUTH_SENTINEL_PORT        26379

/*
 * The pool asks again after every failure of its primary; one query per
 * ASK_EVERY ms is enough (the subscription, not polling, follows a failover
 * at once) and costs the sentinels little during a long outage.
 */
#define NGX_HTTP_OAUTH_SENTINEL_ASK_EVERY   250

/* a lost subscription is made again on the next sentinel after this */
#define NGX_HTTP_OAUTH_SENTINEL_RESUBSCRIBE 200

/* a PING on the subscription every PING ms: a silent sentinel is lost */
#define NGX_HTTP_OAUTH_SENTINEL_PING        2000

/* a sentinel's answer, at the least (oauth_redis timeout= may be tighter) */
#define NGX_HTTP_OAUTH_SENTINEL_TIMEOUT     500


typedef struct {
    ngx_http_oauth_redis_sentinel_t  *sentinel;
    ngx_peer_connection_t             peer;
    ngx_log_t                         log;
    redisReader                      *reader;

    ngx_str_t                        *out;       /* the commands to send */
    size_t                            sent;
    ngx_uint_t                        replies;   /* read so far */
    ngx_uint_t                        index;     /* which sentinel */
    ngx_uint_t                        generation; /* one per connect */

    unsigned                          subscription:1;
    unsigned                          connected:1;
    unsigned                          subscribed:1;
    unsigned                          pinged:1;  /* a PING awaits its pong */
} ngx_http_oauth_redis_sentinel_conn_t;


struct ngx_http_oauth_redis_sentinel_s {
    ngx_http_oauth_redis_conf_t          *conf;

    ngx_array_t                           sentinels;   /* ngx_addr_t */
    ngx_str_t                             master;
    ngx_str_t                             password;    /* sentinels' AUTH */
    unsigned                              listed:1;    /* sentinel= seen */

    ngx_str_t                             query;       /* [AUTH] SENTINEL .. */
    ngx_uint_t                            query_n;
    ngx_str_t                             subscribe;   /* [AUTH] SUBSCRIBE */
    ngx_uint_t                            subscribe_n;
    ngx_str_t                             ping;

    /* the primary: rcf->addrs points here */
    ngx_addr_t                            primary;
    ngx_sockaddr_t                        primary_sockaddr;
    u_char                                primary_name[NGX_SOCKADDR_STRLEN];
    unsigned                              known:1;

    ngx_http_oauth_redis_sentinel_conn_t  q;
    ngx_uint_t                            q_first;    /* a round starts here */
    ngx_uint_t                            q_tried;    /* in this round */
    ngx_msec_t                            asked_at;
    unsigned                              asked:1;
    unsigned                              q_same:1;   /* last answer: no news */
    unsigned                              failing:1;  /* no sentinel answers */
    ngx_event_t                           ask_ev;     /* a deferred query */

    ngx_http_oauth_redis_sentinel_conn_t  sub;
    ngx_uint_t                            sub_next;
    ngx_event_t                           sub_ev;     /* resubscribe, PING */
    unsigned                              started:1;

    ngx_log_t                             log;
};


static ngx_int_t ngx_http_oauth_redis_sentinel_list(ngx_conf_t *cf,
    ngx_http_oauth_redis_sentinel_t *s, ngx_str_t *list);
static ngx_int_t ngx_http_oauth_redis_sentinel_commands(ngx_conf_t *cf,
    ngx_http_oauth_redis_sentinel_t *s);
static ngx_int_t ngx_http_oauth_redis_sentinel_format(ngx_conf_t *cf,
    ngx_str_t *out, ngx_str_t *auth, int argc, const char **argv);
static void ngx_http_oauth_redis_sentinel_ask(
    ngx_http_oauth_redis_sentinel_t *s);
static void ngx_http_oauth_redis_sentinel_ask_handler(ngx_event_t *ev);
static void ngx_http_oauth_redis_sentinel_query_next(
    ngx_http_oauth_redis_sentinel_t *s, const char *reason);
static void ngx_http_oauth_redis_sentinel_answer(
    ngx_http_oauth_redis_sentinel_t *s, redisReply *r);
static void ngx_http_oauth_redis_sentinel_subscribe(
    ngx_http_oauth_redis_sentinel_t *s);
static void ngx_http_oauth_redis_sentinel_sub_handler(ngx_event_t *ev);
static void ngx_http_oauth_redis_sentinel_sub_lost(
    ngx_http_oauth_redis_sentinel_t *s, const char *reason);
static ngx_int_t ngx_http_oauth_redis_sentinel_message(
    ngx_http_oauth_redis_sentinel_t *s, redisReply *r);
static ngx_int_t ngx_http_oauth_redis_sentinel_connect(
    ngx_http_oauth_redis_sentinel_conn_t *sc, ngx_uint_t index,
    ngx_str_t *out);
static void ngx_http_oauth_redis_sentinel_write(ngx_event_t *wev);
static void ngx_http_oauth_redis_sentinel_read(ngx_event_t *rev);
static ngx_int_t ngx_http_oauth_redis_sentinel_got(void *data, void *reply);
static void ngx_http_oauth_redis_sentinel_reply(
    ngx_http_oauth_redis_sentinel_conn_t *sc, redisReply *r);
static void ngx_http_oauth_redis_sentinel_failed(
    ngx_http_oauth_redis_sentinel_conn_t *sc, const char *reason);
static void ngx_http_oauth_redis_sentinel_close(
    ngx_http_oauth_redis_sentinel_conn_t *sc);
static ngx_int_t ngx_http_oauth_redis_sentinel_set(
    ngx_http_oauth_redis_sentinel_t *s, u_char *host, size_t hlen,
    u_char *port, size_t plen, ngx_log_t *log);
static ngx_msec_t ngx_http_oauth_redis_sentinel_timeout(
    ngx_http_oauth_redis_sentinel_t *s);
static u_char *ngx_http_oauth_redis_sentinel_log_error(ngx_log_t *log,
    u_char *buf, size_t len);
static u_char *ngx_http_oauth_redis_sentinel_worker_log_error(ngx_log_t *log,
    u_char *buf, size_t len);


/* ---- configuration ---- */

ngx_int_t
ngx_http_oauth_redis_sentinel_form(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf)
{
    ngx_str_t                        *value;
    ngx_uint_t                        i, listed;
    const char                       *other;
    ngx_http_oauth_redis_sentinel_t  *s;

    value = cf->args->elts;
    listed = 0;
    other = NULL;

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "sentinel=", 9) == 0) {
            listed = 1;

        } else if (ngx_strncmp(value[i].data, "master=", 7) == 0) {
            other = "master=";

        } else if (ngx_strncmp(value[i].data, "sentinel_password=", 18) == 0)
        {
            other = "sentinel_password=";
        }
    }

    if (!listed) {
        if (other) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid oauth_redis parameters: \"%s\" "
                               "needs \"sentinel=\"", other);
            return NGX_ERROR;
        }

        return NGX_DECLINED;
    }

    s = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth_redis_sentinel_t));
    if (s == NULL) {
        return NGX_ERROR;
    }

    if (ngx_array_init(&s->sentinels, cf->pool, 3, sizeof(ngx_addr_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    s->conf = rcf;
    rcf->sentinel = s;

    /* the pool's one address is the primary, filled in at run time */
    rcf->addrs = &s->primary;
    rcf->naddrs = 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_oauth_redis_sentinel_option(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf, ngx_str_t *value)
{
    ngx_str_t                         v;
    ngx_http_oauth_redis_sentinel_t  *s;

    s = rcf->sentinel;

    if (ngx_strncmp(value->data, "cluster=", 8) == 0 && s) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid oauth_redis parameters: \"sentinel=\" "
                           "and \"cluster=\" exclude each other");
        return NGX_ERROR;
    }

    if (ngx_strncmp(value->data, "sentinel=", 9) == 0) {
        if (s == NULL) {
            /* a single-server form cannot get here: _form() saw it */
            return NGX_DECLINED;
        }

        if (s->listed) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid oauth_redis parameter \"%V\": "
                               "\"sentinel=\" is duplicate", value);
            return NGX_ERROR;
        }

        v.data = value->data + 9;
        v.len = value->len - 9;

        s->listed = 1;
        return ngx_http_oauth_redis_sentinel_list(cf, s, &v);
    }

    if (ngx_strncmp(value->data, "master=", 7) == 0 && s) {
        if (s->master.len || value->len == 7) {
            goto invalid;
        }

        s->master.data = value->data + 7;
        s->master.len = value->len - 7;
        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "sentinel_password=", 18) == 0 && s) {
        if (value->len == 18) {
            goto invalid;
        }

        s->password.data = value->data + 18;
        s->password.len = value->len - 18;
        return NGX_OK;
    }

    return NGX_DECLINED;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid oauth_redis parameter \"%V\"", value);
    return NGX_ERROR;
}


/* H:P,H:P,...: every address of every name, resolved now as nginx does */

static ngx_int_t
ngx_http_oauth_redis_sentinel_list(ngx_conf_t *cf,
    ngx_http_oauth_redis_sentinel_t *s, ngx_str_t *list)
{
    u_char      *p, *last, *comma;
    ngx_url_t    u;
    ngx_uint_t   i;
    ngx_addr_t  *a;

    if (list->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid oauth_redis parameter \"sentinel=\": "
                           "an empty list");
        return NGX_ERROR;
    }

    p = list->data;
    last = list->data + list->len;

    while (p <= last) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        ngx_memzero(&u, sizeof(ngx_url_t));

        u.url.data = p;
        u.url.len = comma - p;
        u.default_port = NGX_HTTP_OAUTH_SENTINEL_PORT;

        if (u.url.len == 0
            || ngx_strncmp(u.url.data, "unix:", 5) == 0
            || ngx_parse_url(cf->pool, &u) != NGX_OK
            || u.uri.len || u.naddrs == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid oauth_redis sentinel address \"%V\"%s%s",
                               &u.url, u.err ? ": " : "", u.err ? u.err : "");
            return NGX_ERROR;
        }

        for (i = 0; i < u.naddrs; i++) {
            a = ngx_array_push(&s->sentinels);
            if (a == NULL) {
                return NGX_ERROR;
            }

            *a = u.addrs[i];
        }

        p = comma + 1;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_oauth_redis_sentinel_check(ngx_conf_t *cf,
    ngx_http_oauth_redis_conf_t *rcf)
{
    u_char                           *p;
    ngx_http_oauth_redis_sentinel_t  *s;

    s = rcf->sentinel;

    if (s == NULL) {
        return NGX_OK;
    }

    if (s->master.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid oauth_redis parameters: \"sentinel=\" "
                           "needs \"master=\"");
        return NGX_ERROR;
    }

    /* log lines name the master set: "master oauth" */

    rcf->name.len = sizeof("master ") - 1 + s->master.len;
    rcf->name.data = ngx_pnalloc(cf->pool, rcf->name.len);
    if (rcf->name.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(rcf->name.data, "master ", sizeof("master ") - 1);
    ngx_memcpy(p, s->master.data, s->master.len);

    s->primary.sockaddr = &s->primary_sockaddr.sockaddr;
    s->primary.name.data = s->primary_name;

    return ngx_http_oauth_redis_sentinel_commands(cf, s);
}


static ngx_int_t
ngx_http_oauth_redis_sentinel_commands(ngx_conf_t *cf,
    ngx_http_oauth_redis_sentinel_t *s)
{
    const char  *query[3], *subscribe[2], *ping[1];

    query[0] = "SENTINEL";
    query[1] = "get-master-addr-by-name";
    query[2] = (const char *) s;   /* the master: see _format() */

    subscribe[0] = "SUBSCRIBE";
    subscribe[1] = "+switch-master";

    ping[0] = "PING";

    s->query_n = 1 + (s->password.len ? 1 : 0);
    s->subscribe_n = s->query_n;

    if (ngx_http_oauth_redis_sentinel_format(cf, &s->query, &s->password, 3,
                                             query)
        != NGX_OK
        || ngx_http_oauth_redis_sentinel_format(cf, &s->subscribe,
                                                &s->password, 2, subscribe)
           != NGX_OK
        || ngx_http_oauth_redis_sentinel_format(cf, &s->ping, NULL, 1, ping)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * `AUTH password` (when set) and one command, formatted by hiredis into the
 * configuration's pool.  An argv entry equal to the sentinel struct stands
 * for the master's name (not NUL-terminated).
 */

static ngx_int_t
ngx_http_oauth_redis_sentinel_format(ngx_conf_t *cf, ngx_str_t *out,
    ngx_str_t *auth, int argc, const char **argv)
{
    int                               i, len[2];
    char                             *cmd[2];
    size_t                            lens[3];
    const char                       *args[3];
    ngx_uint_t                        k, j;
    ngx_http_oauth_redis_sentinel_t  *s;

    k = 0;

    if (auth && auth->len) {
        len[k] = redisFormatCommand(&cmd[k], "AUTH %b", auth->data,
                                    auth->len);
        if (len[k] < 0) {
            return NGX_ERROR;
        }

        k++;
    }

    for (i = 0; i < argc; i++) {
        args[i] = argv[i];
        lens[i] = ngx_strlen(argv[i]);
    }

    if (argc == 3) {
        s = (ngx_http_oauth_redis_sentinel_t *) argv[2];
        args[2] = (const char *) s->master.data;
        lens[2] = s->master.len;
    }

    len[k] = redisFormatCommandArgv(&cmd[k], argc, args, lens);
    if (len[k] < 0) {
        if (k) {
            ngx_explicit_memzero(cmd[0], len[0]);
            redisFreeCommand(cmd[0]);
        }

        return NGX_ERROR;
    }

    k++;

    out->len = 0;
    for (j = 0; j < k; j++) {
        out->len += len[j];
    }

    out->data = ngx_pnalloc(cf->pool, out->len);

    if (out->data) {
        out->len = 0;
        for (j = 0; j < k; j++) {
            ngx_memcpy(out->data + out->len, cmd[j], len[j]);
            out->len += len[j];
        }
    }

    for (j = 0; j < k; j++) {
        /* the AUTH holds the password: wipe the heap copy */
        ngx_explicit_memzero(cmd[j], len[j]);
        redisFreeCommand(cmd[j]);
    }

    return out->data ? NGX_OK : NGX_ERROR;
}


/* ---- the pool's side ---- */

void
ngx_http_oauth_redis_sentinel_start(ngx_http_oauth_redis_conf_t *rcf)
{
    ngx_http_oauth_redis_sentinel_t  *s;

    if (rcf == NULL || rcf == NGX_CONF_UNSET_PTR || rcf->sentinel == NULL) {
        return;
    }

    s = rcf->sentinel;

    if (s->started) {
        return;
    }

    s->started = 1;

    s->log = *ngx_cycle->log;
    s->log.handler = ngx_http_oauth_redis_sentinel_worker_log_error;
    s->log.data = s;
    s->log.action = NULL;

    s->ask_ev.handler = ngx_http_oauth_redis_sentinel_ask_handler;
    s->ask_ev.data = s;
    s->ask_ev.log = &s->log;
    s->ask_ev.cancelable = 1;

    s->sub_ev.handler = ngx_http_oauth_redis_sentinel_sub_handler;
    s->sub_ev.data = s;
    s->sub_ev.log = &s->log;
    s->sub_ev.cancelable = 1;

    s->q.sentinel = s;
    s->sub.sentinel = s;
    s->sub.subscription = 1;

    ngx_http_oauth_redis_sentinel_ask(s);
    ngx_http_oauth_redis_sentinel_subscribe(s);
}


void
ngx_http_oauth_redis_sentinel_lost(ngx_http_oauth_redis_sentinel_t *s)
{
    if (!s->started) {
        /* a module without an init_process hook (the test harness) */
        ngx_http_oauth_redis_sentinel_start(s->conf);
        return;
    }

    ngx_http_oauth_redis_sentinel_ask(s);
}


ngx_addr_t *
ngx_http_oauth_redis_sentinel_primary(ngx_http_oauth_redis_sentinel_t *s)
{
    return s->known ? &s->primary : NULL;
}


ngx_int_t
ngx_http_oauth_redis_sentinel_role(void *reply, ngx_str_t *role)
{
    redisReply  *r, *e;

    r = reply;

    ngx_str_set(role, "?");

    if (r->type == REDIS_REPLY_ERROR) {
        role->data = (u_char *) r->str;
        role->len = ngx_min(r->len, 256);
        return NGX_DECLINED;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
        return NGX_DECLINED;
    }

    e = r->element[0];

    if (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS) {
        return NGX_DECLINED;
    }

    role->data = (u_char *) e->str;
    role->len = ngx_min(e->len, 256);

    if (e->len == 6 && ngx_strncmp(e->str, "master", 6) == 0) {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* ---- the query: SENTINEL get-master-addr-by-name ---- */

static void
ngx_http_oauth_redis_sentinel_ask(ngx_http_oauth_redis_sentinel_t *s)
{
    ngx_msec_int_t  wait;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    if (s->q.peer.connection) {
        /* a round is on: its answer will do */
        return;
    }

    wait = (ngx_msec_int_t) (s->asked_at + NGX_HTTP_OAUTH_SENTINEL_ASK_EVERY
                             - ngx_current_msec);

    if (s->asked && wait > 0) {
        if (!s->ask_ev.timer_set) {
            ngx_add_timer(&s->ask_ev, (ngx_msec_t) wait);
        }

        return;
    }

    if (s->ask_ev.timer_set) {
        ngx_del_timer(&s->ask_ev);
    }

    /*
     * Asked again although the last round named the primary the pool has:
     * that one did not help, perhaps a sentinel that has not seen the
     * failover yet, so this round begins with the next sentinel.
     */

    if (s->q_same) {
        s->q_first++;
        s->q_same = 0;
    }

    s->asked = 1;
    s->asked_at = ngx_current_msec;
    s->q_tried = 0;

    if (ngx_http_oauth_redis_sentinel_connect(&s->q, s->q_first, &s->query)
        != NGX_OK)
    {
        ngx_http_oauth_redis_sentinel_query_next(s, "cannot connect");
    }
}


static void
ngx_http_oauth_redis_sentinel_ask_handler(ngx_event_t *ev)
{
    ngx_http_oauth_redis_sentinel_ask(ev->data);
}


/* The sentinel asked could not answer: the next one, or the round fails. */

static void
ngx_http_oauth_redis_sentinel_query_next(ngx_http_oauth_redis_sentinel_t *s,
    const char *reason)
{
    ngx_uint_t  n;

    n = s->sentinels.nelts;

    for ( ;; ) {
        if (reason) {
            ngx_log_error(NGX_LOG_INFO, &s->q.log, 0,
                          "oauth_redis: sentinel: %s", reason);
        }

        ngx_http_oauth_redis_sentinel_close(&s->q);

        if (++s->q_tried >= n) {
            break;
        }

        if (ngx_http_oauth_redis_sentinel_connect(&s->q,
                                                  s->q_first + s->q_tried,
                                                  &s->query)
            == NGX_OK)
        {
            return;
        }

        reason = "cannot connect";
    }

    /* the pool's probe, failing meanwhile, asks again in ASK_EVERY ms */

    if (!s->failing) {
        ngx_log_error(NGX_LOG_ERR, &s->log, 0,
                      "oauth_redis: no sentinel of %ui named the primary",
                      n);
        s->failing = 1;
    }
}


static void
ngx_http_oauth_redis_sentinel_answer(ngx_http_oauth_redis_sentinel_t *s,
    redisReply *r)
{
    ngx_uint_t   index;
    redisReply  *host, *port;

    if (r->type == REDIS_REPLY_NIL
        || (r->type == REDIS_REPLY_ARRAY && r->elements == 0))
    {
        ngx_http_oauth_redis_sentinel_query_next(s,
                                                 "master name not known");
        return;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2
        || r->element[0]->type != REDIS_REPLY_STRING
        || r->element[1]->type != REDIS_REPLY_STRING)
    {
        ngx_log_error(NGX_LOG_INFO, &s->q.log, 0,
                      "oauth_redis: sentinel: SENTINEL "
                      "get-master-addr-by-name answered %*s",
                      r->type == REDIS_REPLY_ERROR ? ngx_min(r->len, 256) : 0,
                      r->str);
        ngx_http_oauth_redis_sentinel_query_next(s, NULL);
        return;
    }

    host = r->element[0];
    port = r->element[1];
    index = s->q.index;

    if (ngx_http_oauth_redis_sentinel_set(s, (u_char *) host->str, host->len,
                                          (u_char *) port->str, port->len,
                                          &s->q.log)
        == NGX_DECLINED)
    {
        /* the same primary as before: no news */
        s->q_same = 1;
    }

    ngx_http_oauth_redis_sentinel_close(&s->q);

    /* the next round begins with the sentinel that answered */
    s->q_first = index;

    if (s->failing) {
        ngx_log_error(NGX_LOG_ERR, &s->log, 0,
                      "oauth_redis: the sentinels answer again");
        s->failing = 0;
    }
}


/* ---- the subscription: +switch-master ---- */

static void
ngx_http_oauth_redis_sentinel_subscribe(ngx_http_oauth_redis_sentinel_t *s)
{
    ngx_uint_t  i, n;

    if (ngx_exiting || ngx_terminate || s->sub.peer.connection) {
        return;
    }

    n = s->sentinels.nelts;

    for (i = 0; i < n; i++) {
        if (ngx_http_oauth_redis_sentinel_connect(&s->sub, s->sub_next,
                                                  &s->subscribe)
            == NGX_OK)
        {
            return;
        }

        s->sub_next++;
    }

    ngx_add_timer(&s->sub_ev, NGX_HTTP_OAUTH_SENTINEL_RESUBSCRIBE);
}


/* The subscription's timer: subscribe again, or a PING when subscribed. */

static void
ngx_http_oauth_redis_sentinel_sub_handler(ngx_event_t *ev)
{
    ssize_t                                n;
    ngx_connection_t                      *c;
    ngx_http_oauth_redis_sentinel_t       *s;
    ngx_http_oauth_redis_sentinel_conn_t  *sc;

    s = ev->data;
    sc = &s->sub;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    if (sc->peer.connection == NULL) {
        ngx_http_oauth_redis_sentinel_subscribe(s);
        return;
    }

    if (!sc->subscribed) {
        return;
    }

    c = sc->peer.connection;

    /* a few bytes on an otherwise idle socket: sent whole or lost */

    n = c->send(c, s->ping.data, s->ping.len);

    if (n != (ssize_t) s->ping.len) {
        ngx_http_oauth_redis_sentinel_sub_lost(s, "PING not sent");
        return;
    }

    sc->pinged = 1;
    ngx_add_timer(c->read, ngx_http_oauth_redis_sentinel_timeout(s));
}


static void
ngx_http_oauth_redis_sentinel_sub_lost(ngx_http_oauth_redis_sentinel_t *s,
    const char *reason)
{
    if (reason) {
        ngx_log_error(NGX_LOG_WARN, &s->sub.log, 0,
                      "oauth_redis: sentinel subscription lost: %s, "
                      "subscribing on another", reason);
    }

    ngx_http_oauth_redis_sentinel_close(&s->sub);

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    s->sub_next++;

    if (s->sub_ev.timer_set) {
        ngx_del_timer(&s->sub_ev);
    }

    ngx_add_timer(&s->sub_ev, NGX_HTTP_OAUTH_SENTINEL_RESUBSCRIBE);
}


/*
 * A pushed message: ["message", "+switch-master",
 * "NAME old-ip old-port new-ip new-port"], the subscription's confirmation
 * or a pong.  NGX_ERROR: not a subscription's reply.
 */

static ngx_int_t
ngx_http_oauth_redis_sentinel_message(ngx_http_oauth_redis_sentinel_t *s,
    redisReply *r)
{
    u_char      *p, *last, *f[5];
    size_t       flen[5];
    ngx_uint_t   i;
    redisReply  *kind, *payload;

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2
        || r->element[0]->type != REDIS_REPLY_STRING)
    {
        return NGX_ERROR;
    }

    kind = r->element[0];

    if (kind->len == 4 && ngx_strncmp(kind->str, "pong", 4) == 0) {
        s->sub.pinged = 0;

        if (s->sub.peer.connection->read->timer_set) {
            ngx_del_timer(s->sub.peer.connection->read);
        }

        ngx_add_timer(&s->sub_ev, NGX_HTTP_OAUTH_SENTINEL_PING);
        return NGX_OK;
    }

    if (kind->len == 9 && ngx_strncmp(kind->str, "subscribe", 9) == 0) {
        ngx_log_error(NGX_LOG_INFO, &s->sub.log, 0,
                      "oauth_redis: sentinel: subscribed to +switch-master");

        s->sub.subscribed = 1;

        if (s->sub.peer.connection->read->timer_set) {
            /* the deadline was for connecting and subscribing */
            ngx_del_timer(s->sub.peer.connection->read);
        }

        ngx_add_timer(&s->sub_ev, NGX_HTTP_OAUTH_SENTINEL_PING);

        /* a failover while unsubscribed went unseen: ask */
        s->asked = 0;
        ngx_http_oauth_redis_sentinel_ask(s);
        return NGX_OK;
    }

    if (kind->len != 7 || ngx_strncmp(kind->str, "message", 7) != 0
        || r->elements != 3 || r->element[2]->type != REDIS_REPLY_STRING)
    {
        return NGX_ERROR;
    }

    payload = r->element[2];

    p = (u_char *) payload->str;
    last = p + payload->len;

    for (i = 0; i < 5; i++) {
        while (p < last && *p == ' ') {
            p++;
        }

        f[i] = p;

        while (p < last && *p != ' ') {
            p++;
        }

        flen[i] = p - f[i];

        if (flen[i] == 0) {
            ngx_log_error(NGX_LOG_WARN, &s->sub.log, 0,
                          "oauth_redis: sentinel: malformed +switch-master "
                          "\"%*s\"", ngx_min(payload->len, 256), payload->str);
            return NGX_OK;
        }
    }

    if (flen[0] != s->master.len
        || ngx_strncmp(f[0], s->master.data, s->master.len) != 0)
    {
        /* another master set, watched by the same sentinels */
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_WARN, &s->sub.log, 0,
                  "oauth_redis: sentinel: +switch-master %*s",
                  ngx_min(payload->len, 256), payload->str);

    (void) ngx_http_oauth_redis_sentinel_set(s, f[3], flen[3], f[4], flen[4],
                                             &s->sub.log);

    return NGX_OK;
}


/* ---- the connections to sentinels ---- */

static ngx_int_t
ngx_http_oauth_redis_sentinel_connect(ngx_http_oauth_redis_sentinel_conn_t *sc,
    ngx_uint_t index, ngx_str_t *out)
{
    ngx_int_t                         rc;
    ngx_addr_t                       *addr;
    ngx_connection_t                 *c;
    ngx_peer_connection_t            *pc;
    ngx_http_oauth_redis_sentinel_t  *s;

    s = sc->sentinel;

    sc->index = index % s->sentinels.nelts;
    addr = (ngx_addr_t *) s->sentinels.elts + sc->index;

    sc->log = *ngx_cycle->log;
    sc->log.handler = ngx_http_oauth_redis_sentinel_log_error;
    sc->log.data = sc;
    sc->log.action = "connecting to a sentinel";

    pc = &sc->peer;

    rc = ngx_http_oauth_redis_peer_connect(pc, addr, &sc->log, NGX_ERROR_INFO);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    c = pc->connection;
    c->data = sc;
    c->read->handler = ngx_http_oauth_redis_sentinel_read;
    c->write->handler = ngx_http_oauth_redis_sentinel_write;
    c->read->log = &sc->log;
    c->write->log = &sc->log;

    sc->reader = redisReaderCreate();
    if (sc->reader == NULL) {
        ngx_http_oauth_redis_sentinel_close(sc);
        return NGX_ERROR;
    }

    sc->generation++;
    sc->out = out;
    sc->sent = 0;
    sc->replies = 0;
    sc->connected = 0;
    sc->subscribed = 0;
    sc->pinged = 0;

    /* connect, AUTH and the command (or the subscription) in time */
    ngx_add_timer(c->read, ngx_http_oauth_redis_sentinel_timeout(s));

    if (rc == NGX_OK) {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    return NGX_OK;
}


static void
ngx_http_oauth_redis_sentinel_write(ngx_event_t *wev)
{
    ssize_t                                n;
    ngx_connection_t                      *c;
    ngx_http_oauth_redis_sentinel_conn_t  *sc;

    c = wev->data;
    sc = c->data;

    if (!sc->connected) {
        if (ngx_http_oauth_redis_test_connect(c) != NGX_OK) {
            ngx_http_oauth_redis_sentinel_failed(sc, "cannot connect");
            return;
        }

        sc->connected = 1;
        sc->log.action = NULL;
    }

    while (sc->sent < sc->out->len && wev->ready) {
        n = c->send(c, sc->out->data + sc->sent, sc->out->len - sc->sent);

        if (n == NGX_ERROR) {
            ngx_http_oauth_redis_sentinel_failed(sc, "send failed");
            return;
        }

        if (n == NGX_AGAIN) {
            break;
        }

        sc->sent += n;
    }

    if (ngx_handle_write_event(wev, 0) != NGX_OK) {
        ngx_http_oauth_redis_sentinel_failed(sc, "event error");
    }
}


static void
ngx_http_oauth_redis_sentinel_read(ngx_event_t *rev)
{
    ngx_int_t                              rc;
    const char                            *error;
    ngx_connection_t                      *c;
    ngx_http_oauth_redis_sentinel_conn_t  *sc;

    c = rev->data;
    sc = c->data;

    if (c->close) {
        /* a graceful shutdown closes the idle subscription */
        ngx_http_oauth_redis_sentinel_close(sc);
        return;
    }

    if (rev->timedout) {
        ngx_http_oauth_redis_sentinel_failed(sc, sc->connected
                                                 ? "timed out"
                                                 : "connect timed out");
        return;
    }

    if (!sc->connected) {
        /* a refused connect shows as readable: sorted out there */
        ngx_http_oauth_redis_sentinel_write(c->write);
        return;
    }

    rc = ngx_http_oauth_redis_read_replies(c, sc->reader,
                                           "closed by the sentinel",
                                           ngx_http_oauth_redis_sentinel_got,
                                           sc, &error);
    if (rc == NGX_ERROR) {
        ngx_http_oauth_redis_sentinel_failed(sc, error);
        return;
    }

    if (rc == NGX_DONE) {
        /* closed (an answer, a failure), perhaps another opened in the
         * same nginx connection */
        return;
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_oauth_redis_sentinel_failed(sc, "event error");
    }
}


/* A reply read on the connection: NGX_OK while the connection stays. */

static ngx_int_t
ngx_http_oauth_redis_sentinel_got(void *data, void *reply)
{
    ngx_http_oauth_redis_sentinel_conn_t *sc = data;

    ngx_uint_t         generation;
    ngx_connection_t  *c;

    generation = sc->generation;
    c = sc->peer.connection;

    ngx_http_oauth_redis_sentinel_reply(sc, reply);

    return (sc->generation == generation && sc->peer.connection == c)
           ? NGX_OK : NGX_DONE;
}


static void
ngx_http_oauth_redis_sentinel_reply(ngx_http_oauth_redis_sentinel_conn_t *sc,
    redisReply *r)
{
    ngx_uint_t                        auth;
    ngx_http_oauth_redis_sentinel_t  *s;

    s = sc->sentinel;
    auth = s->password.len && sc->replies == 0;
    sc->replies++;

    if (auth) {
        if (r->type != REDIS_REPLY_STATUS) {
            /* the error names the failure, never the password; once
             * while no sentinel answers, not at every retry */
            ngx_log_error((s->failing ? NGX_LOG_INFO : NGX_LOG_ERR), &sc->log,
                          0,
                          "oauth_redis: sentinel refused AUTH: %*s",
                          r->type == REDIS_REPLY_ERROR
                          ? ngx_min(r->len, 256) : 0, r->str);
            ngx_http_oauth_redis_sentinel_failed(sc, NULL);
        }

        return;
    }

    if (!sc->subscription) {
        ngx_http_oauth_redis_sentinel_answer(s, r);
        return;
    }

    if (ngx_http_oauth_redis_sentinel_message(s, r) != NGX_OK) {
        ngx_http_oauth_redis_sentinel_failed(sc, "unexpected reply");
        return;
    }

    /* idle between messages: a graceful shutdown may close it */
    sc->peer.connection->idle = 1;
}


static void
ngx_http_oauth_redis_sentinel_failed(ngx_http_oauth_redis_sentinel_conn_t *sc,
    const char *reason)
{
    ngx_http_oauth_redis_sentinel_t  *s;

    s = sc->sentinel;

    if (sc->subscription) {
        ngx_http_oauth_redis_sentinel_sub_lost(s, reason ? reason
                                                         : "AUTH refused");
        return;
    }

    ngx_http_oauth_redis_sentinel_query_next(s, reason);
}


static void
ngx_http_oauth_redis_sentinel_close(ngx_http_oauth_redis_sentinel_conn_t *sc)
{
    if (sc->peer.connection) {
        ngx_close_connection(sc->peer.connection);
        sc->peer.connection = NULL;
    }

    if (sc->reader) {
        redisReaderFree(sc->reader);
        sc->reader = NULL;
    }

    sc->connected = 0;
    sc->subscribed = 0;
    sc->pinged = 0;

    if (sc->subscription && sc->sentinel->sub_ev.timer_set) {
        ngx_del_timer(&sc->sentinel->sub_ev);
    }
}


/*
 * The primary's address as a sentinel wrote it (an IP address: hostnames
 * would need a resolver; see the README).  NGX_OK: a new primary, handed to
 * the pool; NGX_DECLINED: the one the pool has; NGX_ERROR: unusable, logged.
 */

static ngx_int_t
ngx_http_oauth_redis_sentinel_set(ngx_http_oauth_redis_sentinel_t *s,
    u_char *host, size_t hlen, u_char *port, size_t plen, ngx_log_t *log)
{
    ngx_int_t        n;
    socklen_t        len;
    in_addr_t        inaddr;
    ngx_sockaddr_t   sa;

    n = ngx_atoi(port, plen);

    ngx_memzero(&sa, sizeof(ngx_sockaddr_t));

    inaddr = ngx_inet_addr(host, hlen);

    if (inaddr != INADDR_NONE) {
        sa.sockaddr_in.sin_family = AF_INET;
        sa.sockaddr_in.sin_addr.s_addr = inaddr;
        len = sizeof(struct sockaddr_in);

#if (NGX_HAVE_INET6)
    } else if (ngx_inet6_addr(host, hlen, sa.sockaddr_in6.sin6_addr.s6_addr)
               == NGX_OK)
    {
        sa.sockaddr_in6.sin6_family = AF_INET6;
        len = sizeof(struct sockaddr_in6);
#endif

    } else {
        n = NGX_ERROR;
        len = 0;
    }

    if (n == NGX_ERROR || n == 0 || n > 65535) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "oauth_redis: sentinel named the primary \"%*s:%*s\", "
                      "not an IP address and port", ngx_min(hlen, 256), host,
                      ngx_min(plen, 16), port);
        return NGX_ERROR;
    }

    ngx_inet_set_port(&sa.sockaddr, (in_port_t) n);

    if (s->known
        && ngx_cmp_sockaddr(&sa.sockaddr, len, s->primary.sockaddr,
                            s->primary.socklen, 1)
           == NGX_OK)
    {
        return NGX_DECLINED;
    }

    ngx_memcpy(&s->primary_sockaddr, &sa, sizeof(ngx_sockaddr_t));
    s->primary.socklen = len;
    s->primary.name.len = ngx_sock_ntop(s->primary.sockaddr, len,
                                        s->primary_name, NGX_SOCKADDR_STRLEN,
                                        1);
    s->known = 1;

    ngx_http_oauth_redis_primary_changed(s->conf);

    return NGX_OK;
}


static ngx_msec_t
ngx_http_oauth_redis_sentinel_timeout(ngx_http_oauth_redis_sentinel_t *s)
{
    return ngx_max(s->conf->timeout, NGX_HTTP_OAUTH_SENTINEL_TIMEOUT);
}


/* ", sentinel: ADDRESS, redis: master NAME": a connection's lines */

static u_char *
ngx_http_oauth_redis_sentinel_log_error(ngx_log_t *log, u_char *buf,
    size_t len)
{
    u_char                                *p;
    ngx_addr_t                            *a;
    ngx_http_oauth_redis_sentinel_t       *s;
    ngx_http_oauth_redis_sentinel_conn_t  *sc;

    sc = log->data;
    s = sc->sentinel;
    a = (ngx_addr_t *) s->sentinels.elts + sc->index;
    p = buf;

    if (log->action) {
        p = ngx_snprintf(p, len, " while %s", log->action);
        len -= p - buf;
    }

    return ngx_snprintf(p, len, ", sentinel: %V, redis: %V", &a->name,
                        &s->conf->name);
}


/* ", redis: master NAME": the worker's lines about all its sentinels */

static u_char *
ngx_http_oauth_redis_sentinel_worker_log_error(ngx_log_t *log, u_char *buf,
    size_t len)
{
    ngx_http_oauth_redis_sentinel_t  *s;

    s = log->data;

    return ngx_snprintf(buf, len, ", redis: %V", &s->conf->name);
}
