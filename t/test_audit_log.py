"""oauth_audit_log (SPEC section 11): a scripted session leaves exactly its
security events in the log, one JSON object a line, and no secret."""
import json
import os
import re
import socket
import time

import requests

import rig
from support.browser import (REDIRECT_URI, Browser, authorize_url, make_client,
                             make_user, pkce_pair)
from support.jose import jwt_claims
from support.query import query_of
from support.tokens import TOKEN, REVOKE

PASSWORD = "correct horse"
WRONG = "battery staple"


def audit_server(nginx_factory, redis, keys, upstream, target):
    port = rig.free_port()
    http = rig.standard_http(port, redis.address, [keys["RS256"]],
                             upstream_port=upstream.port,
                             http_extra=f"oauth_audit_log {target};")
    return nginx_factory(http, port=port, workers=2)


def events(path, n, timeout=5):
    """The log's lines as objects, once there are n of them."""
    deadline = time.time() + timeout
    while True:
        lines = open(path).read().splitlines() if os.path.exists(path) else []
        if len(lines) >= n or time.time() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)


def code_flow(server):
    verifier, challenge = pkce_pair()
    url = authorize_url(server, "web", scope="openid profile", state="s",
                        code_challenge=challenge, code_challenge_method="S256")
    b = Browser(server)
    login = b.go(url)
    consent = b.login(login, "alice", PASSWORD)
    assert "oauth-page--consent" in consent.text
    done = b.submit(consent, button="Approve")
    code = query_of(done.headers["Location"])["code"]
    r = requests.post(server.url(TOKEN), data={
        "grant_type": "authorization_code", "code": code, "client_id": "web",
        "redirect_uri": REDIRECT_URI, "code_verifier": verifier})
    assert r.status_code == 200, r.text
    return b, code, r.json()


def test_a_scripted_session_leaves_exactly_its_events(nginx_factory, redis,
                                                      keys, upstream, ctl,
                                                      workdir):
    path = os.path.join(workdir, f"audit-{time.time_ns()}.log")
    server = audit_server(nginx_factory, redis, keys, upstream, path)
    make_client(ctl)
    user = make_user(ctl)
    sub = user["sub"] if isinstance(user, dict) and "sub" in user else None

    # sign-in, consent, code exchange
    _, code, first = code_flow(server)
    at1 = jwt_claims(first["access_token"])
    sub = sub or at1["sub"]
    # refresh: a new pair; the first refresh token is now rotated
    r = requests.post(server.url(TOKEN), data={
        "grant_type": "refresh_token", "client_id": "web",
        "refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    at2 = jwt_claims(second["access_token"])
    # revocation of the first access token
    r = requests.post(server.url(REVOKE), data={
        "client_id": "web", "token": first["access_token"]})
    assert r.status_code == 200
    # reuse detection: the rotated refresh token again
    r = requests.post(server.url(TOKEN), data={
        "grant_type": "refresh_token", "client_id": "web",
        "refresh_token": first["refresh_token"]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # a failed sign-in
    verifier, challenge = pkce_pair()
    b = Browser(server)
    login = b.go(authorize_url(server, "web", scope="openid", state="t",
                               code_challenge=challenge,
                               code_challenge_method="S256"))
    again = b.login(login, "alice", WRONG)
    assert "oauth-page--login" in again.text

    got = events(path, 7)
    kinds = [e["event"] for e in got]
    assert kinds == ["login_succeeded", "consent_granted", "token_issued",
                     "token_issued", "token_revoked", "refresh_reuse_detected",
                     "login_failed"], got

    for e in got:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d",
                            e["time"]), e
        assert e["remote_addr"] == "127.0.0.1"
        assert re.fullmatch(r"[0-9a-f]{32}", e["request_id"]), e
        assert e["client_id"] == "web"
    assert len({e["request_id"] for e in got}) == 7

    login_ok, consent, issued1, issued2, revoked, reuse, failed = got
    assert login_ok["username"] == "alice" and login_ok["sub"] == sub
    assert consent["sub"] == sub
    assert issued1["grant"] == "authorization_code"
    assert issued1["jti"] == at1["jti"] and issued1["sub"] == sub
    family = issued1["family"]
    assert len(family) >= 22
    assert issued2["grant"] == "refresh_token"
    assert issued2["jti"] == at2["jti"] and issued2["family"] == family
    assert revoked["jti"] == at1["jti"] and revoked["sub"] == sub
    assert reuse["family"] == family
    assert failed["username"] == "alice"
    assert failed["error"] == "invalid_credentials"
    assert "sub" not in failed

    # nothing secret: tokens, code, passwords
    text = open(path).read()
    for secret in (first["access_token"], first["refresh_token"],
                   first["id_token"], second["access_token"],
                   second["refresh_token"], code, PASSWORD, WRONG):
        assert secret not in text
    for token in (first["access_token"], second["access_token"]):
        assert token.split(".")[2] not in text
    # the log's fields are those of the README, nothing else
    allowed = {"time", "event", "remote_addr", "request_id", "grant",
               "client_id", "sub", "jti", "family", "username", "error"}
    assert all(set(e) <= allowed for e in got)


def test_client_credentials_and_a_hostile_user_name(nginx_factory, redis,
                                                    keys, upstream, ctl,
                                                    workdir):
    path = os.path.join(workdir, f"audit-{time.time_ns()}.log")
    server = audit_server(nginx_factory, redis, keys, upstream, path)
    out = ctl("client", "create", "--id", "svc", "--grant-types",
              "client_credentials", "--scope", "a")
    secret = out["client_secret"]
    r = requests.post(server.url(TOKEN), auth=("svc", secret),
                      data={"grant_type": "client_credentials"})
    assert r.status_code == 200
    # token errors are counted in oauth_metrics, not audited
    assert requests.post(server.url(TOKEN), auth=("svc", "wrong"),
                         data={"grant_type": "client_credentials"}
                         ).status_code == 401
    make_client(ctl)
    verifier, challenge = pkce_pair()
    b = Browser(server)
    login = b.go(authorize_url(server, "web", scope="openid", state="t",
                               code_challenge=challenge,
                               code_challenge_method="S256"))
    hostile = 'eve"}\n{"event":"login_succeeded'
    b.login(login, hostile, "pw")
    got = events(path, 2)
    assert [e["event"] for e in got] == ["token_issued", "login_failed"]
    assert got[0]["grant"] == "client_credentials" and got[0]["sub"] == "svc"
    assert got[1]["username"] == hostile
    text = open(path).read()
    assert secret not in text and r.json()["access_token"] not in text
    assert len(text.splitlines()) == 2


def test_audit_log_is_checked_by_nginx_t(redis, keys, upstream, workdir):
    port = rig.free_port()
    bad = rig.Nginx(workdir, rig.standard_http(
        port, redis.address, [keys["RS256"]],
        http_extra="oauth_audit_log syslog:nowhere=1;"), port)
    rc, out = bad.test_config()
    assert rc != 0 and "syslog" in out, out
    off = rig.Nginx(workdir, rig.standard_http(
        port, redis.address, [keys["RS256"]],
        http_extra="oauth_audit_log off;"), port)
    assert off.test_config()[0] == 0


def test_syslog_target_sends_one_datagram_per_event(nginx_factory, redis, keys,
                                                    upstream, ctl):
    """oauth_audit_log syslog:...: each event is one RFC 3164 message (nginx's
    syslog header, the tag, the JSON object, no newline) on the server given."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5)
    try:
        target = (f"syslog:server=127.0.0.1:{listener.getsockname()[1]},"
                  "facility=auth,severity=notice,tag=oauth_audit")
        server = audit_server(nginx_factory, redis, keys, upstream, target)
        out = ctl("client", "create", "--id", "svc", "--grant-types",
                  "client_credentials", "--scope", "a")
        r = requests.post(server.url(TOKEN), auth=("svc", out["client_secret"]),
                          data={"grant_type": "client_credentials"})
        assert r.status_code == 200, r.text
        datagram = listener.recvfrom(65536)[0].decode()
    finally:
        listener.close()
    # auth (4) * 8 + notice (5) = 37
    m = re.fullmatch(r"<37>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ oauth_audit: (\{.*\})",
                     datagram)
    assert m, datagram
    event = json.loads(m.group(1))
    assert event["event"] == "token_issued"
    assert event["grant"] == "client_credentials" and event["client_id"] == "svc"
    assert r.json()["access_token"] not in datagram
    assert out["client_secret"] not in datagram
