#!/usr/bin/env bash
# `make bench`, part 2: the token service, pinned. nginx (master and its one
# worker) and Redis share core 0; wrk runs on core 1. In one run and in
# interleaved rounds: a plain proxy location's requests/s (the ceiling of any
# request this nginx answers), client_credentials tokens/s with an ES256, an
# EdDSA and an RS256 first key (Basic, keepalive, the secret check cached
# after the first request), introspection of an RS256 token; the worker's and
# Redis's CPU time per request read from /proc; and `openssl speed` for the
# same algorithms on the same core (signing is the floor of what a token
# costs). Figures, never assertions.
#
#   BENCH_SECONDS   seconds per measured run (default 5)
#   BENCH_ROUNDS    interleaved rounds (default 3); medians are reported
#                   (0: no table, for a profile alone)
#   BENCH_CONNS     wrk connections (default 32)
#   BENCH_PROFILE   "ES256", "EdDSA", "RS256" or "introspect": after the
#                   rounds, `perf record -g` the worker under that load and
#                   print the top of `perf report` (needs linux-perf)
#   BENCH_PERF_OUT  keep the profile's perf.data at this path
#   SERVER_CPU, CLIENT_CPU   the two cores (default 0 and 1)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS_DEFAULT=3
PROFILE=${BENCH_PROFILE:-}

# shellcheck source=scripts/bench-lib.sh
. "$TOP/scripts/bench-lib.sh"
bench_need
if [ -n "$PROFILE" ] && ! command -v perf >/dev/null; then
    echo "bench: BENCH_PROFILE needs perf (linux-perf)" >&2
    exit 1
fi
bench_pin

free_ports PORT UPORT ES_PORT ED_PORT RS_PORT RPORT

for alg in RS256 ES256 EdDSA; do new_key "$alg"; done

start_redis "$RPORT"

"$OAUTHCTL" --redis "127.0.0.1:$RPORT" client create --id bench \
    --secret "$SECRET" --grant-types client_credentials \
    --scope "orders:read" >/dev/null

# One issuer, one token server per first key, and a plain proxy location to
# a keepalive upstream (a `return 200` server of the same nginx).
token_server() {  # PORT KEY
    cat <<CONF
    server {
        listen 127.0.0.1:$1;
        oauth_signing_key $WORK/$2;
        location = /token { oauth_token; }
        location = /introspect { oauth_introspect; }
    }
CONF
}
{ nginx_conf_head; cat <<CONF
    oauth_redis 127.0.0.1:$RPORT keepalive=4;
    oauth_issuer http://127.0.0.1:$RS_PORT;

$(proxy_site "$PORT" "$UPORT" -)
$(token_server "$ES_PORT" es256.pem)
$(token_server "$ED_PORT" eddsa.pem)
$(token_server "$RS_PORT" rs256.pem)
}
CONF
} >"$WORK/nginx.conf"

start_nginx "$PORT" "$ES_PORT" "$ED_PORT" "$RS_PORT"
WORKER_PID=$WORKER

BASIC=$(printf '%s' "bench:$SECRET" | base64 -w0)

# run NAME URL [BODY [SECONDS]] -> "name rps p99_ms non2xx worker_us redis_us"
# (GET without a body; POST form with Basic otherwise; CPU per request)
run() {
    local name=$1 url=$2 body=${3:-} secs=${4:-$SECONDS_RUN}
    if [ -n "$body" ]; then
        cat >"$WORK/$name.lua" <<LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $BASIC"
LUA
    else
        echo "" >"$WORK/$name.lua"
    fi
    local w0 r0 w1 r1
    w0=$(cpu_ticks "$WORKER_PID"); r0=$(cpu_ticks "$REDIS_PID")
    local figures total
    figures=$(wrk_run "$name" "$secs" "$url" -s "$WORK/$name.lua")
    w1=$(cpu_ticks "$WORKER_PID"); r1=$(cpu_ticks "$REDIS_PID")
    total=$(wrk_requests "$name")
    echo "$name $figures" \
        "$(( (w1 - w0) * 1000000 / HZ / total ))" \
        "$(( (r1 - r0) * 1000000 / HZ / total ))"
}

TOKEN_BODY=grant_type=client_credentials
TOKEN=$(curl -s -u "bench:$SECRET" -d "$TOKEN_BODY" \
    "http://127.0.0.1:$RS_PORT/token" | json_field access_token)

declare -A URL=(
    [plain]="http://127.0.0.1:$PORT/plain/x"
    [ES256]="http://127.0.0.1:$ES_PORT/token"
    [EdDSA]="http://127.0.0.1:$ED_PORT/token"
    [RS256]="http://127.0.0.1:$RS_PORT/token"
    [introspect]="http://127.0.0.1:$RS_PORT/introspect"
)
declare -A BODY=(
    [plain]="" [ES256]="$TOKEN_BODY" [EdDSA]="$TOKEN_BODY" [RS256]="$TOKEN_BODY"
    [introspect]="token=$TOKEN"
)
NAMES=(plain ES256 EdDSA RS256 introspect)

echo "token service benchmark: nginx (1 worker) and Redis on core $SERVER_CPU," \
     "wrk -t1 -c$CONNS on core $CLIENT_CPU; $ROUNDS interleaved rounds of" \
     "${SECONDS_RUN}s per endpoint"
for name in "${NAMES[@]}"; do run "$name" "${URL[$name]}" "${BODY[$name]}" 1 >/dev/null; done
: >"$WORK/rounds.txt"
for _ in $(seq "$ROUNDS"); do
    for name in "${NAMES[@]}"; do
        run "$name" "${URL[$name]}" "${BODY[$name]}" >>"$WORK/rounds.txt"
    done
done

if [ "$ROUNDS" -gt 0 ]; then
# openssl speed on the server core, one process: sign/s per algorithm
taskset -c "$SERVER_CPU" openssl speed -seconds 3 rsa2048 ecdsap256 ed25519 \
    >"$WORK/speed.txt" 2>/dev/null

"$PYTHON" - "$WORK/rounds.txt" "$WORK/speed.txt" <<'PY'
import re, statistics, sys
rounds = {}
for line in open(sys.argv[1]):
    name, rps, p99, bad, wus, rus = line.split()
    rounds.setdefault(name, []).append((float(rps), float(p99), int(bad),
                                        int(wus), int(rus)))
speed = open(sys.argv[2]).read()
def sign_rate(pattern):
    m = re.search(pattern + r"\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+[\d.]+\s*$",
                  speed, re.M)
    return float(m.group(1)), 1e6 / float(m.group(1))
signs = {"RS256": sign_rate(r"rsa\s+2048 bits"),
         "ES256": sign_rate(r"256 bits ecdsa \(nistp256\)"),
         "EdDSA": sign_rate(r"253 bits EdDSA \(Ed25519\)")}
med = lambda xs: statistics.median(xs)
plain = rounds["plain"]
print(f"\n{'endpoint':<26} {'req/s':>8} {'p99 ms':>7} {'non-2xx':>8}"
      f" {'x plain':>8} {'worker us':>10} {'redis us':>9}"
      f" {'sign/s':>8} {'sign us':>8} {'x sign/s':>9}")
for name, rows in rounds.items():
    ratio = med([r[0] / p[0] for r, p in zip(rows, plain)])
    sign = signs.get(name)
    extra = (f" {sign[0]:>8.0f} {sign[1]:>8.1f}"
             f" {med([r[0] for r in rows]) / sign[0]:>9.2f}") if sign else ""
    label = {"plain": "plain proxy", "introspect": "introspect RS256"}.get(
        name, f"client_credentials {name}")
    print(f"{label:<26} {med([r[0] for r in rows]):>8.0f}"
          f" {med([r[1] for r in rows]):>7.2f} {sum(r[2] for r in rows):>8}"
          f" {ratio:>8.2f} {med([r[3] for r in rows]):>10.0f}"
          f" {med([r[4] for r in rows]):>9.0f}{extra}")
print("(medians over the rounds; x plain: median of per-round ratios to the"
      " plain proxy; worker/redis us: CPU time per request from /proc;"
      " sign/s and sign us: `openssl speed` on the server core; x sign/s:"
      " tokens/s over sign/s)")
PY
fi

if [ -n "$PROFILE" ]; then
    echo
    echo "perf record -g on the worker under $PROFILE load (${SECONDS_RUN}s):"
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$((SECONDS_RUN + 2))s" \
        -s "$WORK/$PROFILE.lua" "${URL[$PROFILE]}" >/dev/null &
    WRK_PID=$!
    sleep 1
    perf record -q -F 1999 --call-graph dwarf,32768 -p "$WORKER_PID" -o "$WORK/perf.data" -- sleep "$SECONDS_RUN" \
        2>/dev/null
    wait "$WRK_PID"
    [ -n "${BENCH_PERF_OUT:-}" ] && cp "$WORK/perf.data" "$BENCH_PERF_OUT"
    perf report -i "$WORK/perf.data" --no-children --stdio -g none --sort dso \
        2>/dev/null | grep -v '^#' | grep -v '^$' | sed 's/  *$//' | head -8
    # self time by symbol (libcrypto's internal functions show as addresses
    # without its debug symbols), then inclusive time of the module's own
    perf report -i "$WORK/perf.data" --no-children --percent-limit 1 --stdio \
        -g none --sort dso,symbol 2>/dev/null | grep -v '^#' | grep -v '^$' |
        sed 's/  *$//' | head -30
    echo "-- inclusive, module functions:"
    perf report -i "$WORK/perf.data" --children --percent-limit 2 --stdio \
        -g none --sort symbol 2>/dev/null |
        grep -v '^#' | grep -v '^$' | sed 's/  *$//' | head -40
fi

fatal_log_check
