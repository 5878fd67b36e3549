#!/usr/bin/env bash
# `make bench`, part 2: the token service. client_credentials tokens per
# second with one nginx worker when the first key is RS256 and when it is
# ES256, next to `openssl speed` signatures per second for the same algorithm
# in the same run (signing is the floor of what a token costs); then
# introspection requests per second. Figures, never assertions.
#
#   BENCH_SECONDS   seconds per measured run (default 10)
#   BENCH_CONNS     wrk connections (default 32)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
MODULE=${MODULE:-$TOP/build/ngx_http_oauth_module.so}
OAUTHCTL=${OAUTHCTL:-$TOP/build/oauthctl}
NGINX=${NGINX:-/usr/sbin/nginx}
PYTHON=${PYTHON:-/usr/bin/python3}
SECONDS_RUN=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-32}

# shellcheck source=scripts/bench-lib.sh
. "$TOP/scripts/bench-lib.sh"

RS_PORT=$(free_port)
ES_PORT=$(free_port)
RPORT=$(free_port)

"$OAUTHCTL" key generate --alg RS256 --out "$WORK/rs256.pem" >/dev/null
"$OAUTHCTL" key generate --alg ES256 --out "$WORK/es256.pem" >/dev/null

start_redis "$RPORT"

SECRET=bench-secret-0123456789abcdef0123456789abcdef
"$OAUTHCTL" --redis "127.0.0.1:$RPORT" client create --id bench \
    --secret "$SECRET" --grant-types client_credentials \
    --scope "orders:read" >/dev/null

# Two servers, one issuer: the first key of each signs its tokens.
{ nginx_conf_head; cat <<CONF
    oauth_redis 127.0.0.1:$RPORT keepalive=4;
    oauth_issuer http://127.0.0.1:$RS_PORT;

    server {
        listen 127.0.0.1:$RS_PORT;
        oauth_signing_key $WORK/rs256.pem;
        location = /token { oauth_token; }
        location = /introspect { oauth_introspect; }
    }
    server {
        listen 127.0.0.1:$ES_PORT;
        oauth_signing_key $WORK/es256.pem;
        location = /token { oauth_token; }
    }
}
CONF
} >"$WORK/nginx.conf"

start_nginx "$RS_PORT" "$ES_PORT"

BASIC=$(printf '%s' "bench:$SECRET" | base64 -w0)

# wrk_post URL BODY [SECONDS] -> "requests/s p99_ms non2xx"
wrk_post() {
    local url=$1 body=$2 secs=${3:-$SECONDS_RUN}
    cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $BASIC"
LUA
    wrk -t1 -c"$CONNS" -d"${secs}s" --latency -s "$WORK/post.lua" "$url" \
        >"$WORK/wrk.txt"
    wrk_figures "$WORK/wrk.txt"
}

# sign_rate ALG -> signatures per second of `openssl speed` on one core
sign_rate() {
    openssl speed -seconds 3 "$1" 2>/dev/null | "$PYTHON" -c '
import re, sys
rows = [l for l in sys.stdin.read().splitlines()
        if re.search(r"\d+\.\d+\s+\d+\.\d+\s*$", l)]
print(rows[-1].split()[-2])'
}

echo "token service benchmark: 1 nginx worker, wrk -t1 -c$CONNS," \
     "${SECONDS_RUN}s per run, loopback"
wrk_post "http://127.0.0.1:$RS_PORT/token" grant_type=client_credentials 2 \
    >/dev/null
# Redis CPU (user+sys of the process) over the RS256 run, per token: the
# Redis side of a client_credentials token under real load.
redis_cpu() {
    redis-cli -p "$RPORT" INFO cpu | tr -d '\r' |
        awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.6f", s}'
}
CPU0=$(redis_cpu)
read -r RS_RPS RS_P99 RS_BAD < <(wrk_post "http://127.0.0.1:$RS_PORT/token" \
    grant_type=client_credentials)
CPU1=$(redis_cpu)
read -r ES_RPS ES_P99 ES_BAD < <(wrk_post "http://127.0.0.1:$ES_PORT/token" \
    grant_type=client_credentials)
RS_SIGN=$(sign_rate rsa2048)
ES_SIGN=$(sign_rate ecdsap256)

TOKEN=$(curl -s -u "bench:$SECRET" -d grant_type=client_credentials \
    "http://127.0.0.1:$RS_PORT/token" |
    "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
read -r IN_RPS IN_P99 IN_BAD < <(wrk_post \
    "http://127.0.0.1:$RS_PORT/introspect" "token=$TOKEN")

"$PYTHON" - <<PY
rows = [("client_credentials, RS256", $RS_RPS, $RS_P99, $RS_BAD, $RS_SIGN),
        ("client_credentials, ES256", $ES_RPS, $ES_P99, $ES_BAD, $ES_SIGN)]
print(f"\n{'endpoint':<28} {'req/s':>8} {'p99 ms':>7} {'non-2xx':>8}"
      f" {'openssl sign/s':>15} {'tokens/sign':>12}")
for name, rps, p99, bad, sign in rows:
    print(f"{name:<28} {rps:>8.0f} {p99:>7.2f} {bad:>8} {sign:>15.0f}"
          f" {rps / sign:>12.2f}")
print(f"{'introspection, RS256 token':<28} {$IN_RPS:>8.0f} {$IN_P99:>7.2f}"
      f" {$IN_BAD:>8}")
print(f"Redis CPU per client_credentials token (RS256 run, process user+sys):"
      f" {($CPU1 - $CPU0) / ($RS_RPS * $SECONDS_RUN) * 1e6:.1f} us")
print("(tokens/sign: tokens per second over openssl's one-core signatures per"
      " second; a token is one signature, one Redis round trip and the HTTP"
      " work around them)")
PY

fatal_log_check
