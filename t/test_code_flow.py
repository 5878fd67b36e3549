"""The token endpoint's authorization_code grant (RFC 6749 §4.1.3, RFC 7636,
OIDC Core §3.1.3): codes written into Redis in oauth_consent's format, then
the whole browser flow through the real HTML pages with Authlib's client."""
import json
import time

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from support.browser import Browser
from support.code_flow import (REDIRECT, RFC_VERIFIER, bearer, exchange,
                               new_verifier, put_code, s256)
from support.jose import jwt_claims, verify_id_token
from support.query import query_of

USER_CLAIMS = {"name": "Alice Liddell", "email": "alice@example.com",
               "email_verified": True, "phone_number": "+1 555 0100"}


@pytest.fixture
def setup(server, ctl):
    """A public SPA, a confidential BFF, an introspecting resource server
    and a user."""
    ctl("client", "create", "--id", "spa", "--public", "--redirect-uri",
        REDIRECT, "--scope", "openid profile email orders:read",
        "--consent", "skip")
    bff = ctl("client", "create", "--id", "bff", "--redirect-uri", REDIRECT,
              "--scope", "openid profile email", "--consent", "skip")
    rs = ctl("client", "create", "--id", "rs", "--grant-types",
             "client_credentials")
    user = ctl("user", "create", "--username", "alice", "--password",
               "correct horse battery", "--claim", "name=Alice Liddell",
               "--claim", "email=alice@example.com")
    return {"bff_secret": bff["client_secret"], "rs_secret": rs["client_secret"],
            "sub": user["sub"]}


def introspect(server, setup, token):
    r = requests.post(server.url("/oauth2/introspect"), data={"token": token},
                      auth=("rs", setup["rs_secret"]))
    assert r.status_code == 200
    return r.json()


def assert_invalid_grant(r):
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_grant"
    assert r.headers["Cache-Control"] == "no-store"


def test_exchange_issues_tokens_and_a_verified_id_token(server, redis, setup):
    auth_time = int(time.time()) - 42
    code = put_code(redis, "spa", setup["sub"], "alice",
                    scope="openid email orders:read", nonce="n-0S6_WzA2Mj",
                    claims=USER_CLAIMS, auth_time=auth_time)
    r = exchange(server, code, client_id="spa")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid email orders:read"
    assert body["expires_in"] > 0
    assert body["refresh_token"]

    _, claims = verify_id_token(server, body["id_token"], "spa",
                                body["access_token"], nonce="n-0S6_WzA2Mj")
    assert claims["sub"] == setup["sub"]
    assert claims["auth_time"] == auth_time
    # OIDC Core §5.4: email released, profile and phone not granted.
    assert claims["email"] == "alice@example.com"
    assert claims["email_verified"] is True
    assert "name" not in claims and "phone_number" not in claims

    at = jwt_claims(body["access_token"])
    assert at["sub"] == setup["sub"] and at["client_id"] == "spa"
    api = requests.get(server.url("/api/orders"), headers=bearer(body["access_token"]))
    assert api.status_code == 200
    assert api.json()["headers"]["x-user"] == setup["sub"]
    # The ID token never opens an API (typ JWT, not at+jwt).
    api = requests.get(server.url("/api/orders"), headers=bearer(body["id_token"]))
    assert api.status_code == 401


def test_no_id_token_without_openid_and_no_refresh_without_the_grant(server, redis, ctl, setup):
    ctl("client", "create", "--id", "once", "--public", "--redirect-uri",
        REDIRECT, "--scope", "openid orders:read", "--grant-types",
        "authorization_code")
    code = put_code(redis, "once", setup["sub"], "alice", scope="orders:read")
    r = exchange(server, code, client_id="once")
    assert r.status_code == 200, r.text
    body = r.json()
    assert "id_token" not in body
    assert "refresh_token" not in body


def test_replay_is_refused_and_revokes_the_first_tokens(server, redis, setup):
    code = put_code(redis, "spa", setup["sub"], "alice", scope="openid orders:read")
    first = exchange(server, code, client_id="spa")
    assert first.status_code == 200, first.text
    tokens = first.json()
    assert requests.get(server.url("/api/x"),
                        headers=bearer(tokens["access_token"])).status_code == 200
    assert introspect(server, setup, tokens["access_token"])["active"] is True

    assert_invalid_grant(exchange(server, code, client_id="spa"))

    # RFC 6749 §4.1.2: what the first use issued is revoked, at once.
    api = requests.get(server.url("/api/x"), headers=bearer(tokens["access_token"]))
    assert api.status_code == 401
    assert 'error="invalid_token"' in api.headers["WWW-Authenticate"]
    assert introspect(server, setup, tokens["access_token"]) == {"active": False}
    assert introspect(server, setup, tokens["refresh_token"]) == {"active": False}
    r = requests.post(server.url("/oauth2/token"),
                      data={"grant_type": "refresh_token", "client_id": "spa",
                            "refresh_token": tokens["refresh_token"]})
    assert_invalid_grant(r)
    # And a third attempt is still refused.
    assert_invalid_grant(exchange(server, code, client_id="spa"))


def test_pkce_failures_are_invalid_grant(server, redis, ctl, setup):
    # Wrong verifier (well-formed, another one).
    code = put_code(redis, "spa", setup["sub"], "alice")
    assert_invalid_grant(exchange(server, code, client_id="spa", verifier=new_verifier()))
    # The code is spent by the failed attempt: no guessing verifiers.
    assert_invalid_grant(exchange(server, code, client_id="spa"))
    # Missing verifier for a code with a challenge.
    code = put_code(redis, "spa", setup["sub"], "alice")
    assert_invalid_grant(exchange(server, code, client_id="spa", verifier=None))
    # The challenge itself as verifier ("plain" downgrade).
    code = put_code(redis, "spa", setup["sub"], "alice", challenge=s256(RFC_VERIFIER))
    assert_invalid_grant(exchange(server, code, client_id="spa",
                                  verifier=s256(RFC_VERIFIER)))
    # Malformed verifier (too short).
    code = put_code(redis, "spa", setup["sub"], "alice")
    assert_invalid_grant(exchange(server, code, client_id="spa", verifier="short"))
    # Verifier without a challenge (a confidential client's code without PKCE).
    code = put_code(redis, "bff", setup["sub"], "alice", challenge=None)
    assert_invalid_grant(exchange(server, code, auth=("bff", setup["bff_secret"])))
    # ... which, without the verifier, is fine.
    code = put_code(redis, "bff", setup["sub"], "alice", challenge=None)
    r = exchange(server, code, verifier=None, auth=("bff", setup["bff_secret"]))
    assert r.status_code == 200, r.text


def test_public_client_code_without_pkce_is_refused(server, redis, setup):
    code = put_code(redis, "spa", setup["sub"], "alice", challenge=None)
    assert_invalid_grant(exchange(server, code, client_id="spa", verifier=None))


def test_redirect_uri_must_equal_the_authorized_one(server, redis, setup):
    for uri in ("https://app.example.com/cb/", "https://app.example.com/CB",
                "https://evil.example.com/cb", None):
        code = put_code(redis, "spa", setup["sub"], "alice")
        assert_invalid_grant(exchange(server, code, client_id="spa", redirect_uri=uri))


def test_code_of_another_client_is_refused(server, redis, setup):
    code = put_code(redis, "bff", setup["sub"], "alice")
    assert_invalid_grant(exchange(server, code, client_id="spa"))
    code = put_code(redis, "spa", setup["sub"], "alice")
    assert_invalid_grant(exchange(server, code, auth=("bff", setup["bff_secret"])))


def test_expired_and_unknown_codes(server, redis, setup):
    code = put_code(redis, "spa", setup["sub"], "alice", iat=int(time.time()) - 61)
    assert_invalid_grant(exchange(server, code, client_id="spa"))
    assert_invalid_grant(exchange(server, "no-such-code-" + "x" * 30, client_id="spa"))
    code = put_code(redis, "spa", setup["sub"], "alice", ttl=1)
    time.sleep(1.5)
    assert_invalid_grant(exchange(server, code, client_id="spa"))


def test_request_errors(server, redis, ctl, setup):
    r = exchange(server, "", client_id="spa")
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    # A client without the grant: unauthorized_client (RFC 6749 §5.2).
    code = put_code(redis, "rs", "rs", "")
    r = exchange(server, code, verifier=None, auth=("rs", setup["rs_secret"]))
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"
    # A confidential client must authenticate.
    code = put_code(redis, "bff", setup["sub"], "alice", challenge=None)
    r = exchange(server, code, verifier=None, auth=("bff", "wrong"))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = exchange(server, code, verifier=None, client_id="bff")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_bff_exchanges_with_basic_and_rotates_the_refresh_token(server, redis, setup):
    verifier = new_verifier()
    code = put_code(redis, "bff", setup["sub"], "alice", scope="openid profile",
                    claims=USER_CLAIMS, nonce="abc", challenge=s256(verifier))
    r = exchange(server, code, verifier=verifier, auth=("bff", setup["bff_secret"]))
    assert r.status_code == 200, r.text
    first = r.json()
    _, claims = verify_id_token(server, first["id_token"], "bff",
                                first["access_token"], nonce="abc")
    assert claims["name"] == "Alice Liddell"
    assert claims["preferred_username"] == "alice"

    r = requests.post(server.url("/oauth2/token"),
                      data={"grant_type": "refresh_token",
                            "refresh_token": first["refresh_token"]},
                      auth=("bff", setup["bff_secret"]))
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    # OIDC Core §12.2: an ID token again, same sub, aud, auth_time and
    # claims, no nonce.
    _, again = verify_id_token(server, second["id_token"], "bff",
                               second["access_token"])
    assert again["sub"] == claims["sub"]
    assert again["auth_time"] == claims["auth_time"]
    assert again["name"] == "Alice Liddell"
    # The rotated refresh token is spent; using it revokes the family.
    r = requests.post(server.url("/oauth2/token"),
                      data={"grant_type": "refresh_token",
                            "refresh_token": first["refresh_token"]},
                      auth=("bff", setup["bff_secret"]))
    assert_invalid_grant(r)
    api = requests.get(server.url("/api/x"), headers=bearer(second["access_token"]))
    assert api.status_code == 401


def test_nothing_secret_in_redis_or_the_log(server, redis, setup):
    code = put_code(redis, "spa", setup["sub"], "alice", scope="openid")
    body = exchange(server, code, client_id="spa").json()
    exchange(server, code, client_id="spa")  # a replay, logged
    dump = redis.dump_all()
    log = server.log()
    for secret in (code, body["access_token"], body["refresh_token"],
                   body["id_token"], RFC_VERIFIER):
        assert secret not in dump
        assert secret not in log


# ---- the whole flow through the browser pages, driven by Authlib ----------

def authorization_url(server, client, nonce):
    verifier = new_verifier()
    uri, state = client.create_authorization_url(
        server.url("/oauth2/authorize"), code_verifier=verifier, nonce=nonce)
    return uri, state, verifier


def test_full_flow_public_client_with_authlib(server, setup):
    client = OAuth2Session("spa", redirect_uri=REDIRECT,
                           scope="openid profile email",
                           code_challenge_method="S256",
                           token_endpoint_auth_method="none")
    nonce = "nonce-" + new_verifier()[:16]
    uri, state, verifier = authorization_url(server, client, nonce)
    browser = Browser(server)
    before = int(time.time())
    back = browser.authorize(uri, "alice", "correct horse battery")
    params = query_of(back)
    assert back.startswith(REDIRECT)
    assert params["state"] == state
    assert params["iss"] == server.url("")

    token = client.fetch_token(server.url("/oauth2/token"),
                               authorization_response=back,
                               code_verifier=verifier)
    assert token["token_type"] == "Bearer"
    _, claims = verify_id_token(server, token["id_token"], "spa",
                                token["access_token"], nonce=nonce)
    assert claims["sub"] == setup["sub"]
    assert before - 2 <= claims["auth_time"] <= int(time.time()) + 2
    assert claims["name"] == "Alice Liddell"
    assert claims["email"] == "alice@example.com"
    assert claims["preferred_username"] == "alice"

    info = requests.get(server.url("/oauth2/userinfo"),
                        headers=bearer(token["access_token"]))
    assert info.status_code == 200
    assert info.json()["sub"] == setup["sub"]
    assert info.json()["email"] == "alice@example.com"

    # The code cannot be exchanged again, and the replay kills these tokens.
    replay = requests.post(server.url("/oauth2/token"), data={
        "grant_type": "authorization_code", "code": params["code"],
        "redirect_uri": REDIRECT, "client_id": "spa", "code_verifier": verifier})
    assert_invalid_grant(replay)
    assert requests.get(server.url("/api/x"),
                        headers=bearer(token["access_token"])).status_code == 401


def test_full_flow_confidential_bff_with_authlib(server, setup):
    client = OAuth2Session("bff", setup["bff_secret"], redirect_uri=REDIRECT,
                           scope="openid profile", code_challenge_method="S256",
                           token_endpoint_auth_method="client_secret_basic")
    uri, state, verifier = authorization_url(server, client, "n1")
    back = Browser(server).authorize(uri, "alice", "correct horse battery")
    token = client.fetch_token(server.url("/oauth2/token"),
                               authorization_response=back,
                               code_verifier=verifier)
    verify_id_token(server, token["id_token"], "bff", token["access_token"], nonce="n1")
    old_refresh = token["refresh_token"]
    refreshed = client.refresh_token(server.url("/oauth2/token"))
    assert refreshed["refresh_token"] != old_refresh
    assert requests.get(server.url("/api/x"),
                        headers=bearer(refreshed["access_token"])).status_code == 200


def test_full_flow_wrong_verifier_and_wrong_redirect(server, setup):
    client = OAuth2Session("spa", redirect_uri=REDIRECT, scope="openid",
                           code_challenge_method="S256",
                           token_endpoint_auth_method="none")
    uri, _, verifier = authorization_url(server, client, "n")
    back = Browser(server).authorize(uri, "alice", "correct horse battery")
    code = query_of(back)["code"]
    r = requests.post(server.url("/oauth2/token"), data={
        "grant_type": "authorization_code", "code": code, "client_id": "spa",
        "redirect_uri": REDIRECT, "code_verifier": new_verifier()})
    assert_invalid_grant(r)

    uri, _, verifier = authorization_url(server, client, "n")
    back = Browser(server).authorize(uri, "alice", "correct horse battery")
    r = requests.post(server.url("/oauth2/token"), data={
        "grant_type": "authorization_code", "code": query_of(back)["code"],
        "client_id": "spa", "redirect_uri": REDIRECT + "/other",
        "code_verifier": verifier})
    assert_invalid_grant(r)
