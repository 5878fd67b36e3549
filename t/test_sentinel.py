"""oauth_redis sentinel=... master=... (SPEC 7): the primary found through
the sentinels, a SIGKILLed primary followed through a failover with no
reload, nginx -t errors, oauthctl --redis-sentinel."""
import base64
import json
import re
import subprocess
import threading
import time

import pytest
import requests

import rig
from support import sentinel as sentinel_support

TOKEN = "/oauth2/token"
REVOKE = "/oauth2/revoke"
CLIENT = "svc"
PASSWORD = "data-secret"
SENTINEL_PASSWORD = "sentinel-secret"


@pytest.fixture
def topology(workdir):
    t = sentinel_support.Topology(workdir, password=PASSWORD,
                                  sentinel_password=SENTINEL_PASSWORD)
    yield t
    t.stop()


def ctl(topology, *args, check=True):
    out = subprocess.run([rig.OAUTHCTL, *topology.oauthctl_args(),
                          *[str(a) for a in args]], capture_output=True,
                         text=True, timeout=60)
    if check:
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None
    return out


def token(server, secret):
    return requests.post(server.url(TOKEN),
                         data={"grant_type": "client_credentials"},
                         auth=(CLIENT, secret), timeout=5)


def cc_client(topology):
    """The client_credentials client CLIENT (scope a), created through the
    sentinels; its secret."""
    return ctl(topology, "client", "create", "--id", CLIENT, "--grant-types",
               "client_credentials", "--scope", "a")["client_secret"]


def wait_for_token(server, secret):
    """Polls the token endpoint until the workers have found the primary
    (5 s at most)."""
    deadline = time.time() + 5
    while token(server, secret).status_code != 200:
        assert time.time() < deadline, server.log()
        time.sleep(0.05)


def api(server, tok):
    return requests.get(server.url("/api/x"),
                        headers={"Authorization": "Bearer " + tok}, timeout=5)


class Stream:
    """Requests in a loop on a thread; (start, end, status, body) each."""

    def __init__(self, send):
        self.send = send
        self.results = []
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            start = time.time()
            try:
                r = self.send()
                self.results.append((start, time.time(), r.status_code,
                                     r.text))
            except requests.RequestException as e:
                self.results.append((start, time.time(), None, str(e)))
            time.sleep(0.005)

    def stop(self):
        self.running = False
        self.thread.join(10)


def test_failover_with_no_reload(workdir, keys, upstream, nginx_factory,
                                 topology):
    port = rig.free_port()
    server = nginx_factory(rig.standard_http(
        port, topology.directive_args(), [keys["ES256"]],
        upstream_port=upstream.port), port=port, workers=2)
    workers = sorted(server.worker_pids())

    # oauthctl finds the primary through the sentinels too
    secret = cc_client(topology)
    assert topology.primary.cli("EXISTS", "oauth:client:" + CLIENT) == "1"

    wait_for_token(server, secret)

    before = token(server, secret).json()["access_token"]
    revoked = token(server, secret).json()["access_token"]
    r = requests.post(server.url(REVOKE), data={"token": revoked},
                      auth=(CLIENT, secret), timeout=5)
    assert r.status_code == 200, r.text
    assert api(server, before).status_code == 200
    assert api(server, revoked).status_code == 401
    # the tokens issued before the failover reached the replica
    topology.wait_replicated()

    streams = {
        "api": Stream(lambda: api(server, before)),
        "token": Stream(lambda: token(server, secret)),
        "revoked": Stream(lambda: api(server, revoked)),
    }
    time.sleep(0.3)

    old_port = topology.primary.port
    killed = time.time()
    topology.primary.kill()
    switched = topology.wait_failover(old_port)
    time.sleep(3)
    for s in streams.values():
        s.stop()
    assert topology.master_port() == topology.replica.port

    # nothing unauthenticated reached the upstream, ever
    assert upstream.seen
    for path, headers in upstream.seen:
        assert headers.get("x-client") == CLIENT, headers
        assert headers.get("authorization") != "Bearer " + revoked

    recovered = {}
    for name, s in streams.items():
        assert s.results, name
        ok = 401 if name == "revoked" else 200
        for start, end, status, body in s.results:
            assert status in (ok, 503), (name, status, body)
            if status == 503 and name == "token":
                assert json.loads(body)["error"] == "temporarily_unavailable"
            if start < killed:
                continue
            # back within 2 s of the promotion, and from then on
            if start > switched + 2.0:
                assert status == ok, (name, start - switched, status, body)
            if status == ok and start >= switched and name not in recovered:
                recovered[name] = end - switched
        assert name in recovered, name
        assert any(st == 503 for _, _, st, _ in s.results), name
    print(f"\nfailover: promoted {switched - killed:.2f} s after the kill; "
          "back after the promotion: " +
          ", ".join(f"{k} {v:.3f} s" for k, v in recovered.items()))

    # no reload, no crash (nginx_factory checks the log for signals too)
    assert sorted(server.worker_pids()) == workers
    log = server.log()
    assert "the primary is now 127.0.0.1:%d" % topology.replica.port in log
    assert "+switch-master" in log

    # the token from before the failover, revoked after it: at once
    assert api(server, before).status_code == 200
    r = requests.post(server.url(REVOKE), data={"token": before},
                      auth=(CLIENT, secret), timeout=5)
    assert r.status_code == 200, r.text
    assert api(server, before).status_code == 401
    fresh = token(server, secret)
    assert fresh.status_code == 200
    assert api(server, fresh.json()["access_token"]).status_code == 200

    # oauthctl follows the failover: it reads and writes the new primary
    assert CLIENT in json.dumps(ctl(topology, "client", "list"))
    ctl(topology, "client", "create", "--id", "after", "--grant-types",
        "client_credentials")
    assert topology.replica.cli("EXISTS", "oauth:client:after") == "1"


def test_readonly_and_role_send_the_workers_back(workdir, keys, upstream,
                                                 nginx_factory):
    """A primary demoted that no sentinel announced: the READONLY reply to a
    write sends the workers back to the sentinels, whose answer, checked by
    ROLE, is used with no reload."""
    a = rig.Redis(workdir)
    b = rig.Redis(workdir)
    fake = sentinel_support.FakeSentinel(a.port)
    try:
        port = rig.free_port()
        server = nginx_factory(rig.standard_http(
            port, f"sentinel={fake.address} master=oauth", [keys["ES256"]],
            upstream_port=upstream.port), port=port)
        secret = rig.oauthctl(a, "client", "create", "--id", CLIENT,
                              "--grant-types", "client_credentials",
                              "--scope", "a")["client_secret"]
        wait_for_token(server, secret)
        workers = server.worker_pids()

        # b becomes the primary with a's data, a its replica
        b.cli("REPLICAOF", "127.0.0.1", a.port)
        deadline = time.time() + 10
        while "master_link_status:up" not in b.cli("INFO", "replication"):
            assert time.time() < deadline
            time.sleep(0.05)
        b.cli("REPLICAOF", "NO", "ONE")
        a.cli("REPLICAOF", "127.0.0.1", b.port)
        fake.primary_port = b.port

        statuses = []
        deadline = time.time() + 5
        while time.time() < deadline:
            statuses.append(token(server, secret).status_code)
            if statuses[-1] == 200:
                break
            time.sleep(0.02)
        assert statuses[-1] == 200, (statuses, server.log())
        assert set(statuses) <= {200, 503}, statuses
        log = server.log()
        assert "READONLY reply, the server is a replica now" in log, log
        assert f"the primary is now 127.0.0.1:{b.port}" in log, log
        assert server.worker_pids() == workers

    finally:
        fake.stop()
        a.stop()
        b.stop()


def test_role_refuses_a_replica_named_as_primary(workdir, keys, upstream,
                                                 nginx_factory):
    """A sentinel that names a replica (it has not seen a failover yet):
    ROLE in the handshake refuses it, requests fail closed, the pool asks
    again and uses the real primary as soon as it is named."""
    a = rig.Redis(workdir)
    b = rig.Redis(workdir)
    b.cli("REPLICAOF", "127.0.0.1", a.port)
    fake = sentinel_support.FakeSentinel(b.port)
    try:
        secret = rig.oauthctl(a, "client", "create", "--id", CLIENT,
                              "--grant-types", "client_credentials",
                              "--scope", "a")["client_secret"]
        port = rig.free_port()
        server = nginx_factory(rig.standard_http(
            port, f"sentinel={fake.address} master=oauth", [keys["ES256"]],
            upstream_port=upstream.port), port=port)
        deadline = time.time() + 3
        while 'ROLE answered "slave", not master' not in server.log():
            assert time.time() < deadline, server.log()
            r = token(server, secret)
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "temporarily_unavailable"
            time.sleep(0.02)
        time.sleep(0.6)
        asked = fake.asked
        assert asked >= 2   # at the start, then again after the refusal
        fake.primary_port = a.port
        deadline = time.time() + 3
        while token(server, secret).status_code != 200:
            assert time.time() < deadline, server.log()
            time.sleep(0.02)
        assert f"the primary is now 127.0.0.1:{a.port}" in server.log()
    finally:
        fake.stop()
        a.stop()
        b.stop()


@pytest.mark.parametrize("args,message", [
    ("sentinel=127.0.0.1:26379", '"sentinel=" needs "master="'),
    ("127.0.0.1:6379 master=oauth", '"master=" needs "sentinel="'),
    ("127.0.0.1:6379 sentinel_password=x",
     '"sentinel_password=" needs "sentinel="'),
    ("sentinel= master=oauth", "an empty list"),
    ("sentinel=127.0.0.1:notaport master=oauth",
     'invalid oauth_redis sentinel address "127.0.0.1:notaport"'),
    ("sentinel=127.0.0.1:26379,,127.0.0.1:26380 master=oauth",
     'invalid oauth_redis sentinel address ""'),
    ("sentinel=127.0.0.1:26379, master=oauth",
     'invalid oauth_redis sentinel address ""'),
    ("sentinel=no-such-host.invalid:26379 master=oauth",
     'invalid oauth_redis sentinel address "no-such-host.invalid:26379"'),
    ("sentinel=unix:/tmp/s.sock master=oauth",
     'invalid oauth_redis sentinel address "unix:/tmp/s.sock"'),
    ("sentinel=127.0.0.1:26379 master=", 'invalid oauth_redis parameter '
                                         '"master="'),
    ("sentinel=127.0.0.1:26379 master=a master=b",
     'invalid oauth_redis parameter "master=b"'),
    ("sentinel=127.0.0.1:26379 master=oauth sentinel_password=",
     'invalid oauth_redis parameter "sentinel_password="'),
    ("sentinel=127.0.0.1:26379 sentinel=127.0.0.1:26380 master=oauth",
     '"sentinel=" is duplicate'),
    ("sentinel=127.0.0.1:26379 master=oauth cluster=127.0.0.1:7000",
     '"sentinel=" and "cluster=" exclude each other'),
    ("sentinel=127.0.0.1:26379 master=oauth db=x",
     'invalid oauth_redis parameter "db=x"'),
])
def test_bad_sentinel_configuration_names_file_and_line(workdir, keys, args,
                                                        message):
    port = rig.free_port()
    n = rig.Nginx(workdir, rig.standard_http(port, args, [keys["ES256"]]),
                  port)
    status, out = n.test_config()
    assert status != 0, out
    assert message in out, out
    assert re.search(re.escape(n.conf) + r":\d+", out), out


def test_good_sentinel_configuration(workdir, keys):
    port = rig.free_port()
    n = rig.Nginx(workdir, rig.standard_http(
        port, "sentinel=127.0.0.1:26379,localhost,[::1]:26380 master=oauth "
              "sentinel_password=s username=u password=p db=2 timeout=300ms "
              "keepalive=2 queue=64 prefix=x:", [keys["ES256"]]), port)
    status, out = n.test_config()
    assert status == 0, out


def test_oauthctl_sentinel_errors(workdir, topology):
    out = subprocess.run([rig.OAUTHCTL, "--redis-sentinel", "127.0.0.1:1",
                          "client", "list"], capture_output=True, text=True)
    assert out.returncode == 2 and "needs --redis-master" in out.stderr
    out = subprocess.run([rig.OAUTHCTL, "--redis-master", "oauth",
                          "client", "list"], capture_output=True, text=True)
    assert out.returncode == 2 and "needs --redis-sentinel" in out.stderr
    out = subprocess.run([rig.OAUTHCTL, "--redis-sentinel", "127.0.0.1:x",
                          "--redis-master", "oauth", "client", "list"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "bad --redis-sentinel" in out.stderr
    # a dead sentinel first, the live ones next: the first that answers
    dead = rig.free_port()
    out = subprocess.run([rig.OAUTHCTL, "--redis-sentinel",
                          f"127.0.0.1:{dead}," + topology.sentinel_list,
                          "--redis-master", "oauth", "--redis-password",
                          PASSWORD, "--redis-sentinel-password",
                          SENTINEL_PASSWORD, "client", "list"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    # a wrong sentinel password: no sentinel answers
    out = subprocess.run([rig.OAUTHCTL, "--redis-sentinel",
                          topology.sentinel_list, "--redis-master", "oauth",
                          "--redis-password", PASSWORD,
                          "--redis-sentinel-password", "wrong",
                          "client", "list"], capture_output=True, text=True)
    assert out.returncode == 1 and "no sentinel named" in out.stderr, \
        out.stderr
    # an unknown master set
    out = subprocess.run([rig.OAUTHCTL, "--redis-sentinel",
                          topology.sentinel_list, "--redis-master", "other",
                          "--redis-sentinel-password", SENTINEL_PASSWORD,
                          "client", "list"], capture_output=True, text=True)
    assert out.returncode == 1 and "not known" in out.stderr, out.stderr


def exists_calls(server):
    stats = server.cli("INFO", "commandstats")
    m = re.search(r"cmdstat_exists:calls=(\d+)", stats)
    return int(m.group(1)) if m else 0


def cached(server, tok, redis_server, timeout=5):
    """Until a repeated request is answered without an EXISTS on the
    primary (the worker's link tracks it and the session is remembered)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert api(server, tok).status_code == 200
        before = exists_calls(redis_server)
        assert api(server, tok).status_code == 200
        if exists_calls(redis_server) == before:
            return True
        time.sleep(0.05)
    return False


def refused_within(server, tok, seconds=1.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if api(server, tok).status_code == 401:
            return True
        time.sleep(0.01)
    return False


def test_session_cache_follows_the_sentinel_primary(workdir, keys, upstream,
                                                    nginx_factory, topology):
    """SPEC 8 with Sentinel: the cache's invalidation link tracks the primary
    the sentinels name; a failover empties the cache and the link tracks the
    new primary, so a session deleted there is refused at once."""
    port = rig.free_port()
    server = nginx_factory(rig.standard_http(
        port, topology.directive_args(), [keys["ES256"]],
        upstream_port=upstream.port,
        http_extra="oauth_session_cache on;"), port=port)
    secret = cc_client(topology)
    wait_for_token(server, secret)
    first, second = (token(server, secret).json()["access_token"]
                     for _ in range(2))

    def session_key(tok):
        claims = json.loads(base64.urlsafe_b64decode(
            tok.split(".")[1] + "=="))
        return "oauth:at:" + claims["jti"]

    assert cached(server, first, topology.primary), server.log()
    # deleted by another client on the primary: invalidated, refused
    topology.primary.cli("DEL", session_key(first))
    assert refused_within(server, first), server.log()

    topology.wait_replicated()
    old_port = topology.primary.port
    topology.primary.kill()
    topology.wait_failover(old_port)
    new_primary = topology.replica
    deadline = time.time() + 10
    while api(server, second).status_code != 200:
        assert time.time() < deadline, server.log()
        time.sleep(0.05)
    assert cached(server, second, new_primary), server.log()
    new_primary.cli("DEL", session_key(second))
    assert refused_within(server, second), server.log()
    assert "the Sentinel primary changed" in server.log()
