#!/usr/bin/env bash
# `make bench`, part 3: what oauth_metrics costs on the hot path. Figures,
# never assertions.
#
# Two nginx instances of one worker each, identical but for a location with
# `oauth_metrics;` in one (which creates the zone: without it every hook is
# a NULL test). Each serves a plain proxy location and an oauth_require one
# (an ES256 token, the cache warm: the edge's common case), and its own
# `return 200` upstream. Interleaved
# rounds over the four (instance, location) pairs; reported: the medians of
# protected/plain per instance, of their paired ratio, and the worker's CPU
# time per request. nginx runs on CPU 0, wrk on CPU 1 (taskset).
#
#   BENCH_SECONDS  seconds per run (default 4)
#   BENCH_ROUNDS   rounds (default 5)
#   BENCH_CONNS    wrk connections (default 32)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_DEFAULT=4

# shellcheck source=scripts/bench-lib.sh
. "$TOP/scripts/bench-lib.sh"
bench_need
bench_pin

free_ports RPORT OFF_UPORT ON_UPORT OFF_PORT ON_PORT
# one issuer for both: one token works on either
ISSUER="http://bench.example"
new_key ES256
start_redis "$RPORT"

# each instance has its own `return 200` upstream, served by its own worker
site_conf -p "$WORK/off" "$OFF_PORT" "$OFF_UPORT" "" "" "es256.pem kid=es"
site_conf -p "$WORK/on" "$ON_PORT" "$ON_UPORT" "" "location = /metrics { oauth_metrics; }" \
    "es256.pem kid=es"

start_nginx -p "$WORK/off" "$OFF_PORT"
OFF_WORKER=$WORKER
start_nginx -p "$WORK/on" "$ON_PORT"
ON_WORKER=$WORKER

site_token "$OFF_PORT" "$ON_PORT"

echo "oauth_metrics benchmark: two nginx (1 worker each, CPU 0), with and" \
     "without an oauth_metrics location; wrk -t1 -c$CONNS on CPU 1;" \
     "$ROUNDS rounds of ${SECONDS_RUN}s"
instance_rounds "$TOKEN" "off:$OFF_PORT:$OFF_WORKER" "on:$ON_PORT:$ON_WORKER"

echo "oauth_require_total{result=\"ok\"} of the instance with metrics:" \
     "$(curl -s "http://127.0.0.1:$ON_PORT/metrics" |
        awk '/^oauth_require_total\{result="ok"\}/ {print $2}')"

bench_py "$WORK/results.txt" "$HZ" <<'EOF'
import sys
from bench_rounds import instances_report, load
instances_report(load(sys.argv[1], sys.argv[2]),
                 [("off", "without oauth_metrics"), ("on", "with oauth_metrics")], "off", "on")
EOF
fatal_log_check "$WORK/off/logs/error.log" "$WORK/on/logs/error.log"
