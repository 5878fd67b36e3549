#!/usr/bin/env bash
# Builds the vendored current stable nginx (../shared/vendor/nginx-*.tar.gz,
# unmodified) and the module against it, into BUILD_DIR (default
# build/nginx-stable): BUILD_DIR/nginx/objs/nginx and
# BUILD_DIR/ngx_http_oauth_module.so. `make test` runs the integration tests
# against it as well as against Debian's nginx.
# usage: build-nginx-stable.sh CORE_LIB [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
core_lib=$1
build=${2:-$top/build/nginx-stable}
tarball=${NGINX_STABLE_TARBALL:-$(ls "$top"/../shared/vendor/nginx-*.tar.gz | sort -V | tail -1)}
version=$(basename "$tarball" .tar.gz)
src=$build/$version
mkdir -p "$build"
if [ ! -f "$src/configure" ]; then
    rm -rf "$src.tmp" && mkdir -p "$src.tmp"
    tar -xzf "$tarball" -C "$src.tmp" --strip-components=1
    mv "$src.tmp" "$src"
fi
exec "$top/scripts/build-module.sh" "$src" "$build" "$core_lib" binary
