"""External login applications (SPEC §4.3): oauth_login_url sends the browser
away with login_challenge; the app posts its decision to oauth_login_accept
with a client_credentials token of scope oauth:login and sends the browser to
redirect_to, where the flow continues."""
import hashlib
import json

import pytest
import requests

import rig
from support.browser import Browser, assert_code_redirect, make_client, start
from support.query import query_of

EXT = "https://login.example/signin"


@pytest.fixture
def ext_server(nginx_factory, redis, keys):
    port = rig.free_port()
    return nginx_factory(rig.standard_http(
        port, redis.address, [keys["RS256"]],
        http_extra=f"oauth_login_url {EXT};"), port=port)


def app_token(server, ctl, scope="oauth:login"):
    secret = ctl("client", "create", "--id", "loginapp", "--scope", scope,
                 "--grant-types", "client_credentials")["client_secret"]
    r = requests.post(server.url("/oauth2/token"),
                      data={"grant_type": "client_credentials"},
                      auth=("loginapp", secret))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def to_external_app(b, url, login_hint=None):
    r = b.go(url)
    assert r.status_code == 302, r.text
    loc = r.headers["Location"]
    assert loc.startswith(EXT + "?"), loc
    assert query_of(loc).get("login_hint") == login_hint
    return query_of(loc)["login_challenge"]


def started_externally(server, ctl):
    """A client that skips consent, the login app's token, and the
    login_challenge of an authorize request the browser was sent out with."""
    make_client(ctl, consent="skip")
    token = app_token(server, ctl)
    return token, to_external_app(Browser(server), start(server)[0])


def accept(server, token, body):
    return requests.post(server.url("/oauth2/login/accept"), json=body,
                         headers={"Authorization": f"Bearer {token}"})


def test_external_login_end_to_end(ext_server, ctl, redis):
    server = ext_server
    make_client(ctl, consent="skip")
    token = app_token(server, ctl)
    b = Browser(server)
    challenge = to_external_app(
        b, start(server, scope="openid profile email", login_hint="ext@x")[0],
        login_hint="ext@x")

    r = accept(server, token, {
        "login_challenge": challenge, "subject": "ext-42",
        "claims": {"name": "Ext User", "email": "ext@example.com",
                   "preferred_username": "ext"}})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    redirect_to = r.json()["redirect_to"]
    assert redirect_to.startswith(server.url("/oauth2/authorize?"))

    done = b.go(redirect_to)
    q = assert_code_redirect(server, done)
    key = "oauth:code:" + hashlib.sha256(q["code"].encode()).hexdigest()
    record = json.loads(redis.cli("GET", key))
    assert record["sub"] == "ext-42"
    assert record["username"] == "ext"
    assert record["claims"]["email"] == "ext@example.com"

    # the browser now has an SSO session: the next authorize skips the app
    assert_code_redirect(server, b.go(start(server, state="again")[0]),
                         state="again")
    # and the verifier was spent
    r = requests.get(redirect_to, cookies=b.session.cookies, allow_redirects=False)
    assert r.status_code == 400


def test_redirect_to_works_only_in_the_browser_that_started(ext_server, ctl):
    server = ext_server
    token, challenge = started_externally(server, ctl)
    r = accept(server, token, {"login_challenge": challenge, "subject": "s1"})
    other = Browser(server)
    landed = other.go(r.json()["redirect_to"])
    assert landed.status_code == 400
    assert "oauth_sso" not in other.session.cookies


def test_login_accept_token_rules(ext_server, ctl):
    server = ext_server
    make_client(ctl, consent="skip")
    b = Browser(server)
    challenge = to_external_app(b, start(server)[0])
    body = {"login_challenge": challenge, "subject": "s1"}

    r = requests.post(server.url("/oauth2/login/accept"), json=body)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")

    r = accept(server, "not.a.jwt", body)
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"

    weak = app_token(server, ctl, scope="other")
    r = accept(server, weak, body)
    assert r.status_code == 403
    assert r.json()["error"] == "insufficient_scope"


def test_login_accept_revoked_token_is_refused(ext_server, ctl, redis):
    server = ext_server
    token, challenge = started_externally(server, ctl)
    for key in redis.keys("oauth:at:*"):
        redis.cli("DEL", key)
    r = accept(server, token, {"login_challenge": challenge, "subject": "s1"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"


def test_login_accept_bad_bodies(ext_server, ctl):
    server = ext_server
    token, challenge = started_externally(server, ctl)
    bad = [
        {"subject": "s1"},
        {"login_challenge": challenge},
        {"login_challenge": challenge, "subject": ""},
        {"login_challenge": challenge, "subject": "a\nb"},
        {"login_challenge": challenge, "subject": "s1", "claims": [1]},
        {"login_challenge": "AAAAAAAAAAAAAAAAAAAAAA", "subject": "s1"},
        {"login_challenge": "../x", "subject": "s1"},
    ]
    for body in bad:
        r = accept(server, token, body)
        assert r.status_code == 400, body
        assert r.json()["error"] == "invalid_request", body
    r = requests.post(server.url("/oauth2/login/accept"), data="subject=s1",
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = requests.post(server.url("/oauth2/login/accept"), data="{not json",
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_login_accept_subject_may_not_name_a_client(ext_server, ctl):
    # RFC 9068 §5: a user's sub equal to a client id would let the user's
    # token pass for that client's client_credentials token.
    server = ext_server
    token, challenge = started_externally(server, ctl)
    r = accept(server, token, {"login_challenge": challenge,
                               "subject": "loginapp"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"
    assert "client id" in r.json()["error_description"]
    r = accept(server, token, {"login_challenge": challenge, "subject": "s1"})
    assert r.status_code == 200, r.text
