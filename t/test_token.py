"""Token endpoint (SPEC §4.1, RFC 6749): every grant through Authlib, tokens
checked with jwcrypto against the served JWKS, rotation and reuse detection,
two nginx sharing one Redis, Redis down."""
import time

import pytest
import requests

import rig
from support.jose import verify_access_token as verify
from support.tokens import (TOKEN, api, assert_error, confidential, password_grant, post,
                            refresh_grant, session)


def test_client_credentials_basic_and_post(server, ctl, upstream):
    secret = confidential(ctl, "svc", "client_credentials",
                          "orders:read orders:write")
    for method in ("client_secret_basic", "client_secret_post"):
        c = session(server, "svc", secret, method=method)
        tok = c.fetch_token(server.url(TOKEN), grant_type="client_credentials",
                            scope="orders:read")
        assert tok["token_type"] == "Bearer"
        assert tok["expires_in"] == 600
        assert tok["scope"] == "orders:read"
        assert "refresh_token" not in tok
        header, claims = verify(server, tok["access_token"])
        assert header["alg"] == "RS256" and header["kid"]
        assert claims["iss"] == server.url("")
        assert claims["aud"] == server.url("")
        assert claims["sub"] == "svc" and claims["client_id"] == "svc"
        assert claims["scope"] == "orders:read"
        assert claims["exp"] - claims["iat"] == 600
        assert len(claims["jti"]) >= 22  # >= 128 bits of base64url
        r = api(server, tok["access_token"])
        assert r.status_code == 200
        assert upstream.last_headers["x-user"] == "svc"


def test_missing_scope_gets_the_registered_scopes(server, ctl):
    secret = confidential(ctl, "svc", "client_credentials", "x y")
    tok = session(server, "svc", secret).fetch_token(
        server.url(TOKEN), grant_type="client_credentials")
    assert tok["scope"] == "x y"


def test_response_headers(server, ctl):
    secret = confidential(ctl, "svc", "client_credentials")
    r = post(server, TOKEN, {"grant_type": "client_credentials"},
             auth=("svc", secret))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Pragma"] == "no-cache"


def test_basic_credentials_are_form_encoded(server, ctl):
    # RFC 6749 §2.3.1: the id and secret are form-urlencoded inside Basic.
    ctl("client", "create", "--id", "we:ird id", "--secret", "p@ss:w rd+",
        "--grant-types", "client_credentials")
    r = post(server, TOKEN, {"grant_type": "client_credentials"},
             auth=("we%3Aird+id", "p%40ss%3Aw+rd%2B"))
    assert r.status_code == 200, r.text


def test_password_grant_then_refresh_rotation(server, ctl, upstream):
    secret = confidential(ctl, "app", "password,refresh_token", "a b")
    user = ctl("user", "create", "--username", "alice", "--password",
               "wonder land")
    c = session(server, "app", secret)
    tok = c.fetch_token(server.url(TOKEN), username="alice",
                        password="wonder land")
    assert tok["scope"] == "a b"
    _, claims = verify(server, tok["access_token"])
    assert claims["sub"] == user["sub"] != "alice"
    assert claims["preferred_username"] == "alice"
    assert len(tok["refresh_token"]) >= 43  # >= 256 bits of base64url
    assert api(server, tok["access_token"]).status_code == 200
    assert upstream.last_headers["x-user"] == user["sub"]

    first_rt = tok["refresh_token"]
    new = c.refresh_token(server.url(TOKEN), refresh_token=first_rt)
    assert new["refresh_token"] != first_rt
    assert new["access_token"] != tok["access_token"]
    _, claims2 = verify(server, new["access_token"])
    assert claims2["sub"] == user["sub"] and claims2["jti"] != claims["jti"]
    assert api(server, new["access_token"]).status_code == 200

    # The rotated token again: invalid_grant, and the whole family dies.
    r = post(server, TOKEN, {"grant_type": "refresh_token",
                             "refresh_token": first_rt}, auth=("app", secret))
    assert_error(r, 400, "invalid_grant")
    for at in (tok["access_token"], new["access_token"]):
        assert api(server, at).status_code == 401
    r = refresh_grant(server, new["refresh_token"], "app", secret)
    assert_error(r, 400, "invalid_grant")


def test_password_grant_without_refresh_grant(server, ctl):
    secret = confidential(ctl, "app", "password")
    ctl("user", "create", "--username", "bob", "--password", "pw")
    tok = session(server, "app", secret).fetch_token(
        server.url(TOKEN), username="bob", password="pw", scope="a")
    assert "refresh_token" not in tok and tok["scope"] == "a"


def test_public_client_password_grant(server, ctl):
    ctl("client", "create", "--id", "cli", "--public", "--grant-types",
        "password,refresh_token", "--scope", "a")
    ctl("user", "create", "--username", "carol", "--password", "pw")
    c = session(server, "cli")
    tok = c.fetch_token(server.url(TOKEN), username="carol", password="pw")
    assert tok["refresh_token"]
    new = c.refresh_token(server.url(TOKEN), refresh_token=tok["refresh_token"])
    assert new["scope"] == "a"


def test_refresh_scope_may_narrow_never_widen(server, ctl):
    secret = confidential(ctl, "app", "password,refresh_token", "a b c")
    ctl("user", "create", "--username", "dan", "--password", "pw")
    tok = post(server, TOKEN, {"grant_type": "password", "username": "dan",
                               "password": "pw", "scope": "a b"},
               auth=("app", secret)).json()
    r = post(server, TOKEN, {"grant_type": "refresh_token", "scope": "a c",
                             "refresh_token": tok["refresh_token"]},
             auth=("app", secret))
    assert_error(r, 400, "invalid_scope")
    # A refused request rotates nothing: the token still works, narrowed.
    r = post(server, TOKEN, {"grant_type": "refresh_token", "scope": "b",
                             "refresh_token": tok["refresh_token"]},
             auth=("app", secret))
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "b"
    assert verify(server, r.json()["access_token"])[1]["scope"] == "b"
    # The family keeps its original grant: the next refresh may ask for a b.
    r = refresh_grant(server, r.json()["refresh_token"], "app", secret)
    assert r.json()["scope"] == "a b"


def test_refresh_token_of_another_client(server, ctl):
    s1 = confidential(ctl, "app1", "password,refresh_token")
    s2 = confidential(ctl, "app2", "password,refresh_token")
    ctl("user", "create", "--username", "eve", "--password", "pw")
    tok = password_grant(server, "app1", s1, "eve").json()
    r = refresh_grant(server, tok["refresh_token"], "app2", s2)
    assert_error(r, 400, "invalid_grant")
    # ... and that did not burn the owner's token.
    r = refresh_grant(server, tok["refresh_token"], "app1", s1)
    assert r.status_code == 200


def test_family_absolute_life(nginx_factory, redis, keys, ctl):
    port = rig.free_port()
    n = nginx_factory(rig.standard_http(
        port, redis.address, [keys["ES256"]],
        http_extra="oauth_refresh_token_ttl 3s; oauth_access_token_ttl 2s;"),
        port=port)
    secret = confidential(ctl, "app", "password,refresh_token")
    ctl("user", "create", "--username", "fay", "--password", "pw")
    tok = password_grant(n, "app", secret, "fay").json()
    assert tok["expires_in"] == 2
    time.sleep(1.2)
    r = refresh_grant(n, tok["refresh_token"], "app", secret)
    assert r.status_code == 200
    # The access token never outlives the family.
    assert r.json()["expires_in"] <= 2
    time.sleep(2.2)
    r = refresh_grant(n, r.json()["refresh_token"], "app", secret)
    assert_error(r, 400, "invalid_grant")


# RFC 6749 §5.2, row by row, with exact status and body.
@pytest.fixture
def clients(ctl):
    return {
        "svc": confidential(ctl, "svc", "client_credentials"),
        "app": confidential(ctl, "app", "password,refresh_token"),
        "user": ctl("user", "create", "--username", "gus", "--password", "pw"),
    }


def test_error_invalid_request(server, clients):
    auth = ("svc", clients["svc"])
    r = requests.get(server.url(TOKEN))
    assert_error(r, 400, "invalid_request")
    assert r.headers["Pragma"] == "no-cache"
    r = requests.post(server.url(TOKEN), json={"grant_type": "client_credentials"},
                      auth=auth)
    assert_error(r, 400, "invalid_request")
    r = requests.post(server.url(TOKEN), auth=auth,
                      data="grant_type=client_credentials&scope=a&scope=a",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 400, "invalid_request")
    assert_error(post(server, TOKEN, {"scope": "a"}, auth=auth), 400,
                 "invalid_request")
    # Two authentication methods.
    r = post(server, TOKEN, {"grant_type": "client_credentials",
                             "client_secret": clients["svc"]}, auth=auth)
    assert_error(r, 400, "invalid_request")
    r = post(server, TOKEN, {"grant_type": "password", "username": "gus"},
             auth=("app", clients["app"]))
    assert_error(r, 400, "invalid_request")


def test_error_invalid_client(server, clients):
    r = post(server, TOKEN, {"grant_type": "client_credentials"},
             auth=("nobody", "x"))
    assert_error(r, 401, "invalid_client", challenge=True)
    r = post(server, TOKEN, {"grant_type": "client_credentials"},
             auth=("svc", "wrong"))
    assert_error(r, 401, "invalid_client", challenge=True)
    r = post(server, TOKEN, {"grant_type": "client_credentials",
                             "client_id": "svc", "client_secret": "wrong"})
    assert_error(r, 401, "invalid_client")
    r = post(server, TOKEN, {"grant_type": "client_credentials",
                             "client_id": "svc"})
    assert_error(r, 401, "invalid_client")
    r = post(server, TOKEN, {"grant_type": "client_credentials"})
    assert_error(r, 401, "invalid_client")
    r = requests.post(server.url(TOKEN), data={"grant_type": "client_credentials"},
                      headers={"Authorization": "Basic !!notbase64"})
    assert_error(r, 401, "invalid_client", challenge=True)


def test_error_invalid_grant(server, clients):
    auth = ("app", clients["app"])
    r = post(server, TOKEN, {"grant_type": "password", "username": "gus",
                             "password": "nope"}, auth=auth)
    assert_error(r, 400, "invalid_grant")
    r = post(server, TOKEN, {"grant_type": "password", "username": "nobody",
                             "password": "pw"}, auth=auth)
    assert_error(r, 400, "invalid_grant")
    r = post(server, TOKEN, {"grant_type": "refresh_token",
                             "refresh_token": "made-up"}, auth=auth)
    assert_error(r, 400, "invalid_grant")


def test_error_unauthorized_client(server, ctl, clients):
    r = post(server, TOKEN, {"grant_type": "password", "username": "gus",
                             "password": "pw"}, auth=("svc", clients["svc"]))
    assert_error(r, 400, "unauthorized_client")
    r = post(server, TOKEN, {"grant_type": "client_credentials"},
             auth=("app", clients["app"]))
    assert_error(r, 400, "unauthorized_client")


def test_error_unsupported_grant_type(server, clients):
    r = post(server, TOKEN, {"grant_type": "implicit"},
             auth=("svc", clients["svc"]))
    assert_error(r, 400, "unsupported_grant_type")


def test_error_invalid_scope(server, clients):
    auth = ("svc", clients["svc"])
    r = post(server, TOKEN, {"grant_type": "client_credentials",
                             "scope": "a admin"}, auth=auth)
    assert_error(r, 400, "invalid_scope")
    r = post(server, TOKEN, {"grant_type": "password", "username": "gus",
                             "password": "pw", "scope": "z"},
             auth=("app", clients["app"]))
    assert_error(r, 400, "invalid_scope")


def test_two_nginx_share_one_redis(nginx_factory, redis, keys, upstream, ctl):
    port_a, port_b = rig.free_port(), rig.free_port()
    # Both publish both keys; each signs with its own first key.
    a = nginx_factory(rig.standard_http(port_a, redis.address,
                                        [keys["RS256"], keys["ES256"]],
                                        upstream_port=upstream.port), port=port_a)
    # One issuer for both: they are one authorization server.
    http_b = rig.standard_http(port_b, redis.address,
                               [keys["ES256"], keys["RS256"]],
                               upstream_port=upstream.port)
    http_b = http_b.replace(f"oauth_issuer http://127.0.0.1:{port_b};",
                            f"oauth_issuer http://127.0.0.1:{port_a};")
    b = nginx_factory(http_b, port=port_b)
    secret = confidential(ctl, "app", "password,refresh_token")
    ctl("user", "create", "--username", "hal", "--password", "pw")
    tok = password_grant(a, "app", secret, "hal").json()
    assert api(b, tok["access_token"]).status_code == 200
    # Refresh at B, then reuse of the old token at A revokes everywhere.
    new = refresh_grant(b, tok["refresh_token"], "app", secret).json()
    assert api(a, new["access_token"]).status_code == 200
    r = refresh_grant(a, tok["refresh_token"], "app", secret)
    assert_error(r, 400, "invalid_grant")
    assert api(b, new["access_token"]).status_code == 401
    assert api(a, new["access_token"]).status_code == 401


def test_redis_down_is_503_and_issues_nothing(server, redis, ctl):
    secret = confidential(ctl, "svc", "client_credentials")
    redis.stop()
    try:
        r = post(server, TOKEN, {"grant_type": "client_credentials"},
                 auth=("svc", secret))
        assert r.status_code == 503
        assert r.json()["error"] == "temporarily_unavailable"
        assert "access_token" not in r.text
    finally:
        redis.start()
    # The test's redis-server keeps nothing across a restart.
    secret = confidential(ctl, "svc", "client_credentials")
    r = post(server, TOKEN, {"grant_type": "client_credentials"},
             auth=("svc", secret))
    assert r.status_code == 200


def test_noscript_after_script_flush(server, redis, ctl):
    secret = confidential(ctl, "svc", "client_credentials")
    auth = ("svc", secret)
    assert post(server, TOKEN, {"grant_type": "client_credentials"},
                auth=auth).status_code == 200
    redis.cli("SCRIPT", "FLUSH")
    r = post(server, TOKEN, {"grant_type": "client_credentials"}, auth=auth)
    assert r.status_code == 200, r.text
    assert api(server, r.json()["access_token"]).status_code == 200
