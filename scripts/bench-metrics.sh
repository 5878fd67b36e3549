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

read -r JTI TOKEN < <(mint_token "$WORK/es256.pem" es ES256 "$ISSUER")
store_session "$JTI" "$RPORT"

for port in "$OFF_PORT" "$ON_PORT"; do
    for path in /plain/x /api/x; do
        expect_200 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port$path"
    done
done

run() {  # run NAME PORT PATH -> "rps p99_ms non2xx"
    wrk_run "$1" "$SECONDS_RUN" "http://127.0.0.1:$2$3" -H "Authorization: Bearer $TOKEN"
}

echo "oauth_metrics benchmark: two nginx (1 worker each, CPU 0), with and" \
     "without an oauth_metrics location; wrk -t1 -c$CONNS on CPU 1;" \
     "$ROUNDS rounds of ${SECONDS_RUN}s"
run warm "$OFF_PORT" /api/x >/dev/null
run warm "$ON_PORT" /api/x >/dev/null
: >"$WORK/results.txt"
for round in $(seq "$ROUNDS"); do
    for pair in "off:$OFF_PORT:$OFF_WORKER" "on:$ON_PORT:$ON_WORKER"; do
        IFS=: read -r name port WORKER <<<"$pair"
        for loc in plain:/plain/x api:/api/x; do
            IFS=: read -r lname path <<<"$loc"
            measure "$round" "$name-$lname" run "$name-$lname" "$port" "$path"
        done
    done
done

echo "oauth_require_total{result=\"ok\"} of the instance with metrics:" \
     "$(curl -s "http://127.0.0.1:$ON_PORT/metrics" |
        awk '/^oauth_require_total\{result="ok"\}/ {print $2}')"

bench_py "$WORK/results.txt" "$HZ" <<'EOF'
import sys
from bench_rounds import load, med, runs
rounds = load(sys.argv[1], sys.argv[2])
print(f"\n{'instance':<24} {'plain req/s':>11} {'protected':>10} {'ratio':>6} {'us CPU/req':>11}")
ratios = {}
for inst, label in (("off", "without oauth_metrics"), ("on", "with oauth_metrics")):
    ratios[inst] = [r[inst + "-api"].rps / r[inst + "-plain"].rps for r in rounds.values()]
    print(f"{label:<24} {med(x.rps for x in runs(rounds, inst + '-plain')):>11.0f}"
          f" {med(x.rps for x in runs(rounds, inst + '-api')):>10.0f}"
          f" {med(ratios[inst]):>6.3f}"
          f" {med(x.worker_us for x in runs(rounds, inst + '-api')):>11.1f}")
paired = [a / b for a, b in zip(ratios["on"], ratios["off"])]
print(f"paired (with / without) protected/plain ratio: median {med(paired):.3f}"
      f" (rounds: {', '.join(f'{p:.3f}' for p in paired)})")
print("(ratio: protected req/s over plain req/s of the same instance and round;"
      " us CPU/req: the worker's user+system time per protected request)")
EOF
fatal_log_check "$WORK/off/logs/error.log" "$WORK/on/logs/error.log"
