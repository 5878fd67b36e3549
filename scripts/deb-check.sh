#!/usr/bin/env bash
# `make deb-check` (as root; it changes this machine's /etc/nginx for a
# moment): installs build/deb/libnginx-mod-http-oauth_*.deb with dpkg, checks
# that Debian's own nginx, with its own nginx.conf, loads the module from
# modules-enabled and accepts a site that uses oauth_require, then removes
# and purges the package and checks nothing of it is left.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
deb=$(ls "$top"/build/deb/libnginx-mod-http-oauth_*_"$(dpkg --print-architecture)".deb)
pkg=libnginx-mod-http-oauth
link=/etc/nginx/modules-enabled/50-mod-http-oauth.conf
site=/etc/nginx/sites-enabled/zz-oauth-deb-check.conf
keydir=$(mktemp -d /tmp/oauth-deb-check.XXXXXX)
fail() { echo "deb-check: FAIL: $*" >&2; exit 1; }
cleanup() { rm -rf "$site" "$keydir"; }
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || fail "run as root (dpkg -i)"
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q installed; then
    fail "$pkg is installed already; not touching an installation of yours"
fi
nginx -q -t || fail "/usr/sbin/nginx -t fails before the package is even installed"

# A site as an operator would write it; oauth_redis and oauth_issuer sit at
# http level, where sites-enabled/ is included.
write_site() {
    cat > "$site" <<CONF
oauth_redis 127.0.0.1:6379;
oauth_issuer https://auth.example.com;
server {
    listen 127.0.0.1:18099;
    server_name oauth-deb-check;
    oauth_signing_key $keydir/rs256.pem;
    location = /oauth2/token { oauth_token; }
    location /api/ { oauth_require scope=orders:read; proxy_pass http://127.0.0.1:9; }
}
CONF
}
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keydir/rs256.pem" 2>/dev/null
write_site
# Without the package the same site must be refused: the check can fail.
if nginx -q -t 2>/dev/null; then fail "nginx -t accepted oauth_require without the module"; fi

echo "== dpkg -i $(basename "$deb")"
dpkg -i "$deb"
[ -L "$link" ] || fail "$link is not a symlink"
[ "$(readlink -f "$link")" = /usr/share/nginx/modules-available/mod-http-oauth.conf ] \
    || fail "$link points to $(readlink "$link")"
grep -qx 'load_module modules/ngx_http_oauth_module.so;' "$link" || fail "$link: $(cat "$link")"
# oauthctl from the package makes the key the site uses.
rm -f "$keydir/rs256.pem"
/usr/bin/oauthctl key generate --alg RS256 --out "$keydir/rs256.pem" >/dev/null
echo "== /usr/sbin/nginx -t (its own /etc/nginx/nginx.conf, the module from modules-enabled)"
nginx -t 2>&1
nginx -T 2>/dev/null | grep -q 'oauth_require scope=orders:read' || fail "the site is not in nginx -T"

echo "== dpkg -r $pkg"
rm -f "$site"
dpkg -r "$pkg"
for f in /usr/lib/nginx/modules/ngx_http_oauth_module.so /usr/bin/oauthctl \
         /usr/share/nginx/modules-available/mod-http-oauth.conf "$link"; do
    [ ! -e "$f" ] || fail "$f is left after dpkg -r"
done
nginx -q -t || fail "nginx -t fails after dpkg -r"
# Debian's module scripts keep the admin's choice as $link.removed until purge.
dpkg --purge "$pkg" >/dev/null
[ ! -e "$link.removed" ] && [ ! -L "$link.removed" ] || fail "$link.removed is left after purge"
echo "deb-check: ok (installed, nginx -t passed with oauth_require, removed and purged cleanly)"
