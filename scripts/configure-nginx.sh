#!/usr/bin/env bash
# Runs nginx's configure in a copy of NGINX_SRC with the flags the installed
# binary was built with (Debian's nginx-dev ships them in conf_flags), so the
# module is binary-compatible with /usr/sbin/nginx.
set -euo pipefail
flags=(--with-compat --with-threads --with-http_ssl_module)
if [ -f conf_flags ]; then
    # shellcheck disable=SC1091
    . ./conf_flags
    flags=("${NGX_CONF_FLAGS[@]}")
fi
./configure "${flags[@]}" --add-dynamic-module="$OAUTH_TOP" >configure.log 2>&1 \
    || { tail -30 configure.log; exit 1; }
