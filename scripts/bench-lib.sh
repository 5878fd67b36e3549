# Shared by the benchmark scripts (sourced after TOP, MODULE, NGINX and
# PYTHON are set): a work directory cleaned on exit, ports, Redis, nginx.

WORK=$(mktemp -d /tmp/oauth-bench.XXXXXX)
REDIS_PID=
NGINX_PID=

bench_cleanup() {
    [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null || true
    [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
    sleep 0.3
    rm -rf "$WORK"
}
trap bench_cleanup EXIT

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

# start_redis PORT
start_redis() {
    redis-server --port "$1" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$WORK" --logfile "$WORK/redis.log" &
    REDIS_PID=$!
    wait_port "$1"
}

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

# start_nginx PORT... : runs $WORK/nginx.conf, waits for each port
start_nginx() {
    "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/logs/error.log" \
        -g "daemon off;" &
    NGINX_PID=$!
    for port in "$@"; do wait_port "$port"; done
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

# fatal_log_check: exit non-zero when nginx logged an alert, emerg or crit
fatal_log_check() {
    if grep -E '\[(alert|emerg|crit)\]' "$WORK/logs/error.log"; then
        echo "bench: error.log shows the lines above" >&2
        exit 1
    fi
}
