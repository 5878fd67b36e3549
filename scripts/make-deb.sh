#!/usr/bin/env bash
# `make deb`: the Debian package libnginx-mod-http-oauth built by
# dpkg-buildpackage from a copy of the working tree (so the .deb, .changes
# and .buildinfo land in build/deb/, not next to the checkout), then lintian.
# usage: make-deb.sh [NGINX_SRC]   (default: Debian's nginx-dev tree)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=$(cd "${1:-/usr/share/nginx/src}" && pwd)
out="$top/build/deb"
# A package for another nginx gets a folder of its own: same name, other Depends.
version=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' "$src/src/core/nginx.h")
[ "$src" = /usr/share/nginx/src ] || out="$out/nginx-$version"
tree="$out/libnginx-mod-http-oauth"

rm -rf "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo "$tree"
mkdir -p "$tree"
# The files git knows of plus new ones not ignored: what would be committed.
(cd "$top" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar -c --null -T - -f -) | tar -x -C "$tree"

# debian/rules is a make of its own: `make deb NGINX_SRC=rel/path` must not
# reach it through MAKEFLAGS (it would win over the absolute path below).
unset MAKEFLAGS MFLAGS MAKELEVEL
(cd "$tree" && NGINX_SRC="$src" dpkg-buildpackage -b -us -uc -j"$(nproc)" \
    >"$out/build.log" 2>&1) || { tail -40 "$out/build.log"; exit 1; }
rm -rf "$tree"
ls -1 "$out"/*.deb
changes=$(ls "$out"/*.changes)
# lintian's verdict is printed, not enforced: README.md (Packages) explains
# each tag that remains.
lintian --info --display-info "$changes" || true
