"""oauth_logout: OpenID Connect RP-Initiated Logout 1.0 through a real
browser session (the built-in login) and real ID tokens (Authlib)."""
import time

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from jwcrypto import jwk, jwt

from support.browser import (REDIRECT_URI, Browser, assert_security_headers,
                             make_user, sign_in_for_tokens as sign_in)

SIGNED_OUT = "https://client.example/signed-out"


def make_client(ctl, client_id="web"):
    ctl("client", "create", "--id", client_id, "--public", "--redirect-uri",
        REDIRECT_URI, "--post-logout-redirect-uri", SIGNED_OUT,
        "--scope", "openid profile", "--consent", "skip",
        "--name", f"App {client_id}")


def logout_url(server, **params):
    return server.url("/oauth2/logout") + "?" + \
        requests.compat.urlencode(params)


def sessions(redis):
    return redis.keys("oauth:sso:*")


def cookie_cleared(r):
    sc = r.headers.get("Set-Cookie", "")
    return sc.startswith("oauth_sso=;") and "Max-Age=0" in sc


@pytest.fixture
def alice(server, ctl):
    make_client(ctl)
    make_user(ctl)
    return sign_in(server)


def test_discovery_lists_the_end_session_endpoint(server):
    doc = requests.get(server.url("/.well-known/openid-configuration")).json()
    assert doc["end_session_endpoint"] == server.url("/oauth2/logout")


def test_hint_of_the_signed_in_user_ends_the_session_and_returns(
        server, redis, alice):
    b, token = alice
    assert len(sessions(redis)) == 1
    r = b.go(logout_url(server, id_token_hint=token["id_token"],
                        post_logout_redirect_uri=SIGNED_OUT, state="bye-1"))
    assert r.status_code == 303
    assert r.headers["Location"] == SIGNED_OUT + "?state=bye-1"
    assert cookie_cleared(r)
    assert sessions(redis) == []
    assert redis.keys("oauth:idx:sso:*") == []  # the index lost its member
    # the next authorization asks for a login again
    client = OAuth2Session("web", redirect_uri=REDIRECT_URI, scope="openid",
                           code_challenge_method="S256")
    url, _ = client.create_authorization_url(
        server.url("/oauth2/authorize"), code_verifier=generate_token(48))
    assert "oauth-page--login" in b.go(url).text


def test_tokens_already_issued_live_on(server, alice):
    # RP-Initiated Logout ends the OP session; the app revokes its tokens.
    b, token = alice
    b.go(logout_url(server, id_token_hint=token["id_token"]))
    r = requests.get(server.url("/oauth2/userinfo"), headers={
        "Authorization": "Bearer " + token["access_token"]})
    assert r.status_code == 200


def test_without_a_hint_the_user_is_asked(server, redis, alice):
    b, _ = alice
    page = b.go(logout_url(server))
    assert page.status_code == 200
    assert "oauth-page--logout" in page.text
    assert_security_headers(page)
    assert not cookie_cleared(page)
    assert len(sessions(redis)) == 1
    done = b.submit(page, button="Sign out")
    assert done.status_code == 200
    assert "You are signed out" in done.text
    assert cookie_cleared(done)
    assert sessions(redis) == []


def test_the_question_carries_the_return_on(server, redis, alice):
    b, _ = alice
    page = b.go(logout_url(server, client_id="web", state="s2",
                           post_logout_redirect_uri=SIGNED_OUT))
    done = b.submit(page, button="Sign out")
    assert done.status_code == 303
    assert done.headers["Location"] == SIGNED_OUT + "?state=s2"
    assert sessions(redis) == []


def test_a_forged_confirmation_is_refused(server, redis, alice):
    b, _ = alice
    b.go(logout_url(server))  # the question, and the browser's CSRF cookie
    r = b.go(server.url("/oauth2/logout"), method="POST",
             data={"csrf": "forged"})
    assert r.status_code == 403
    assert len(sessions(redis)) == 1


def test_hint_of_another_user_asks(server, ctl, redis, alice):
    b, _ = alice
    make_user(ctl, "bob")
    _, bob_token = sign_in(server, "bob")
    page = b.go(logout_url(server, id_token_hint=bob_token["id_token"]))
    assert page.status_code == 200
    assert "oauth-page--logout" in page.text
    assert len(sessions(redis)) == 2  # alice's and bob's, both still there


def test_without_a_session_there_is_nothing_to_ask(server, ctl, alice):
    _, token = alice
    r = Browser(server).go(logout_url(
        server, id_token_hint=token["id_token"],
        post_logout_redirect_uri=SIGNED_OUT, state="s3"))
    assert r.status_code == 303
    assert r.headers["Location"] == SIGNED_OUT + "?state=s3"
    assert "Set-Cookie" not in r.headers


def assert_refused(r):
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert "oauth-page--error" in r.text
    assert not cookie_cleared(r)


@pytest.mark.parametrize("uri", ["https://evil.example/",
                                 SIGNED_OUT + "/more", REDIRECT_URI])
def test_unregistered_return_is_never_followed(server, redis, alice, uri):
    b, token = alice
    assert_refused(b.go(logout_url(server, id_token_hint=token["id_token"],
                                   post_logout_redirect_uri=uri)))
    assert len(sessions(redis)) == 1


def test_oversized_state(server, alice):
    b, token = alice
    assert_refused(b.go(logout_url(server, id_token_hint=token["id_token"],
                                   post_logout_redirect_uri=SIGNED_OUT,
                                   state="s" * 1025)))


def test_return_needs_a_client(server, alice):
    b, _ = alice
    assert_refused(b.go(logout_url(server, post_logout_redirect_uri=SIGNED_OUT)))
    assert_refused(b.go(logout_url(server, client_id="nobody",
                                   post_logout_redirect_uri=SIGNED_OUT)))


def test_client_id_must_be_the_hints_audience(server, ctl, alice):
    b, token = alice
    make_client(ctl, "other")
    assert_refused(b.go(logout_url(server, id_token_hint=token["id_token"],
                                   client_id="other")))


def test_bad_hints(server, redis, alice):
    b, token = alice
    head, body, sig = token["id_token"].split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    for hint in (f"{head}.{body}.{flipped}",  # signature
                 token["access_token"],        # typ at+jwt, not an ID token
                 "not.a.jwt", "x"):
        assert_refused(b.go(logout_url(server, id_token_hint=hint)))
    assert len(sessions(redis)) == 1


def test_an_expired_hint_still_names_the_user(server, keys, redis, alice):
    b, token = alice
    kid = requests.get(server.url("/oauth2/jwks")).json()["keys"][0]["kid"]
    sub = requests.get(server.url("/oauth2/userinfo"), headers={
        "Authorization": "Bearer " + token["access_token"]}).json()["sub"]
    now = int(time.time())
    claims = {"iss": server.url(""), "sub": sub, "aud": "web",
              "iat": now - 7200, "exp": now - 3600}
    key = jwk.JWK.from_pem(open(keys["RS256"], "rb").read())
    old = jwt.JWT(header={"alg": "RS256", "kid": kid, "typ": "JWT"},
                  claims=claims)
    old.make_signed_token(key)
    r = b.go(logout_url(server, id_token_hint=old.serialize(),
                        post_logout_redirect_uri=SIGNED_OUT))
    assert r.status_code == 303
    assert sessions(redis) == []


def test_redis_down_is_a_503_page(server, redis, alice):
    b, token = alice
    redis.stop()
    r = b.go(logout_url(server, id_token_hint=token["id_token"]))
    assert r.status_code == 503
    assert not cookie_cleared(r)


def test_other_methods(server):
    r = requests.put(server.url("/oauth2/logout"))
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, POST"


def test_oauthctl_shows_the_registered_return(ctl):
    make_client(ctl)
    shown = ctl("client", "show", "web")
    assert shown["post_logout_redirect_uris"] == [SIGNED_OUT]
    out = ctl("client", "create", "--id", "bad", "--public",
              "--post-logout-redirect-uri", "https://x/#frag", check=False)
    assert out.returncode != 0
    assert "--post-logout-redirect-uri" in out.stderr
