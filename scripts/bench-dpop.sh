#!/usr/bin/env bash
# `make bench`, DPoP: what a DPoP-bound token costs at oauth_require next to
# a Bearer token and the plain proxy, in the same run. Figures, never
# assertions.
#
# Every DPoP request carries a new proof, as clients send them: distinct
# ES256 proofs (fresh iat, their own jti, ath of the token) are made in
# Python before each round, and a wrk Lua script takes one per request. So
# each DPoP request costs a proof parse, an ES256 verify (the client's
# key: nothing to cache) and a SET NX of its jti in the same Redis round
# trip as the session check; the token itself comes from the worker's
# cache, as a Bearer token does.
#
# nginx (one worker) and Redis are pinned to CPU 0, wrk to CPU 1 (taskset),
# so the load generator does not take the server's CPU. Rounds interleave
# plain, Bearer and DPoP; the figures are medians over rounds of each
# round's ratio to the plain run of that round, and CPU time per request of
# the nginx worker and of redis-server (user + system, from /proc).
#
#   BENCH_SECONDS   seconds per measured run (default 5)
#   BENCH_ROUNDS    interleaved rounds (default 5)
#   BENCH_CONNS     wrk connections (default 32)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)

# shellcheck source=scripts/bench-lib.sh
. "$TOP/scripts/bench-lib.sh"
bench_need
bench_pin

free_ports PORT UPORT RPORT
ISSUER="http://127.0.0.1:$PORT"
new_key ES256
start_redis "$RPORT"

site_conf "$PORT" "$UPORT" 'proxy_set_header X-User $oauth_sub;' "" "es256.pem kid=es"

start_nginx "$PORT"

# The proof key and two tokens signed with the configured key (ES256): a
# Bearer one and one bound to the proof key (cnf.jkt), their sessions in
# Redis as the token endpoint makes them.
"$PYTHON" - "$WORK/es256.pem" "$ISSUER" "$WORK" <<'PY'
import base64, json, os, sys, time
from jwcrypto import jwk, jwt
pem, issuer, work = sys.argv[1:4]
key = jwk.JWK.from_pem(open(pem, "rb").read())
client = jwk.JWK.generate(kty="EC", crv="P-256")
open(f"{work}/client.pem", "wb").write(client.export_to_pem(private_key=True, password=None))
now = int(time.time())
for name, cnf in (("bearer", None), ("dpop", client.thumbprint())):
    jti = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
    claims = {"iss": issuer, "sub": "bench-user", "aud": issuer, "client_id": "bench",
              "scope": "orders:read", "jti": jti, "iat": now, "exp": now + 7200}
    if cnf:
        claims["cnf"] = {"jkt": cnf}
    t = jwt.JWT(header={"alg": "ES256", "kid": "es", "typ": "at+jwt"}, claims=claims)
    t.make_signed_token(key)
    open(f"{work}/{name}.token", "w").write(t.serialize())
    open(f"{work}/{name}.jti", "w").write(jti)
PY
BEARER=$(cat "$WORK/bearer.token")
DPOP=$(cat "$WORK/dpop.token")
for t in bearer dpop; do store_session "$(cat "$WORK/$t.jti")" "$RPORT" 7200; done

# proofs N FILE: N distinct fresh proofs for GET /api/x with this token,
# one a line.
proofs() {
    "$PYTHON" - "$WORK/client.pem" "http://127.0.0.1:$PORT/api/x" "$DPOP" "$1" "$2" <<'PY'
import base64, hashlib, json, os, sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
pem, htu, token, n, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
key = serialization.load_pem_private_key(open(pem, "rb").read(), None)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
nums = key.public_key().public_numbers()
jwk = {"kty": "EC", "crv": "P-256", "x": b64(nums.x.to_bytes(32, "big")),
       "y": b64(nums.y.to_bytes(32, "big"))}
head = b64(json.dumps({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}).encode())
ath = b64(hashlib.sha256(token.encode()).digest())
now = int(time.time())
with open(out, "w") as f:
    for _ in range(n):
        body = b64(json.dumps({"jti": b64(os.urandom(12)), "htm": "GET", "htu": htu,
                               "iat": now, "ath": ath}).encode())
        data = f"{head}.{body}".encode()
        r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        f.write(f"{head}.{body}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}\n")
PY
}

cat >"$WORK/proofs.lua" <<'LUA'
-- a new proof for every request, from the file named after "--"; once
-- they run out they repeat, and the repeats are refused (non-2xx): the
-- script makes more than a run can use
local proofs, i, token = {}, 0, nil
function init(args)
    token = args[1]
    for line in io.lines(args[2]) do proofs[#proofs + 1] = line end
end
function request()
    i = i % #proofs + 1
    return wrk.format("GET", nil, {Authorization = "DPoP " .. token, DPoP = proofs[i]})
end
LUA

proofs 1 "$WORK/one.proof"
expect_200 "http://127.0.0.1:$PORT/plain/x"
expect_200 -H "Authorization: Bearer $BEARER" "http://127.0.0.1:$PORT/api/x"
expect_200 -H "Authorization: DPoP $DPOP" -H "DPoP: $(cat "$WORK/one.proof")" \
    "http://127.0.0.1:$PORT/api/x"

# run NAME SECONDS PATH [TOKEN] -> "rps p99_ms non2xx"
run() { bearer_run "$1" "$2" "http://127.0.0.1:$PORT$3" "${4:-}"; }
dpop_run() {  # NAME SECONDS PROOFS (the script's arguments follow the URL)
    wrk_run "$1" "$2" "http://127.0.0.1:$PORT/api/x" -s "$WORK/proofs.lua" \
        -- "$DPOP" "$3"
}

echo "DPoP at oauth_require: 1 nginx worker and Redis on CPU $SERVER_CPU," \
     "wrk -t1 -c$CONNS on CPU $CLIENT_CPU, $ROUNDS interleaved rounds of" \
     "${SECONDS_RUN}s, loopback, keepalive upstream, ES256 token and proofs"
echo "(warm-up runs first; figures are this machine's, not a test)"
run warm 2 /plain/x >/dev/null
run warm 2 /api/x "$BEARER" >/dev/null
proofs 20000 "$WORK/warm.proofs"
read -r warm_rps _ _ < <(dpop_run warm-dpop 2 "$WORK/warm.proofs")
# Proofs for one run: three times what the warm-up rate would use (the
# warm-up runs slower than the rounds).
NPROOFS=$(awk -v r="$warm_rps" -v s="$SECONDS_RUN" 'BEGIN {printf "%d", r * s * 3 + 5000}')

: >"$WORK/results.txt"
for round in $(seq "$ROUNDS"); do
    # made before the round (not timed): fresh iat, well within oauth_leeway
    proofs "$NPROOFS" "$WORK/round.proofs"
    measure "$round" plain run plain "$SECONDS_RUN" /plain/x
    measure "$round" bearer run bearer "$SECONDS_RUN" /api/x "$BEARER"
    measure "$round" dpop dpop_run dpop "$SECONDS_RUN" "$WORK/round.proofs"
done

bench_py "$WORK/results.txt" "$HZ" "$NPROOFS" <<'PY'
import sys
from bench_rounds import bad, load, med, paired, runs
rounds = load(sys.argv[1], sys.argv[2])
nproofs = int(sys.argv[3])
names = {"plain": "plain proxy", "bearer": "oauth_require, Bearer",
         "dpop": "oauth_require, DPoP + proof"}
print(f"\n{'location':<30} {'req/s':>8} {'x plain':>8} {'p99 ms':>7}"
      f" {'worker us/req':>14} {'redis us/req':>13} {'non-2xx':>8}")
for key in ("plain", "bearer", "dpop"):
    rs = runs(rounds, key)
    print(f"{names[key]:<30} {med(x.rps for x in rs):>8.0f} {paired(rounds, key):>8.2f}"
          f" {med(x.p99 for x in rs):>7.2f} {med(x.worker_us for x in rs):>14.1f}"
          f" {med(x.redis_us for x in rs):>13.1f} {bad(rounds, key):>8}")
d_b = paired(rounds, "dpop", "bearer")
extra = med(r["dpop"].worker_us - r["bearer"].worker_us for r in rounds.values())
extra_r = med(r["dpop"].redis_us - r["bearer"].redis_us for r in rounds.values())
print(f"DPoP / Bearer: {d_b:.2f} of the requests per second; a proof costs the worker"
      f" {extra:.1f} us of CPU and Redis {extra_r:.1f} us (medians of per-round differences)")
print(f"(x plain: median over rounds of the round's req/s over plain's; us/req: CPU"
      f" time, user + system, per request; {nproofs} distinct proofs a DPoP run,"
      f" so non-2xx there would be proofs reused once they ran out)")
PY
echo "error.log: $(grep -c '\[error\]' "$WORK/logs/error.log" || true) [error] lines"
fatal_log_check
