# Shared by the benchmark scripts (sourced after TOP is set): the settings
# every bench takes from the environment, a work directory cleaned on exit,
# ports, pinning, Redis, nginx and the proxy site every bench measures
# against, wrk runs, CPU time from /proc, the interleaved rounds' rows, and
# tokens signed for oauth_require. The rounds' rows are summed up in Python
# by scripts/bench_rounds.py (bench_py puts it on the path).
#
#   BENCH_SECONDS   seconds per measured run (default 5, or the script's
#                   SECONDS_DEFAULT)
#   BENCH_ROUNDS    interleaved rounds (default 5, or ROUNDS_DEFAULT)
#   BENCH_CONNS     wrk connections (default 32)
#   MODULE NGINX PYTHON OAUTHCTL   what is run (default: this tree's build,
#                   Debian's nginx and python3)
MODULE=${MODULE:-$TOP/build/ngx_http_oauth_module.so}
OAUTHCTL=${OAUTHCTL:-$TOP/build/oauthctl}
NGINX=${NGINX:-/usr/sbin/nginx}
PYTHON=${PYTHON:-/usr/bin/python3}
SECONDS_RUN=${BENCH_SECONDS:-${SECONDS_DEFAULT:-5}}
ROUNDS=${BENCH_ROUNDS:-${ROUNDS_DEFAULT:-5}}
CONNS=${BENCH_CONNS:-32}

WORK=$(mktemp -d /tmp/oauth-bench.XXXXXX)
REDIS_PID=
NGINX_PID=
NGINX_PIDS=()   # every nginx master started: stopped with QUIT on exit
BENCH_PIDS=()   # other servers (Redis nodes, sentinels): stopped with TERM
HZ=$(getconf CLK_TCK)

bench_cleanup() {
    local p
    for p in "${NGINX_PIDS[@]}" $NGINX_PID; do kill -QUIT "$p" 2>/dev/null || true; done
    for p in "${BENCH_PIDS[@]}" $REDIS_PID; do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    rm -rf "$WORK"
}
trap bench_cleanup EXIT

# bench_need [TOOL...]: exits unless every tool is on PATH; without
# arguments, what every bench runs (wrk, redis-server, redis-cli, openssl,
# curl, nginx) and the module built
bench_need() {
    local tool
    if [ $# -eq 0 ]; then
        [ -f "$MODULE" ] || { echo "bench: $MODULE is missing (make)" >&2; exit 1; }
        set -- wrk redis-server redis-cli openssl curl "$NGINX"
    fi
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
    done
}

# Pinning: the servers (nginx, Redis) on SERVER_CPU and the load generators
# on CLIENT_CPU (taskset), so that a client does not take the servers' CPU.
# Until bench_pin runs, nothing is pinned (ON_SERVER and ON_CLIENT empty).
ON_SERVER=()
ON_CLIENT=()

# bench_pin: CPU 0 and 1 (BENCH_SERVER_CPU, BENCH_CLIENT_CPU or SERVER_CPU,
# CLIENT_CPU override them; one CPU: both on 0)
bench_pin() {
    bench_need taskset
    SERVER_CPU=${BENCH_SERVER_CPU:-${SERVER_CPU:-0}}
    CLIENT_CPU=${BENCH_CLIENT_CPU:-${CLIENT_CPU:-$(($(nproc) > 1 ? 1 : 0))}}
    taskset -c "$SERVER_CPU" true  # fails early on a machine without that CPU
    taskset -c "$CLIENT_CPU" true
    ON_SERVER=(taskset -c "$SERVER_CPU")
    ON_CLIENT=(taskset -c "$CLIENT_CPU")
}

# free_ports VAR...: each variable set to a free TCP port of 127.0.0.1
free_ports() {
    local v
    for v in "$@"; do printf -v "$v" %s "$(free_port)"; done
}
free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "bench: nothing listens on port $1" >&2
    exit 1
}

# start_redis PORT: a Redis without persistence (on the server CPU once
# pinned); REDIS_PID
start_redis() {
    "${ON_SERVER[@]}" redis-server --port "$1" --bind 127.0.0.1 --save "" \
        --appendonly no --dir "$WORK" --logfile "$WORK/redis.log" &
    REDIS_PID=$!
    wait_port "$1"
}

# new_key ALG: a signing key made by oauthctl, $WORK/<alg>.pem (rs256.pem,
# es256.pem, eddsa.pem)
new_key() { "$OAUTHCTL" key generate --alg "$1" --out "$WORK/${1,,}.pem" >/dev/null; }

# The secret of the clients the benches create (32+ characters, as oauthctl
# wants)
SECRET=bench-secret-0123456789abcdef0123456789abcdef

# nginx_conf_head: the start of nginx.conf up to an open http{} block; one
# worker, logs and temporary files in $WORK.
nginx_conf_head() {
    mkdir -p "$WORK/logs" "$WORK/tmp"
    cat <<CONF
load_module $MODULE;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
CONF
}

# proxy_site PORT UPSTREAM_PORT [API [MORE]]: the site every bench measures
# against, inside http{}: a keepalive upstream (a `return 200` server of
# the same nginx on UPSTREAM_PORT) and a server on PORT with a plain proxy
# location /plain/ and, unless API is "-", an oauth_require location /api/
# (scope orders:read) with the lines API adds; MORE: further locations.
proxy_site() {
    local api=${3:-} more=${4:-}
    cat <<CONF
    upstream backend { server 127.0.0.1:$2; keepalive 64; }
    server { listen 127.0.0.1:$2; location / { return 200 "ok\n"; } }
    server {
        listen 127.0.0.1:$1;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location /plain/ { proxy_pass http://backend; }
CONF
    [ "$api" = - ] || cat <<CONF
        location /api/ {
            oauth_require scope=orders:read;
            # a location's proxy_set_header replaces the inherited ones
            proxy_set_header Connection "";
            $api
            proxy_pass http://backend;
        }
CONF
    printf '        %s\n    }\n' "$more"
}

# site_conf [-p DIR] [-m MODULE] PORT UPSTREAM_PORT API MORE KEY...: the
# nginx.conf in DIR (default $WORK) of one nginx loading MODULE (default
# $MODULE): oauth_redis on $RPORT, oauth_issuer $ISSUER, a signing key per
# KEY ("FILE kid=K", FILE in $WORK), and proxy_site PORT UPSTREAM_PORT API MORE
site_conf() {
    local dir=$WORK module=$MODULE key
    while :; do
        case $1 in
            -p) dir=$2; shift 2 ;;
            -m) module=$2; shift 2 ;;
            *) break ;;
        esac
    done
    local port=$1 uport=$2 api=$3 more=$4
    shift 4
    mkdir -p "$dir"
    {
        WORK=$dir MODULE=$module nginx_conf_head
        echo "    oauth_redis 127.0.0.1:$RPORT keepalive=4;"
        echo "    oauth_issuer $ISSUER;"
        for key in "$@"; do echo "    oauth_signing_key $WORK/$key;"; done
        proxy_site "$port" "$uport" "$api" "$more"
        echo "}"
    } >"$dir/nginx.conf"
}

# start_nginx [-p DIR] PORT...: nginx with DIR/nginx.conf (default $WORK;
# on the server CPU once pinned: taskset execs nginx, so the pid is the
# master's), waits for each port. NGINX_PID: the master; WORKER: its worker.
start_nginx() {
    local dir=$WORK port
    if [ "$1" = -p ]; then dir=$2; shift 2; fi
    "${ON_SERVER[@]}" "$NGINX" -p "$dir" -c "$dir/nginx.conf" \
        -e "$dir/logs/error.log" -g "daemon off;" &
    NGINX_PID=$!
    NGINX_PIDS+=("$NGINX_PID")
    for port in "$@"; do wait_port "$port"; done
    WORKER=$(nginx_worker "$NGINX_PID")
}

# nginx_worker MASTER: the pid of the master's (first) worker
nginx_worker() {
    local pid
    for _ in $(seq 50); do
        pid=$(pgrep -P "$1" | head -1) || true
        [ -n "$pid" ] && { echo "$pid"; return; }
        sleep 0.1
    done
    echo "bench: no nginx worker under $1" >&2
    exit 1
}

# expect_200 CURL_ARGS...: exits unless the request answers 200
expect_200() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' "$@")
    [ "$code" = 200 ] || { echo "bench: $* answered $code" >&2; exit 1; }
}

# json_field NAME: that field of the JSON object on stdin
json_field() {
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# mint_token PEM KID ALG ISSUER [TTL]: "jti token" of an access token signed
# with the key (jwcrypto) as the token service mints it (scope orders:read);
# store_session JTI REDIS_PORT [TTL] gives it its session in Redis
mint_token() {
    "$PYTHON" - "$@" <<'PY'
import base64, os, sys, time
from jwcrypto import jwk, jwt
pem, kid, alg, issuer = sys.argv[1:5]
ttl = int(sys.argv[5]) if len(sys.argv) > 5 else 3600
key = jwk.JWK.from_pem(open(pem, "rb").read())
now = int(time.time())
jti = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
t = jwt.JWT(header={"alg": alg, "kid": kid, "typ": "at+jwt"},
            claims={"iss": issuer, "sub": "bench-user", "aud": issuer,
                    "client_id": "bench", "scope": "orders:read",
                    "jti": jti, "iat": now, "exp": now + ttl})
t.make_signed_token(key)
print(jti, t.serialize())
PY
}
store_session() {
    redis-cli -p "$2" SET "oauth:at:$1" '{}' EX "${3:-3600}" >/dev/null
}

# cpu_ticks PID: user + system CPU time of a process so far, in clock ticks
# (0 without a pid)
cpu_ticks() {
    if [ -n "${1:-}" ]; then awk '{print $14 + $15}' "/proc/$1/stat"; else echo 0; fi
}

# rss_kb PID: resident memory of a process, kB
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# wrk_run NAME SECONDS URL [wrk args...] [-- script args...]: wrk -t1
# -c$CONNS --latency (on the client CPU once pinned), its output in
# $WORK/wrk-NAME.txt; prints "requests/s p99_ms non2xx"
wrk_run() {
    local name=$1 secs=$2 url=$3 opts=()
    shift 3
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    "${ON_CLIENT[@]}" wrk -t1 -c"$CONNS" -d"${secs}s" --latency "${opts[@]}" \
        "$url" "$@" >"$WORK/wrk-$name.txt"
    wrk_figures "$WORK/wrk-$name.txt"
}

# bearer_run NAME SECONDS URL [TOKEN]: wrk_run with the token as a Bearer
# Authorization header (none without one)
bearer_run() {
    wrk_run "$1" "$2" "$3" ${4:+-H "Authorization: Bearer $4"}
}

# wrk_requests NAME: how many requests that run made
wrk_requests() { awk '/requests in/ {print $1}' "$WORK/wrk-$1.txt"; }

# measure ROUND NAME COMMAND...: one run of an interleaved round. COMMAND is
# a wrk_run NAME ... (or prints the same figures and writes wrk-NAME.txt);
# appends "ROUND NAME rps p99 non2xx worker_ticks redis_ticks requests" to
# $WORK/results.txt, the CPU time of $WORKER and $REDIS_PID over the run
# (scripts/bench_rounds.py reads the rows). With MEASURE_COUNTER set to a
# command printing a number, the row ends with its growth over the run.
MEASURE_COUNTER=
measure() {
    local round=$1 name=$2 w0 r0 w1 r1 c0=0 c1=0 rps p99 bad
    shift 2
    [ -z "$MEASURE_COUNTER" ] || c0=$($MEASURE_COUNTER)
    w0=$(cpu_ticks "$WORKER"); r0=$(cpu_ticks "$REDIS_PID")
    read -r rps p99 bad < <("$@")
    w1=$(cpu_ticks "$WORKER"); r1=$(cpu_ticks "$REDIS_PID")
    [ -z "$MEASURE_COUNTER" ] || c1=$($MEASURE_COUNTER)
    echo "$round $name $rps $p99 $bad $((w1 - w0)) $((r1 - r0))" \
        "$(wrk_requests "$name")${MEASURE_COUNTER:+ $((c1 - c0))}" >>"$WORK/results.txt"
}

# rounds_of NAME:PORT:PATH:TOKEN:WORKER...: a 2 s warm-up of each entry (a
# location of an nginx, TOKEN empty for none), then $ROUNDS rounds of a
# measured $SECONDS_RUN s bearer_run of each in turn, the CPU of that entry's
# WORKER, so that a noisy neighbour hits every entry alike; the rows in a
# fresh $WORK/results.txt
rounds_of() {
    local entry name port path tok round
    for entry in "$@"; do
        IFS=: read -r name port path tok _ <<<"$entry"
        bearer_run warm 2 "http://127.0.0.1:$port$path" "$tok" >/dev/null
    done
    : >"$WORK/results.txt"
    for round in $(seq "$ROUNDS"); do
        for entry in "$@"; do
            IFS=: read -r name port path tok WORKER <<<"$entry"
            measure "$round" "$name" bearer_run "$name" "$SECONDS_RUN" \
                "http://127.0.0.1:$port$path" "$tok"
        done
    done
}

# interleaved_rounds PORT NAME:PATH[:TOKEN]...: rounds_of the locations of
# the nginx on PORT (its worker $WORKER)
interleaved_rounds() {
    local port=$1 loc name path tok entries=()
    shift
    for loc in "$@"; do
        IFS=: read -r name path tok <<<"$loc"
        entries+=("$name:$port:$path:$tok:$WORKER")
    done
    rounds_of "${entries[@]}"
}

# instance_rounds TOKEN NAME:PORT:WORKER...: rounds_of the /plain/x and
# /api/x (with the token) of nginx instances serving one site (proxy_site):
# rows NAME-plain and NAME-api, summed up by bench_rounds.instances_report
instance_rounds() {
    local token=$1 inst name port worker entries=()
    shift
    for inst in "$@"; do
        IFS=: read -r name port worker <<<"$inst"
        entries+=("$name-plain:$port:/plain/x::$worker" "$name-api:$port:/api/x:$token:$worker")
    done
    rounds_of "${entries[@]}"
}

# site_token PORT...: TOKEN, an ES256 token (es256.pem kid=es, $ISSUER) with
# its session in Redis ($RPORT); exits unless /api/x of each port takes it
site_token() {
    local port jti
    read -r jti TOKEN < <(mint_token "$WORK/es256.pem" es ES256 "$ISSUER")
    store_session "$jti" "$RPORT"
    for port in "$@"; do
        expect_200 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/api/x"
    done
}

# bench_py ARGS...: python on stdin with scripts/ on its path (bench_rounds)
bench_py() {
    PYTHONPATH="$TOP/scripts${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" - "$@"
}

# wrk_figures FILE: "requests/s p99_ms non2xx" of a wrk --latency output
wrk_figures() {
    "$PYTHON" - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
v, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
ms = float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
print(f"{rps:.0f} {ms:.2f} {bad.group(1) if bad else 0}")
PY
}

# fatal_log_check [LOG...]: exit non-zero when nginx logged an alert, emerg
# or crit (default: $WORK/logs/error.log)
fatal_log_check() {
    local log
    [ $# -gt 0 ] || set -- "$WORK/logs/error.log"
    for log in "$@"; do
        if grep -E '\[(alert|emerg|crit)\]' "$log"; then
            echo "bench: $log shows the lines above" >&2
            exit 1
        fi
    done
}
