#!/usr/bin/env bash
# `make bench`, Sentinel topology (issue 10): oauth_require in front of a
# keepalive upstream with `oauth_redis sentinel=... master=...` (a primary,
# a replica, three sentinels on loopback), against the plain proxy location
# of the same nginx, rounds interleaved; nginx and Redis on CPU 0, wrk on
# CPU 1 (taskset). Then bytes of Redis memory per live token, per grant, on
# the primary (bench-memory.py). Figures, never assertions.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)

# shellcheck source=scripts/bench-lib.sh
. "$TOP/scripts/bench-lib.sh"
bench_need
bench_pin

# node NAME PORT [ARGS...]: a redis-server (or sentinel) from its own
# config file, pinned with the servers
node() {
    local name=$1 port=$2
    shift 2
    mkdir -p "$WORK/$name"
    printf 'port %s\nbind 127.0.0.1\ndir %s\nlogfile %s\nsave ""\nappendonly no\n' \
        "$port" "$WORK/$name" "$WORK/$name/log" >"$WORK/$name/redis.conf"
    printf '%s\n' "$@" >>"$WORK/$name/redis.conf"
    "${ON_SERVER[@]}" redis-server "$WORK/$name/redis.conf" \
        $([ "${name#sentinel}" != "$name" ] && echo --sentinel) &
    BENCH_PIDS+=($!)
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

free_ports PORT UPORT
ISSUER="http://127.0.0.1:$PORT"
new_key ES256
ctl() { "$OAUTHCTL" --redis-sentinel "$SENTINELS" --redis-master oauth "$@" >/dev/null; }
ctl client create --id cc --secret "$SECRET" --grant-types client_credentials --scope "orders:read"
ctl client create --id pw --secret "$SECRET" --grant-types password,refresh_token --scope "orders:read"
ctl user create --username ann --password bench-password

{ nginx_conf_head; cat <<EOF
    oauth_redis sentinel=$SENTINELS master=oauth keepalive=4;
    oauth_issuer $ISSUER;
    oauth_signing_key $WORK/es256.pem;

$(proxy_site "$PORT" "$UPORT" 'proxy_set_header X-User $oauth_sub;' \
    "location = /token { oauth_token; }")
}
EOF
} >"$WORK/nginx.conf"

start_nginx "$PORT"

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

echo "Sentinel topology (primary, replica, 3 sentinels): 1 nginx worker" \
     "(CPU $SERVER_CPU with Redis), wrk -t1 -c$CONNS (CPU $CLIENT_CPU)," \
     "$ROUNDS interleaved rounds of ${SECONDS_RUN}s"
interleaved_rounds "$PORT" plain:/plain/x "sentinel:/api/x:$TOKEN"

bench_py "$WORK/results.txt" "$HZ" <<'EOF'
import sys
from bench_rounds import bad, cpu_total, load, med, paired, runs
rounds = load(sys.argv[1], sys.argv[2])
print(f"{'location':<36} {'req/s':>8} {'p99 ms':>7} {'us CPU/req':>11} {'non-2xx':>8}")
for name, label in (("plain", "plain proxy"),
                    ("sentinel", "oauth_require, Sentinel primary")):
    v = runs(rounds, name)
    print(f"{label:<36} {med(x.rps for x in v):>8.0f}"
          f" {med(x.p99 for x in v):>7.2f} {cpu_total(rounds, name):>11.1f}"
          f" {bad(rounds, name):>8}")
print(f"protected/plain req/s, median of the paired rounds: "
      f"{paired(rounds, 'sentinel'):.2f}")
EOF
echo
echo "Redis memory per live token on the Sentinel primary:"
"$PYTHON" "$TOP/scripts/bench-memory.py" "$ISSUER/token" "$P" "$SECRET"
fatal_log_check
