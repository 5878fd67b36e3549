#!/usr/bin/env bash
# `make bench`, part 3: bytes of Redis memory and Redis CPU per live token, per
# grant (scripts/bench-memory.py), on one Redis server. Figures, never
# assertions.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)

# shellcheck source=scripts/bench-lib.sh
. "$TOP/scripts/bench-lib.sh"

free_ports PORT RPORT
new_key ES256
start_redis "$RPORT"

ctl() { "$OAUTHCTL" --redis "127.0.0.1:$RPORT" "$@" >/dev/null; }
ctl client create --id cc --secret "$SECRET" --grant-types client_credentials --scope "orders:read"
ctl client create --id pw --secret "$SECRET" --grant-types password,refresh_token --scope "orders:read"
ctl user create --username ann --password bench-password

{ nginx_conf_head; cat <<CONF
    oauth_redis 127.0.0.1:$RPORT keepalive=4;
    oauth_issuer http://127.0.0.1:$PORT;
    server {
        listen 127.0.0.1:$PORT;
        oauth_signing_key $WORK/es256.pem;
        location = /token { oauth_token; }
    }
}
CONF
} >"$WORK/nginx.conf"
start_nginx "$PORT"

"$PYTHON" "$TOP/scripts/bench-memory.py" "http://127.0.0.1:$PORT/token" "$RPORT" "$SECRET"
fatal_log_check
