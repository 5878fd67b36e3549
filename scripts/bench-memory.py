#!/usr/bin/env python3
"""`make bench`, part 3 (run by bench-memory.sh): what one live token costs
Redis, per grant: bytes of used_memory (INFO memory) and Redis CPU (INFO cpu,
user + system) over many tokens, divided by their number. The store's key
layout is in src/core/store/keys.h. Figures, never assertions.

usage: bench-memory.py TOKEN_URL REDIS_PORT SECRET"""
import base64
import http.client
import json
import subprocess
import sys
import threading
import urllib.parse

URL, RPORT, SECRET = sys.argv[1], sys.argv[2], sys.argv[3]
u = urllib.parse.urlsplit(URL)


def info(section):
    out = subprocess.run(["redis-cli", "-p", RPORT, "INFO", section], check=True,
                         capture_output=True, text=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def snapshot():
    m, c = info("memory"), info("cpu")
    cpu = float(c["used_cpu_user"]) + float(c["used_cpu_sys"])
    return int(m["used_memory"]), cpu


def command_usec():
    """Microseconds Redis spent executing commands (INFO commandstats)."""
    total = 0
    for k, v in info("commandstats").items():
        if k.startswith("cmdstat_"):
            fields = dict(f.split("=") for f in v.split(","))
            total += int(fields["usec"])
    return total


def post(conn, client, body):
    auth = base64.b64encode(f"{client}:{SECRET}".encode()).decode()
    conn.request("POST", u.path, body=body,
                 headers={"Authorization": "Basic " + auth,
                          "Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        print(f"bench-memory: {r.status} {data[:200]!r}", file=sys.stderr)
        return None
    return json.loads(data)


def run(n, client, body_of, threads=8):
    """n token requests, body_of(i) -> form body; answers the responses."""
    out = [None] * n
    def worker(k):
        conn = http.client.HTTPConnection(u.hostname, u.port)
        for i in range(k, n, threads):
            out[i] = post(conn, client, body_of(i))
        conn.close()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def measure(name, n, client, body_of, threads=8):
    mem0, cpu0 = snapshot()
    us0 = command_usec()
    got = run(n, client, body_of, threads)
    us1 = command_usec()
    mem1, cpu1 = snapshot()
    ok = sum(1 for g in got if g is not None)
    if ok == 0:
        raise SystemExit(f"bench-memory: no {name} token issued")
    print(f"{name:<40} {ok:>6} {(mem1 - mem0) / ok:>12.0f} {(us1 - us0) / ok:>10.1f}"
          f" {(cpu1 - cpu0) / ok * 1e6:>10.1f}")
    return got


print(f"\n{'Redis per live token (grant)':<40} {'tokens':>6} {'bytes/token':>12}"
      f" {'cmd us':>10} {'proc us':>10}")
measure("client_credentials (no family)", 5500, "cc",
        lambda i: "grant_type=client_credentials")
# One at a time: concurrent password checks of one user meet the login limit.
pw = measure("password + refresh token (a family)", 300, "pw",
             lambda i: "grant_type=password&username=ann&password=bench-password", 1)
rts = [p["refresh_token"] for p in pw if p]
measure("refresh_token rotation (+1 token)", len(rts), "pw",
        lambda i: "grant_type=refresh_token&refresh_token=" + urllib.parse.quote(rts[i]))
print("(used_memory delta over that many live tokens; Redis CPU per token: cmd ="
      " time in commands (INFO commandstats), proc = process user+sys, which"
      " adds reading, parsing and replying, and idle ticks)")
