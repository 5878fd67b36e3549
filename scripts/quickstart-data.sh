#!/usr/bin/env bash
# The quickstart's demo data, recreated: the confidential client demo-service,
# the public client demo-app (the demo page's client) and the user demo.
# Shared by scripts/quickstart.sh and the browser tests, so they test what
# `make run` sets up. Prints demo-service's secret.
# usage: quickstart-data.sh OAUTHCTL REDIS_ADDRESS BASE_URL
set -euo pipefail
oauthctl=$1 redis=$2 base=$3
ctl() { "$oauthctl" --redis "$redis" "$@"; }

ctl client delete demo-service >/dev/null 2>&1 || true
ctl client delete demo-app >/dev/null 2>&1 || true
ctl user delete demo >/dev/null 2>&1 || true
ctl client create --id demo-service --grant-types client_credentials \
    --scope "orders:read" --name "Demo service" | sed -n 's/.*"client_secret": *"\([^"]*\)".*/\1/p'
ctl client create --id demo-app --public --redirect-uri "$base/callback" \
    --post-logout-redirect-uri "$base/demo/" \
    --grant-types authorization_code,refresh_token,device_code \
    --scope "openid profile email orders:read" --consent once --name "Demo app" >/dev/null
ctl user create --username demo --password demo-password \
    --claim name="Demo User" --claim email=demo@example.com >/dev/null
