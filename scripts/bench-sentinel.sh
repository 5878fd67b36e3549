#!/usr/bin/env bash
# `make bench`, Sentinel topology (issue 10): oauth_require in front of a
# keepalive upstream with `oauth_redis sentinel=... master=...` (a primary,
# a replica, three sentinels on loopback), against the plain proxy location
# of the same nginx, rounds interleaved; nginx and Redis on CPU 0, wrk on
# CPU 1 (taskset). Then bytes of Redis memory per live token, per grant, on
# the primary (bench-memory.py). Figures, never assertions.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
MODULE=${MODULE:-$TOP/build/ngx_http_oauth_module.so}
OAUTHCTL=${OAUTHCTL:-$TOP/build/oauthctl}
NGINX=${NGINX:-/usr/sbin/nginx}
PYTHON=${PYTHON:-/usr/bin/python3}
SECONDS_RUN=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-5}
CONNS=${BENCH_CONNS:-32}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}

for tool in wrk redis-server redis-cli curl taskset "$NGINX"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done

# shellcheck source=scripts/bench-lib.sh
. "$TOP/scripts/bench-lib.sh"

PIDS=()
sentinel_cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    bench_cleanup
}
trap sentinel_cleanup EXIT

# node NAME PORT [ARGS...]: a redis-server (or sentinel) from its own
# config file, pinned with the servers
node() {
    local name=$1 port=$2
    shift 2
    mkdir -p "$WORK/$name"
    printf 'port %s\nbind 127.0.0.1\ndir %s\nlogfile %s\nsave ""\nappendonly no\n' \
        "$port" "$WORK/$name" "$WORK/$name/log" >"$WORK/$name/redis.conf"
    printf '%s\n' "$@" >>"$WORK/$name/redis.conf"
    taskset -c "$SERVER_CPU" redis-server "$WORK/$name/redis.conf" \
        $([ "${name#sentinel}" != "$name" ] && echo --sentinel) &
    PIDS+=($!)
    wait_port "$port"
}

P=$(free_port); R=$(free_port)
node primary "$P"
node replica "$R" "replicaof 127.0.0.1 $P"
SENTINELS=
for i in 1 2 3; do
    S=$(free_port)
    node "sentinel$i" "$S" "sentinel monitor oauth 127.0.0.1 $P 2" \
        "sentinel down-after-milliseconds oauth 1000" \
        "sentinel failover-timeout oauth 3000"
    SENTINELS=${SENTINELS:+$SENTINELS,}127.0.0.1:$S
done

PORT=$(free_port)
UPORT=$(free_port)
ISSUER="http://127.0.0.1:$PORT"
"$OAUTHCTL" key generate --alg ES256 --out "$WORK/es256.pem" >/dev/null
SECRET=bench-secret-0123456789abcdef0123456789abcdef
ctl() { "$OAUTHCTL" --redis-sentinel "$SENTINELS" --redis-master oauth "$@" >/dev/null; }
ctl client create --id cc --secret "$SECRET" --grant-types client_credentials --scope "orders:read"
ctl client create --id pw --secret "$SECRET" --grant-types password,refresh_token --scope "orders:read"
ctl user create --username ann --password bench-password

{ nginx_conf_head; cat <<EOF
    oauth_redis sentinel=$SENTINELS master=oauth keepalive=4;
    oauth_issuer $ISSUER;
    oauth_signing_key $WORK/es256.pem;

    upstream backend {
        server 127.0.0.1:$UPORT;
        keepalive 64;
    }

    server {
        listen 127.0.0.1:$UPORT;
        location / { return 200 "ok\n"; }
    }

    server {
        listen 127.0.0.1:$PORT;
        proxy_http_version 1.1;
        proxy_set_header Connection "";

        location = /token { oauth_token; }
        location /plain/ { proxy_pass http://backend; }
        location /api/ {
            oauth_require scope=orders:read;
            proxy_set_header X-User \$oauth_sub;
            proxy_pass http://backend;
        }
    }
}
EOF
} >"$WORK/nginx.conf"

taskset -c "$SERVER_CPU" "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" \
    -e "$WORK/logs/error.log" -g "daemon off;" &
NGINX_PID=$!
wait_port "$PORT"
WORKER=$(pgrep -P "$NGINX_PID" | head -1)

# a real token from the token endpoint (the worker found the primary)
TOKEN=
for _ in $(seq 100); do
    TOKEN=$(curl -s -u "cc:$SECRET" -d grant_type=client_credentials \
        "$ISSUER/token" | "$PYTHON" -c 'import json,sys
try: print(json.load(sys.stdin)["access_token"])
except Exception: pass') || true
    [ -n "$TOKEN" ] && break
    sleep 0.05
done
[ -n "$TOKEN" ] || { echo "bench: no token through the sentinels" >&2; exit 1; }

run() {
    local name=$1 secs=$2 path=$3 tok=${4:-} out="$WORK/wrk-$1.txt"
    local args=(-t1 -c"$CONNS" -d"${secs}s" --latency)
    [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
    taskset -c "$CLIENT_CPU" wrk "${args[@]}" "http://127.0.0.1:$PORT$path" >"$out"
    wrk_figures "$out"
}
ticks() { awk '{print $14 + $15}' "/proc/$WORKER/stat"; }

echo "Sentinel topology (primary, replica, 3 sentinels): 1 nginx worker" \
     "(CPU $SERVER_CPU with Redis), wrk -t1 -c$CONNS (CPU $CLIENT_CPU)," \
     "$ROUNDS interleaved rounds of ${SECONDS_RUN}s"
run warm 2 /plain/x >/dev/null
run warm 2 /api/x "$TOKEN" >/dev/null
: >"$WORK/results.txt"
for round in $(seq "$ROUNDS"); do
    for loc in "plain:/plain/x:" "sentinel:/api/x:$TOKEN"; do
        IFS=: read -r name path tok <<<"$loc"
        before=$(ticks)
        read -r rps p99 bad < <(run "$name" "$SECONDS_RUN" "$path" "$tok")
        after=$(ticks)
        n=$(awk '/requests in/ {print $1}' "$WORK/wrk-$name.txt")
        echo "$round $name $rps $p99 $bad $((after - before)) $n" >>"$WORK/results.txt"
    done
done

"$PYTHON" - "$WORK/results.txt" "$(getconf CLK_TCK)" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
hz = int(sys.argv[2])
by = {}
for rnd, name, rps, p99, bad, ticks, n in rows:
    by.setdefault(name, {})[rnd] = (float(rps), float(p99), int(bad),
                                    int(ticks), int(n))
def cpu(name):
    t = sum(v[3] for v in by[name].values())
    n = sum(v[4] for v in by[name].values())
    return t * 1e6 / hz / n
ratios = [by["sentinel"][r][0] / by["plain"][r][0] for r in by["plain"]]
print(f"{'location':<36} {'req/s':>8} {'p99 ms':>7} {'us CPU/req':>11} {'non-2xx':>8}")
for name, label in (("plain", "plain proxy"),
                    ("sentinel", "oauth_require, Sentinel primary")):
    v = by[name].values()
    print(f"{label:<36} {statistics.median(x[0] for x in v):>8.0f}"
          f" {statistics.median(x[1] for x in v):>7.2f} {cpu(name):>11.1f}"
          f" {sum(x[2] for x in v):>8}")
print(f"protected/plain req/s, median of the paired rounds: "
      f"{statistics.median(ratios):.2f}")
EOF
echo
echo "Redis memory per live token on the Sentinel primary:"
"$PYTHON" "$TOP/scripts/bench-memory.py" "$ISSUER/token" "$P" "$SECRET"
fatal_log_check
