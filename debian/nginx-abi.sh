#!/bin/sh
# Prints the nginx:abi substvar dh_nginx puts in Depends: the nginx a module
# built against the tree $1 may be loaded by. Debian's nginx-dev names its
# ABI (nginx-abi-1.22.1-7, provided by Debian's nginx); another tree, e.g.
# nginx.org's release, gets the nginx package of that exact upstream version
# (nginx.org's own packages are named nginx), since a module built
# --with-compat loads only into the same nginx version.
set -eu
src=$1
if [ -f "$src/debian/libnginx-mod.abisubstvars" ]; then
    grep '^nginx:abi=' "$src/debian/libnginx-mod.abisubstvars"
    exit 0
fi
v=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' "$src/src/core/nginx.h")
[ -n "$v" ] || { echo "no NGINX_VERSION in $src/src/core/nginx.h" >&2; exit 1; }
next=$(echo "$v" | awk -F. '{ printf "%s.%s.%d", $1, $2, $3 + 1 }')
echo "nginx:abi=nginx (>= $v), nginx (<< $next~)"
