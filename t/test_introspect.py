"""Introspection (SPEC §4.2, RFC 7662): any confidential client introspects
any token; active answers carry the listed fields; everything else is
exactly {"active": false}."""
import base64
import json
import time

from jwcrypto import jwk, jwt

import rig
from support.jose import verify_access_token as verify
from support.tokens import (INTROSPECT, assert_error, assert_needs_client_authentication,
                            confidential, password_grant, post, refresh_grant, session)

ACTIVE_FIELDS = {"active", "scope", "client_id", "sub", "exp", "iat", "iss",
                 "aud", "jti", "token_type"}


def grant(server, ctl, scope="a b"):
    app = confidential(ctl, "app", "password,refresh_token", scope)
    rs = confidential(ctl, "rs", "client_credentials")
    user = ctl("user", "create", "--username", "ivy", "--password", "pw")
    tok = password_grant(server, "app", app, "ivy").json()
    return app, rs, user, tok


def introspect(server, rs, token, **extra):
    r = post(server, INTROSPECT, {"token": token, **extra}, auth=("rs", rs))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    return r.json()


def test_active_access_token_with_authlib(server, ctl):
    _, rs, user, tok = grant(server, ctl)
    c = session(server, "rs", rs)
    r = c.introspect_token(server.url(INTROSPECT), token=tok["access_token"])
    body = r.json()
    assert ACTIVE_FIELDS <= set(body)
    _, claims = verify(server, tok["access_token"])
    assert body["active"] is True
    assert body["token_type"] == "Bearer"
    assert body["sub"] == user["sub"] and body["client_id"] == "app"
    assert body["scope"] == "a b"
    for k in ("exp", "iat", "iss", "aud", "jti"):
        assert body[k] == claims[k]


def test_active_refresh_token(server, ctl):
    _, rs, user, tok = grant(server, ctl)
    for hint in ({}, {"token_type_hint": "refresh_token"},
                 {"token_type_hint": "access_token"},
                 {"token_type_hint": "bogus"}):
        body = introspect(server, rs, tok["refresh_token"], **hint)
        assert ACTIVE_FIELDS <= set(body)
        assert body["active"] is True
        assert body["token_type"] == "refresh_token"
        assert body["sub"] == user["sub"] and body["client_id"] == "app"
        assert body["iss"] == server.url("")
        assert body["exp"] > time.time() + 29 * 86400  # the family's 30 days


def test_revoked_and_rotated_are_inactive(server, ctl):
    app, rs, user, tok = grant(server, ctl)
    new = refresh_grant(server, tok["refresh_token"], "app", app).json()
    # The rotated refresh token is no longer active; the new one is.
    assert introspect(server, rs, tok["refresh_token"]) == {"active": False}
    assert introspect(server, rs, new["refresh_token"])["active"] is True
    ctl("session", "revoke", "--sub", user["sub"])
    for t in (tok["access_token"], new["access_token"], new["refresh_token"]):
        assert introspect(server, rs, t) == {"active": False}


def test_expired_access_token(nginx_factory, redis, keys, ctl):
    port = rig.free_port()
    n = nginx_factory(rig.standard_http(port, redis.address, [keys["EdDSA"]],
                                        http_extra="oauth_access_token_ttl 3s;"),
                      port=port)
    _, rs, _, tok = grant(n, ctl)
    assert introspect(n, rs, tok["access_token"])["active"] is True
    time.sleep(3.2)
    assert introspect(n, rs, tok["access_token"]) == {"active": False}


def test_forged_and_garbage_tokens(server, ctl, keys):
    _, rs, _, tok = grant(server, ctl)
    header, claims = verify(server, tok["access_token"])
    # Same claims and kid, signed by a key the server does not have.
    other = jwk.JWK.generate(kty="RSA", size=2048)
    forged = jwt.JWT(header=header, claims=claims)
    forged.make_signed_token(other)
    # alg none, and a tampered payload.
    b64 = tok["access_token"].split(".")
    none_token = ".".join([
        base64.urlsafe_b64encode(json.dumps(h).encode()).rstrip(b"=").decode()
        for h in ({"alg": "none", "typ": "at+jwt", "kid": header["kid"]}, claims)
    ]) + "."
    tampered = ".".join([b64[0], b64[1][:-2] + ("AA" if b64[1][-2:] != "AA" else "BB"), b64[2]])
    for t in (forged.serialize(), none_token, tampered, "garbage", "a.b.c",
              "x" * 5000, tok["access_token"] + "x"):
        assert introspect(server, rs, t) == {"active": False}, t[:40]


def test_only_confidential_clients_introspect(server, ctl):
    _, rs, _, tok = grant(server, ctl)
    ctl("client", "create", "--id", "pub", "--public", "--redirect-uri",
        "https://app.example/cb")
    r = post(server, INTROSPECT, {"token": tok["access_token"],
                                  "client_id": "pub"})
    assert_error(r, 401, "invalid_client")
    assert_needs_client_authentication(server, INTROSPECT, tok["access_token"], "rs", rs)


def test_another_clients_token_is_introspectable(server, ctl):
    # SPEC §4.2: any confidential client may introspect any token.
    _, rs, _, tok = grant(server, ctl)
    other = confidential(ctl, "other", "client_credentials")
    r = post(server, INTROSPECT, {"token": tok["access_token"]},
             auth=("other", other))
    assert r.json()["active"] is True
