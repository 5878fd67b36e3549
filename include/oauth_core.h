/*
 * The C ABI between the nginx glue and the C++ core.  This is the only core
 * header the glue includes; it is plain C (t/unit/abi_c_test.c proves it).
 *
 * Shape ("sans-I/O"): the core decides, the glue does the I/O.  A request to an
 * endpoint becomes a flow; each call on a flow answers one step:
 *   OAUTH_STEP_REDIS    run these RESP-formatted commands, then call
 *                       oauth_flow_resume_redis() with their replies in order;
 *   OAUTH_STEP_OFFLOAD  call oauth_flow_offload_run() on a thread-pool thread,
 *                       then oauth_flow_resume_offload() on the event loop;
 *   OAUTH_STEP_RESPOND  send this HTTP response; the flow is finished.
 * Strings in a step stay valid until the next call on the same flow.
 * No entry point throws; surprises become a 500 step.
 *
 * oauth_require (oauth_require.h) is a client of the same protocol: its
 * check answers ALLOW, DENY, or "run these Redis commands and resume me",
 * resumed the same way (a typed reply per command, or "unavailable"), so one
 * executor in the glue (src/nginx/ngx_http_oauth_wait.c) serves both.
 */

#ifndef OAUTH_CORE_H
#define OAUTH_CORE_H

#include <stddef.h>
#include <stdint.h>

/* Every entry point is noexcept in C++: no exception crosses into C. */
#ifndef OAUTH_NOEXCEPT
#ifdef __cplusplus
#define OAUTH_NOEXCEPT noexcept
#else
#define OAUTH_NOEXCEPT
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *data;
    size_t      len;
} oauth_str_t;

/*
 * A Redis reply, as the glue's driver reads it off the socket: hiredis's own
 * `struct redisReply` (hiredis parses RESP for the glue, and the core reads
 * the tree through the same hiredis headers; both link one libhiredis).  A
 * named type rather than `void *`, so the compiler checks what crosses, and
 * declared by its tag so that this header needs no hiredis include.  The
 * core only reads a reply during the call it is passed to and never keeps or
 * frees it.
 */
typedef struct redisReply  oauth_redis_reply_t;

/* ---- keys (read once, at configuration time) ---- */

typedef struct oauth_key_s  oauth_key_t;

/* Loads a PEM private key: RSA >= 2048 bits (RS256), P-256 (ES256) or Ed25519
 * (EdDSA).  kid NULL or "" means the RFC 7638 thumbprint.  NULL on failure
 * with a message in err. */
oauth_key_t *oauth_key_load(const char *path, const char *kid, char *err,
    size_t errlen) OAUTH_NOEXCEPT;
/* The key's kid, NUL-terminated, valid while the key lives. */
const char *oauth_key_kid(const oauth_key_t *key) OAUTH_NOEXCEPT;
/* Keys are reference-counted: a server built from a key holds its own ref. */
void oauth_key_free(oauth_key_t *key) OAUTH_NOEXCEPT;

/* ---- a server's configuration ---- */

typedef enum {
    OAUTH_EP_DISCOVERY = 0,
    OAUTH_EP_JWKS,
    OAUTH_EP_TOKEN,
    OAUTH_EP_INTROSPECT,
    OAUTH_EP_REVOKE,
    OAUTH_EP_AUTHORIZE,
    OAUTH_EP_LOGIN,
    OAUTH_EP_CONSENT,
    OAUTH_EP_USERINFO,
    OAUTH_EP_DEVICE_AUTHORIZATION,
    OAUTH_EP_DEVICE_VERIFICATION,
    OAUTH_EP_LOGIN_ACCEPT,
    OAUTH_EP_LOGOUT,
    OAUTH_EP_REGISTRATION,          /* RFC 7591 / RFC 7592 */
    OAUTH_EP_RESOURCE_METADATA,     /* RFC 9728 */
    OAUTH_EP_COUNT
} oauth_endpoint_e;

typedef enum {
    OAUTH_TTL_ACCESS_TOKEN = 0,
    OAUTH_TTL_REFRESH_TOKEN,
    OAUTH_TTL_CODE,
    OAUTH_TTL_SESSION,
    OAUTH_TTL_DEVICE_CODE,
    OAUTH_TTL_DEVICE_INTERVAL,
    OAUTH_TTL_CONSENT,              /* 0: remembered until revoked */
    OAUTH_TTL_COUNT
} oauth_ttl_e;

/* oauth_resource: a protected resource (RFC 8707 resource identifier) named
 * somewhere in the configuration. */
typedef struct {
    oauth_str_t         uri;
    oauth_str_t         scopes;         /* scopes_supported, space-separated */
    int                 in_server;      /* named in this server{}: its RFC 9728
                                           metadata is served here */
} oauth_resource_t;

typedef struct {
    oauth_str_t         issuer;
    oauth_str_t         audience;       /* empty: the issuer */
    oauth_str_t         redis_prefix;   /* e.g. "oauth:" */
    oauth_str_t         login_url;      /* empty: the oauth_login location */
    int64_t             ttl[OAUTH_TTL_COUNT];         /* seconds */
    const oauth_key_t  *const *keys;    /* the first signs */
    size_t              nkeys;
    oauth_str_t         endpoint_path[OAUTH_EP_COUNT]; /* empty: absent */

    /* oauth_login_limit: failed password checks allowed per window, per user
     * name and per client address.  0 means the default (5, 50, 60 s); a
     * negative login_limit_address counts no addresses. */
    int64_t             login_limit_user;
    int64_t             login_limit_address;
    int64_t             login_limit_window;     /* seconds */

    /* oauth_registration open|token, and oauth_registration_limit: dynamic
     * registrations allowed per client address per window (0: the default,
     * 20 per hour) */
    int                 registration_open;
    int64_t             registration_limit;
    int64_t             registration_window;    /* seconds */

    /* every oauth_resource of the configuration (RFC 8707 resource values
     * accepted at authorize and token) */
    const oauth_resource_t *resources;
    size_t              nresources;
} oauth_server_params_t;

typedef struct oauth_server_s  oauth_server_t;

/* Copies everything it is given; NULL with a message in err on failure. */
oauth_server_t *oauth_server_new(const oauth_server_params_t *params,
    char *err, size_t errlen) OAUTH_NOEXCEPT;
void oauth_server_free(oauth_server_t *server) OAUTH_NOEXCEPT;

/* ---- endpoint flows ---- */

typedef struct {
    oauth_str_t  method;         /* "GET", "POST", ... */
    oauth_str_t  path;           /* the request's URI path (r->uri) */
    oauth_str_t  query;          /* raw query string, without '?' */
    oauth_str_t  content_type;
    oauth_str_t  body;
    oauth_str_t  authorization;  /* Authorization header, raw */
    oauth_str_t  cookie;         /* all Cookie headers, joined with "; " */
    int          duplicate_authorization; /* more than one Authorization */
    int          body_too_large; /* past oauth_max_body_size: body is empty
                                    and the endpoint refuses the request */
    int64_t      now;            /* unix seconds */
    int64_t      leeway;         /* the location's oauth_leeway, seconds */
    oauth_str_t  realm;          /* the location's oauth_realm */
    oauth_str_t  client_address; /* what the login limits count per address
                                    (an IPv6 client as its /64); may be
                                    empty */
    oauth_str_t  dpop;           /* the first DPoP header (RFC 9449 §4.1) */
    int          dpop_count;     /* how many DPoP headers the request had */
    int64_t      dpop_nonce_lifetime; /* oauth_dpop_nonce: seconds, 0 off */
} oauth_http_request_t;

typedef enum {
    OAUTH_STEP_RESPOND = 0,
    OAUTH_STEP_REDIS,
    OAUTH_STEP_OFFLOAD
} oauth_step_kind_e;

typedef struct {
    oauth_str_t  name;
    oauth_str_t  value;
} oauth_header_t;

/*
 * What a step reports happened (SPEC section 11), for the glue's metrics
 * and audit log.  Strings may be empty; none is ever a token, a code, a
 * secret or a password.
 */
typedef enum {
    OAUTH_EVENT_TOKEN_ISSUED = 0,   /* grant, client, sub, jti, family */
    OAUTH_EVENT_TOKEN_ERROR,        /* grant, client, error (metrics only) */
    OAUTH_EVENT_REFRESH_REUSE,      /* client, sub, family: family revoked */
    OAUTH_EVENT_TOKEN_REVOKED,      /* client, sub, jti, family */
    OAUTH_EVENT_LOGIN_SUCCEEDED,    /* username, client, sub */
    OAUTH_EVENT_LOGIN_FAILED,       /* username, client, error */
    OAUTH_EVENT_CONSENT_GRANTED,    /* client, sub */
    OAUTH_EVENT_CONSENT_DENIED,     /* client, sub */
    OAUTH_EVENT_DEVICE_APPROVED,    /* client, sub */
    OAUTH_EVENT_DEVICE_DENIED,      /* client, sub */
    OAUTH_EVENT_REGISTRATION_CREATED, /* client */
    OAUTH_EVENT_REGISTRATION_DELETED, /* client */
    OAUTH_EVENT_COUNT
} oauth_event_kind_e;

typedef struct {
    oauth_event_kind_e     kind;
    oauth_str_t            grant;
    oauth_str_t            client;
    oauth_str_t            sub;
    oauth_str_t            jti;
    oauth_str_t            family;
    oauth_str_t            username;
    oauth_str_t            error;
} oauth_event_t;

/*
 * oauth_audit_log's line for an event: a JSON object and a newline, into
 * buf.  time (ISO 8601), remote_addr and request_id come from the glue.
 * Returns the line's length; 0 when the kind is not audited (TOKEN_ERROR),
 * buf is too small, or memory ran out.
 */
size_t oauth_event_audit_line(const oauth_event_t *ev, oauth_str_t time,
    oauth_str_t remote_addr, oauth_str_t request_id, char *buf,
    size_t len) OAUTH_NOEXCEPT;

typedef struct {
    oauth_step_kind_e      kind;

    /* OAUTH_STEP_REDIS: redis_count commands, RESP-formatted back to back */
    oauth_str_t            redis_commands;
    size_t                 redis_count;

    /* OAUTH_STEP_RESPOND */
    unsigned               status;
    oauth_str_t            content_type;
    const oauth_header_t  *headers;     /* Cache-Control, Location, ... */
    size_t                 nheaders;
    oauth_str_t            body;

    /* any step: why, for the log at info level; never a secret; may be empty */
    oauth_str_t            log_reason;

    /* any step: what happened with it (tokens issued, sign-ins, ...) */
    const oauth_event_t   *events;
    size_t                 nevents;
} oauth_step_t;

typedef struct oauth_flow_s  oauth_flow_t;

/* NULL only when out of memory.  The server must outlive the flow. */
oauth_flow_t *oauth_flow_start(const oauth_server_t *server,
    oauth_endpoint_e endpoint, const oauth_http_request_t *request,
    oauth_step_t *step) OAUTH_NOEXCEPT;
/* replies: one per command of the step, in order; a count other than the
 * step's redis_count ends the flow with 500. */
void oauth_flow_resume_redis(oauth_flow_t *flow,
    const oauth_redis_reply_t *const *replies, size_t nreplies,
    oauth_step_t *step) OAUTH_NOEXCEPT;
/* Redis could not answer (down, timeout, protocol error): the flow ends with
 * 503 temporarily_unavailable and issues nothing. */
void oauth_flow_resume_unavailable(oauth_flow_t *flow, oauth_step_t *step) OAUTH_NOEXCEPT;
/* CPU work only (password hashing), meant for a thread-pool thread; it
 * releases that thread's OpenSSL state when done. */
void oauth_flow_offload_run(oauth_flow_t *flow) OAUTH_NOEXCEPT;
void oauth_flow_resume_offload(oauth_flow_t *flow, oauth_step_t *step) OAUTH_NOEXCEPT;
/* Instead of running an OAUTH_STEP_OFFLOAD: the worker has as much KDF work
 * in flight and waiting as it allows.  The flow answers 503 (JSON
 * temporarily_unavailable, or a page) with Retry-After, after giving back
 * what it had counted. */
void oauth_flow_resume_busy(oauth_flow_t *flow, oauth_step_t *step) OAUTH_NOEXCEPT;
void oauth_flow_free(oauth_flow_t *flow) OAUTH_NOEXCEPT;

/* ---- Redis Cluster routing (SPEC 7) ---- */

/* One command of a step's (or the edge's) RESP bytes, for a Cluster client:
 * where it ends, the slot of its key (-1: none, any node), and whether it
 * lies in a MULTI..EXEC block (which has its first key's slot throughout,
 * and whose redirections are not followed command by command). */
typedef struct {
    size_t  end;             /* offset just past the command */
    int     slot;            /* 0..16383, or -1 */
    int     in_transaction;
} oauth_redis_route_t;

/* Splits n commands formatted back to back into out[0..n-1]; 0, or -1 when
 * the bytes are not exactly n commands in the core's own form. */
int oauth_redis_route(const char *cmds, size_t len, size_t n,
    oauth_redis_route_t *out) OAUTH_NOEXCEPT;

/* What an error reply asks of a Cluster client. */
typedef enum {
    OAUTH_REDIS_ERR_OTHER = 0,
    OAUTH_REDIS_ERR_MOVED,          /* slot, host, port */
    OAUTH_REDIS_ERR_ASK,            /* slot, host, port */
    OAUTH_REDIS_ERR_TRYAGAIN,
    OAUTH_REDIS_ERR_CLUSTERDOWN,
    OAUTH_REDIS_ERR_READONLY
} oauth_redis_err_e;

typedef struct {
    oauth_redis_err_e  kind;
    int                slot;
    oauth_str_t        host;        /* within the error text; empty: the
                                       node that answered */
    int                port;
} oauth_redis_redirect_t;

/* Classifies an error reply's text ("MOVED 3999 127.0.0.1:6381", ...). */
void oauth_redis_redirect(const char *err, size_t len,
    oauth_redis_redirect_t *out) OAUTH_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* OAUTH_CORE_H */
