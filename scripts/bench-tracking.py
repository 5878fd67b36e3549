#!/usr/bin/env python3
"""Default tracking or BCAST? What each costs Redis (CPU, memory) and each
worker (invalidation messages and keys) for the edge session cache.

Simulates W workers on one redis-server of its own: each has an
invalidation connection (CLIENT ID, CLIENT TRACKING, SUBSCRIBE
__redis__:invalidate). A token service creates N sessions (SET P at:JTI EX),
every worker reads every session once (EXISTS: the worst case, a token seen
by every worker), then 10% are revoked (DEL).
  bcast:   CLIENT TRACKING on REDIRECT <self> BCAST PREFIX oauth:at:
  default: the workers' data connections run CLIENT TRACKING on REDIRECT
           <their link>; Redis remembers every key each of them read.
Prints one line per mode: Redis CPU ms, used_memory growth, and per worker
the invalidated keys received per new token. Figures for the README.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

W = int(os.environ.get("WORKERS", "16"))
N = int(os.environ.get("TOKENS", "20000"))


def cmd(*a):
    out = [b"*%d\r\n" % len(a)]
    for x in a:
        x = x if isinstance(x, bytes) else str(x).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(x), x))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def call(self, *a):
        self.s.sendall(cmd(*a))
        return self.read_line()

    def read_line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.s.recv(65536)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def pipeline(self, cmds, batch=1000):
        for i in range(0, len(cmds), batch):
            part = cmds[i:i + batch]
            self.s.sendall(b"".join(part))
            for _ in part:
                self.read_line()


class Link(threading.Thread):
    """A worker's invalidation connection, counting what it receives."""

    def __init__(self, port, bcast):
        super().__init__(daemon=True)
        self.c = Conn(port)
        self.id = int(self.c.call("CLIENT", "ID")[1:])
        if bcast:
            assert self.c.call("CLIENT", "TRACKING", "on", "REDIRECT", self.id,
                               "BCAST", "PREFIX", "oauth:at:") == b"+OK"
        self.c.s.sendall(cmd("SUBSCRIBE", "__redis__:invalidate"))
        self.keys = 0
        self.messages = 0
        self.start()

    def run(self):
        data = self.c.buf
        while True:
            try:
                chunk = self.c.s.recv(1 << 20)
            except OSError:
                return
            if not chunk:
                return
            data = data[-16:] + chunk
            self.keys += chunk.count(b"oauth:at:")
            self.messages += chunk.count(b"$7\r\nmessage\r\n")


def info(c, section):
    c.s.sendall(cmd("INFO", section))
    head = c.read_line()
    n = int(head[1:])
    while len(c.buf) < n + 2:
        c.buf += c.s.recv(65536)
    body, c.buf = c.buf[:n].decode(), c.buf[n + 2:]
    return dict(l.split(":", 1) for l in body.splitlines() if ":" in l)


def run(mode):
    port = 20000 + os.getpid() % 20000
    d = tempfile.mkdtemp()
    p = subprocess.Popen(["redis-server", "--port", str(port), "--save", "",
                          "--appendonly", "no", "--dir", d],
                         stdout=subprocess.DEVNULL)
    for _ in range(200):
        try:
            ctl = Conn(port)
            break
        except OSError:
            time.sleep(0.02)
    bcast = mode == "bcast"
    links = [Link(port, bcast) for _ in range(W)]
    data = []
    for link in links:
        c = Conn(port)
        if mode == "default":
            assert c.call("CLIENT", "TRACKING", "on", "REDIRECT", link.id) == b"+OK"
        data.append(c)
    time.sleep(0.2)
    m0 = int(info(ctl, "memory")["used_memory"])
    cpu = info(ctl, "cpu")
    c0 = float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])
    jtis = [os.urandom(16).hex() for _ in range(N)]
    writer = Conn(port)
    writer.pipeline([cmd("SET", f"oauth:at:{j}", '{"c":"app"}', "EX", 600) for j in jtis])
    for c in data:
        c.pipeline([cmd("EXISTS", f"oauth:at:{j}") for j in jtis])
    time.sleep(0.3)
    m1 = int(info(ctl, "memory")["used_memory"])
    created = sum(l.keys for l in links) / W
    writer.pipeline([cmd("DEL", f"oauth:at:{j}") for j in jtis[: N // 10]])
    time.sleep(0.5)
    cpu = info(ctl, "cpu")
    c1 = float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])
    keys = sum(l.keys for l in links) / W
    tracked = info(ctl, "stats").get("tracking_total_keys", "?")
    p.terminate()
    p.wait()
    print(f"{mode:8} workers={W} tokens={N}: Redis CPU {1000 * (c1 - c0):.0f} ms "
          f"(with the workload's own SET/EXISTS/DEL), used_memory +{(m1 - m0) / N:.0f} B "
          f"per session, tracked keys {tracked}; per worker: {created / N:.2f} keys per "
          f"new token, {(keys - created) / (N // 10):.2f} per revocation")
    return m1 - m0


if __name__ == "__main__":
    # none: no tracking at all, the workload's own cost
    for mode in sys.argv[1:] or ["none", "bcast", "default"]:
        run(mode)
