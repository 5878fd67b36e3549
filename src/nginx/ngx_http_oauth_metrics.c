/*
 * oauth_metrics: the shared memory zone, the hooks that count into it, and
 * the Prometheus text exposition (version 0.0.4) of its sums.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth_module.h"
#include "ngx_http_oauth_metrics.h"


/* workers counting into their own slot; more share slots (still atomic) */
#define NGX_HTTP_OAUTH_METRICS_VERSION   1


/* the fixed label values: the only ones ever shown */

static ngx_str_t  ngx_http_oauth_metrics_require_results[] = {
    ngx_string("ok"),
    ngx_string("no_token"),
    ngx_string("invalid_request"),
    ngx_string("invalid_token"),
    ngx_string("insufficient_scope"),
    ngx_string("unavailable"),
    ngx_string("error")
};

static ngx_str_t  ngx_http_oauth_metrics_logins[] = {
    ngx_string("succeeded"),
    ngx_string("failed"),
    ngx_string("rate_limited")
};


static ngx_str_t  ngx_http_oauth_metrics_redis_errors[] = {
    ngx_string("timeout"),
    ngx_string("connection"),
    ngx_string("error_reply"),
    ngx_string("queue_full")
};

/* indexed by oauth_event_kind_e */
static ngx_str_t  ngx_http_oauth_metrics_events[] = {
    ngx_string("token_issued"),
    ngx_string("token_error"),
    ngx_string("refresh_reuse_detected"),
    ngx_string("token_revoked"),
    ngx_string("login_succeeded"),
    ngx_string("login_failed"),
    ngx_string("consent_granted"),
    ngx_string("consent_denied"),
    ngx_string("device_approved"),
    ngx_string("device_denied"),
    ngx_string("registration_created"),
    ngx_string("registration_deleted")
};

/* upper bounds of the latency buckets, in microseconds: 100us .. 1s */
static char  *ngx_http_oauth_metrics_bound_text[NGX_HTTP_OAUTH_METRICS_BUCKETS]
    = { "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
        "0.025", "0.05", "0.1", "0.25", "0.5", "1" };




static ngx_int_t ngx_http_oauth_metrics_init_zone(ngx_shm_zone_t *zone,
    void *data);
static ngx_int_t ngx_http_oauth_metrics_handler(ngx_http_request_t *r);


/* this worker's slot; NULL without oauth_metrics (and in the master) */
static ngx_http_oauth_metrics_shm_t   *ngx_http_oauth_metrics_shm;

static ngx_str_t  ngx_http_oauth_metrics_zone_name =
    ngx_string("oauth_metrics");


char *
ngx_http_oauth_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    size_t                       size;
    ngx_shm_zone_t              *zone;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_oauth_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_oauth_module);

    if (mcf->metrics == NULL) {
        /* the slab pool's own pages, then the counters */
        size = 8 * ngx_pagesize
               + ngx_align(sizeof(ngx_http_oauth_metrics_shm_t), ngx_pagesize);

        zone = ngx_shared_memory_add(cf, &ngx_http_oauth_metrics_zone_name,
                                     size, &ngx_http_oauth_module);
        if (zone == NULL) {
            return NGX_CONF_ERROR;
        }

        zone->init = ngx_http_oauth_metrics_init_zone;
        mcf->metrics = zone;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_oauth_metrics_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_oauth_metrics_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t               *shpool;
    ngx_http_oauth_metrics_shm_t  *shm;

    if (data) {
        /* a reload: the same layout (same size), the counts go on */
        zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        zone->data = shpool->data;
        return NGX_OK;
    }

    shm = ngx_slab_calloc(shpool, sizeof(ngx_http_oauth_metrics_shm_t));
    if (shm == NULL) {
        return NGX_ERROR;
    }

    shm->version = NGX_HTTP_OAUTH_METRICS_VERSION;

    shpool->data = shm;
    zone->data = shm;

    return NGX_OK;
}


ngx_int_t
ngx_http_oauth_metrics_init_process(ngx_cycle_t *cycle)
{
    ngx_http_oauth_main_conf_t  *mcf;

    ngx_http_oauth_metrics_shm = NULL;
    ngx_http_oauth_metrics_slot = NULL;

    if (cycle->conf_ctx[ngx_http_module.index] == NULL) {
        return NGX_OK;
    }

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_oauth_module);

    if (mcf == NULL || mcf->metrics == NULL || mcf->metrics->data == NULL) {
        return NGX_OK;
    }

    ngx_http_oauth_metrics_shm = mcf->metrics->data;
    ngx_http_oauth_metrics_slot =
        &ngx_http_oauth_metrics_shm->slots[ngx_worker
                                           % NGX_HTTP_OAUTH_METRICS_SLOTS].s;

    /* a respawned worker starts with no Redis connection */
    ngx_http_oauth_metrics_slot->redis_up = 0;

    return NGX_OK;
}


/* ---- the exposition ---- */

typedef struct {
    u_char      *pos;
    u_char      *end;
} ngx_http_oauth_metrics_out_t;


#define ngx_http_oauth_metrics_sum(shm, field, out)                          \
    do {                                                                     \
        ngx_uint_t  k_;                                                      \
        (out) = 0;                                                           \
        for (k_ = 0; k_ < NGX_HTTP_OAUTH_METRICS_SLOTS; k_++) {              \
            (out) += (shm)->slots[k_].s.field;                               \
        }                                                                    \
    } while (0)


static void
ngx_http_oauth_metrics_head(ngx_http_oauth_metrics_out_t *o, char *name,
    char *type, char *help)
{
    o->pos = ngx_slprintf(o->pos, o->end, "# HELP %s %s\n# TYPE %s %s\n",
                          name, help, name, type);
}


static void
ngx_http_oauth_metrics_labelled(ngx_http_oauth_metrics_out_t *o,
    ngx_http_oauth_metrics_shm_t *shm, char *name, char *label,
    ngx_str_t *values, ngx_uint_t n, size_t offset)
{
    ngx_uint_t     i, k;
    ngx_atomic_t  *a;
    uint64_t       v;

    for (i = 0; i < n; i++) {
        v = 0;

        for (k = 0; k < NGX_HTTP_OAUTH_METRICS_SLOTS; k++) {
            a = (ngx_atomic_t *) ((u_char *) &shm->slots[k].s + offset);
            v += a[i];
        }

        o->pos = ngx_slprintf(o->pos, o->end, "%s{%s=\"%V\"} %uL\n",
                              name, label, &values[i], v);
    }
}


/* the counters with one label: a line each per value of their fixed table */
typedef struct {
    char        *name;
    char        *help;
    char        *label;
    ngx_str_t   *values;
    ngx_uint_t   nvalues;
    size_t       offset;    /* of their array in a slot */
} ngx_http_oauth_metrics_counter_t;

#define ngx_http_oauth_metrics_counter(name, help, label, values, field)     \
    { name, help, label, values, sizeof(values) / sizeof(ngx_str_t),         \
      offsetof(ngx_http_oauth_metrics_slot_t, field) }

/* the counters without a label */
typedef struct {
    char        *name;
    char        *help;
    size_t       offset;    /* of the count in a slot */
} ngx_http_oauth_metrics_total_t;

static ngx_http_oauth_metrics_total_t  ngx_http_oauth_metrics_totals[] = {
    { "oauth_token_cache_hits_total",
      "oauth_require: tokens found in the worker's verified-token cache.",
      offsetof(ngx_http_oauth_metrics_slot_t, token_cache_hits) },
    { "oauth_token_cache_misses_total",
      "oauth_require: tokens whose signature was verified.",
      offsetof(ngx_http_oauth_metrics_slot_t, token_cache_misses) },
    { "oauth_session_cache_hits_total",
      "oauth_require: sessions found alive in the worker's session cache "
      "(no Redis).",
      offsetof(ngx_http_oauth_metrics_slot_t, session_cache_hits) },
    { "oauth_session_cache_misses_total",
      "oauth_require: sessions asked of Redis while the session cache was "
      "usable.",
      offsetof(ngx_http_oauth_metrics_slot_t, session_cache_misses) }
};

static ngx_http_oauth_metrics_counter_t  ngx_http_oauth_metrics_counters[] = {
    ngx_http_oauth_metrics_counter("oauth_tokens_issued_total",
        "Access tokens issued by the token endpoint, by grant type.",
        "grant", ngx_http_oauth_metrics_grants, tokens_issued),
    ngx_http_oauth_metrics_counter("oauth_token_errors_total",
        "Error answers of the token endpoint, by OAuth error code.",
        "error", ngx_http_oauth_metrics_errors, token_errors),
    ngx_http_oauth_metrics_counter("oauth_require_total",
        "Decisions of oauth_require, by result.",
        "result", ngx_http_oauth_metrics_require_results, require),
    ngx_http_oauth_metrics_counter("oauth_logins_total",
        "Password checks of the sign-in page, by result.",
        "result", ngx_http_oauth_metrics_logins, logins),
    ngx_http_oauth_metrics_counter("oauth_events_total",
        "Security events (those of oauth_audit_log), by kind.",
        "event", ngx_http_oauth_metrics_events, events),
    ngx_http_oauth_metrics_counter("oauth_redis_errors_total",
        "Failed Redis operations (timeout, connection, queue_full) and error "
        "replies, by kind.",
        "kind", ngx_http_oauth_metrics_redis_errors, redis_errors)
};


static ngx_int_t
ngx_http_oauth_metrics_handler(ngx_http_request_t *r)
{
    size_t                         size;
    uint64_t                       v, cumulative;
    ngx_int_t                      rc;
    ngx_buf_t                     *b;
    ngx_uint_t                     i, k, workers;
    ngx_chain_t                    out;
    ngx_core_conf_t               *ccf;
    ngx_http_oauth_metrics_shm_t  *shm;
    ngx_http_oauth_metrics_out_t   o;
    ngx_http_oauth_main_conf_t    *mcf;
    ngx_http_oauth_metrics_total_t    *t;
    ngx_http_oauth_metrics_counter_t  *c;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_oauth_module);
    shm = mcf->metrics ? mcf->metrics->data : NULL;

    if (shm == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    size = 16384;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    o.pos = b->pos;
    o.end = b->end;

    for (i = 0; i < sizeof(ngx_http_oauth_metrics_counters)
                    / sizeof(ngx_http_oauth_metrics_counters[0]); i++)
    {
        c = &ngx_http_oauth_metrics_counters[i];
        ngx_http_oauth_metrics_head(&o, c->name, "counter", c->help);
        ngx_http_oauth_metrics_labelled(&o, shm, c->name, c->label, c->values,
                                        c->nvalues, c->offset);
    }

    ngx_http_oauth_metrics_head(&o, "oauth_redis_commands_total", "counter",
        "Redis commands sent for requests (not handshakes or probes).");
    ngx_http_oauth_metrics_sum(shm, redis_commands, v);
    o.pos = ngx_slprintf(o.pos, o.end, "oauth_redis_commands_total %uL\n", v);

    ngx_http_oauth_metrics_head(&o, "oauth_redis_latency_seconds",
        "histogram", "Time from sending a Redis operation to its last reply.");

    cumulative = 0;

    for (i = 0; i <= NGX_HTTP_OAUTH_METRICS_BUCKETS; i++) {
        ngx_http_oauth_metrics_sum(shm, redis_latency[i], v);
        cumulative += v;

        o.pos = ngx_slprintf(o.pos, o.end,
                             "oauth_redis_latency_seconds_bucket{le=\"%s\"} "
                             "%uL\n",
                             i < NGX_HTTP_OAUTH_METRICS_BUCKETS
                             ? ngx_http_oauth_metrics_bound_text[i] : "+Inf",
                             cumulative);
    }

    ngx_http_oauth_metrics_sum(shm, redis_latency_us, v);
    o.pos = ngx_slprintf(o.pos, o.end,
                         "oauth_redis_latency_seconds_sum %uL.%06uL\n"
                         "oauth_redis_latency_seconds_count %uL\n",
                         v / 1000000, v % 1000000, cumulative);

    for (i = 0; i < sizeof(ngx_http_oauth_metrics_totals)
                    / sizeof(ngx_http_oauth_metrics_totals[0]); i++)
    {
        t = &ngx_http_oauth_metrics_totals[i];
        ngx_http_oauth_metrics_head(&o, t->name, "counter", t->help);

        v = 0;
        for (k = 0; k < NGX_HTTP_OAUTH_METRICS_SLOTS; k++) {
            v += *(ngx_atomic_t *) ((u_char *) &shm->slots[k].s + t->offset);
        }

        o.pos = ngx_slprintf(o.pos, o.end, "%s %uL\n", t->name, v);
    }

    /* per worker: 1 from the first Redis answer until an outage begins */
    ccf = (ngx_core_conf_t *) ngx_get_conf(ngx_cycle->conf_ctx,
                                           ngx_core_module);
    workers = ngx_min((ngx_uint_t) ccf->worker_processes,
                      NGX_HTTP_OAUTH_METRICS_SLOTS);

    ngx_http_oauth_metrics_head(&o, "oauth_redis_up", "gauge",
        "1 while the worker's Redis answers, 0 in an outage or before the "
        "first answer.");

    for (k = 0; k < workers; k++) {
        o.pos = ngx_slprintf(o.pos, o.end, "oauth_redis_up{worker=\"%ui\"} "
                             "%uA\n", k, shm->slots[k].s.redis_up);
    }

    if (o.pos == o.end) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "oauth_metrics: exposition past %uz bytes", size);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = o.pos;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
