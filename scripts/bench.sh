#!/usr/bin/env bash
# `make bench`: figures, never assertions. Edge protection against a plain
# proxy location, then the token service against `openssl speed`, then what
# a token costs Redis (bytes and CPU) per grant.
set -euo pipefail
here=$(dirname "$0")
"$here/bench-require.sh"
echo
"$here/bench-dpop.sh"
echo
"$here/bench-tokens.sh"
echo
"$here/bench-memory.sh"
echo
"$here/bench-metrics.sh"
echo
"$here/bench-session-cache.sh"
echo
"$here/bench-sentinel.sh"
echo
"$here/bench-cluster.sh"
