/*
 * The C ABI seen from C: this file includes only the public headers (so they
 * are C-clean) and feeds garbage to every entry point, with random Redis
 * replies for every Redis step.  Nothing may crash, throw or answer outside
 * HTTP's status range.  Deterministic: a fixed seed, many iterations.
 */

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oauth_core.h"
#include "oauth_require.h"

static unsigned long long  seed = 0x9e3779b97f4a7c15ULL;
static int                 failures;

static unsigned
rnd(unsigned n)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (unsigned) (seed % n);
}

/* fragments that steer the parsers deeper than pure noise would */
static const char *fragments[] = {
    "grant_type=", "client_credentials", "password", "refresh_token",
    "authorization_code", "urn:ietf:params:oauth:grant-type:device_code",
    "client_id=", "client_secret=", "scope=", "openid", "code=", "token=",
    "redirect_uri=", "code_verifier=", "code_challenge=", "S256", "plain",
    "response_type=code", "state=", "nonce=", "prompt=none", "username=",
    "password=", "csrf=", "handle=", "user_code=", "device_code=", "&", "=",
    "%", "%zz", "%00", "+", "Bearer ", "Basic ", "bearer  x", "eyJ", ".",
    "eyJhbGciOiJub25lIn0", "{\"login_challenge\":", "\"subject\":", "}",
    "\xff\xfe", "oauth_sso=", "; ", "action=Approve", "action=Deny",
};

static char *
garbage(char *buf, size_t cap, size_t *len)
{
    size_t  n = 0, k = rnd(12);

    while (k-- && n < cap) {
        if (rnd(3) == 0) {
            buf[n++] = (char) rnd(256);
        } else {
            const char *f = fragments[rnd(sizeof(fragments)
                                          / sizeof(fragments[0]))];
            size_t l = strlen(f);
            if (n + l > cap) {
                break;
            }
            memcpy(buf + n, f, l);
            n += l;
        }
    }

    *len = n;
    return buf;
}

static void
set(oauth_str_t *s, char *buf, size_t cap)
{
    size_t  len;

    s->data = garbage(buf, cap, &len);
    s->len = len;
}

/* A random reply tree; strings point into static text. */
static redisReply *
random_reply(int depth)
{
    static char  text[][64] = {
        "NOSCRIPT No matching script", "ERR wrong", "OK", "1", "0", "",
        "{\"client_id\":\"c\",\"public\":false,\"scope\":\"a\"}",
        "{\"sub\":\"s\",\"username\":\"u\",\"claims\":{}}", "pending", "{",
    };
    redisReply  *r = calloc(1, sizeof(redisReply));
    size_t       i;

    switch (rnd(depth > 1 ? 5 : 6)) {
    case 0: r->type = REDIS_REPLY_NIL; break;
    case 1: r->type = REDIS_REPLY_INTEGER; r->integer = (long long) rnd(5) - 1;
            break;
    case 2: r->type = REDIS_REPLY_ERROR; goto str;
    case 3: r->type = REDIS_REPLY_STATUS; goto str;
    case 4: r->type = REDIS_REPLY_STRING;
    str:
        i = rnd(sizeof(text) / sizeof(text[0]));
        r->str = text[i];
        r->len = strlen(text[i]);
        break;
    default:
        r->type = REDIS_REPLY_ARRAY;
        r->elements = rnd(4);
        r->element = calloc(r->elements + 1, sizeof(redisReply *));
        for (i = 0; i < r->elements; i++) {
            r->element[i] = random_reply(depth + 1);
        }
    }

    return r;
}

static void
free_reply(redisReply *r)
{
    size_t  i;

    if (r->type == REDIS_REPLY_ARRAY) {
        for (i = 0; i < r->elements; i++) {
            free_reply(r->element[i]);
        }
        free(r->element);
    }
    free(r);
}

static void
check_status(unsigned status, const char *where)
{
    if (status < 100 || status > 599) {
        fprintf(stderr, "%s: status %u\n", where, status);
        failures++;
    }
}

#define MAX_REPLIES  16

static void
drive_flow(const oauth_server_t *server, oauth_endpoint_e ep)
{
    static char           b[8][512];
    size_t                i, steps, made, passed;
    oauth_step_t          step;
    oauth_flow_t         *flow;
    oauth_http_request_t  req;
    redisReply           *replies[MAX_REPLIES + 1];

    memset(&req, 0, sizeof(req));
    req.method.data = rnd(2) ? "POST" : "GET";
    req.method.len = strlen(req.method.data);
    set(&req.path, b[0], 64);
    set(&req.query, b[1], 512);
    set(&req.body, b[2], 512);
    req.content_type.data = rnd(2) ? "application/x-www-form-urlencoded"
                                   : "application/json";
    req.content_type.len = strlen(req.content_type.data);
    set(&req.authorization, b[3], 256);
    set(&req.cookie, b[4], 256);
    req.duplicate_authorization = (int) rnd(2);
    req.now = 1700000000 + (int64_t) rnd(1000);

    flow = oauth_flow_start(server, ep, &req, &step);
    if (flow == NULL) {
        fprintf(stderr, "endpoint %d: no flow\n", ep);
        failures++;
        return;
    }

    for (steps = 0; steps < 12; steps++) {
        if (step.kind == OAUTH_STEP_RESPOND) {
            check_status(step.status, "flow");
            break;
        }

        if (step.kind == OAUTH_STEP_OFFLOAD) {
            oauth_flow_offload_run(flow);
            oauth_flow_resume_offload(flow, &step);
            continue;
        }

        if (rnd(8) == 0) {
            oauth_flow_resume_unavailable(flow, &step);
            continue;
        }

        /*
         * Every element passed is a reply we made, the extra one of a wrong
         * count included; what was made is remembered before the call
         * overwrites `step` with the next step (whose count differs).
         */
        made = step.redis_count < MAX_REPLIES ? step.redis_count : MAX_REPLIES;
        for (i = 0; i <= made; i++) {
            replies[i] = random_reply(0);
        }

        /* now and then a wrong count: the core must refuse, not read past */
        passed = made;
        if (rnd(10) == 0 || made != step.redis_count) {
            passed = (made == 0 || rnd(2)) ? made + 1 : made - 1;
        }

        oauth_flow_resume_redis(flow, (const oauth_redis_reply_t *const *)
                                replies, passed, &step);

        for (i = 0; i <= made; i++) {
            free_reply(replies[i]);
        }
    }

    oauth_flow_free(flow);
}

static void
drive_require(const oauth_server_t *server)
{
    static char             b[512], d[512];
    size_t                  i, made, passed;
    oauth_str_t             auth, scope, value, proof;
    redisReply             *replies[4];
    oauth_require_t        *h;
    oauth_require_rule_t   *rule;
    oauth_require_policy_t  policy;
    oauth_require_result_t  res;
    oauth_require_request_t req;

    scope.data = "orders:read";
    scope.len = strlen(scope.data);

    memset(&policy, 0, sizeof(policy));
    policy.scopes = &scope;
    policy.nscopes = rnd(2);
    policy.leeway = 30;
    policy.realm.data = "api";
    policy.realm.len = 3;
    policy.dpop = (int) rnd(2);
    policy.dpop_nonce_lifetime = rnd(2) ? 300 : 0;

    rule = oauth_require_rule_new(&policy);
    if (rule == NULL) {
        fprintf(stderr, "oauth_require_rule_new failed\n");
        exit(1);
    }

    set(&auth, b, sizeof(b));

    if (rnd(2)) {
        h = oauth_require_check(server, rnd(8) ? rule : NULL,
                                rnd(5) ? &auth : NULL, 1700000000, &res);

    } else {
        /* the request form: a DPoP proof of garbage, any count */
        memset(&req, 0, sizeof(req));
        set(&proof, d, sizeof(d));
        req.authorization = rnd(5) ? &auth : NULL;
        req.dpop = rnd(2) ? &proof : NULL;
        req.dpop_count = req.dpop ? 1 + rnd(2) : 0;
        req.method.data = "GET";
        req.method.len = 3;
        req.url.data = "https://rs.example/x";
        req.url.len = strlen(req.url.data);
        h = oauth_require_check_request(server, rnd(8) ? rule : NULL, &req,
                                        1700000000, &res);
    }

    if (res.verdict == OAUTH_REQUIRE_REDIS) {
        if (rnd(4) == 0) {
            oauth_require_resume_unavailable(h, &res);

        } else {
            /* random replies, now and then a wrong count */
            made = res.redis_count < 3 ? res.redis_count : 3;
            for (i = 0; i <= made; i++) {
                replies[i] = random_reply(0);
            }
            passed = made;
            if (rnd(10) == 0) {
                passed = (made == 0 || rnd(2)) ? made + 1 : made - 1;
            }
            oauth_require_resume_redis(h,
                (const oauth_redis_reply_t *const *) replies, passed, &res);
            for (i = 0; i <= made; i++) {
                free_reply(replies[i]);
            }
        }
    }

    if (res.verdict == OAUTH_REQUIRE_DENY) {
        check_status(res.status, "require");
    }

    value.data = NULL;
    oauth_require_claim(h, scope, &value);
    oauth_require_free(h);
    oauth_require_rule_free(rule);
}

/* garbage events into the audit line: any bytes, any kind, any buffer */
static void
drive_audit(void)
{
    static char     b[8][256], out[1024];
    size_t          n, cap;
    oauth_event_t   ev;
    oauth_str_t     t, a, id;

    memset(&ev, 0, sizeof(ev));
    ev.kind = (oauth_event_kind_e) rnd(OAUTH_EVENT_COUNT + 2);
    set(&ev.grant, b[0], sizeof(b[0]));
    set(&ev.client, b[1], sizeof(b[1]));
    set(&ev.username, b[2], sizeof(b[2]));
    set(&ev.error, b[3], sizeof(b[3]));
    set(&t, b[4], sizeof(b[4]));
    set(&a, b[5], sizeof(b[5]));
    set(&id, b[6], sizeof(b[6]));
    cap = rnd(sizeof(out));

    n = oauth_event_audit_line(&ev, t, a, id, out, cap);

    if (n > cap || (n > 0 && (out[0] != '{' || out[n - 1] != '\n'
                              || memchr(out, '\n', n - 1) != NULL)))
    {
        fprintf(stderr, "audit line: %zu bytes into %zu, not one line\n",
                n, cap);
        failures++;
    }
}

/* garbage into the Cluster routing entry points: any bytes, any count; a
 * success must describe commands that end inside the buffer, in order */
static void
drive_route(void)
{
    static char             b[512], e[256];
    static const char      *real = "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n";
    size_t                  len, elen, n, i, prev;
    oauth_redis_route_t     out[16];
    oauth_redis_redirect_t  rd;

    garbage(b, sizeof(b), &len);
    if (rnd(2)) {
        /* a real command first, garbage after: still refused or whole */
        memmove(b + strlen(real), b, len > sizeof(b) - strlen(real)
                                     ? sizeof(b) - strlen(real) : len);
        memcpy(b, real, strlen(real));
        len = len + strlen(real) > sizeof(b) ? sizeof(b) : len + strlen(real);
    }
    n = 1 + rnd(15);

    if (oauth_redis_route(b, len, n, out) == 0) {
        for (prev = 0, i = 0; i < n; i++) {
            if (out[i].end <= prev || out[i].end > len || out[i].slot < -1
                || out[i].slot > 16383)
            {
                fprintf(stderr, "route: command %zu ends at %zu of %zu\n",
                        i, out[i].end, len);
                failures++;
                break;
            }
            prev = out[i].end;
        }
    }

    garbage(e, sizeof(e), &elen);
    if (rnd(2)) {
        memcpy(e, rnd(2) ? "MOVED 1 " : "ASK 16383 ", 8);
    }
    oauth_redis_redirect(e, elen, &rd);
    if (rd.host.len && (rd.host.data < e || rd.host.data + rd.host.len > e + elen)) {
        fprintf(stderr, "redirect: host outside the error text\n");
        failures++;
    }
}

static const char *
write_key(const char *dir, const char *name, const char *type,
    const char *param)
{
    static char  path[4][512];
    static int   n;
    char        *p = path[n++ % 4];
    FILE        *f;
    EVP_PKEY    *k;

    k = param ? EVP_PKEY_Q_keygen(NULL, NULL, type, param)
              : EVP_PKEY_Q_keygen(NULL, NULL, type);
    snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
    f = fopen(p, "w");
    if (k == NULL || f == NULL
        || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL))
    {
        fprintf(stderr, "cannot make %s\n", name);
        exit(2);
    }
    fclose(f);
    EVP_PKEY_free(k);
    return p;
}

int
main(int argc, char **argv)
{
    char                    dir[] = "/tmp/oauth-abi-XXXXXX", err[256];
    size_t                  i, n;
    int                     ep, iterations;
    oauth_key_t            *keys[2];
    oauth_server_t         *server;
    oauth_server_params_t   p;
    static const char      *paths[OAUTH_EP_COUNT] = {
        "/.well-known/openid-configuration", "/oauth2/jwks", "/oauth2/token",
        "/oauth2/introspect", "/oauth2/revoke", "/oauth2/authorize",
        "/oauth2/login", "/oauth2/consent", "/oauth2/userinfo",
        "/oauth2/device_authorization", "/oauth2/device",
        "/oauth2/login/accept", "/oauth2/logout", "/oauth2/register",
        "/.well-known/oauth-protected-resource",
    };

    iterations = argc > 1 ? atoi(argv[1]) : 3000;

    if (mkdtemp(dir) == NULL) {
        return 2;
    }

    /* garbage into key loading */
    if (oauth_key_load("/nonexistent", NULL, err, sizeof(err)) != NULL
        || oauth_key_load("", "", err, sizeof(err)) != NULL
        || oauth_key_load(NULL, NULL, NULL, 0) != NULL)
    {
        fprintf(stderr, "a missing key loaded\n");
        failures++;
    }

    keys[0] = oauth_key_load(write_key(dir, "ec.pem", "EC", "P-256"), "k1",
                             err, sizeof(err));
    keys[1] = oauth_key_load(write_key(dir, "ed.pem", "ED25519", NULL), NULL,
                             err, sizeof(err));
    if (keys[0] == NULL || keys[1] == NULL) {
        fprintf(stderr, "key load: %s\n", err);
        return 1;
    }

    memset(&p, 0, sizeof(p));
    p.issuer.data = "https://as.example";
    p.issuer.len = strlen(p.issuer.data);
    p.redis_prefix.data = "oauth:";
    p.redis_prefix.len = 6;
    for (i = 0; i < OAUTH_TTL_COUNT; i++) {
        p.ttl[i] = 60;
    }
    p.keys = (const oauth_key_t *const *) keys;
    p.nkeys = 2;
    for (i = 0; i < OAUTH_EP_COUNT; i++) {
        p.endpoint_path[i].data = paths[i];
        p.endpoint_path[i].len = strlen(paths[i]);
    }

    server = oauth_server_new(&p, err, sizeof(err));
    if (server == NULL) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }

    n = 0;
    for (int it = 0; it < iterations; it++) {
        for (ep = 0; ep < OAUTH_EP_COUNT; ep++) {
            drive_flow(server, (oauth_endpoint_e) ep);
            n++;
        }
        drive_require(server);
        drive_audit();
        drive_route();
        n += 4;
    }

    oauth_server_free(server);
    oauth_key_free(keys[0]);
    oauth_key_free(keys[1]);

    unlink(strcat(strcpy(err, dir), "/ec.pem"));
    unlink(strcat(strcpy(err, dir), "/ed.pem"));
    rmdir(dir);

    printf("abi garbage: %zu calls into every entry point\n", n);
    printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);

    return failures ? 1 : 0;
}
