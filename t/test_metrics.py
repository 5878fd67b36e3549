"""oauth_metrics (SPEC section 11): known traffic through two workers, then
exactly those counts in one scrape, read by the Prometheus client's parser."""
import threading
import time

import requests

import rig
from support.metrics import delta, scrape, value
from support.tokens import TOKEN, confidential

# the fixed label sets (README, "Operating it"): nothing else may show
GRANTS = {"authorization_code", "refresh_token", "client_credentials",
          "password", "urn:ietf:params:oauth:grant-type:device_code", "other"}
REQUIRE = {"ok", "no_token", "invalid_request", "invalid_token",
           "insufficient_scope", "unavailable", "error"}
REDIS_ERRORS = {"timeout", "connection", "error_reply", "queue_full"}


def metrics_server(nginx_factory, redis, keys, upstream, workers=2,
                   metrics=True):
    port = rig.free_port()
    extra = f"""
    location = /metrics {{ {"oauth_metrics;" if metrics else "return 404;"} }}
    location = /pid {{ return 200 $pid; }}
    location /scoped/ {{
        oauth_require scope=admin;
        proxy_pass http://127.0.0.1:{upstream.port};
    }}
    """
    http = rig.standard_http(port, redis.address, [keys["RS256"]],
                             upstream_port=upstream.port, server_extra=extra)
    # one listening socket per worker: the kernel spreads connections
    http = http.replace(f"listen 127.0.0.1:{port};",
                        f"listen 127.0.0.1:{port} reuseport;")
    return nginx_factory(http, port=port, workers=workers)


def token(server, secret):
    r = requests.post(server.url(TOKEN), auth=("svc", secret),
                      data={"grant_type": "client_credentials"})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def call(server, path, authorization=None):
    headers = {"Authorization": authorization} if authorization else {}
    return requests.get(server.url(path), headers=headers).status_code


def test_counts_of_known_traffic_over_two_workers(nginx_factory, redis, keys,
                                                  upstream, ctl):
    server = metrics_server(nginx_factory, redis, keys, upstream)
    secret = confidential(ctl, "svc", "client_credentials")
    before, families = scrape(server)

    # every family is announced with its type, all label values are fixed
    assert families["oauth_tokens_issued"].type == "counter"
    assert families["oauth_redis_latency_seconds"].type == "histogram"
    assert families["oauth_redis_up"].type == "gauge"
    labels = {k[0]: set() for k in before}
    for (name, lab), _ in before.items():
        labels[name] |= {v for _, v in lab}
    assert labels["oauth_tokens_issued_total"] == GRANTS
    assert labels["oauth_require_total"] == REQUIRE
    assert labels["oauth_redis_errors_total"] == REDIS_ERRORS

    # n = 5 tokens; 2 invalid_client, 1 unsupported_grant_type, 1
    # invalid_request from the token endpoint
    tokens = [token(server, secret) for _ in range(5)]
    for data, auth, status in (
            ({"grant_type": "client_credentials"}, ("svc", "no"), 401),
            ({"grant_type": "client_credentials"}, ("nobody", "x"), 401),
            ({"grant_type": "magic"}, ("svc", secret), 400),
            ({}, ("svc", secret), 400)):
        assert requests.post(server.url(TOKEN), data=data,
                             auth=auth).status_code == status

    # the edge: 6 ok, 3 no token, 2 invalid_request, 3 invalid_token,
    # 2 insufficient_scope
    for i in range(6):
        assert call(server, "/api/x", "Bearer " + tokens[i % 5]) == 200
    for auth in (None, None, "Basic dXNlcjpwdw=="):
        assert call(server, "/api/x", auth) == 401
    for auth in ("Bearer", "Bearer a b"):
        assert call(server, "/api/x", auth) == 400
    for auth in ("Bearer abc.def.ghi", "Bearer x", "Bearer " + tokens[0] + "x"):
        assert call(server, "/api/x", auth) == 401
    for i in range(2):
        assert call(server, "/scoped/x", "Bearer " + tokens[i]) == 403

    mid = scrape(server)[0]
    d = delta(before, mid)
    assert value(d, "oauth_tokens_issued_total", grant="client_credentials") == 5
    assert sum(v for (n, _), v in d.items()
               if n == "oauth_tokens_issued_total") == 5
    assert value(d, "oauth_token_errors_total", error="invalid_client") == 2
    assert value(d, "oauth_token_errors_total",
                 error="unsupported_grant_type") == 1
    assert value(d, "oauth_token_errors_total", error="invalid_request") == 1
    assert sum(v for (n, _), v in d.items()
               if n == "oauth_token_errors_total") == 4
    expected = {"ok": 6, "no_token": 3, "invalid_request": 2,
                "invalid_token": 3, "insufficient_scope": 2,
                "unavailable": 0, "error": 0}
    for result, n in expected.items():
        assert value(d, "oauth_require_total", result=result) == n, result
    # a verified-token cache lookup for every well-formed Bearer token
    assert (value(d, "oauth_token_cache_hits_total")
            + value(d, "oauth_token_cache_misses_total")) == 6 + 3 + 2
    assert value(d, "oauth_token_cache_misses_total") >= 5 + 2
    # each ok needed one EXISTS; the other refusals none
    assert value(d, "oauth_redis_latency_seconds_count") >= 6
    assert value(d, "oauth_redis_latency_seconds_bucket", le="+Inf") == \
        value(d, "oauth_redis_latency_seconds_count")
    assert value(mid, "oauth_redis_latency_seconds_sum") > 0
    assert sum(v for (n, _), v in d.items()
               if n == "oauth_redis_errors_total") == 0

    # protected calls alone: exactly one command and one latency sample each
    for i in range(4):
        assert call(server, "/api/x", "Bearer " + tokens[i]) == 200
    d = delta(mid, scrape(server)[0])
    assert value(d, "oauth_redis_commands_total") == 4
    assert value(d, "oauth_redis_latency_seconds_count") == 4
    assert value(d, "oauth_require_total", result="ok") == 4

    # the two workers both served (else nothing above summed anything)
    pids = {requests.get(server.url("/pid")).text for _ in range(40)}
    assert len(pids) == 2


def test_redis_failures_by_kind(nginx_factory, redis, keys, upstream, ctl):
    server = metrics_server(nginx_factory, redis, keys, upstream)
    secret = confidential(ctl, "svc", "client_credentials")
    tok = token(server, secret)
    assert call(server, "/api/x", "Bearer " + tok) == 200
    before = scrape(server)[0]
    ups = [v for (n, _), v in before.items() if n == "oauth_redis_up"]
    assert len(ups) == 2 and set(ups) <= {0, 1} and sum(ups) >= 1

    # an error reply: EXISTS taken away from the connection's user
    redis.cli("ACL", "SETUSER", "default", "-exists")
    try:
        assert call(server, "/api/x", "Bearer " + tok) == 503
    finally:
        redis.cli("ACL", "SETUSER", "default", "+exists")
    d = delta(before, scrape(server)[0])
    assert value(d, "oauth_redis_errors_total", kind="error_reply") == 1
    assert value(d, "oauth_require_total", result="unavailable") == 1

    # a timeout: Redis paused past oauth_redis' 200ms
    mid = scrape(server)[0]
    redis.cli("CLIENT", "PAUSE", "700", "ALL")
    assert call(server, "/api/x", "Bearer " + tok) == 503
    time.sleep(1.0)                 # paused no more; the probe finds it back
    d = delta(mid, scrape(server)[0])
    assert value(d, "oauth_redis_errors_total", kind="timeout") == 1
    assert value(d, "oauth_redis_errors_total", kind="connection") == 0

    # Redis stopped: 3 requests, 3 connection failures, 3 unavailable
    for _ in range(4):              # both workers back and connected
        assert call(server, "/api/x", "Bearer " + tok) == 200
    mid = scrape(server)[0]
    redis.stop()
    time.sleep(0.3)
    for _ in range(3):
        assert call(server, "/api/x", "Bearer " + tok) == 503
    after = scrape(server)[0]
    d = delta(mid, after)
    assert value(d, "oauth_redis_errors_total", kind="connection") == 3
    assert value(d, "oauth_redis_errors_total", kind="timeout") == 0
    assert value(d, "oauth_require_total", result="unavailable") == 3
    assert 0 in [v for (n, _), v in after.items() if n == "oauth_redis_up"]

    redis.start()
    deadline = time.time() + 5
    while call(server, "/api/x", "Bearer " + tok) != 401:
        # the session went with the restarted Redis: a 401 is Redis answering
        assert time.time() < deadline
        time.sleep(0.1)


def test_counters_survive_a_reload(nginx_factory, redis, keys, upstream, ctl):
    server = metrics_server(nginx_factory, redis, keys, upstream, workers=1)
    secret = confidential(ctl, "svc", "client_credentials")
    token(server, secret)
    assert value(scrape(server)[0], "oauth_tokens_issued_total",
                 grant="client_credentials") == 1
    old = set(server.worker_pids())
    server.proc.send_signal(1)      # SIGHUP: reload
    deadline = time.time() + 10
    while set(server.worker_pids()) & old:
        assert time.time() < deadline
        time.sleep(0.05)
    token(server, secret)
    assert value(scrape(server)[0], "oauth_tokens_issued_total",
                 grant="client_credentials") == 2


def test_metrics_only_answers_get(nginx_factory, redis, keys, upstream):
    server = metrics_server(nginx_factory, redis, keys, upstream, workers=1)
    assert requests.post(server.url("/metrics")).status_code == 405
    assert requests.head(server.url("/metrics")).status_code == 200


def test_the_grafana_dashboard_uses_only_exported_series(nginx_factory, redis,
                                                         keys, upstream):
    import json
    import os
    import re
    server = metrics_server(nginx_factory, redis, keys, upstream, workers=1)
    samples, _ = scrape(server)
    exported = {name for name, _ in samples}
    path = os.path.join(rig.TOP, "conf-examples", "grafana-dashboard.json")
    dash = json.load(open(path))
    used = set()
    for panel in dash["panels"]:
        for target in panel["targets"]:
            used |= set(re.findall(r"\boauth_[a-z_]+", target["expr"]))
    assert used and used <= exported, used - exported
    # and every family is on the dashboard
    families = {re.sub(r"_(bucket|sum|count)$", "", n) for n in exported}
    shown = {re.sub(r"_(bucket|sum|count)$", "", n) for n in used}
    assert families <= shown, families - shown
