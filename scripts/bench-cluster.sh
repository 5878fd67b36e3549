#!/usr/bin/env bash
# `make bench`, the Redis Cluster line (issue 10): oauth_require against the
# plain proxy location of the same nginx in the same run, with
# `oauth_redis cluster=` on three local masters (`redis-cli --cluster
# create`), and the Redis memory per live client_credentials token summed
# over the masters. One nginx worker and the Redis nodes pinned to CPU 0,
# wrk to CPU 1 (taskset), rounds interleaved (plain, protected, ...), medians.
# Figures, never assertions.
#
#   BENCH_SECONDS  seconds per run (default 5)   BENCH_ROUNDS  (default 5)
#   BENCH_CONNS    wrk connections (default 32)  BENCH_TOKENS  (default 3000)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
TOKENS=${BENCH_TOKENS:-3000}

# shellcheck source=scripts/bench-lib.sh
. "$TOP/scripts/bench-lib.sh"
bench_need
bench_pin

# three masters; a node's bus port is its port + 10000
PORTS=()
while [ ${#PORTS[@]} -lt 3 ]; do
    p=$(free_port)
    [ "$p" -lt 55000 ] && PORTS+=("$p")
done
for p in "${PORTS[@]}"; do
    mkdir -p "$WORK/node-$p"
    "${ON_SERVER[@]}" redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes \
        --cluster-config-file "$WORK/node-$p/nodes.conf" --save "" --appendonly no \
        --dir "$WORK/node-$p" --logfile "$WORK/node-$p/redis.log" &
    BENCH_PIDS+=($!)
    wait_port "$p"
done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${PORTS[@]}") --cluster-yes >/dev/null
for p in "${PORTS[@]}"; do
    for _ in $(seq 200); do
        redis-cli -p "$p" CLUSTER INFO | grep -q cluster_state:ok && break
        sleep 0.05
    done
done
SEEDS=$(printf '127.0.0.1:%s,' "${PORTS[@]}")
SEEDS=${SEEDS%,}

free_ports PORT UPORT
new_key ES256
"$OAUTHCTL" --redis-cluster "$SEEDS" client create --id cc --secret "$SECRET" \
    --grant-types client_credentials --scope orders:read >/dev/null

{ nginx_conf_head; cat <<CONF
    oauth_redis cluster=$SEEDS keepalive=4;
    oauth_issuer http://127.0.0.1:$PORT;
    oauth_signing_key $WORK/es256.pem;
$(proxy_site "$PORT" "$UPORT" "" "location = /token { oauth_token; }")
}
CONF
} >"$WORK/nginx.conf"

start_nginx "$PORT"

TOKEN=$(curl -s -u "cc:$SECRET" -d grant_type=client_credentials \
    "http://127.0.0.1:$PORT/token" | json_field access_token)
expect_200 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/x"

interleaved_rounds "$PORT" plain:/plain/x "cluster:/api/x:$TOKEN"

# bytes per live client_credentials token, used_memory summed over the masters
mem() {
    local total=0 m
    for p in "${PORTS[@]}"; do
        m=$(redis-cli -p "$p" INFO memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
        total=$((total + m))
    done
    echo "$total"
}
BEFORE=$(mem)
"$PYTHON" - "$PORT" "$SECRET" "$TOKENS" <<'PY'
import base64, http.client, sys
port, secret, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
auth = "Basic " + base64.b64encode(f"cc:{secret}".encode()).decode()
c = http.client.HTTPConnection("127.0.0.1", int(port))
for _ in range(n):
    c.request("POST", "/token", body="grant_type=client_credentials",
              headers={"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); r.read()
    if r.status != 200:
        sys.exit(f"bench-cluster: token endpoint answered {r.status}")
PY
AFTER=$(mem)
KEYS=$(for p in "${PORTS[@]}"; do redis-cli -p "$p" DBSIZE; done | tr '\n' ' ')

bench_py "$WORK/results.txt" "$HZ" "$BEFORE" "$AFTER" "$TOKENS" "$KEYS" <<'PY'
import sys
from bench_rounds import bad, cpu_total, load, med, paired, runs
rounds = load(sys.argv[1], sys.argv[2])
before, after, n = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
keys = sys.argv[6].split()
plain = med(r.rps for r in runs(rounds, "plain"))
prot = med(r.rps for r in runs(rounds, "cluster"))
print(f"\nRedis Cluster (3 masters, oauth_redis cluster=): plain proxy {plain:.0f} req/s, "
      f"oauth_require {prot:.0f} req/s, ratio {paired(rounds, 'cluster'):.2f} "
      f"(median of {len(rounds)} paired rounds); worker CPU {cpu_total(rounds, 'plain'):.1f} vs "
      f"{cpu_total(rounds, 'cluster'):.1f} us/req; {bad(rounds, 'cluster')} non-2xx")
print(f"Redis Cluster: {(after - before) / n:.0f} bytes per live client_credentials token "
      f"(used_memory summed over the masters, {n} tokens); keys per master: {' '.join(keys)}")
PY
fatal_log_check
