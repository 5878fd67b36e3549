#!/usr/bin/env bash
# Installs the Debian packages the build, the quickstart and the tests need,
# only those missing, so a second run costs nothing.
set -euo pipefail
pkgs=(build-essential g++ make nginx nginx-dev libssl-dev libjansson-dev
      libhiredis-dev redis-server redis-tools googletest libgtest-dev python3 python3-pytest
      python3-authlib python3-jwcrypto python3-requests wrk curl openssl
      fcgiwrap clang-19 libclang-rt-19-dev nghttp2-client python3-h2
      chromium chromium-driver python3-selenium
      python3-prometheus-client)
# `install-deps.sh deb` (make deb): what dpkg-buildpackage and lintian need.
if [ "${1:-}" = deb ]; then
    pkgs=(build-essential g++ make git dpkg-dev debhelper fakeroot lintian nginx
          nginx-dev libssl-dev libjansson-dev libhiredis-dev)
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done
# Node.js for the JavaScript client tests: Debian's nodejs and npm, unless a
# node and an npm are already there (a machine may carry another Node build).
if [ "${1:-}" != deb ]; then
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    # Debian starts the packaged services; the project runs its own instances.
    $sudo systemctl disable --now nginx redis-server fcgiwrap.socket fcgiwrap \
        >/dev/null 2>&1 || true
fi
[ "${1:-}" = deb ] && exit 0
# The npm packages of each JavaScript test client, t/node/NAME/, exactly as its
# package-lock.json pins them; again only when the lockfile changed since.
for lock in "$(dirname "$0")"/../t/node/*/package-lock.json; do
    [ -e "$lock" ] || continue
    dir=$(dirname "$lock")
    stamp="$dir/node_modules/.installed-lock"
    if ! cmp -s "$lock" "$stamp" 2>/dev/null; then
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        cp "$lock" "$stamp"
    fi
done
