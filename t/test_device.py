"""The device authorization grant (RFC 8628) end to end: a device (plain
HTTP posts) asks for codes and polls the token endpoint; a person (a scripted
browser on the module's real HTML pages) signs in, types the code and
approves or denies. Tokens are checked with jwcrypto against the served JWKS."""
import hashlib
import re
import socket
import time
from urllib.parse import urljoin, urlparse, parse_qs

import pytest
import requests

import rig
from support.browser import assert_security_headers
from support.device import (DEVICE_AUTHZ, GRANT, Person, approve, ask, codes,
                            poll, record)
from support.forms import forms_of
from support.jose import verify_access_token as verify, verify_id_token
from support.tokens import assert_error

TOKEN = "/oauth2/token"
PREFIX = "oauth:"
CODE_RE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")


# --- the deployment ---------------------------------------------------------

@pytest.fixture
def make_server(standard_nginx, redis):
    """make(http_extra) -> a standard nginx with extra http-level lines."""
    return lambda http_extra="": standard_nginx(redis.address, http_extra=http_extra)


@pytest.fixture
def setup(ctl):
    """A public TV app (openid, refresh tokens), a confidential box without
    refresh tokens, a client without the grant, and two users."""
    ctl("client", "create", "--id", "tv", "--public", "--name", "Living Room TV",
        "--grant-types", "device_code,refresh_token", "--scope", "openid profile email")
    box = ctl("client", "create", "--id", "box", "--secret", "box-secret",
              "--grant-types", "device_code", "--scope", "orders:read orders:write")
    ctl("client", "create", "--id", "web", "--secret", "web-secret",
        "--grant-types", "client_credentials", "--scope", "orders:read")
    alice = ctl("user", "create", "--username", "alice", "--password", "alice-pw",
                "--claim", "email=alice@example.com", "--claim", "name=Alice A")
    bob = ctl("user", "create", "--username", "bob", "--password", "bob-pw")
    return {"box_secret": box["client_secret"], "alice": alice, "bob": bob}


# --- tests ------------------------------------------------------------------

def test_full_flow_confidential_client(make_server, setup, redis):
    server = make_server()
    r = ask(server)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    a = r.json()
    # RFC 8628 §3.2
    assert set(a) == {"device_code", "user_code", "verification_uri",
                      "verification_uri_complete", "expires_in", "interval"}
    assert len(a["device_code"]) >= 43
    assert CODE_RE.match(a["user_code"]), a["user_code"]
    assert a["verification_uri"] == server.url("/oauth2/device")
    q = parse_qs(urlparse(a["verification_uri_complete"]).query)
    assert a["verification_uri_complete"].startswith(a["verification_uri"] + "?")
    assert q == {"user_code": [a["user_code"]]}
    assert a["expires_in"] == 600 and a["interval"] == 5

    # Stored hashed: neither code appears in Redis.
    dump = redis.dump_all()
    assert a["device_code"] not in dump
    rec = record(redis, a["device_code"])
    assert rec["client_id"] == "box" and rec["status"] == "pending"
    assert rec["scope"] == "orders:read orders:write"
    assert redis.cli("GET", PREFIX + "uc:" + a["user_code"].replace("-", "")) == \
        hashlib.sha256(a["device_code"].encode()).hexdigest()

    assert_error(poll(server, a["device_code"]), 400, "authorization_pending")

    # The person: no session yet -> the login page -> back to the device page.
    p = Person(server, "alice", "alice-pw")
    first = p.session.get(a["verification_uri"], allow_redirects=False)
    assert first.status_code == 303  # the device page's redirect to login
    assert urlparse(first.headers["Location"]).path == "/oauth2/login"
    page = p.open(a["verification_uri"])
    assert page.status_code == 200
    assert urlparse(page.url).path == "/oauth2/device"
    assert_security_headers(page)
    form = p.form()
    assert form.method == "post" and "csrf" in form.fields
    assert form.fields["user_code"] == ""

    confirm = p.enter(a["user_code"])
    assert confirm.status_code == 200, confirm.text
    assert_security_headers(confirm)
    assert "box" in confirm.text
    assert "orders:read" in confirm.text and "orders:write" in confirm.text
    assert a["user_code"] in confirm.text
    done = p.press("Approve")
    assert done.status_code == 200
    assert_security_headers(done)
    assert "connected" in done.text

    rec = record(redis, a["device_code"])
    assert rec["status"] == "approved" and rec["sub"] == setup["alice"]["sub"]
    assert rec["username"] == "alice"

    r = poll(server, a["device_code"])
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    t = r.json()
    assert t["token_type"] == "Bearer"
    assert t["scope"] == "orders:read orders:write"
    assert "refresh_token" not in t  # box has no refresh_token grant
    assert "id_token" not in t
    _, claims = verify(server, t["access_token"])
    assert claims["sub"] == setup["alice"]["sub"]
    assert claims["client_id"] == "box"
    assert claims["preferred_username"] == "alice"
    assert claims["iss"] == server.url("")
    # The token works at the edge.
    api = requests.get(server.url("/api/x"),
                       headers={"Authorization": "Bearer " + t["access_token"]})
    assert api.status_code == 200

    # A device code works once.
    assert_error(poll(server, a["device_code"]), 400, "invalid_grant")
    assert_error(poll(server, a["device_code"]), 400, "invalid_grant")
    # And the person sees it is spent.
    p.open(a["verification_uri"])
    r = p.enter(a["user_code"])
    assert r.status_code == 400 and "already been used" in r.text

    log = server.log()
    assert a["device_code"] not in log and t["access_token"] not in log
    assert a["user_code"] not in log and a["user_code"].replace("-", "") not in log


def test_public_client_with_openid_gets_id_token_and_refresh_token(make_server, setup):
    server = make_server()
    a = codes(server, "tv", None)
    # verification_uri_complete: the code comes prefilled through the login.
    p = Person(server, "alice", "alice-pw")
    page = p.open(a["verification_uri_complete"])
    assert page.status_code == 200
    assert p.form().fields["user_code"] == a["user_code"]
    confirm = p.enter()
    assert "Living Room TV" in confirm.text and "tv" in confirm.text
    for s in ("openid", "profile", "email"):
        assert s in confirm.text
    p.press("Approve")

    r = poll(server, a["device_code"], "tv", None)
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["scope"] == "openid profile email"
    assert t["refresh_token"]
    _, idc = verify_id_token(server, t["id_token"], "tv", t["access_token"])
    assert idc["sub"] == setup["alice"]["sub"]
    assert idc["email"] == "alice@example.com"
    assert "auth_time" in idc

    # The refresh token works like any other.
    r = requests.post(server.url(TOKEN), data={"grant_type": "refresh_token",
                                               "refresh_token": t["refresh_token"],
                                               "client_id": "tv"})
    assert r.status_code == 200, r.text
    assert verify(server, r.json()["access_token"])[1]["sub"] == setup["alice"]["sub"]


def test_narrower_scope(make_server, setup):
    server = make_server()
    a = codes(server, scope="orders:read")
    approve(server, a)
    t = poll(server, a["device_code"]).json()
    assert t["scope"] == "orders:read"


@pytest.mark.parametrize("typed", [
    lambda c: c.lower(),
    lambda c: c.replace("-", ""),
    lambda c: c.replace("-", "").lower(),
    lambda c: " " + c[:4].lower() + " " + c[5:] + " ",
], ids=["lowercase", "dashless", "dashless-lowercase", "spaces"])
def test_code_entry_is_case_dash_and_space_insensitive(make_server, setup, typed):
    server = make_server()
    a = codes(server)
    approve(server, a, code=typed(a["user_code"]))
    assert poll(server, a["device_code"]).status_code == 200


def test_pending_then_slow_down_grows_the_interval(make_server, setup, redis):
    server = make_server()  # the default interval: 5 s
    a = codes(server)
    assert_error(poll(server, a["device_code"]), 400, "authorization_pending")
    # Polled again at once: faster than 5 s.
    assert_error(poll(server, a["device_code"]), 400, "slow_down")
    assert record(redis, a["device_code"])["interval"] == 10
    assert_error(poll(server, a["device_code"]), 400, "slow_down")
    assert record(redis, a["device_code"])["interval"] == 15
    # Approved: the tokens come whatever the pace.
    approve(server, a)
    assert poll(server, a["device_code"]).status_code == 200


def test_polling_at_the_interval_is_fine(make_server, setup, redis):
    server = make_server("oauth_device_interval 1s;")
    a = codes(server)
    assert a["interval"] == 1
    for _ in range(3):
        assert_error(poll(server, a["device_code"]), 400, "authorization_pending")
        time.sleep(1.1)
    assert record(redis, a["device_code"])["interval"] == 1


def test_deny_is_access_denied(make_server, setup):
    server = make_server()
    a = codes(server)
    p = approve(server, a, decision="Deny")
    assert "denied" in p.page.text
    assert_error(poll(server, a["device_code"]), 400, "access_denied")
    assert_error(poll(server, a["device_code"]), 400, "access_denied")
    # Entered again: a clear message, nothing to approve.
    p.open(a["verification_uri"])
    r = p.enter(a["user_code"])
    assert r.status_code == 400 and "denied" in r.text
    assert "Approve" not in r.text


def test_approved_code_entered_again(make_server, setup):
    server = make_server()
    a = codes(server)
    p = approve(server, a)
    p.open(a["verification_uri"])
    r = p.enter(a["user_code"])
    assert r.status_code == 400 and "already been approved" in r.text


def test_expiry(make_server, setup):
    server = make_server("oauth_device_code_ttl 2s;")
    a = codes(server)
    assert a["expires_in"] == 2
    b = codes(server)
    approve(server, b)  # approved, but the device is too late to collect
    p = Person(server, "alice", "alice-pw")
    p.open(a["verification_uri"])
    time.sleep(3)
    assert_error(poll(server, a["device_code"]), 400, "expired_token")
    assert_error(poll(server, b["device_code"]), 400, "expired_token")
    r = p.enter(a["user_code"])
    assert r.status_code == 400 and "expired" in r.text


def test_another_clients_device_code_is_invalid_grant(make_server, setup):
    server = make_server()
    a = codes(server, "tv", None)
    assert_error(poll(server, a["device_code"], "box", "box-secret"), 400, "invalid_grant")
    # It was not spent by the attempt.
    approve(server, a)
    assert poll(server, a["device_code"], "tv", None).status_code == 200


def test_token_endpoint_errors(make_server, setup):
    server = make_server()
    r = requests.post(server.url(TOKEN), data={"grant_type": GRANT}, auth=("box", "box-secret"))
    assert_error(r, 400, "invalid_request")
    # Not something this server mints: invalid_grant.
    assert_error(poll(server, "garbage"), 400, "invalid_grant")
    assert_error(poll(server, "x" * 43 + "!"), 400, "invalid_grant")
    # Well formed but never issued: invalid_grant (RFC 6749 §5.2); only a
    # code that existed is expired_token (test_expiry).
    assert_error(poll(server, "A" * 43), 400, "invalid_grant")
    # A client without the grant.
    a = codes(server)
    assert_error(poll(server, a["device_code"], "web", "web-secret"), 400, "unauthorized_client")
    # Wrong secret.
    assert_error(poll(server, a["device_code"], "box", "nope"), 401, "invalid_client", challenge=True)
    # Sent twice.
    r = requests.post(server.url(TOKEN),
                      data=[("grant_type", GRANT), ("device_code", a["device_code"]),
                            ("device_code", a["device_code"])], auth=("box", "box-secret"))
    assert_error(r, 400, "invalid_request")


def test_device_authorization_errors(make_server, setup):
    server = make_server()
    assert_error(ask(server, "nobody", None), 401, "invalid_client")
    assert_error(ask(server, "box", "wrong"), 401, "invalid_client", challenge=True)
    assert_error(ask(server, "box", None), 401, "invalid_client")  # confidential w/o secret
    assert_error(ask(server, "web", "web-secret"), 400, "unauthorized_client")
    assert_error(ask(server, scope="orders:read admin"), 400, "invalid_scope")
    assert_error(ask(server, scope="bad\"scope"), 400, "invalid_scope")
    r = requests.post(server.url(DEVICE_AUTHZ), data={})
    assert_error(r, 401, "invalid_client")
    r = requests.post(server.url(DEVICE_AUTHZ), data=[("client_id", "tv"), ("client_id", "tv")])
    assert_error(r, 400, "invalid_request")
    r = requests.get(server.url(DEVICE_AUTHZ + "?client_id=tv"))
    assert_error(r, 400, "invalid_request")  # RFC 8628 §3.1: POST
    r = requests.post(server.url(DEVICE_AUTHZ), data='{"client_id":"tv"}',
                      headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_request")
    # Basic and client_secret_post at once.
    r = requests.post(server.url(DEVICE_AUTHZ), data={"client_secret": "box-secret"},
                      auth=("box", "box-secret"))
    assert_error(r, 400, "invalid_request")


def test_wrong_codes_are_rate_limited(make_server, setup):
    server = make_server()
    a = codes(server)
    p = Person(server, "bob", "bob-pw")
    p.open(a["verification_uri"])
    # Malformed entries are not guesses: explained, not counted.
    for typed in ("ABC", "AEIO-UAEI", "1234-5678"):
        r = p.enter(typed)
        assert r.status_code == 400 and "8 letters" in r.text
    wrong = "BBBB-BBBB" if a["user_code"] != "BBBB-BBBB" else "CCCC-CCCC"
    for _ in range(5):
        r = p.enter(wrong)
        assert r.status_code == 400, r.text
        assert "not valid" in r.text
        assert len(forms_of(r.text)) == 1  # the form again, to retry
    # Past the limit: 429, even for the right code, before any lookup.
    r = p.enter(wrong)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "600"
    assert_security_headers(r)
    p.open(a["verification_uri"])
    r = p.enter(a["user_code"])
    assert r.status_code == 429
    # The limit is the user's (all their sessions), not the whole server's.
    approve(server, a, "alice", "alice-pw")
    assert poll(server, a["device_code"]).status_code == 200


def test_concurrent_wrong_codes_get_no_more_than_the_limit(make_server, setup):
    """RFC 8628 §5.1, issue 18 item 2: the limit is read and counted in one
    atomic step, so 40 wrong codes posted at once from one signed-in
    session get at most 5 "not valid" answers; the rest are limited, and so
    is the right code afterwards."""
    server = make_server()
    a = codes(server)
    p = Person(server, "bob", "bob-pw")
    p.open(a["verification_uri"])
    form = p.form()
    action = urljoin(p.page.url, form.action)
    cookies = p.session.cookies.get_dict()
    letters = "BCDFGHJKLMNPQRSTVWXZ"
    wrong = [c for c in (letters[i % 20] * 4 + "-" + letters[(i * 7 + 3) % 20] * 4
                         for i in range(60)) if c != a["user_code"]][:40]

    # Every request is connected first and sent at once, so that they meet
    # in nginx between their Redis steps.
    from urllib.parse import urlencode
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    path = urlparse(action).path
    socks = []
    for code in wrong:
        data = dict(form.fields)
        data["user_code"] = code
        body = urlencode(data).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Cookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        socks.append((sock, head + body))
    for sock, request in socks:
        sock.sendall(request)
    statuses = []
    for sock, _ in socks:
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        sock.close()
        statuses.append(int(answer.split(b" ", 2)[1]))
    assert set(statuses) <= {400, 429}, statuses
    assert statuses.count(400) <= 5, statuses
    assert statuses.count(429) >= 35, statuses
    r = p.enter(a["user_code"])
    assert r.status_code == 429


def test_decision_post_cannot_bypass_the_limit_or_csrf(make_server, setup, redis):
    server = make_server()
    a = codes(server)
    p = Person(server, "bob", "bob-pw")
    p.open(a["verification_uri"])
    r = p.enter(a["user_code"])
    form = p.form()
    # No CSRF field, or one for another code: refused.
    data = dict(form.fields, decision="approve")
    del data["csrf"]
    r = p.session.post(server.url("/oauth2/device"), data=data, allow_redirects=False)
    assert r.status_code == 403
    data = dict(form.fields, decision="approve", user_code="BBBB-CCCC")
    r = p.session.post(server.url("/oauth2/device"), data=data, allow_redirects=False)
    assert r.status_code == 403
    # Another browser (no cookies) with the same fields: refused.
    r = requests.post(server.url("/oauth2/device"),
                      data=dict(form.fields, decision="approve"), allow_redirects=False)
    assert r.status_code == 403  # SPEC §4.3: CSRF checked first, on every POST
    assert record(redis, a["device_code"])["status"] == "pending"
    # The entry form without CSRF: refused.
    r = p.session.post(server.url("/oauth2/device"), data={"user_code": a["user_code"]},
                 allow_redirects=False)
    assert r.status_code == 403
    assert record(redis, a["device_code"])["status"] == "pending"


def test_device_page_without_session_keeps_the_code_through_login(make_server, setup):
    server = make_server()
    a = codes(server)
    p = Person(server, "alice", "alice-pw")
    lowered = server.url("/oauth2/device?user_code=" + a["user_code"].lower())
    page = p.open(lowered)
    assert page.status_code == 200
    assert p.form().fields["user_code"] == a["user_code"].lower()
    p.enter()
    p.press("Approve")
    assert poll(server, a["device_code"]).status_code == 200


def test_discovery_lists_the_device_endpoint_and_grant(make_server, setup):
    server = make_server()
    doc = requests.get(server.url("/.well-known/oauth-authorization-server")).json()
    assert doc["device_authorization_endpoint"] == server.url(DEVICE_AUTHZ)
    assert GRANT in doc["grant_types_supported"]
