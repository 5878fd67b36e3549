"""A request whose client goes away while oauth_require waits on Redis
(issue 18, item 11) ends there (499): it never reaches the proxy phase, so
the upstream sees no connection for it. Over HTTP/1.1 (clients that hang
up) and HTTP/2 (streams reset with RST_STREAM, and a connection closed with
streams open). Redis is held with CLIENT PAUSE, longer than nothing but
below the driver's timeout, so the replies do arrive for the abandoned
requests."""
import socket
import threading
import time

import pytest

import rig
from support.http2 import H2Client, listen_h2
from support.require import Minter, get, require_globals

PAUSE_MS = 1500
N = 20


class ConnectionCounter:
    """Counts the TCP connections the test upstream accepts (a request
    may be dropped before it is sent: hits would miss those)."""

    def __init__(self, upstream):
        self.n = 0
        self.lock = threading.Lock()
        server = upstream.server
        verify = server.verify_request

        def counted(request, client_address):
            with self.lock:
                self.n += 1
            return verify(request, client_address)

        server.verify_request = counted


def abandoned_http(port, h2port, redis_address, keys, upstream_port):
    # a cleartext HTTP/2 listener speaks only HTTP/2 on nginx 1.22: one
    # server for each protocol
    location = f"""
    location /api/ {{
        oauth_require;
        proxy_pass http://127.0.0.1:{upstream_port};
    }}"""
    return f"""
{require_globals(port, redis_address, keys, "timeout=5s")}
server {{
    listen 127.0.0.1:{port};
{location}
}}
server {{
    {listen_h2(f"127.0.0.1:{h2port}")}
{location}
}}
"""


@pytest.fixture
def gate(nginx_factory, redis, keys, upstream):
    port, h2port = rig.free_port(), rig.free_port()
    n = nginx_factory(abandoned_http(port, h2port, redis.address, keys,
                                     upstream.port), port=port)
    n.h2port = h2port
    n.minter = Minter(keys, redis, f"http://127.0.0.1:{port}")
    n.counter = ConnectionCounter(upstream)
    return n


def pause(redis):
    redis.cli("CLIENT", "PAUSE", PAUSE_MS, "ALL")


def after_pause():
    time.sleep(PAUSE_MS / 1000 + 0.7)


def test_http1_clients_that_hang_up(gate, redis):
    t = gate.minter.token()
    assert get(gate, "/api/x", t).status_code == 200
    base = gate.counter.n
    workers = gate.worker_pids()
    pause(redis)
    socks = []
    for _ in range(N):
        s = socket.create_connection(("127.0.0.1", gate.port), timeout=10)
        s.sendall(f"GET /api/x HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {t}\r\n\r\n".encode())
        socks.append(s)
    time.sleep(0.3)   # every request is waiting on Redis
    for s in socks:
        s.close()
    after_pause()
    # the worker lives and serves the next request, whose upstream
    # connection is accepted after any an abandoned request opened
    assert get(gate, "/api/x", t).status_code == 200
    assert gate.counter.n == base + 1, \
        "abandoned requests reached the upstream"
    assert gate.log().count("client prematurely closed connection") >= N
    assert gate.worker_pids() == workers


def test_http2_streams_reset(gate, redis):
    t = gate.minter.token()
    auth = [("authorization", f"Bearer {t}")]
    c = H2Client(gate.h2port)
    try:
        [first] = c.wait([c.request("GET", "/api/x", auth)])
        assert first["status"] == 200
        base = gate.counter.n
        pause(redis)
        sids = [c.request("GET", "/api/x", auth) for _ in range(N)]
        time.sleep(0.3)
        for sid in sids:
            c.reset(sid)
        c.pump(0.2)
        after_pause()
        c.pump(0.2)
        # the connection itself is fine: a new stream passes
        [again] = c.wait([c.request("GET", "/api/x", auth)])
        assert again["status"] == 200
        assert gate.counter.n == base + 1, \
            "reset streams reached the upstream"
    finally:
        c.close()


def test_http2_connection_closed_with_streams_waiting(gate, redis):
    t = gate.minter.token()
    auth = [("authorization", f"Bearer {t}")]
    assert get(gate, "/api/x", t).status_code == 200
    base = gate.counter.n
    workers = gate.worker_pids()
    pause(redis)
    c = H2Client(gate.h2port)
    for _ in range(N):
        c.request("GET", "/api/x", auth)
    time.sleep(0.3)
    c.sock.close()   # gone, as a killed client
    after_pause()
    assert get(gate, "/api/x", t).status_code == 200
    assert gate.counter.n == base + 1, \
        "abandoned streams reached the upstream"
    assert gate.worker_pids() == workers
