"""Server-provided DPoP nonces (RFC 9449 §8 at the token endpoint, §9 at
oauth_require) on a real nginx and Redis, and the proof algorithms PS256
and "Ed25519" (RFC 9864) forged with jwcrypto. The nonces are computed here
from the signing key's PEM (support/dpop_nonce.py), independently of the
module, and a second nginx with the same key takes the first one's."""
import requests

import rig
from support.dpop_nonce import nonce, window
from support.dpop import Prover
from support.tokens import confidential

TOKEN = "/oauth2/token"
LIFE = 300


def conf(port, redis_address, key, upstream_port, listen_port=None, extra=""):
    up = f"http://127.0.0.1:{upstream_port}"
    return f"""
oauth_redis {redis_address};
oauth_issuer http://127.0.0.1:{port};
oauth_signing_key {key};
oauth_dpop_nonce on lifetime={LIFE}s;
server {{
    listen 127.0.0.1:{listen_port or port};
    oauth_dpop_origin http://127.0.0.1:{port};
    location = /.well-known/oauth-authorization-server {{ oauth_discovery; }}
    location = /oauth2/token {{ oauth_token; }}
    location /api/ {{ oauth_require; proxy_pass {up}; }}
    location /open/ {{ oauth_require; oauth_dpop_nonce off; proxy_pass {up}; }}
    {extra}
}}
"""


def token_request(n, secret, proof):
    return requests.post(n.url(TOKEN), data={"grant_type": "client_credentials"},
                         auth=("svc", secret), headers={"DPoP": proof}, timeout=10)


def call(n, path, at, proof):
    return requests.get(n.url(path), headers={"Authorization": f"DPoP {at}", "DPoP": proof},
                        timeout=10)


def same_window(fn):
    """fn() run within one nonce window (retried once across a turn)."""
    for _ in range(2):
        w = window(LIFE)
        out = fn()
        if window(LIFE) == w:
            return out
    raise AssertionError("two window turns in a row")


def test_token_endpoint_asks_for_the_nonce_and_takes_it(nginx_factory, redis, keys, upstream, ctl):
    port = rig.free_port()
    n = nginx_factory(conf(port, redis.address, keys["ES256"], upstream.port), port=port)
    secret = confidential(ctl, "svc", "client_credentials")
    p = Prover()
    url = n.url(TOKEN)

    def first_without_then_with():
        r = token_request(n, secret, p.proof("POST", url))
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "use_dpop_nonce"
        assert r.json()["error_description"] == "Authorization server requires nonce in DPoP proof"
        assert r.headers["Cache-Control"] == "no-store"
        assert r.headers["DPoP-Nonce"] == nonce(keys["ES256"], LIFE)
        ok = token_request(n, secret, p.proof("POST", url, nonce=r.headers["DPoP-Nonce"]))
        assert ok.status_code == 200, ok.text
        assert ok.json()["token_type"] == "DPoP"
        # The current nonce: nothing new to say.
        assert "DPoP-Nonce" not in ok.headers
        return ok
    same_window(first_without_then_with)

    # The previous window's nonce still works, and the answer names the new one.
    def previous():
        r = token_request(n, secret, p.proof("POST", url, nonce=nonce(keys["ES256"], LIFE, windows_back=1)))
        assert r.status_code == 200, r.text
        assert r.headers["DPoP-Nonce"] == nonce(keys["ES256"], LIFE)
    same_window(previous)

    # Two windows old, or made up: use_dpop_nonce again.
    for old in (nonce(keys["ES256"], LIFE, windows_back=2), "made-up"):
        r = token_request(n, secret, p.proof("POST", url, nonce=old))
        assert r.status_code == 400 and r.json()["error"] == "use_dpop_nonce", r.text
    assert "DPoP proof: nonce unknown or expired" in n.log()
    # A bad proof stays invalid_dpop_proof whatever its nonce.
    r = token_request(n, secret, p.proof("POST", n.url("/elsewhere"), nonce=nonce(keys["ES256"], LIFE)))
    assert r.json()["error"] == "invalid_dpop_proof"
    # A Bearer token request needs no proof and so no nonce.
    r = requests.post(url, data={"grant_type": "client_credentials"}, auth=("svc", secret), timeout=10)
    assert r.status_code == 200 and r.json()["token_type"] == "Bearer"
    assert "DPoP-Nonce" not in r.headers


def test_the_edge_asks_for_the_nonce_and_every_node_takes_it(
        nginx_factory, redis, keys, upstream, ctl):
    port, port2 = rig.free_port(), rig.free_port()
    n = nginx_factory(conf(port, redis.address, keys["ES256"], upstream.port), port=port)
    n2 = nginx_factory(conf(port, redis.address, keys["ES256"], upstream.port, listen_port=port2),
                       port=port2)
    secret = confidential(ctl, "svc", "client_credentials")
    p = Prover()
    current = nonce(keys["ES256"], LIFE)
    at = token_request(n, secret, p.proof("POST", n.url(TOKEN), nonce=current)).json()["access_token"]
    api = n.url("/api/x")

    def ask_then_use():
        r = call(n, "/api/x", at, p.proof("GET", api, token=at))
        assert r.status_code == 401, r.text
        assert r.headers["WWW-Authenticate"] == (
            'DPoP realm="api", error="use_dpop_nonce", error_description="Resource server '
            'requires nonce in DPoP proof", algs="ES256 RS256 PS256 EdDSA Ed25519"')
        got = r.headers["DPoP-Nonce"]
        assert got == nonce(keys["ES256"], LIFE)
        ok = call(n, "/api/x", at, p.proof("GET", api, token=at, nonce=got))
        assert ok.status_code == 200, ok.headers
        assert "DPoP-Nonce" not in ok.headers
        # The other node takes this node's nonce: nothing is per node.
        ok2 = call(n2, "/api/x", at, p.proof("GET", api, token=at, nonce=got))
        assert ok2.status_code == 200, ok2.headers
    same_window(ask_then_use)

    # The previous window's nonce passes; the proxied answer names the new one.
    def rotated():
        r = call(n2, "/api/x", at, p.proof("GET", api, token=at,
                                           nonce=nonce(keys["ES256"], LIFE, windows_back=1)))
        assert r.status_code == 200, r.headers
        assert r.json()["path"] == "/api/x"
        assert r.headers["DPoP-Nonce"] == nonce(keys["ES256"], LIFE)
    same_window(rotated)

    r = call(n, "/api/x", at, p.proof("GET", api, token=at, nonce=nonce(keys["ES256"], LIFE, windows_back=2)))
    assert r.status_code == 401 and 'error="use_dpop_nonce"' in r.headers["WWW-Authenticate"]
    assert "DPoP proof: nonce missing, unknown or expired" in n.log()
    # Nonces do not replace the jti check: a good proof replayed fails.
    def replayed():
        good = p.proof("GET", api, token=at, nonce=nonce(keys["ES256"], LIFE))
        assert call(n, "/api/x", at, good).status_code == 200
        r = call(n2, "/api/x", at, good)
        assert r.status_code == 401 and 'error="invalid_dpop_proof"' in r.headers["WWW-Authenticate"]
    same_window(replayed)
    # oauth_dpop_nonce off in a location: no nonce asked there.
    r = call(n, "/open/x", at, p.proof("GET", n.url("/open/x"), token=at))
    assert r.status_code == 200, r.headers
    assert "DPoP-Nonce" not in r.headers


def test_a_server_with_another_key_refuses_the_nonce(nginx_factory, redis, keys, upstream, ctl):
    port = rig.free_port()
    n = nginx_factory(conf(port, redis.address, keys["RS256"], upstream.port), port=port)
    secret = confidential(ctl, "svc", "client_credentials")
    p = Prover()

    def other_key():
        r = token_request(n, secret, p.proof("POST", n.url(TOKEN), nonce=nonce(keys["ES256"], LIFE)))
        assert r.status_code == 400 and r.json()["error"] == "use_dpop_nonce"
        # ...and this one's nonce is the one computed from its own (RSA) key.
        assert r.headers["DPoP-Nonce"] == nonce(keys["RS256"], LIFE)
    same_window(other_key)


def test_bad_directives_fail_nginx_t(workdir, redis, keys):
    for bad, says in (("oauth_dpop_nonce maybe;", 'expected "on" or "off"'),
                      ("oauth_dpop_nonce on lifetime=0;", "invalid nonce lifetime"),
                      ("oauth_dpop_nonce on lifetime=2d;", "invalid nonce lifetime"),
                      ("oauth_dpop_nonce on ttl=5m;", 'expected "lifetime=T"'),
                      ("oauth_dpop_nonce off lifetime=5m;", "takes no lifetime"),
                      ("oauth_dpop_nonce on; oauth_dpop_nonce off;", "is duplicate")):
        port = rig.free_port()
        http = f"""
oauth_redis {redis.address};
oauth_issuer http://127.0.0.1:{port};
oauth_signing_key {keys["ES256"]};
server {{ listen 127.0.0.1:{port}; location / {{ {bad} oauth_token; }} }}
"""
        rc, out = rig.Nginx(workdir, http, port).test_config()
        assert rc != 0 and says in out, (bad, out)


def test_ps256_and_ed25519_proofs_are_taken_and_announced(
        nginx_factory, redis, keys, upstream, ctl):
    port = rig.free_port()
    n = nginx_factory(conf(port, redis.address, keys["ES256"], upstream.port)
                      .replace(f"oauth_dpop_nonce on lifetime={LIFE}s;", ""), port=port)
    secret = confidential(ctl, "svc", "client_credentials")
    d = requests.get(n.url("/.well-known/oauth-authorization-server"), timeout=10).json()
    assert d["dpop_signing_alg_values_supported"] == ["ES256", "RS256", "PS256", "EdDSA", "Ed25519"]
    ed = Prover("OKP", "EdDSA")
    makers = [
        ("PS256", Prover("RSA", "PS256"), lambda p, m, u, **kw: p.proof(m, u, **kw)),
        ("Ed25519", ed, lambda p, m, u, **kw: p.signed_as("Ed25519", m, u, **kw)),
        ("EdDSA", ed, lambda p, m, u, **kw: p.proof(m, u, **kw)),
    ]
    for alg, prover, make in makers:
        r = token_request(n, secret, make(prover, "POST", n.url(TOKEN)))
        assert r.status_code == 200, (alg, r.text)
        at = r.json()["access_token"]
        ok = call(n, "/api/x", at, make(prover, "GET", n.url("/api/x"), token=at))
        assert ok.status_code == 200, (alg, ok.headers)
    # PS256 named for a PKCS#1 v1.5 signature, and Ed25519 for a P-256 key,
    # are refused.
    r = token_request(n, secret, Prover("RSA", "RS256").signed_as("PS256", "POST", n.url(TOKEN)))
    assert r.status_code == 400 and r.json()["error"] == "invalid_dpop_proof", r.text
    assert "DPoP proof: bad signature" in n.log()
    r = token_request(n, secret, Prover().signed_as("Ed25519", "POST", n.url(TOKEN)))
    assert r.json()["error"] == "invalid_dpop_proof"
    assert "DPoP proof: algorithm not allowed" in n.log()
    # The RS256 signature under its own name passes.
    r = token_request(n, secret, Prover("RSA", "RS256").signed_as("RS256", "POST", n.url(TOKEN)))
    assert r.status_code == 200, r.text
