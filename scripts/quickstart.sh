#!/usr/bin/env bash
# `make run`: Redis and nginx with conf-examples/quickstart.conf, a demo client
# and user, and curl lines to paste. Ctrl-C stops all of it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
run="$top/run"

mkdir -p "$run"/{modules,keys,logs,tmp,redis}
ln -sf "$top/build/ngx_http_oauth_module.so" "$run/modules/ngx_http_oauth_module.so"
[ -f "$run/keys/rs256.pem" ] || $top/build/oauthctl key generate --alg RS256 --out "$run/keys/rs256.pem" >/dev/null
[ -f "$run/keys/es256.pem" ] || $top/build/oauthctl key generate --alg ES256 --out "$run/keys/es256.pem" >/dev/null
cp "$top/conf-examples/quickstart.conf" "$run/nginx.conf"
ln -sfn "$top/demo" "$run/demo"   # the demo app, served at /demo/

pids=()
stop() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "stopped."
}
trap stop EXIT INT TERM

redis-server --port 6390 --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$run/redis" --logfile "$run/logs/redis.log" &
pids+=($!)
for _ in $(seq 50); do redis-cli -p 6390 ping >/dev/null 2>&1 && break; sleep 0.1; done

nginx -t -p "$run" -c "$run/nginx.conf" -e "$run/logs/error.log"
nginx -p "$run" -c "$run/nginx.conf" -e "$run/logs/error.log" -g "daemon off;" &
pids+=($!)
for _ in $(seq 50); do curl -fs http://127.0.0.1:8080/oauth2/jwks >/dev/null && break; sleep 0.1; done

# Demo data: recreated on every run.
secret=$("$top/scripts/quickstart-data.sh" "$top/build/oauthctl" 127.0.0.1:6390 http://127.0.0.1:8080)

cat <<MSG

ngx_http_oauth_module is up: nginx on http://127.0.0.1:8080, Redis on 127.0.0.1:6390.
Demo confidential client: demo-service / $secret
Demo public client: demo-app (redirect http://127.0.0.1:8080/callback); user demo / demo-password

# 0. the demo app in a browser: sign in (demo / demo-password), see the tokens,
#    call the API, refresh, revoke, see the 401, sign out
http://127.0.0.1:8080/demo/

# 1. a token for the machine client
TOKEN=\$(curl -s -u demo-service:$secret -d grant_type=client_credentials \\
    http://127.0.0.1:8080/oauth2/token | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')

# 2. the protected API: with the token, then without
curl -i -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8080/api/orders
curl -i http://127.0.0.1:8080/api/orders

# 3. introspect, revoke, and see the very next request refused
curl -s -u demo-service:$secret -d token=\$TOKEN http://127.0.0.1:8080/oauth2/introspect
curl -s -u demo-service:$secret -d token=\$TOKEN http://127.0.0.1:8080/oauth2/revoke
curl -i -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8080/api/orders

# 4. discovery and keys
curl -s http://127.0.0.1:8080/.well-known/openid-configuration
curl -s http://127.0.0.1:8080/oauth2/jwks

# 5. browser sign-in: open this in a browser (user demo / demo-password)
http://127.0.0.1:8080/oauth2/authorize?response_type=code&client_id=demo-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback&scope=openid%20profile&state=xyz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256
it lands on the demo page with a code; exchange it (the RFC 7636 example verifier):
curl -s -d grant_type=authorization_code -d client_id=demo-app -d code=CODE \\
    -d redirect_uri=http://127.0.0.1:8080/callback \\
    -d code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk http://127.0.0.1:8080/oauth2/token
then sign out of the browser session (the page asks first):
http://127.0.0.1:8080/oauth2/logout

# 6. device grant: start it, then enter the user_code at http://127.0.0.1:8080/oauth2/device
curl -s -d client_id=demo-app -d scope=orders:read http://127.0.0.1:8080/oauth2/device_authorization

Logs: $run/logs/error.log. Ctrl-C stops everything.
MSG
wait
