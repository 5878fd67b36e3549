"""The authorization code flow in a browser (SPEC §4.3): authorize, the
built-in login page, single sign-on, consent, and the redirect back with
code, state and iss. The forms are filled from the served HTML."""
import hashlib
import json

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.common.security import generate_token

from support.browser import (Browser, REDIRECT_URI, assert_code_redirect, assert_error_redirect,
                             assert_security_headers, authorize_url, client_user_browser,
                             make_client, make_user, pkce_pair, sign_in, start)
from support.forms import forms_of


def test_authlib_pkce_flow_through_login_and_consent(server, ctl, redis):
    make_client(ctl)
    make_user(ctl)
    client = OAuth2Session("web", redirect_uri=REDIRECT_URI,
                           scope="openid profile",
                           code_challenge_method="S256")
    verifier = generate_token(48)
    nonce = generate_token(16)
    url, state = client.create_authorization_url(
        server.url("/oauth2/authorize"), code_verifier=verifier, nonce=nonce)
    b = Browser(server)
    login = b.go(url)
    assert login.status_code == 200
    assert_security_headers(login)
    assert "App web" in login.text
    form = forms_of(login.text)[0]
    kinds = sorted(k for _, k, _ in form.inputs if k != "hidden")
    assert kinds == ["password", "text"]

    consent = b.login(login, "alice", "correct horse")
    assert consent.status_code == 200
    assert_security_headers(consent)
    assert "oauth-page--consent" in consent.text
    assert "profile" in consent.text and "openid" in consent.text
    labels = sorted(b[2].strip() for b in forms_of(consent.text)[0].buttons)
    assert labels == ["Approve", "Deny"]

    done = b.submit(consent, button="Approve")
    q = assert_code_redirect(server, done, state=state)

    # The stored record: hashed key, the agreed fields (oauth/code.h).
    key = "oauth:code:" + hashlib.sha256(q["code"].encode()).hexdigest()
    record = json.loads(redis.cli("GET", key))
    assert record["client_id"] == "web"
    assert record["redirect_uri"] == REDIRECT_URI
    assert record["code_challenge_method"] == "S256"
    assert record["nonce"] == nonce
    assert record["scope"] == "openid profile"
    assert record["claims"]["name"] == "Alice Liddell"
    assert 0 < int(redis.cli("TTL", key)) <= 60
    assert q["code"] not in redis.dump_all()

    # The pending request is gone once the code is minted.
    assert redis.keys("oauth:authz:*") == []

    token = client.fetch_token(server.url("/oauth2/token"),
                               authorization_response=done.headers["Location"],
                               code_verifier=verifier)
    assert token["token_type"] == "Bearer"
    assert "id_token" in token


def test_sso_cookie_and_second_authorize_skips_login(server, ctl):
    _, b = client_user_browser(server, ctl, consent="once")
    url, _ = start(server)
    consent = sign_in(b, url)
    cookies = [c for c in b.session.cookies if c.name == "oauth_sso"]
    assert len(cookies) == 1
    c = cookies[0]
    assert c.has_nonstandard_attr("HttpOnly")
    assert c.path == "/"
    assert not c.secure  # the test issuer is http://
    assert_code_redirect(server, b.submit(consent, button="Approve"))

    # Signed in, consent remembered: straight back to the client.
    url, _ = start(server, state="second")
    r = b.go(url)
    assert_code_redirect(server, r, state="second")
    assert [p for p in b.pages if "oauth-page--login" in p.text].__len__() == 1


def test_set_cookie_attributes(server, ctl):
    make_client(ctl)
    make_user(ctl)
    s = requests.Session()
    url, _ = start(server)
    r = s.get(url, allow_redirects=False)
    assert r.status_code == 302
    login = s.get(r.headers["Location"], allow_redirects=False)
    form = forms_of(login.text)[0]
    data = {n: v for n, k, v in form.inputs if k == "hidden"}
    data.update(username="alice", password="correct horse")
    r = s.post(server.url("/oauth2/login"), data=data, allow_redirects=False)
    assert r.status_code == 303
    set_cookie = r.headers["Set-Cookie"]
    assert set_cookie.startswith("oauth_sso=")
    for attr in ("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=28800"):
        assert attr in set_cookie
    assert "Secure" not in set_cookie
    assert r.headers["Location"].startswith(server.url("/oauth2/authorize?authz="))


def test_prompt_none_without_session_is_login_required(server, ctl):
    make_client(ctl)
    url, _ = start(server, prompt="none")
    r = requests.get(url, allow_redirects=False)
    assert_error_redirect(server, r, "login_required")


def test_prompt_none_with_session_but_no_consent_is_consent_required(server, ctl):
    _, b = client_user_browser(server, ctl, consent="always")
    consent = sign_in(b, start(server)[0])
    assert_code_redirect(server, b.submit(consent, button="Approve"))
    r = b.go(start(server, prompt="none")[0])
    assert_error_redirect(server, r, "consent_required")


def test_prompt_none_with_session_and_consent_gives_a_code(server, ctl):
    _, b = client_user_browser(server, ctl, consent="skip")
    assert_code_redirect(server, sign_in(b, start(server)[0]))
    assert_code_redirect(server, b.go(start(server, prompt="none")[0]))


def test_prompt_login_forces_the_login_page_again(server, ctl):
    _, b = client_user_browser(server, ctl, consent="skip")
    assert_code_redirect(server, sign_in(b, start(server)[0]))
    old = b.session.cookies.get("oauth_sso")
    page = b.go(start(server, prompt="login")[0])
    assert page.status_code == 200 and "oauth-page--login" in page.text
    assert_code_redirect(server, b.login(page, "alice", "correct horse"))
    assert b.session.cookies.get("oauth_sso") != old


def test_consent_always_asks_every_time(server, ctl):
    _, b = client_user_browser(server, ctl, consent="always")
    consent = sign_in(b, start(server)[0])
    assert_code_redirect(server, b.submit(consent, button="Approve"))
    again = b.go(start(server)[0])
    assert again.status_code == 200 and "oauth-page--consent" in again.text
    assert_code_redirect(server, b.submit(again, button="Approve"))


def test_consent_once_remembers_and_asks_for_new_scopes(server, ctl, redis):
    user, b = client_user_browser(server, ctl, consent="once")
    consent = sign_in(b, start(server, scope="openid")[0])
    assert_code_redirect(server, b.submit(consent, button="Approve"))
    assert redis.cli("GET", f"oauth:consent:{user['sub']}:web") == "openid"
    assert_code_redirect(server, b.go(start(server, scope="openid")[0]))
    # a scope not granted before: asked again, and only the union remembered
    page = b.go(start(server, scope="openid email")[0])
    assert "oauth-page--consent" in page.text and "email" in page.text
    assert_code_redirect(server, b.submit(page, button="Approve"))
    assert redis.cli("GET", f"oauth:consent:{user['sub']}:web") == "openid email"
    assert_code_redirect(server, b.go(start(server, scope="email")[0]))


def test_consent_skip_never_asks_unless_prompt_consent(server, ctl):
    _, b = client_user_browser(server, ctl, consent="skip")
    assert_code_redirect(server, sign_in(b, start(server)[0]))
    assert not [p for p in b.pages if "oauth-page--consent" in p.text]
    page = b.go(start(server, prompt="consent")[0])
    assert "oauth-page--consent" in page.text
    assert_code_redirect(server, b.submit(page, button="Approve"))


def test_deny_redirects_access_denied(server, ctl, redis):
    _, b = client_user_browser(server, ctl, consent="always")
    consent = sign_in(b, start(server)[0])
    r = b.submit(consent, button="Deny")
    assert r.status_code == 303
    assert_error_redirect(server, r, "access_denied")
    assert redis.keys("oauth:code:*") == []
    assert redis.keys("oauth:authz:*") == []


def test_missing_scope_means_the_clients_scopes(server, ctl, redis):
    _, b = client_user_browser(server, ctl, consent="skip", scope="openid email")
    url, _ = start(server, scope=None)
    q = assert_code_redirect(server, sign_in(b, url))
    key = "oauth:code:" + hashlib.sha256(q["code"].encode()).hexdigest()
    assert json.loads(redis.cli("GET", key))["scope"] == "openid email"


def test_authorize_by_post_form(server, ctl):
    _, b = client_user_browser(server, ctl, consent="skip")
    verifier, challenge = pkce_pair()
    r = b.go(server.url("/oauth2/authorize"), method="POST", data={
        "response_type": "code", "client_id": "web",
        "redirect_uri": REDIRECT_URI, "state": "st-123",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    assert "oauth-page--login" in r.text
    assert_code_redirect(server, b.login(r, "alice", "correct horse"))


def test_every_html_page_has_the_security_headers(server, ctl):
    _, b = client_user_browser(server, ctl, consent="always")
    consent = sign_in(b, start(server)[0], password="wrong")  # form again
    consent = b.login(consent, "alice", "correct horse")
    b.submit(consent, button="Deny")
    b.go(authorize_url(server, "nobody"))                      # error page
    b.go(server.url("/oauth2/login"))                          # nothing to do
    b.go(server.url("/oauth2/consent?authz=AAAAAAAAAAAAAAAAAAAAAA"))
    kinds = set()
    for page in b.pages:
        assert_security_headers(page)
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        kinds.update(k for k in ("login", "consent", "error")
                     if f"oauth-page--{k}" in page.text)
    assert kinds == {"login", "consent", "error"}


def test_sso_session_is_stored_hashed_and_revocable(server, ctl, redis):
    user, b = client_user_browser(server, ctl, consent="skip")
    assert_code_redirect(server, sign_in(b, start(server)[0]))
    cookie = b.session.cookies.get("oauth_sso")
    sid = hashlib.sha256(cookie.encode()).hexdigest()
    record = json.loads(redis.cli("GET", f"oauth:sso:{sid}"))
    assert record["sub"] == user["sub"] and record["username"] == "alice"
    assert 0 < int(redis.cli("TTL", f"oauth:sso:{sid}")) <= 28800
    assert redis.cli("ZRANGE", f"oauth:idx:sso:{user['sub']}", 0, -1) == sid
    assert cookie not in redis.dump_all()

    ctl("session", "revoke", "--sub", user["sub"])
    page = b.go(start(server)[0])
    assert "oauth-page--login" in page.text


def test_redis_down_gives_503_and_no_redirect(server, ctl, redis):
    make_client(ctl)
    url, _ = start(server)
    redis.stop()
    r = requests.get(url, allow_redirects=False)
    assert r.status_code == 503
    assert "Location" not in r.headers
    # SPEC §4: the glue's answer for an unreachable store, on every endpoint
    assert r.json()["error"] == "temporarily_unavailable"


def test_no_secret_reaches_the_error_log(server, ctl):
    _, b = client_user_browser(server, ctl, consent="always")
    again = sign_in(b, start(server)[0], password="wrong secret")
    consent = b.login(again, "alice", "correct horse")
    q = assert_code_redirect(server, b.submit(consent, button="Approve"))
    log = server.log()
    secrets = [q["code"], "correct horse", "wrong secret",
               b.session.cookies.get("oauth_sso"), b.session.cookies.get("oauth_csrf")]
    for secret in secrets:
        assert secret and secret not in log
