"""The Redis driver (src/nginx/ngx_http_oauth_redis.c) on a real nginx and a
real redis-server: failures give 503 fast and heal without a reload, slow
Redis times out, AUTH/SELECT/unix sockets, abandoned requests, pipelining,
partial writes, and clean worker shutdown.

Most tests load a test-only module (t/redis_harness/) that runs raw RESP
through the driver, so the driver is checked apart from any OAuth flow; the
last ones go through the token endpoint as users do.
"""
import base64
import concurrent.futures
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import requests

import rig

HARNESS = os.path.join(rig.NGINX_BUILD, "ngx_http_oauth_redis_harness_module.so")
HARNESS_BUILD = os.path.join(rig.TOP, "t", "redis_harness", "build.sh")


@pytest.fixture(scope="session")
def harness():
    subprocess.run([HARNESS_BUILD, rig.NGINX_BUILD], check=True)
    return HARNESS


def resp(*args):
    """One RESP command (what the core hands the driver)."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def harness_http(redis_args, port):
    return f"""
        oauth_redis_harness_redis {redis_args};
        server {{
            listen 127.0.0.1:{port};
            client_body_buffer_size 8m;
            client_max_body_size 8m;
            location /r {{ oauth_redis_harness; }}
        }}"""


def load_harness(n, harness):
    """Makes the rig's nginx load the harness instead of the module."""
    with open(n.conf) as f:
        conf = f.read()
    with open(n.conf, "w") as f:
        f.write(conf.replace(f"load_module {rig.MODULE};",
                             f"load_module {harness};"))
    return n


def harness_nginx(nginx_factory, harness, redis_args, workers=1):
    """Started nginx with only the harness module and `oauth_redis_harness_
    redis redis_args`; POST /r?n=N runs the body's N commands.  The rig
    stops it and checks its error.log at teardown."""
    port = rig.free_port()
    n = nginx_factory(harness_http(redis_args, port), port=port,
                      workers=workers, start=False)
    return load_harness(n, harness).start()


def harness_conf(workdir, harness, redis_args):
    """The same, never started: for `nginx -t`."""
    port = rig.free_port()
    return load_harness(rig.Nginx(workdir, harness_http(redis_args, port),
                                  port), harness)


def run(n, *cmds, timeout=10):
    """Runs the commands in one operation: (status, [reply lines])."""
    body = b"".join(resp(*c) for c in cmds)
    r = requests.post(n.url(f"/r?n={len(cmds)}"), data=body, timeout=timeout)
    return r.status_code, r.text.splitlines()


def eventually(fn, timeout=5.0):
    deadline = time.time() + timeout
    while True:
        result = fn()
        if result or time.time() > deadline:
            return result
        time.sleep(0.05)


def raw_request(port, body, n=1):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /r?n=%d HTTP/1.0\r\nHost: x\r\nContent-Length: %d\r\n"
              b"\r\n%s" % (n, len(body), body))
    return s


def read_all(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def nginx_clients(redis):
    """Connections Redis sees, besides the redis-cli asking."""
    return len(redis.cli("CLIENT", "LIST").splitlines()) - 1


def test_commands_replies_and_redis_errors(nginx_factory, harness, redis):
    n = harness_nginx(nginx_factory, harness, redis.address)
    assert run(n, ("SET", "k", "v1"), ("GET", "k"), ("GET", "missing"),
               ("INCR", "k"), ("DEL", "k")) == \
        (200, ["s:OK", "s:v1", "n:",
               "e:ERR value is not an integer or out of range", "i:1"])
    # an error reply is a reply: the connection stays usable
    assert run(n, ("PING",)) == (200, ["s:PONG"])
    # more replies than an operation keeps inline
    status, lines = run(n, *[("INCR", "c")] * 20)
    assert status == 200 and lines == [f"i:{i}" for i in range(1, 21)]


def test_prefix_and_defaults_pass_config(nginx_factory, harness, redis):
    n = harness_nginx(nginx_factory, harness,
                      f"{redis.address} prefix=x: keepalive=2 timeout=1s")
    assert run(n, ("PING",)) == (200, ["s:PONG"])


def test_many_concurrent_requests_pipeline_on_one_connection(
        nginx_factory, harness, redis):
    n = harness_nginx(nginx_factory, harness, f"{redis.address} keepalive=1")
    socks = [raw_request(n.port, resp("INCR", "hits") + resp("GET", "hits"),
                         n=2) for _ in range(300)]
    answers = [read_all(s) for s in socks]
    for s in socks:
        s.close()
    seen = set()
    for a in answers:
        assert a.startswith(b"HTTP/1.1 200"), a[:200]
        body = a.split(b"\r\n\r\n", 1)[1].decode().splitlines()
        seen.add(int(body[0][2:]))
    assert seen == set(range(1, 301))
    assert redis.cli("GET", "hits") == "300"
    assert nginx_clients(redis) == 1


def test_connections_grow_to_keepalive_and_no_further(nginx_factory, harness,
                                                      redis):
    n = harness_nginx(nginx_factory, harness, f"{redis.address} keepalive=3 timeout=2s")
    redis.cli("CLIENT", "PAUSE", "300", "ALL")
    # more than keepalive x the 32-operation pipeline of a connection
    socks = [raw_request(n.port, resp("PING")) for _ in range(120)]
    answers = [read_all(s) for s in socks]
    for s in socks:
        s.close()
    assert all(a.startswith(b"HTTP/1.1 200") for a in answers)
    assert nginx_clients(redis) == 3


def test_large_command_and_reply_cross_partial_writes(nginx_factory, harness,
                                                      redis):
    n = harness_nginx(nginx_factory, harness, f"{redis.address} timeout=5s")
    big = os.urandom(3 * 1024 * 1024).hex()[:5_000_000]
    assert run(n, ("SET", "big", big), ("STRLEN", "big")) == \
        (200, ["s:OK", "i:5000000"])
    status, lines = run(n, ("GET", "big"))
    assert status == 200 and lines == ["s:" + big]


def test_redis_down_is_503_and_coming_back_needs_no_reload(
        nginx_factory, harness, redis):
    n = harness_nginx(nginx_factory, harness, redis.address)
    assert run(n, ("SET", "k", "1"))[0] == 200
    workers = n.worker_pids()
    redis.stop()

    started = time.time()
    statuses = [run(n, ("GET", "k"))[0] for _ in range(40)]
    assert set(statuses) == {503}
    assert time.time() - started < 5
    # one line per outage event, not one per request (backoff)
    errors = [l for l in n.log().splitlines() if "[error]" in l]
    assert errors and len(errors) < 20
    assert any("oauth_redis" in l and "redis: " + redis.address in l
               for l in errors)

    redis.start()
    assert eventually(lambda: run(n, ("PING",))[0] == 200)
    assert run(n, ("SET", "k", "2"), ("GET", "k")) == (200, ["s:OK", "s:2"])
    assert n.worker_pids() == workers


def test_slow_redis_times_out_fast_and_heals(nginx_factory, harness, redis):
    n = harness_nginx(nginx_factory, harness, f"{redis.address} timeout=100ms")
    assert run(n, ("PING",)) == (200, ["s:PONG"])
    workers = n.worker_pids()
    redis.cli("CLIENT", "PAUSE", "1500", "ALL")
    started = time.time()
    assert run(n, ("PING",))[0] == 503
    assert time.time() - started < 1.0
    assert "timed out waiting for a reply" in n.log()
    # fails fast during the pause, then heals by itself
    assert eventually(lambda: run(n, ("PING",)) == (200, ["s:PONG"]),
                      timeout=6)
    assert n.worker_pids() == workers


def test_password(nginx_factory, harness, workdir):
    secret = "s3cret-pw-" + os.urandom(6).hex()
    redis = rig.Redis(workdir, password=secret)
    try:
        n = harness_nginx(nginx_factory, harness,
                          f"{redis.address} password={secret}")
        assert run(n, ("SET", "k", "v"), ("GET", "k")) == \
            (200, ["s:OK", "s:v"])
        # ACL form: AUTH username password
        n2 = harness_nginx(nginx_factory, harness,
                           f"{redis.address} username=default "
                           f"password={secret}")
        assert run(n2, ("GET", "k")) == (200, ["s:v"])

        wrong = harness_nginx(nginx_factory, harness,
                              f"{redis.address} password=wrong-{secret}")
        assert run(wrong, ("GET", "k"))[0] == 503
        log = wrong.log()
        assert re.search(r"\[error\].*oauth_redis: AUTH refused: WRONGPASS",
                         log), log
        for each in (n, n2, wrong):
            assert secret not in each.log()
    finally:
        redis.stop()


def test_no_password_against_protected_redis(nginx_factory, harness,
                                             workdir):
    redis = rig.Redis(workdir, password="pw-" + os.urandom(6).hex())
    try:
        # Redis's error reply reaches the caller, which decides (503)
        n = harness_nginx(nginx_factory, harness, redis.address)
        status, lines = run(n, ("GET", "k"))
        assert status == 200 and lines[0].startswith("e:NOAUTH")
    finally:
        redis.stop()


def test_db(nginx_factory, harness, redis):
    n = harness_nginx(nginx_factory, harness, f"{redis.address} db=3")
    assert run(n, ("SET", "in3", "yes"))[0] == 200
    assert redis.cli("GET", "in3", db=3) == "yes"
    assert redis.cli("EXISTS", "in3", db=0) == "0"

    bad = harness_nginx(nginx_factory, harness, f"{redis.address} db=999")
    assert run(bad, ("PING",))[0] == 503
    assert re.search(r"\[error\].*oauth_redis: SELECT refused",
                     bad.log())


class UnixRedis(rig.Redis):
    """rig.Redis on a unix socket that nginx's unprivileged workers may
    reach (the rig's temporary directories are private)."""

    def __init__(self):
        self.sockdir = tempfile.mkdtemp(prefix="oauth-redis-")
        os.chmod(self.sockdir, 0o755)
        super().__init__(self.sockdir)
        self.stop()
        self.socket = os.path.join(self.sockdir, "redis.sock")
        self.start()

    def start(self):
        super().start()
        if self.socket:
            os.chmod(self.socket, 0o777)


def test_unix_socket(nginx_factory, harness):
    redis = UnixRedis()
    try:
        n = harness_nginx(nginx_factory, harness, f"unix:{redis.socket} db=1")
        assert run(n, ("SET", "u", "1"), ("GET", "u")) == \
            (200, ["s:OK", "s:1"])
        assert redis.cli("GET", "u", db=1) == "1"
        redis.stop()
        assert run(n, ("GET", "u"))[0] == 503
        redis.start()   # empty: nothing is saved
        assert eventually(lambda: run(n, ("PING",)) == (200, ["s:PONG"]))
        assert run(n, ("SET", "u", "2"), ("GET", "u")) == \
            (200, ["s:OK", "s:2"])
    finally:
        redis.stop()
        shutil.rmtree(redis.sockdir, ignore_errors=True)


def test_client_gone_while_waiting(nginx_factory, harness, redis):
    n = harness_nginx(nginx_factory, harness, f"{redis.address} keepalive=1 "
                                              "timeout=2s")
    workers = n.worker_pids()
    redis.cli("CLIENT", "PAUSE", "500", "ALL")
    gone = [raw_request(n.port, resp("INCR", "gone")) for _ in range(10)]
    stays = raw_request(n.port, resp("INCR", "gone"))
    time.sleep(0.1)
    for s in gone:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    answer = read_all(stays)
    stays.close()
    # the harness noticed each client leave and cancelled its operation
    assert n.log().count("client prematurely closed connection") == 10
    # the abandoned operations still ran, in order, and were dropped
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"i:11\n")
    assert run(n, ("GET", "gone")) == (200, ["s:11"])
    assert n.worker_pids() == workers


def test_graceful_reload_and_shutdown_with_idle_connections(
        nginx_factory, harness, redis):
    n = harness_nginx(nginx_factory, harness, f"{redis.address} keepalive=4")
    socks = [raw_request(n.port, resp("PING")) for _ in range(20)]
    for s in socks:
        read_all(s)
        s.close()
    old = n.worker_pids()
    n.proc.send_signal(1)  # SIGHUP: old workers exit gracefully
    assert eventually(lambda: n.worker_pids() and
                      not set(n.worker_pids()) & set(old), timeout=10)
    assert run(n, ("PING",)) == (200, ["s:PONG"])
    # the teardown (SIGQUIT) closes the idle ones; it fails on [alert]
    assert not n.fatal_log_lines()


def test_shutdown_while_operations_wait(nginx_factory, harness, redis):
    n = harness_nginx(nginx_factory, harness, f"{redis.address} timeout=3s")
    redis.cli("CLIENT", "PAUSE", "400", "ALL")
    waiting = raw_request(n.port, resp("PING"))
    time.sleep(0.1)
    n.proc.send_signal(3)  # SIGQUIT: the waiting request still gets served
    assert read_all(waiting).endswith(b"s:PONG\n")
    waiting.close()
    n.proc.wait(10)
    assert not n.fatal_log_lines()


class FakeRedis:
    """A TCP server that answers whatever it reads with `answer` (None:
    never answers)."""

    def __init__(self, answer):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.conns = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._talk, args=(c,), daemon=True).start()

    def _talk(self, c):
        try:
            while c.recv(65536):
                if self.answer is not None:
                    c.sendall(self.answer)
        except OSError:
            pass

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def test_protocol_error_is_503(nginx_factory, harness):
    fake = FakeRedis(b"this is not RESP\r\n")
    try:
        n = harness_nginx(nginx_factory, harness, f"127.0.0.1:{fake.port}")
        assert run(n, ("PING",)) == (503, ["error"])
        assert re.search(r"\[error\].*oauth_redis: protocol error, "
                         r"1 operation\(s\) failed", n.log())
    finally:
        fake.close()


def test_silent_server_times_out(nginx_factory, harness):
    fake = FakeRedis(None)
    try:
        n = harness_nginx(nginx_factory, harness,
                          f"127.0.0.1:{fake.port} timeout=150ms")
        started = time.time()
        assert run(n, ("PING",)) == (503, ["error"])
        assert time.time() - started < 1.0
        assert "timed out waiting for a reply" in n.log()
    finally:
        fake.close()


def test_connect_timeout(nginx_factory, harness):
    """A listener whose accept queue is full drops SYNs: connect() hangs."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(0)
    port = lsock.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            f = socket.socket()
            f.setblocking(False)
            f.connect_ex(("127.0.0.1", port))
            fillers.append(f)
        time.sleep(0.2)
        n = harness_nginx(nginx_factory, harness,
                          f"127.0.0.1:{port} timeout=150ms")
        started = time.time()
        assert run(n, ("PING",)) == (503, ["error"])
        assert time.time() - started < 1.0
        assert "oauth_redis: connect timed out" in n.log()
    finally:
        for f in fillers:
            f.close()
        lsock.close()


@pytest.mark.parametrize("args,message", [
    ("", "invalid number of arguments"),
    ("127.0.0.1:notaport", "invalid oauth_redis address"),
    ("127.0.0.1:6379/path", "invalid oauth_redis address"),
    ("no-such-host.invalid:6379", "invalid oauth_redis address"),
    ("127.0.0.1:6379 db=x", 'invalid oauth_redis parameter "db=x"'),
    ("127.0.0.1:6379 db=-1", 'invalid oauth_redis parameter "db=-1"'),
    ("127.0.0.1:6379 timeout=soon",
     'invalid oauth_redis parameter "timeout=soon"'),
    ("127.0.0.1:6379 timeout=0", 'invalid oauth_redis parameter "timeout=0"'),
    ("127.0.0.1:6379 keepalive=0",
     'invalid oauth_redis parameter "keepalive=0"'),
    ("127.0.0.1:6379 username=", 'invalid oauth_redis parameter "username="'),
    ("127.0.0.1:6379 password=", "invalid oauth_redis parameter"),
    ("127.0.0.1:6379 username=u", '"username=" needs "password="'),
    ("127.0.0.1:6379 color=blue", 'invalid oauth_redis parameter "color=blue"'),
])
def test_bad_configuration_names_file_and_line(workdir, harness, args,
                                               message):
    n = harness_conf(workdir, harness, args)
    status, out = n.test_config()
    assert status != 0
    assert message in out, out
    assert re.search(re.escape(n.conf) + r":\d+", out), out


def test_duplicate_directive(workdir, harness):
    n = harness_conf(workdir, harness,
                     "127.0.0.1:6379;\noauth_redis_harness_redis 127.0.0.1:6380")
    status, out = n.test_config()
    assert status != 0 and "is duplicate" in out, out


# ---- the same promises through the token endpoint, as users see them ----

TOKEN = "/oauth2/token"


def token_server(nginx_factory, keys, redis_address, options=""):
    port = rig.free_port()
    return nginx_factory(rig.standard_http(port, redis_address,
                                           [keys["ES256"]],
                                           redis_options=options), port=port)


def client_credentials(n, secret, timeout=10):
    return requests.post(n.url(TOKEN), data={"grant_type":
                                             "client_credentials"},
                         auth=("svc", secret), timeout=timeout)


def create_client(redis, *global_options):
    return rig.oauthctl(redis, *global_options, "client", "create", "--id",
                        "svc", "--grant-types", "client_credentials",
                        "--scope", "a")["client_secret"]


def assert_unavailable(r):
    assert r.status_code == 503, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.json()["error"] == "temporarily_unavailable"
    assert "access_token" not in r.text


def test_token_endpoint_down_slow_and_back(nginx_factory, keys, redis):
    n = token_server(nginx_factory, keys, redis.address, "timeout=100ms")
    secret = create_client(redis)
    assert client_credentials(n, secret).status_code == 200
    workers = n.worker_pids()

    redis.cli("CLIENT", "PAUSE", "1500", "ALL")
    started = time.time()
    assert_unavailable(client_credentials(n, secret))
    assert time.time() - started < 1.0
    assert eventually(lambda: client_credentials(n, secret).status_code
                      == 200, timeout=6)

    redis.stop()
    assert_unavailable(client_credentials(n, secret))
    redis.start()
    secret = create_client(redis)   # nothing survives the restart
    assert eventually(lambda: client_credentials(n, secret).status_code
                      == 200)
    assert n.worker_pids() == workers
    assert "[error]" in n.log()


def test_token_endpoint_with_password_and_db(nginx_factory, keys, workdir):
    secret_pw = "pw-" + os.urandom(8).hex()
    redis = rig.Redis(workdir, password=secret_pw)
    try:
        secret = create_client(redis, "--redis-db", "2")
        n = token_server(nginx_factory, keys, redis.address,
                         f"password={secret_pw} db=2")
        assert client_credentials(n, secret).status_code == 200

        wrong = token_server(nginx_factory, keys, redis.address,
                             f"password=not-{secret_pw} db=2")
        assert_unavailable(client_credentials(wrong, secret))
        assert re.search(r"\[error\].*AUTH refused", wrong.log())
        for each in (n, wrong):
            assert secret_pw not in each.log()
            assert secret not in each.log()
    finally:
        redis.stop()


def test_token_endpoint_on_unix_socket(nginx_factory, keys):
    redis = UnixRedis()
    try:
        secret = create_client(redis)
        n = token_server(nginx_factory, keys, f"unix:{redis.socket}")
        assert client_credentials(n, secret).status_code == 200
    finally:
        redis.stop()
        shutil.rmtree(redis.sockdir, ignore_errors=True)


def test_token_client_gone_while_redis_is_slow(nginx_factory, keys, redis):
    n = token_server(nginx_factory, keys, redis.address,
                     "timeout=2s keepalive=1")
    secret = create_client(redis)
    workers = n.worker_pids()
    body = b"grant_type=client_credentials"
    auth = base64.b64encode(b"svc:" + secret.encode())
    redis.cli("CLIENT", "PAUSE", "500", "ALL")
    gone = []
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", n.port), timeout=10)
        s.sendall(b"POST " + TOKEN.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Authorization: Basic " + auth + b"\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        gone.append(s)
    time.sleep(0.1)
    for s in gone:
        s.close()
    time.sleep(0.6)
    assert client_credentials(n, secret).status_code == 200
    assert n.worker_pids() == workers


def test_concurrent_token_requests_share_one_connection(nginx_factory, keys,
                                                        redis):
    n = token_server(nginx_factory, keys, redis.address, "keepalive=1")
    secret = create_client(redis)
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(lambda _: client_credentials(n, secret)
                                 .status_code, range(200)))
    assert statuses == [200] * 200, n.log()
    assert nginx_clients(redis) == 1
