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

site_token "$A_PORT" "$B_PORT"

echo "A: $A_MODULE"
echo "B: $B_MODULE"
echo "two nginx (1 worker each) and Redis on CPU $SERVER_CPU, wrk -t1 -c$CONNS on" \
     "CPU $CLIENT_CPU, $ROUNDS rounds of ${SECONDS_RUN}s"
instance_rounds "$TOKEN" "A:$A_PORT:$A_WORKER" "B:$B_PORT:$B_WORKER"

bench_py "$WORK/results.txt" "$HZ" <<'PY'
import sys
from bench_rounds import instances_report, load
instances_report(load(sys.argv[1], sys.argv[2]), [("A", "A"), ("B", "B")], "A", "B")
PY
fatal_log_check "$WORK/a/logs/error.log" "$WORK/b/logs/error.log"
