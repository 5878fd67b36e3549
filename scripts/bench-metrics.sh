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
MODULE=${MODULE:-$TOP/build/ngx_http_oauth_module.so}
NGINX=${NGINX:-/usr/sbin/nginx}
PYTHON=${PYTHON:-/usr/bin/python3}
SECONDS_RUN=${BENCH_SECONDS:-4}
ROUNDS=${BENCH_ROUNDS:-5}
CONNS=${BENCH_CONNS:-32}

for tool in wrk redis-server redis-cli openssl taskset "$NGINX"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
[ -f "$MODULE" ] || { echo "bench: $MODULE is missing (make)" >&2; exit 1; }

# shellcheck source=scripts/bench-lib.sh
. "$TOP/scripts/bench-lib.sh"

RPORT=$(free_port)
OFF_UPORT=$(free_port)
ON_UPORT=$(free_port)
OFF_PORT=$(free_port)
ON_PORT=$(free_port)
# one issuer for both: one token works on either
ISSUER="http://bench.example"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$WORK/es256.pem" 2>/dev/null
start_redis "$RPORT"

# conf NAME PORT UPSTREAM_PORT EXTRA: $WORK/NAME/nginx.conf; each instance
# has its own `return 200` upstream, served by its own worker
conf() {
    local dir="$WORK/$1"
    mkdir -p "$dir"
    { WORK=$dir nginx_conf_head; cat <<EOF
    oauth_redis 127.0.0.1:$RPORT keepalive=4;
    oauth_issuer $ISSUER;
    oauth_signing_key $WORK/es256.pem kid=es;
    upstream backend { server 127.0.0.1:$3; keepalive 64; }
    server { listen 127.0.0.1:$3; location / { return 200 "ok\n"; } }
    server {
        listen 127.0.0.1:$2;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location /plain/ { proxy_pass http://backend; }
        location /api/ {
            oauth_require scope=orders:read;
            proxy_set_header Connection "";
            proxy_pass http://backend;
        }
        $4
    }
}
EOF
    } >"$dir/nginx.conf"
}
conf off "$OFF_PORT" "$OFF_UPORT" ""
conf on "$ON_PORT" "$ON_UPORT" "location = /metrics { oauth_metrics; }"

PIDS=()
stop_all() { for p in "${PIDS[@]}"; do kill -QUIT "$p" 2>/dev/null || true; done; bench_cleanup; }
trap stop_all EXIT
for name in off on; do
    taskset -c 0 "$NGINX" -p "$WORK/$name" -c "$WORK/$name/nginx.conf" \
        -e "$WORK/$name/logs/error.log" -g "daemon off;" &
    PIDS+=($!)
done
wait_port "$OFF_PORT"; wait_port "$ON_PORT"
OFF_WORKER=$(pgrep -P "${PIDS[0]}" | head -1)
ON_WORKER=$(pgrep -P "${PIDS[1]}" | head -1)

read -r JTI TOKEN < <("$PYTHON" - "$WORK/es256.pem" "$ISSUER" <<'EOF'
import base64, os, sys, time
from jwcrypto import jwk, jwt
key = jwk.JWK.from_pem(open(sys.argv[1], "rb").read())
now = int(time.time())
jti = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
t = jwt.JWT(header={"alg": "ES256", "kid": "es", "typ": "at+jwt"},
            claims={"iss": sys.argv[2], "sub": "bench-user", "aud": sys.argv[2],
                    "client_id": "bench", "scope": "orders:read", "jti": jti,
                    "iat": now, "exp": now + 3600})
t.make_signed_token(key)
print(jti, t.serialize())
EOF
)
redis-cli -p "$RPORT" SET "oauth:at:$JTI" '{}' EX 3600 >/dev/null

for port in "$OFF_PORT" "$ON_PORT"; do
    for path in /plain/x /api/x; do
        code=$(curl -s -o /dev/null -w '%{http_code}' \
            -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port$path")
        [ "$code" = 200 ] || { echo "bench: $port$path answered $code" >&2; exit 1; }
    done
done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() {  # run PORT PATH WORKER -> "rps ticks n"
    local out="$WORK/wrk.txt" before after
    before=$(ticks "$3")
    taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECONDS_RUN}s" \
        -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1$2" >"$out"
    after=$(ticks "$3")
    echo "$(awk '/Requests\/sec/ {print $2}' "$out") $((after - before))" \
         "$(awk '/requests in/ {print $1}' "$out")"
}

echo "oauth_metrics benchmark: two nginx (1 worker each, CPU 0), with and" \
     "without an oauth_metrics location; wrk -t1 -c$CONNS on CPU 1;" \
     "$ROUNDS rounds of ${SECONDS_RUN}s"
run "$OFF_PORT" /api/x "$OFF_WORKER" >/dev/null
run "$ON_PORT" /api/x "$ON_WORKER" >/dev/null
: >"$WORK/results.txt"
for round in $(seq "$ROUNDS"); do
    for pair in "off:$OFF_PORT:$OFF_WORKER" "on:$ON_PORT:$ON_WORKER"; do
        IFS=: read -r name port worker <<<"$pair"
        for loc in plain:/plain/x api:/api/x; do
            IFS=: read -r lname path <<<"$loc"
            echo "$round $name $lname $(run "$port" "$path" "$worker")" >>"$WORK/results.txt"
        done
    done
done

echo "oauth_require_total{result=\"ok\"} of the instance with metrics:" \
     "$(curl -s "http://127.0.0.1:$ON_PORT/metrics" |
        awk '/^oauth_require_total\{result="ok"\}/ {print $2}')"

"$PYTHON" - "$WORK/results.txt" "$(getconf CLK_TCK)" <<'EOF'
import statistics, sys
hz = int(sys.argv[2])
r = {}
for line in open(sys.argv[1]):
    rnd, inst, loc, rps, ticks, n = line.split()
    r[(int(rnd), inst, loc)] = (float(rps), int(ticks) * 1e6 / hz / int(n))
rounds = sorted({k[0] for k in r})
med = statistics.median
print(f"\n{'instance':<24} {'plain req/s':>11} {'protected':>10} {'ratio':>6} {'us CPU/req':>11}")
ratios = {}
for inst, label in (("off", "without oauth_metrics"), ("on", "with oauth_metrics")):
    ratios[inst] = [r[(k, inst, "api")][0] / r[(k, inst, "plain")][0] for k in rounds]
    print(f"{label:<24} {med([r[(k, inst, 'plain')][0] for k in rounds]):>11.0f}"
          f" {med([r[(k, inst, 'api')][0] for k in rounds]):>10.0f}"
          f" {med(ratios[inst]):>6.3f}"
          f" {med([r[(k, inst, 'api')][1] for k in rounds]):>11.1f}")
paired = [a / b for a, b in zip(ratios["on"], ratios["off"])]
print(f"paired (with / without) protected/plain ratio: median {med(paired):.3f}"
      f" (rounds: {', '.join(f'{p:.3f}' for p in paired)})")
print("(ratio: protected req/s over plain req/s of the same instance and round;"
      " us CPU/req: the worker's user+system time per protected request)")
EOF
for name in off on; do
    if grep -E '\[(alert|emerg|crit)\]' "$WORK/$name/logs/error.log"; then
        echo "bench: error.log shows the lines above" >&2; exit 1
    fi
done
