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


def raw_request(port, body, n=1, query=b""):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /r?n=%d%s HTTP/1.0\r\nHost: x\r\nContent-Length: %d"
              b"\r\n\r\n%s" % (n, query, len(body), body))
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


def assert_503_within_a_second(n):
    """A PING through the harness fails closed (503) within a second."""
    started = time.time()
    assert run(n, ("PING",)) == (503, ["error"])
    assert time.time() - started < 1.0


def test_silent_server_times_out(nginx_factory, harness):
    fake = FakeRedis(None)
    try:
        n = harness_nginx(nginx_factory, harness,
                          f"127.0.0.1:{fake.port} timeout=150ms")
        assert_503_within_a_second(n)
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
        assert_503_within_a_second(n)
        assert "oauth_redis: connect timed out" in n.log()
    finally:
        for f in fillers:
            f.close()
        lsock.close()


class SlowRedis(FakeRedis):
    """Answers +PONG to every command it reads (PING is all it is sent),
    one reply every `delay` seconds, in order: a Redis that keeps up with
    no one."""

    def __init__(self, delay):
        self.delay = delay
        super().__init__(None)

    def _talk(self, c):
        pending = threading.Semaphore(0)

        def answer():
            try:
                while True:
                    pending.acquire()
                    time.sleep(self.delay)
                    c.sendall(b"+PONG\r\n")
            except OSError:
                pass

        threading.Thread(target=answer, daemon=True).start()
        seen = b""
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    return
                seen += data
                while b"PING\r\n" in seen:
                    seen = seen.split(b"PING\r\n", 1)[1]
                    pending.release()
        except OSError:
            pass


def test_timeout_bounds_each_operation_not_each_reply(nginx_factory,
                                                      harness):
    """20 operations pipelined behind each other on a Redis that answers
    one every 100 ms: each reply comes within the 300 ms timeout, but an
    operation must not wait past 300 ms from its submission (before: the
    timer restarted at each reply and the last one waited 2 s)."""
    slow = SlowRedis(0.1)
    try:
        n = harness_nginx(nginx_factory, harness,
                          f"127.0.0.1:{slow.port} timeout=300ms keepalive=1")
        started = time.time()
        socks = [raw_request(n.port, resp("PING")) for _ in range(20)]
        answers = [read_all(s) for s in socks]
        elapsed = time.time() - started
        for s in socks:
            s.close()
        ok = [a for a in answers if a.startswith(b"HTTP/1.1 200")]
        failed = [a for a in answers if a.startswith(b"HTTP/1.1 503")]
        assert len(ok) + len(failed) == 20
        assert 1 <= len(ok) <= 5 and failed, answers
        # 0.3 s plus a loaded machine's margin, far from the 2 s of before
        assert elapsed < 1.2, elapsed
        assert "timed out waiting for a reply" in n.log()
    finally:
        slow.close()


def test_queue_bound_fails_at_once(nginx_factory, harness, redis):
    """queue=4: a fifth operation in flight in the worker is refused at once
    (503) rather than waiting behind a stalled Redis."""
    n = harness_nginx(nginx_factory, harness,
                      f"{redis.address} keepalive=1 queue=4 timeout=5s")
    assert run(n, ("PING",)) == (200, ["s:PONG"])
    redis.cli("CLIENT", "PAUSE", "1500", "ALL")
    started = time.time()
    waiting = [raw_request(n.port, resp("INCR", "q")) for _ in range(4)]
    time.sleep(0.2)   # all four are in flight
    refused = []
    for _ in range(6):
        t = time.time()
        s = raw_request(n.port, resp("INCR", "q"))
        refused.append((read_all(s), time.time() - t))
        s.close()
    for answer, took in refused:
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert took < 0.5, took   # at once, not after the 1.5 s pause
    assert time.time() - started < 1.5
    answers = [read_all(s) for s in waiting]
    for s in waiting:
        s.close()
    assert all(a.startswith(b"HTTP/1.1 200") for a in answers), answers
    assert redis.cli("GET", "q") == "4"
    # one line for the first refusal; the others within a second are counted
    lines = [l for l in n.log().splitlines() if "queue=4" in l]
    assert len(lines) == 1 and "[error]" in lines[0], lines


def test_kept_alive_connection_closed_by_redis_is_retried(nginx_factory,
                                                          harness, redis):
    """Redis closes an idle connection (CLIENT KILL, or its `timeout`) just
    as a command is written on it: the command goes again, once, on a new
    connection.  ?sleep= makes the harness's worker busy (blocked) while the
    connection is killed, so the command is written before the worker can
    see the close: the race of a busy worker, made certain."""
    n = harness_nginx(nginx_factory, harness, f"{redis.address} keepalive=1")
    assert run(n, ("PING",)) == (200, ["s:PONG"])
    for round in range(2):
        s = raw_request(n.port, resp("INCR", "once"), query=b"&sleep=500")
        time.sleep(0.15)
        assert redis.cli("CLIENT", "KILL", "TYPE", "normal") == "1"
        answer = read_all(s)
        s.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer
        assert answer.endswith(b"i:%d\n" % (round + 1)), answer
    assert redis.cli("GET", "once") == "2"   # each ran exactly once
    assert "[error]" not in n.log(), n.log()


def test_wrong_password_backs_off_exponentially(nginx_factory, harness,
                                               workdir):
    """A refused AUTH cannot heal by retrying fast: reconnects back off
    exponentially (before: one AUTH and one error line every 50 ms)."""
    redis = rig.Redis(workdir, password="right-" + os.urandom(4).hex())
    try:
        n = harness_nginx(nginx_factory, harness,
                          f"{redis.address} password=wrong")
        deadline = time.time() + 3.5
        statuses = set()
        while time.time() < deadline:
            statuses.add(run(n, ("PING",))[0])
            time.sleep(0.01)
        assert statuses == {503}
        refused = n.log().count("AUTH refused")
        # 50 ms doubling: attempts at 0, 0.05, 0.15, 0.35, 0.75, 1.55, 3.15 s
        assert 3 <= refused <= 10, refused
        connections = int(re.search(r"total_connections_received:(\d+)",
                                    redis.cli("INFO", "stats")).group(1))
        assert connections <= 20, connections   # nginx's and redis-cli's
    finally:
        redis.stop()


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
    ("127.0.0.1:6379 queue=0", 'invalid oauth_redis parameter "queue=0"'),
    ("127.0.0.1:6379 queue=x", 'invalid oauth_redis parameter "queue=x"'),
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


def test_outage_recovers_at_once_and_logs_a_summary(nginx_factory, keys,
                                                    redis, upstream):
    """Load on a protected location while Redis is down for 2 s: every
    request fails at once, the error.log gets a few lines (the outage's
    start, a count a second, its end) instead of one per 503, and requests
    succeed again within 100 ms of Redis answering (before: up to 1 s of
    backoff)."""
    port = rig.free_port()
    n = nginx_factory(rig.standard_http(port, redis.address,
                                        [keys["ES256"]],
                                        upstream_port=upstream.port),
                      port=port)
    secret = create_client(redis)
    token = client_credentials(n, secret).json()["access_token"]
    api = n.url("/api/x")
    headers = {"Authorization": "Bearer " + token}
    assert requests.get(api, headers=headers).status_code == 200
    redis.cli("SAVE")   # the session survives the restart

    seen = []   # (time, status), appended by the load threads
    stop = threading.Event()

    def load():
        with requests.Session() as s:
            while not stop.is_set():
                status = s.get(api, headers=headers, timeout=10).status_code
                seen.append((time.time(), status))

    threads = [threading.Thread(target=load) for _ in range(4)]
    redis.stop()
    down_at = time.time()
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        starting = time.time()
        redis.start()   # returns once redis-cli's PING is answered
        up_at = time.time()
        eventually(lambda: any(st == 200 and t > up_at for t, st in seen))
    finally:
        stop.set()
        for t in threads:
            t.join()

    during = [st for t, st in seen if down_at < t < starting]
    assert len(during) > 200 and set(during) == {503}, set(during)
    first_ok = min(t for t, st in seen if st == 200 and t > down_at)
    # 100 ms, plus the margin of a loaded machine (nginx may even see Redis
    # answer before redis-cli does)
    assert first_ok - up_at < 0.3, first_ok - up_at
    print(f"first success {first_ok - up_at:.3f} s after redis-cli's PING, "
          f"{len(during)} requests failed during the outage")
    log = n.log().splitlines()
    errors = [l for l in log if "[error]" in l]
    # start, at most one count a second, end: not one line per 503
    assert len(errors) <= 8, "\n".join(errors[:20])
    assert sum("available again" in l for l in errors) == 1, errors
    assert len([l for l in log if "oauth_redis" in l]) <= 12, log[:20]
