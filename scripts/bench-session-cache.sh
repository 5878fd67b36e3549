#!/usr/bin/env bash
# `make bench`, part: oauth_session_cache (SPEC §8). Figures, never assertions.
#
# One nginx worker (node B) and Redis pinned to CPU 0, the clients (wrk, the
# Python revocation driver and its hammer) to CPU 1. In interleaved rounds:
# a plain proxy location, oauth_require with the cache off, with the cache
# on (one token; 1,000 tokens cycled by a wrk script), each with requests/s,
# p99, the worker's CPU per request, and Redis commands per request (INFO
# commandstats, INFO itself left out). Then the revocation delay: a second
# nginx (node A, the token and revocation endpoints) on the same Redis; for
# each of BENCH_REVOCATIONS tokens, B remembers it, a hammer hammers B with
# it, A revokes it, and the delay is from A's 200 to the first 401 from B.
#
#   BENCH_SECONDS      seconds per measured run (default 5)
#   BENCH_ROUNDS       interleaved rounds (default 3)
#   BENCH_CONNS        wrk connections (default 32)
#   BENCH_REVOCATIONS  revocations timed (default 1000)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS_DEFAULT=3
REVOCATIONS=${BENCH_REVOCATIONS:-1000}

# shellcheck source=scripts/bench-lib.sh
. "$TOP/scripts/bench-lib.sh"
bench_need
bench_pin

free_ports PORT_OFF PORT_ON PORT_A UPORT RPORT
ISSUER="http://127.0.0.1:$PORT_A"

new_key RS256

start_redis "$RPORT"

COMMON="oauth_redis 127.0.0.1:$RPORT keepalive=4;
    oauth_issuer $ISSUER;
    oauth_signing_key $WORK/rs256.pem kid=rs;"

# node B: the protected locations, the cache off on one port, on on another
{ nginx_conf_head; cat <<EOF
    $COMMON
$(proxy_site "$PORT_OFF" "$UPORT" "")
    server {
        listen 127.0.0.1:$PORT_ON;
        oauth_session_cache on;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location /api/ { oauth_require scope=orders:read; proxy_pass http://backend; }
    }
}
EOF
} >"$WORK/nginx.conf"
sed -i "s|error_log $WORK/logs/error.log warn|error_log $WORK/logs/error.log info|" "$WORK/nginx.conf"

start_nginx "$PORT_OFF" "$PORT_ON"
B_WORKER=$WORKER

# node A: its own nginx (own prefix, pid, logs), the endpoints
mkdir -p "$WORK/a/logs" "$WORK/a/tmp"
sed -e "s|pid $WORK/nginx.pid|pid $WORK/a/nginx.pid|" \
    -e "s|$WORK/logs/|$WORK/a/logs/|g" -e "s|$WORK/tmp/|$WORK/a/tmp/|g" \
    -e '/^http {/,$d' "$WORK/nginx.conf" >"$WORK/a/nginx.conf"
cat >>"$WORK/a/nginx.conf" <<EOF
http {
    access_log off;
    client_body_temp_path $WORK/a/tmp/body;
    proxy_temp_path $WORK/a/tmp/proxy;
    fastcgi_temp_path $WORK/a/tmp/fastcgi;
    uwsgi_temp_path $WORK/a/tmp/uwsgi;
    scgi_temp_path $WORK/a/tmp/scgi;
    $COMMON
    server {
        listen 127.0.0.1:$PORT_A;
        location = /oauth2/token { oauth_token; }
        location = /oauth2/revoke { oauth_revoke; }
    }
}
EOF
start_nginx -p "$WORK/a" "$PORT_A"
WORKER=$B_WORKER  # the figures are node B's

for _ in $(seq 100); do
    grep -q "tracking confirmed" "$WORK/logs/error.log" && break
    sleep 0.05
done

SECRET=$("$OAUTHCTL" --redis "127.0.0.1:$RPORT" client create --id bench \
    --grant-types client_credentials --scope orders:read |
    json_field client_secret)

token() {
    curl -s -u "bench:$SECRET" -d grant_type=client_credentials \
        "http://127.0.0.1:$PORT_A/oauth2/token" |
        json_field access_token
}
TOKEN=$(token)

# 1,000 tokens for the many-token run, cycled by a wrk script
for _ in $(seq 1000); do token; done >"$WORK/tokens.txt"
"$PYTHON" - "$WORK/tokens.txt" "$WORK/many.lua" <<'EOF'
import sys
toks = open(sys.argv[1]).read().split()
with open(sys.argv[2], "w") as f:
    f.write("tokens = {\n" + ",\n".join(f'"{t}"' for t in toks) + "}\n")
    f.write("i = 0\nrequest = function()\n  i = i + 1\n"
            "  return wrk.format('GET', '/api/x', {['Authorization'] = "
            "'Bearer ' .. tokens[(i % #tokens) + 1]})\nend\n")
EOF

commands() {  # Redis commands run so far, INFO left out
    redis-cli -p "$RPORT" INFO commandstats |
        awk -F'[=,:]' '/^cmdstat_/ && $1 != "cmdstat_info" {n += $3} END {print n + 0}'
}
MEASURE_COUNTER=commands

run() {  # run NAME PORT PATH [TOKEN|@script]
    local name=$1 port=$2 path=$3 tok=${4:-}
    case "$tok" in
        @*) wrk_run "$name" "$SECONDS_RUN" "http://127.0.0.1:$port$path" -s "${tok#@}" ;;
        *) bearer_run "$name" "$SECONDS_RUN" "http://127.0.0.1:$port$path" "$tok" ;;
    esac
}

echo "oauth_session_cache benchmark: 1 nginx worker and Redis on CPU $SERVER_CPU," \
     "wrk -t1 -c$CONNS on CPU $CLIENT_CPU, $ROUNDS rounds of ${SECONDS_RUN}s"
LOCATIONS=("plain:$PORT_OFF:/plain/x:" "off:$PORT_OFF:/api/x:$TOKEN"
           "on:$PORT_ON:/api/x:$TOKEN" "many:$PORT_ON:/api/x:@$WORK/many.lua")
for loc in "${LOCATIONS[@]}"; do
    IFS=: read -r name port path tok <<<"$loc"
    SECONDS_RUN=2 run warm "$port" "$path" "$tok" >/dev/null
done
: >"$WORK/results.txt"
for round in $(seq "$ROUNDS"); do
    for loc in "${LOCATIONS[@]}"; do
        IFS=: read -r name port path tok <<<"$loc"
        measure "$round" "$name" run "$name" "$port" "$path" "$tok"
    done
done
RSS=$(rss_kb "$WORKER")

bench_py "$WORK/results.txt" "$HZ" <<'EOF'
import sys
from bench_rounds import bad, load, med, paired, runs
rounds = load(sys.argv[1], sys.argv[2], extra=1)
names = {"plain": "plain proxy", "off": "oauth_require, cache off",
         "on": "oauth_require, cache on, 1 token",
         "many": "oauth_require, cache on, 1,000 tokens"}
print(f"\n{'location':<40} {'req/s':>8} {'x plain':>8} {'p99 ms':>7} {'us CPU/req':>11}"
      f" {'x plain':>8} {'Redis cmd/req':>14} {'non-2xx':>8}")
for key in names:
    rs = runs(rounds, key)
    cmds = sum(int(x.extra[0]) for x in rs) / sum(x.n for x in rs)
    print(f"{names[key]:<40} {med(x.rps for x in rs):>8.0f} {paired(rounds, key):>8.2f}"
          f" {med(x.p99 for x in rs):>7.2f} {med(x.worker_us for x in rs):>11.1f}"
          f" {1 / paired(rounds, key, figure=lambda r: r.worker_us):>8.2f}"
          f" {cmds:>14.3f} {bad(rounds, key):>8}")
print("(x plain: medians over the rounds of the paired ratios, req/s location/plain and"
      " CPU plain/location, so 1.00 is free; Redis cmd/req: every command Redis ran"
      " during the runs over the requests)")
EOF
echo "worker RSS after the runs: $RSS kB (1,000 sessions remembered, default size=10000)"

# The revocation delay, A's 200 -> B's first 401, with a hammer on B.
"${ON_CLIENT[@]}" "$PYTHON" - "$PORT_A" "$PORT_ON" "$SECRET" "$REVOCATIONS" <<'EOF'
import base64, http.client, json, multiprocessing as mp, statistics, sys, time
port_a, port_b, secret, total = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
auth = {"Authorization": "Basic " + base64.b64encode(f"bench:{secret}".encode()).decode(),
        "Content-Type": "application/x-www-form-urlencoded"}

def hammer(pipe):
    b = http.client.HTTPConnection("127.0.0.1", port_b)
    while True:
        tok = pipe.recv()
        if tok is None:
            return
        h = {"Authorization": "Bearer " + tok}
        sent = 0
        while True:
            b.request("GET", "/api/x", headers=h)
            r = b.getresponse(); r.read(); sent += 1
            if sent == 1:
                pipe.send(("started", r.status))
            if r.status == 401:
                pipe.send((time.monotonic(), sent))
                break

a = http.client.HTTPConnection("127.0.0.1", port_a)
b = http.client.HTTPConnection("127.0.0.1", port_b)
def post(path, body):
    a.request("POST", path, body=body, headers=auth)
    r = a.getresponse(); data = r.read()
    return r.status, data
ours, theirs = mp.Pipe()
p = mp.Process(target=hammer, args=(theirs,)); p.start()
delays, requests = [], []
for _ in range(total):
    st, body = post("/oauth2/token", "grant_type=client_credentials")
    tok = json.loads(body)["access_token"]
    for _ in range(2):  # asked, then remembered
        b.request("GET", "/api/x", headers={"Authorization": "Bearer " + tok})
        r = b.getresponse(); r.read(); assert r.status == 200
    ours.send(tok)
    assert ours.recv() == ("started", 200)
    st, _ = post("/oauth2/revoke", "token=" + tok)
    t0 = time.monotonic()
    assert st == 200
    t1, n = ours.recv()
    delays.append((t1 - t0) * 1000)
    requests.append(n)
ours.send(None); p.join()
d = sorted(delays)
q = lambda f: d[min(len(d) - 1, int(f * len(d)))]
print(f"\nrevocation delay over {total} revocations (A's 200 -> B's first 401, a hammer"
      f" on B): p50 {q(0.5):.2f} ms, p99 {q(0.99):.2f} ms, max {d[-1]:.2f} ms;"
      f" {sum(1 for x in d if x <= 0)} refused before A's 200 was read;"
      f" median {statistics.median(requests)} hammer requests per revocation")
EOF
fatal_log_check
