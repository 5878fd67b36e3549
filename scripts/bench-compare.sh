#!/usr/bin/env bash
# Two builds of the module side by side: `scripts/bench-compare.sh A.so B.so`
# (say, main's and a branch's). Figures, never assertions; not part of `make
# bench`, a tool for a change that must not make the hot path slower.
#
# Two nginx instances of one worker each, identical but for the module they
# load, on one Redis, each with a plain proxy location and an oauth_require
# one (an ES256 token, the verified-token cache warm). Interleaved rounds
# over the four (instance, location) pairs; reported: per instance the
# medians of protected/plain and of the worker's CPU per request, and the
# median over rounds of B's protected/plain ratio over A's (paired, so a
# noisy neighbour during one round bends both alike). nginx and Redis run on
# CPU 0, wrk on CPU 1 (taskset).
#
#   BENCH_SECONDS, BENCH_ROUNDS (default 4 and 7), BENCH_CONNS (32)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_DEFAULT=4
ROUNDS_DEFAULT=7
[ $# -eq 2 ] || { echo "usage: $0 MODULE_A MODULE_B" >&2; exit 2; }
A_MODULE=$(realpath "$1")
B_MODULE=$(realpath "$2")
MODULE=$A_MODULE

# shellcheck source=scripts/bench-lib.sh
. "$TOP/scripts/bench-lib.sh"
bench_need
[ -f "$B_MODULE" ] || { echo "bench: $B_MODULE is missing" >&2; exit 1; }
bench_pin

free_ports RPORT A_UPORT B_UPORT A_PORT B_PORT
ISSUER="http://bench.example"  # one issuer: one token works on both
new_key ES256
start_redis "$RPORT"

for inst in "a:$A_MODULE:$A_PORT:$A_UPORT" "b:$B_MODULE:$B_PORT:$B_UPORT"; do
    IFS=: read -r name module port uport <<<"$inst"
    site_conf -p "$WORK/$name" -m "$module" "$port" "$uport" \
        'proxy_set_header X-User $oauth_sub;' "" "es256.pem kid=es"
done
start_nginx -p "$WORK/a" "$A_PORT"
A_WORKER=$WORKER
start_nginx -p "$WORK/b" "$B_PORT"
B_WORKER=$WORKER

read -r JTI TOKEN < <(mint_token "$WORK/es256.pem" es ES256 "$ISSUER")
store_session "$JTI" "$RPORT"
for port in "$A_PORT" "$B_PORT"; do
    expect_200 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/api/x"
done

echo "A: $A_MODULE"
echo "B: $B_MODULE"
echo "two nginx (1 worker each) and Redis on CPU $SERVER_CPU, wrk -t1 -c$CONNS on" \
     "CPU $CLIENT_CPU, $ROUNDS rounds of ${SECONDS_RUN}s"
for port in "$A_PORT" "$B_PORT"; do
    bearer_run warm 2 "http://127.0.0.1:$port/api/x" "$TOKEN" >/dev/null
done
: >"$WORK/results.txt"
for round in $(seq "$ROUNDS"); do
    for inst in "a:$A_PORT:$A_WORKER" "b:$B_PORT:$B_WORKER"; do
        IFS=: read -r name port WORKER <<<"$inst"
        measure "$round" "$name-plain" bearer_run "$name-plain" "$SECONDS_RUN" \
            "http://127.0.0.1:$port/plain/x"
        measure "$round" "$name-api" bearer_run "$name-api" "$SECONDS_RUN" \
            "http://127.0.0.1:$port/api/x" "$TOKEN"
    done
done

bench_py "$WORK/results.txt" "$HZ" <<'PY'
import sys
from bench_rounds import bad, load, med, runs
rounds = load(sys.argv[1], sys.argv[2])
print(f"\n{'':<4} {'plain req/s':>11} {'protected':>10} {'ratio':>6} {'us CPU/req':>11}"
      f" {'+us over plain':>15} {'non-2xx':>8}")
ratio = {}
for inst in ("a", "b"):
    ratio[inst] = [r[inst + "-api"].rps / r[inst + "-plain"].rps for r in rounds.values()]
    extra = med(r[inst + "-api"].worker_us - r[inst + "-plain"].worker_us for r in rounds.values())
    print(f"{inst.upper():<4} {med(x.rps for x in runs(rounds, inst + '-plain')):>11.0f}"
          f" {med(x.rps for x in runs(rounds, inst + '-api')):>10.0f}"
          f" {med(ratio[inst]):>6.3f}"
          f" {med(x.worker_us for x in runs(rounds, inst + '-api')):>11.1f}"
          f" {extra:>15.1f} {bad(rounds, inst + '-api'):>8}")
paired = [b / a for a, b in zip(ratio["a"], ratio["b"])]
print(f"B/A of protected/plain, median of {len(paired)} paired rounds: {med(paired):.3f}"
      f" (rounds: {', '.join(f'{p:.3f}' for p in paired)})")
print("(ratio: protected req/s over plain req/s of the same instance and round; us CPU/req:"
      " the worker's user+system time per protected request; +us over plain: median"
      " per-round difference of the worker's CPU per request, protected minus plain)")
PY
fatal_log_check "$WORK/a/logs/error.log" "$WORK/b/logs/error.log"
