#!/bin/bash
# The pytest suite against Debian's nginx and against the stable nginx built
# from source, at the same time: the suite mostly waits on sockets and
# timers, so the two runs together take about as long as one. Each run has
# its own temporary tree (--basetemp) and log; both logs are printed, and
# the result fails when either run fails.
# usage: scripts/integration-tests.sh PYTHON STABLE_BUILD_DIR OUT_DIR
set -u
PYTHON=$1 STABLE=$2 OUT=$3
mkdir -p "$OUT"
debian_version=$(/usr/sbin/nginx -v 2>&1 | cut -d/ -f2)
stable_version=$("$STABLE/nginx/objs/nginx" -v 2>&1 | cut -d/ -f2)

"$PYTHON" -m pytest -q -p no:cacheprovider --basetemp="$OUT/tmp-debian" t/ \
    >"$OUT/debian.log" 2>&1 &
debian_pid=$!
OAUTH_NGINX_BUILD=$STABLE OAUTH_NGINX_BIN=$STABLE/nginx/objs/nginx \
    "$PYTHON" -m pytest -q -p no:cacheprovider --basetemp="$OUT/tmp-stable" t/ \
    >"$OUT/stable.log" 2>&1
stable_rc=$?
wait "$debian_pid"
debian_rc=$?

echo "== integration tests: Debian's nginx $debian_version (exit $debian_rc)"
cat "$OUT/debian.log"
echo "== integration tests: nginx $stable_version from source (exit $stable_rc)"
cat "$OUT/stable.log"
[ "$debian_rc" -eq 0 ] && [ "$stable_rc" -eq 0 ]
