#!/usr/bin/env bash
# Builds build/ngx_http_oauth_redis_harness_module.so: the test-only module of
# t/test_redis_driver.py, compiled with the driver against the nginx tree
# configured by `make` (BUILD_DIR/nginx/objs; BUILD_DIR defaults to build/,
# build/nginx-stable for the vendored current stable nginx).
# usage: build.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
ngx=$build/nginx
out=$build/ngx_http_oauth_redis_harness_module.so
srcs=("$top/t/redis_harness/ngx_http_oauth_redis_harness_module.c"
      "$top/src/nginx/ngx_http_oauth_redis.c"
      "$top/src/nginx/ngx_http_oauth_redis.h"
      "$top/src/nginx/ngx_http_oauth_redis_sentinel.c"
      "$top/src/nginx/ngx_http_oauth_redis_sentinel.h"
      "$top/src/nginx/ngx_http_oauth_redis_cluster.c"
      "$top/src/nginx/ngx_http_oauth_redis_cluster.h"
      "$top/src/nginx/ngx_http_oauth_metrics_count.c"
      "$top/src/nginx/ngx_http_oauth_metrics.h" "$0")
# up to date: skip, so a `make` reconfiguring build/nginx meanwhile is harmless
if [ -f "$out" ]; then
    stale=0
    for s in "${srcs[@]}"; do [ "$s" -nt "$out" ] && stale=1; done
    [ "$stale" = 0 ] && exit 0
fi
test -f "$ngx/objs/ngx_auto_config.h" || { echo "run make first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/modules.c" <<'C'
#include <ngx_config.h>
#include <ngx_core.h>
extern ngx_module_t  ngx_http_oauth_redis_harness_module;
ngx_module_t *ngx_modules[] = { &ngx_http_oauth_redis_harness_module, NULL };
char *ngx_module_names[] = { "ngx_http_oauth_redis_harness_module", NULL };
char *ngx_module_order[] = { NULL };
C
incs=(-I "$ngx/src/core" -I "$ngx/src/event" -I "$ngx/src/event/modules"
      -I "$ngx/src/os/unix" -I "$ngx/objs" -I "$ngx/src/http"
      -I "$ngx/src/http/modules" -I "$ngx/src/http/v2"
      -I "$top/src/nginx" -I "$top/include")
cc -shared -fPIC -pipe -O -g -W -Wall -Wpointer-arith -Wno-unused-parameter \
   -Werror "${incs[@]}" -o "$out.tmp" "$tmp/modules.c" \
   "$top/t/redis_harness/ngx_http_oauth_redis_harness_module.c" \
   "$top/src/nginx/ngx_http_oauth_redis.c" \
   "$top/src/nginx/ngx_http_oauth_redis_sentinel.c" \
   "$top/src/nginx/ngx_http_oauth_metrics_count.c" \
   "$top/src/nginx/ngx_http_oauth_redis_cluster.c" \
   "${OAUTH_CORE_LIB:-$top/build/liboauth_core.a}" -lstdc++ -lcrypto -ljansson -lhiredis
mv "$out.tmp" "$out"
