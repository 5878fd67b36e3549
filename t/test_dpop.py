"""DPoP (RFC 9449, SPEC §10) end to end on a real nginx and Redis: the token
endpoint issues bound tokens; oauth_require accepts them only with a good
proof; jwcrypto forges every bad proof and each gets its answer; a jti
replayed to a second nginx sharing the Redis is refused."""
import re
import time

import requests

import rig
from support.dpop import Prover
from support.tokens import confidential

TOKEN = "/oauth2/token"


def conf(port, redis_address, key, upstream_port, origin=""):
    up = f"http://127.0.0.1:{upstream_port}"
    return rig.oauth_head(port, redis_address, [key]) + f"""
server {{
    listen 127.0.0.1:{{port}};
    {origin}
    location = /.well-known/oauth-authorization-server {{ oauth_discovery; }}
    location = /oauth2/token {{ oauth_token; }}
    location = /oauth2/introspect {{ oauth_introspect; }}
    location /api/ {{ oauth_require; proxy_pass {up}; }}
    location /strict/ {{ oauth_require scope=a dpop=required; proxy_pass {up}; }}
}}
"""


def cc_token(n, secret, prover=None, client="svc"):
    headers = {}
    if prover:
        headers["DPoP"] = prover.proof("POST", n.url(TOKEN))
    r = requests.post(n.url(TOKEN), data={"grant_type": "client_credentials"},
                      auth=(client, secret), headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def call(n, path, token, proof=None, scheme="DPoP", method="GET"):
    h = {"Authorization": f"{scheme} {token}"}
    if proof is not None:
        h["DPoP"] = proof
    return requests.request(method, n.url(path), headers=h, timeout=10)


def challenge(r):
    return r.headers.get("WWW-Authenticate", "")


def dpop_nginx(nginx_factory, redis, keys, upstream):
    """conf() started on a free port with an ES256 key."""
    port = rig.free_port()
    return nginx_factory(conf(port, redis.address, keys["ES256"], upstream.port), port=port)


def assert_bad_proof(r):
    assert r.status_code == 401, r.text
    ch = challenge(r)
    assert ch.startswith('DPoP realm="api", error="invalid_dpop_proof"'), ch
    assert 'algs="ES256 RS256 PS256 EdDSA Ed25519"' in ch


def test_bound_token_from_the_token_endpoint_and_its_use(
        nginx_factory, redis, keys, upstream, ctl):
    n = dpop_nginx(nginx_factory, redis, keys, upstream)
    secret = confidential(ctl, "svc", "client_credentials")
    p = Prover()
    body = cc_token(n, secret, p)
    assert body["token_type"] == "DPoP"
    at = body["access_token"]

    # Introspection shows the binding (RFC 9449 §6.2).
    r = requests.post(n.url("/oauth2/introspect"), data={"token": at},
                      auth=("svc", secret), timeout=10)
    assert r.json()["cnf"] == {"jkt": p.jkt}
    assert r.json()["token_type"] == "DPoP"

    # Discovery announces the algorithms.
    d = requests.get(n.url("/.well-known/oauth-authorization-server")).json()
    assert d["dpop_signing_alg_values_supported"] == ["ES256", "RS256", "PS256", "EdDSA", "Ed25519"]

    # A good proof passes, on both locations; a query alone changes nothing.
    for path in ("/api/x", "/strict/x"):
        r = call(n, path, at, p.proof("GET", n.url(path), token=at))
        assert r.status_code == 200, (path, r.text, challenge(r))
    r = call(n, "/api/x?page=2", at, p.proof("GET", n.url("/api/x") + "?q=1#f", token=at))
    assert r.status_code == 200, challenge(r)
    r = call(n, "/api/x?page=2", at, p.proof("GET", n.url("/api/x"), token=at))
    assert r.status_code == 200, challenge(r)

    url = n.url("/api/x")
    other = Prover()
    forged = {
        "wrong htm": p.proof("POST", url, token=at),
        "htu with another path": p.proof("GET", n.url("/api/y"), token=at),
        "stale iat": p.proof("GET", url, token=at, iat=int(time.time()) - 120),
        "future iat": p.proof("GET", url, token=at, iat=int(time.time()) + 120),
        "wrong ath": p.proof("GET", url, token=at + "x"),
        "no ath": p.proof("GET", url),
        "other key": other.proof("GET", url, token=at),
        "alg none": p.unsigned("GET", url),
        "HS256": p.hmac("GET", url),
        "private key in jwk": p.with_private_jwk("GET", url, token=at),
        "typ JWT": p.proof("GET", url, token=at, header={"typ": "JWT"}),
        "no jti": p.proof("GET", url, token=at, drop=("jti",)),
    }
    for what, proof in forged.items():
        r = call(n, "/api/x", at, proof)
        assert r.status_code == 401, what
        assert_bad_proof(r)

    # Missing proof for a bound token.
    assert_bad_proof(call(n, "/api/x", at, None))
    # A bound token sent as Bearer (RFC 9449 §7.2), with or without a proof.
    for proof in (None, p.proof("GET", url, token=at)):
        r = call(n, "/api/x", at, proof, scheme="Bearer")
        assert r.status_code == 401
        assert challenge(r).startswith('DPoP realm="api", error="invalid_token"'), challenge(r)

    # The reasons are logged at info, without the token.
    log = n.log()
    assert "DPoP proof: htm is not the request method" in log
    assert "DPoP proof: jwk holds a private key" in log
    assert "DPoP-bound token sent as Bearer" in log
    assert at not in log


def test_required_refuses_bearer_and_allowed_keeps_it(
        nginx_factory, redis, keys, upstream, ctl):
    n = dpop_nginx(nginx_factory, redis, keys, upstream)
    secret = confidential(ctl, "svc", "client_credentials")
    body = cc_token(n, secret)
    assert body["token_type"] == "Bearer"
    bearer = body["access_token"]
    assert call(n, "/api/x", bearer, scheme="Bearer").status_code == 200
    r = call(n, "/strict/x", bearer, scheme="Bearer")
    assert r.status_code == 401
    assert challenge(r).startswith('DPoP realm="api", error="invalid_token"')
    r = requests.get(n.url("/strict/x"), timeout=10)
    assert r.status_code == 401
    assert challenge(r) == 'DPoP realm="api", algs="ES256 RS256 PS256 EdDSA Ed25519"'
    # A Bearer token in the DPoP scheme is no DPoP token.
    p = Prover()
    r = call(n, "/api/x", bearer, p.proof("GET", n.url("/api/x"), token=bearer))
    assert r.status_code == 401
    assert 'error="invalid_token"' in challenge(r)


def test_token_endpoint_refuses_bad_proofs(nginx_factory, redis, keys, upstream, ctl):
    n = dpop_nginx(nginx_factory, redis, keys, upstream)
    secret = confidential(ctl, "svc", "client_credentials")
    p = Prover()
    for proof in (p.proof("POST", n.url("/oauth2/other")), p.proof("GET", n.url(TOKEN)),
                  p.unsigned("POST", n.url(TOKEN)), "garbage"):
        r = requests.post(n.url(TOKEN), data={"grant_type": "client_credentials"},
                          auth=("svc", secret), headers={"DPoP": proof}, timeout=10)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_dpop_proof"
    # A proof is spent once at the token endpoint too.
    proof = p.proof("POST", n.url(TOKEN))
    first = requests.post(n.url(TOKEN), data={"grant_type": "client_credentials"},
                          auth=("svc", secret), headers={"DPoP": proof}, timeout=10)
    assert first.status_code == 200
    again = requests.post(n.url(TOKEN), data={"grant_type": "client_credentials"},
                          auth=("svc", secret), headers={"DPoP": proof}, timeout=10)
    assert again.status_code == 400 and again.json()["error"] == "invalid_dpop_proof"


def test_a_replayed_proof_fails_on_this_node_and_on_another(
        nginx_factory, redis, keys, upstream, ctl):
    port, port2 = rig.free_port(), rig.free_port()
    n = nginx_factory(conf(port, redis.address, keys["ES256"], upstream.port),
                      port=port)
    # The second node: same issuer, key and Redis; its htu is the first
    # node's URL, as behind a load balancer (oauth_dpop_origin).
    n2 = nginx_factory(conf(port, redis.address, keys["ES256"], upstream.port,
                            origin=f"oauth_dpop_origin http://127.0.0.1:{port};")
                       .replace("listen 127.0.0.1:{port}", f"listen 127.0.0.1:{port2}"),
                       port=port2)
    secret = confidential(ctl, "svc", "client_credentials")
    p = Prover()
    at = cc_token(n, secret, p)["access_token"]
    proof = p.proof("GET", n.url("/api/x"), token=at)
    assert call(n, "/api/x", at, proof).status_code == 200
    assert_bad_proof(call(n, "/api/x", at, proof))
    assert_bad_proof(call(n2, "/api/x", at, proof))
    # A fresh proof works on the second node (its htu from oauth_dpop_origin).
    r = call(n2, "/api/x", at, p.proof("GET", n.url("/api/x"), token=at))
    assert r.status_code == 200, challenge(r)
    assert "DPoP proof: jti replayed" in n2.log()
    assert len(redis.keys("oauth:dpop:*")) >= 3


def test_public_client_refresh_token_is_bound(nginx_factory, redis, keys, upstream, ctl):
    n = dpop_nginx(nginx_factory, redis, keys, upstream)
    ctl("client", "create", "--id", "spa", "--public",
        "--grant-types", "password,refresh_token", "--scope", "a")
    ctl("user", "create", "--username", "alice", "--password", "pw-alice-1")
    p = Prover()
    r = requests.post(n.url(TOKEN), data={"grant_type": "password", "username": "alice",
                                          "password": "pw-alice-1", "client_id": "spa"},
                      headers={"DPoP": p.proof("POST", n.url(TOKEN))}, timeout=10)
    assert r.status_code == 200, r.text
    rt = r.json()["refresh_token"]
    assert r.json()["token_type"] == "DPoP"

    def refresh(headers):
        return requests.post(n.url(TOKEN), data={"grant_type": "refresh_token",
                                                 "refresh_token": rt, "client_id": "spa"},
                             headers=headers, timeout=10)
    r = refresh({})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    r = refresh({"DPoP": Prover().proof("POST", n.url(TOKEN))})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    r = refresh({"DPoP": p.proof("POST", n.url(TOKEN))})
    assert r.status_code == 200, r.text
    at = r.json()["access_token"]
    assert r.json()["token_type"] == "DPoP"
    assert call(n, "/strict/x", at, p.proof("GET", n.url("/strict/x"), token=at)).status_code == 200


def test_userinfo_accepts_a_bound_token_with_its_proof(nginx_factory, redis, keys, upstream, ctl):
    port = rig.free_port()
    n = nginx_factory(conf(port, redis.address, keys["ES256"], upstream.port)
                      .replace("location /api/", "location = /oauth2/userinfo { oauth_userinfo; }\n"
                               "    location /api/"), port=port)
    ctl("client", "create", "--id", "spa", "--public",
        "--grant-types", "password,refresh_token", "--scope", "openid a")
    ctl("user", "create", "--username", "alice", "--password", "pw-alice-1")
    p = Prover()
    r = requests.post(n.url(TOKEN), data={"grant_type": "password", "username": "alice",
                                          "password": "pw-alice-1", "client_id": "spa",
                                          "scope": "openid"},
                      headers={"DPoP": p.proof("POST", n.url(TOKEN))}, timeout=10)
    assert r.status_code == 200, r.text
    at = r.json()["access_token"]
    url = n.url("/oauth2/userinfo")
    proof = p.proof("GET", url, token=at)
    r = call(n, "/oauth2/userinfo", at, proof)
    assert r.status_code == 200, (r.text, challenge(r))
    assert r.json()["sub"]
    # The same proof again, a proof for another URL, the token as Bearer.
    assert_bad_proof(call(n, "/oauth2/userinfo", at, proof))
    assert call(n, "/oauth2/userinfo", at, p.proof("GET", n.url("/x"), token=at)).status_code == 401
    r = call(n, "/oauth2/userinfo", at, None, scheme="Bearer")
    assert r.status_code == 401
    assert challenge(r).startswith('DPoP realm="api", error="invalid_token"'), challenge(r)


def test_dpop_jkt_at_authorize_binds_the_code(nginx_factory, redis, keys, upstream, ctl):
    """RFC 9449 §10: the code is exchanged only with a proof by the key
    named at authorize; a malformed dpop_jkt is invalid_request."""
    from support.browser import (REDIRECT_URI, Browser, authorize_url, make_client,
                                 make_user, pkce_pair)
    from support.jose import jwt_claims
    from support.query import query_of
    port = rig.free_port()
    n = nginx_factory(rig.standard_http(port, redis.address, [keys["ES256"]]), port=port)
    make_client(ctl, "spa", scope="a", grants="authorization_code")
    make_user(ctl)
    p = Prover()
    b = Browser(n)

    def code_for(jkt):
        verifier, challenge = pkce_pair()
        landed = b.authorize(authorize_url(n, "spa", scope="a", state="s", dpop_jkt=jkt,
                                           code_challenge=challenge,
                                           code_challenge_method="S256"),
                             "alice", "correct horse")
        return query_of(landed), verifier

    def exchange(q, verifier, proof):
        headers = {"DPoP": proof} if proof else {}
        return requests.post(n.url(TOKEN), data={
            "grant_type": "authorization_code", "code": q["code"], "client_id": "spa",
            "redirect_uri": REDIRECT_URI, "code_verifier": verifier}, headers=headers, timeout=10)

    for jkt in (p.jkt[:-1], p.jkt + "A", p.jkt[:-1] + "=", "not a thumbprint"):
        q, _ = code_for(jkt)
        assert q.get("error") == "invalid_request", (jkt, q)
        assert "code" not in q
    for proof in (None, Prover().proof("POST", n.url(TOKEN))):
        q, verifier = code_for(p.jkt)
        r = exchange(q, verifier, proof)
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    q, verifier = code_for(p.jkt)
    r = exchange(q, verifier, p.proof("POST", n.url(TOKEN)))
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "DPoP"
    assert jwt_claims(r.json()["access_token"])["cnf"] == {"jkt": p.jkt}
    # A code minted without dpop_jkt still takes any proof (or none).
    q, verifier = code_for(None)
    assert exchange(q, verifier, None).status_code == 200
