#!/usr/bin/env bash
# Builds the nginx module: nginx's configure (only when the list of glue
# sources, the config script or NGINX_SRC changed), then nginx's own make.
# Serialised with flock, so parallel `make` runs do not trip over each other.
# With a fourth argument `binary`, nginx itself is built too (the vendored
# current stable nginx, scripts/build-nginx-stable.sh), with the flags the
# tests need.
# usage: build-module.sh NGINX_SRC BUILD_DIR CORE_LIB [binary]
set -euo pipefail
src=$1 build=$2 core_lib=$3 what=${4:-modules}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build"
exec 9>"$build/.module.lock"
flock 9

ngx="$build/nginx"
# OAUTH_CC_OPT: extra compiler and linker flags (sanitizers, make test-asan)
cc_opt=${OAUTH_CC_OPT:-}
# The nginx binary's own flags: HTTP/2, sub and auth_request for the tests
# that use them; --with-debug so that error_log ... debug writes debug lines
# (the secrets-in-logs test reads them; Debian's nginx has it too).
binary_flags=(--with-http_v2_module --with-http_sub_module
              --with-http_auth_request_module --with-debug)
stamp="$(cd "$top" && echo src/nginx/*.c; md5sum config | cut -d' ' -f1; echo "$src $what $cc_opt")"
[ "$what" = binary ] && stamp="$stamp ${binary_flags[*]}"
if [ ! -f "$ngx/objs/Makefile" ] || [ "$(cat "$build/nginx.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$ngx" "$build/nginx.stamp"
    cp -a "$src" "$ngx"
    flags=(--with-compat --with-threads --with-http_ssl_module)
    if [ "$what" = binary ]; then
        flags+=("${binary_flags[@]}")
    elif [ -f "$ngx/conf_flags" ]; then
        # shellcheck disable=SC1091
        . "$ngx/conf_flags"
        flags=("${NGX_CONF_FLAGS[@]}")
    fi
    [ -n "$cc_opt" ] && flags+=("--with-cc-opt=$cc_opt" "--with-ld-opt=$cc_opt")
    (cd "$ngx" && OAUTH_CORE_LIB="$core_lib" ./configure "${flags[@]}" \
        --add-dynamic-module="$top" >configure.log 2>&1) \
        || { tail -30 "$ngx/configure.log"; exit 1; }
    echo "$stamp" > "$build/nginx.stamp"
fi
rm -f "$ngx/objs/ngx_http_oauth_module.so"
target=modules; [ "$what" = binary ] && target=build
make -s -C "$ngx" -f objs/Makefile $target
cp "$ngx/objs/ngx_http_oauth_module.so" "$build/ngx_http_oauth_module.so.tmp"
mv "$build/ngx_http_oauth_module.so.tmp" "$build/ngx_http_oauth_module.so"
