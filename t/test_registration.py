"""SPEC §9: dynamic client registration (RFC 7591) and its management
(RFC 7592) at oauth_registration, open and token modes, the registration
limit, and what registered clients may do afterwards."""
import json
import os
import time

import pytest
import requests

import rig
from support.browser import Browser
from support.code_flow import new_verifier, s256
from support.query import query_of
from support.registration import PUBLIC, REDIRECT, REGISTER, register
from support.tokens import TOKEN, assert_error, post


def registration_http(port, redis, keys, mode="open", limit="", extra=""):
    return rig.standard_http(
        port, redis.address, [keys["RS256"]],
        http_extra=limit,
        server_extra=f"location /oauth2/register {{ oauth_registration {mode}; }}\n" + extra)


@pytest.fixture
def open_server(nginx_factory, redis, keys):
    port = rig.free_port()
    return nginx_factory(registration_http(port, redis, keys), port=port)


@pytest.fixture
def token_server(nginx_factory, redis, keys):
    port = rig.free_port()
    return nginx_factory(registration_http(port, redis, keys, mode="token"), port=port)


def manage(method, url, token=None, metadata=None):
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = None
    if metadata is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(metadata)
    return requests.request(method, url, headers=headers, data=data)


def assert_registration_error(r, error, status=400):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.json()["error"] == error, r.json()


def test_public_registration_answers_rfc7591_fields(open_server, redis):
    r = register(open_server, dict(PUBLIC, software_statement_x="ignored", color="blue"))
    assert r.status_code == 201, r.text
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json()
    assert body["redirect_uris"] == [REDIRECT]
    assert body["grant_types"] == ["authorization_code"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "none"
    assert body["client_name"] == "Test Assistant"
    assert body["scope"] == "openid profile"
    assert abs(body["client_id_issued_at"] - time.time()) < 10
    assert "client_secret" not in body
    # RFC 7591 §2: unknown members are ignored, not registered.
    assert "color" not in body and "software_statement_x" not in body
    assert body["registration_client_uri"] == open_server.url(REGISTER + "/" + body["client_id"])
    assert len(body["registration_access_token"]) >= 43
    rec = json.loads(redis.cli("GET", "oauth:client:" + body["client_id"]))
    assert rec["dynamic"] is True and rec["public"] is True
    assert rec["consent"] == "always"
    assert body["registration_access_token"] not in json.dumps(rec)
    assert body["client_id"] in redis.cli("SMEMBERS", "oauth:clients")


def test_confidential_registration_gets_a_hashed_secret(open_server, redis):
    r = register(open_server, {"redirect_uris": [REDIRECT],
                               "grant_types": ["authorization_code", "refresh_token"]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["token_endpoint_auth_method"] == "client_secret_basic"  # RFC 7591 default
    assert len(body["client_secret"]) >= 43
    assert body["client_secret_expires_at"] == 0
    dump = redis.dump_all()
    assert body["client_secret"] not in dump
    assert body["registration_access_token"] not in dump
    rec = json.loads(redis.cli("GET", "oauth:client:" + body["client_id"]))
    assert rec["secret_hash"].startswith("$scrypt$")
    # Confidential clients authenticate at the token endpoint with it; they
    # may not use client_credentials (not registered, and not allowed open).
    r = post(open_server, TOKEN, {"grant_type": "client_credentials"},
             auth=(body["client_id"], body["client_secret"]))
    assert_error(r, 400, "unauthorized_client")
    r = post(open_server, TOKEN, {"grant_type": "client_credentials"},
             auth=(body["client_id"], "wrong"))
    assert_error(r, 401, "invalid_client", challenge=True)


@pytest.mark.parametrize("uri", ["http://127.0.0.1:8123/cb", "http://[::1]:9/cb",
                                 "http://localhost/cb", "https://x.example/cb?a=1"])
def test_redirect_uris_allowed(open_server, uri):
    r = register(open_server, {"redirect_uris": [uri], "token_endpoint_auth_method": "none"})
    assert r.status_code == 201, r.text
    assert r.json()["redirect_uris"] == [uri]


# RFC 7591 §2 / §3.2.2: each rule, its error.
BAD = [
    ({"token_endpoint_auth_method": "none"}, "invalid_redirect_uri"),  # none given
    ({"redirect_uris": []}, "invalid_redirect_uri"),
    ({"redirect_uris": "https://a.example/cb"}, "invalid_redirect_uri"),
    ({"redirect_uris": [7]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["http://app.example.com/cb"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["https://app.example.com/cb#frag"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["/cb"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["com.example.app:/cb"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["https://user@app.example.com/cb"]}, "invalid_redirect_uri"),
    ({"redirect_uris": [f"https://a.example/{i}" for i in range(11)]}, "invalid_redirect_uri"),
    ({"redirect_uris": [REDIRECT], "grant_types": ["password"]}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "grant_types": ["implicit"]}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "grant_types": []}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "grant_types": "authorization_code"}, "invalid_client_metadata"),
    ({"grant_types": ["client_credentials"]}, "invalid_client_metadata"),  # open mode
    ({"redirect_uris": [REDIRECT], "response_types": ["token"]}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "response_types": []}, "invalid_client_metadata"),
    ({"grant_types": ["refresh_token"], "response_types": ["code"]}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"},
     "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": 1}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "scope": "oauth:login"}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "scope": "oauth:register"}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "scope": "admin:everything"}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "scope": "bad\"scope"}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "scope": ["openid"]}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "client_uri": "javascript:alert(1)"}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "logo_uri": "ftp://x.example/l.png"}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "client_name": 5}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "client_name": "x" * 201}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "client_name": "a\nb"}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "contacts": "a@example.com"}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "contacts": [""]}, "invalid_client_metadata"),
]


@pytest.mark.parametrize("metadata,error", BAD)
def test_bad_metadata_gets_its_rfc7591_error(open_server, redis, metadata, error):
    before = redis.cli("SCARD", "oauth:clients")
    r = register(open_server, metadata)
    assert_registration_error(r, error)
    assert redis.cli("SCARD", "oauth:clients") == before


def test_body_format_errors(open_server):
    assert_registration_error(register(open_server, None, raw="not json"), "invalid_client_metadata")
    assert_registration_error(register(open_server, None, raw="[1]"), "invalid_client_metadata")
    assert_registration_error(register(open_server, PUBLIC, content_type="text/plain"),
                              "invalid_client_metadata")
    r = requests.get(open_server.url(REGISTER))
    assert r.status_code == 405 and r.headers["Allow"] == "POST"
    # oauth_max_body_size (64k by default) bounds the metadata.
    big = dict(PUBLIC, padding="x" * 70000)
    assert_registration_error(register(open_server, big), "invalid_client_metadata", status=413)


def test_registration_limit_per_address(nginx_factory, redis, keys):
    port = rig.free_port()
    n = nginx_factory(registration_http(port, redis, keys,
                                        limit="oauth_registration_limit 2 per 1m;"), port=port)
    for _ in range(2):
        assert register(n, PUBLIC).status_code == 201
    r = register(n, PUBLIC)
    assert r.status_code == 429, r.text
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.json()["error"] == "temporarily_unavailable"
    assert int(redis.cli("SCARD", "oauth:clients")) == 2
    ttl = int(redis.cli("TTL", "oauth:limit:reg:127.0.0.1"))
    assert 0 < ttl <= 60


def test_registration_limit_checked_by_nginx_t(workdir, redis, keys):
    port = rig.free_port()
    code, out = rig.Nginx(workdir, registration_http(
        port, redis, keys, limit="oauth_registration_limit 0 per 1m;"), port).test_config()
    assert code != 0 and "oauth_registration_limit" in out
    code, out = rig.Nginx(workdir, registration_http(port, redis, keys, mode="sometimes"),
                          port).test_config()
    assert code != 0 and "sometimes" in out


def test_management_read_update_delete(open_server, redis, ctl):
    body = register(open_server, {"redirect_uris": [REDIRECT], "client_name": "Before",
                                  "grant_types": ["authorization_code", "refresh_token"]}).json()
    uri, token, cid = body["registration_client_uri"], body["registration_access_token"], body["client_id"]

    # RFC 7592 §2: no token, a wrong one, another client's: 401.
    r = manage("GET", uri)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer realm=")
    r = manage("GET", uri, "wrong-token")
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    other = register(open_server, PUBLIC).json()
    assert manage("GET", uri, other["registration_access_token"]).status_code == 401
    assert manage("GET", open_server.url(REGISTER + "/no-such-client"), token).status_code == 401
    # An administrator's client has no registration token at all.
    ctl("client", "create", "--id", "admin-app", "--public", "--redirect-uri", REDIRECT)
    assert manage("GET", open_server.url(REGISTER + "/admin-app"), token).status_code == 401

    r = manage("GET", uri, token)
    assert r.status_code == 200, r.text
    read = r.json()
    assert read["client_id"] == cid and read["client_name"] == "Before"
    assert "client_secret" not in read
    # Every answer carries a fresh registration token; the old one is done.
    assert manage("GET", uri, token).status_code == 401
    token = read["registration_access_token"]

    new = dict(read, client_name="After", redirect_uris=[REDIRECT, "http://127.0.0.1:7/cb"])
    for k in ("registration_access_token", "registration_client_uri", "client_id_issued_at"):
        new.pop(k)
    r = manage("PUT", uri, token, dict(new, client_id="someone-else"))
    assert_registration_error(r, "invalid_client_metadata")
    r = manage("PUT", uri, token, dict(new, redirect_uris=["http://evil.example/cb"]))
    assert_registration_error(r, "invalid_redirect_uri")
    r = manage("PUT", uri, token, dict(new, token_endpoint_auth_method="none"))
    assert_registration_error(r, "invalid_client_metadata")
    r = manage("PUT", uri, token, new)
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["client_name"] == "After"
    assert updated["redirect_uris"] == [REDIRECT, "http://127.0.0.1:7/cb"]
    rec = json.loads(redis.cli("GET", "oauth:client:" + cid))
    assert rec["redirect_uris"] == [REDIRECT, "http://127.0.0.1:7/cb"] and rec["name"] == "After"
    token = updated["registration_access_token"]

    r = requests.post(uri, headers={"Authorization": "Bearer " + token})
    assert r.status_code == 405

    r = manage("DELETE", uri, token)
    assert r.status_code == 204, r.text
    assert not redis.cli("GET", "oauth:client:" + cid)
    assert cid not in redis.cli("SMEMBERS", "oauth:clients")
    assert manage("GET", uri, token).status_code == 401
    assert manage("DELETE", uri, token).status_code == 401


def test_update_with_a_client_secret_must_present_the_current_one(open_server):
    """RFC 7592 §2.2: a client_secret in the PUT body must match the current
    secret; the client can never set one of its own choosing."""
    body = register(open_server, {"redirect_uris": [REDIRECT], "client_name": "S",
                                  "grant_types": ["authorization_code"]}).json()
    uri, token, secret = (body["registration_client_uri"], body["registration_access_token"],
                          body["client_secret"])
    meta = {k: v for k, v in body.items()
            if k not in ("registration_access_token", "registration_client_uri",
                         "client_id_issued_at", "client_secret", "client_secret_expires_at")}
    for chosen in ("my-own-secret", 42):
        r = manage("PUT", uri, token, dict(meta, client_secret=chosen))
        assert_registration_error(r, "invalid_client_metadata")
        assert "client_secret" in r.json()["error_description"]
    # A refusal changes nothing: the same registration token still works.
    r = manage("PUT", uri, token, dict(meta, client_name="T", client_secret=secret))
    assert r.status_code == 200, r.text
    assert r.json()["client_name"] == "T"
    # A public client has no secret to present.
    pub = register(open_server, PUBLIC).json()
    pmeta = {k: v for k, v in pub.items()
             if k not in ("registration_access_token", "registration_client_uri",
                          "client_id_issued_at")}
    r = manage("PUT", pub["registration_client_uri"], pub["registration_access_token"],
               dict(pmeta, client_secret="x"))
    assert_registration_error(r, "invalid_client_metadata")


def code_flow(server, client_id, secret=None, scope="openid", extra=None):
    """Signs ann in through the built-in pages; returns the token answer."""
    verifier = new_verifier()
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
              "scope": scope, "state": "st", "code_challenge": s256(verifier),
              "code_challenge_method": "S256"}
    params.update(extra or {})
    url = server.url("/oauth2/authorize") + "?" + "&".join(
        f"{k}={requests.utils.quote(v, safe='')}" for k, v in params.items())
    browser = Browser(server)
    location = browser.authorize(url, "ann", "ann-password")
    q = query_of(location)
    assert "code" in q, location
    data = {"grant_type": "authorization_code", "code": q["code"], "redirect_uri": REDIRECT,
            "code_verifier": verifier}
    if secret is None:
        data["client_id"] = client_id
        return post(server, TOKEN, data)
    return post(server, TOKEN, data, auth=(client_id, secret)), browser


def test_registered_client_signs_in_and_is_always_asked(open_server, ctl):
    ctl("user", "create", "--username", "ann", "--password", "ann-password")
    body = register(open_server, dict(PUBLIC, grant_types=["authorization_code", "refresh_token"])).json()
    cid = body["client_id"]
    tok = code_flow(open_server, cid)
    assert tok.status_code == 200, tok.text
    assert "refresh_token" in tok.json()

    # The consent page, again on a second sign-in (policy always), says the
    # client named itself.
    verifier = new_verifier()
    b = Browser(open_server)
    b.authorize(open_server.url("/oauth2/authorize") + "?" + requests.compat.urlencode(
        {"response_type": "code", "client_id": cid, "redirect_uri": REDIRECT, "scope": "openid",
         "code_challenge": s256(verifier), "code_challenge_method": "S256"}), "ann", "ann-password")
    r = b.session.get(open_server.url("/oauth2/authorize") + "?" + requests.compat.urlencode(
        {"response_type": "code", "client_id": cid, "redirect_uri": REDIRECT, "scope": "openid",
         "code_challenge": s256(verifier), "code_challenge_method": "S256"}), allow_redirects=True)
    assert r.status_code == 200
    assert "/oauth2/consent" in r.url
    assert "registered itself" in r.text and "https://app.example.com/" in r.text
    assert "Test Assistant" in r.text
    # prompt=none cannot skip it.
    r = b.session.get(open_server.url("/oauth2/authorize") + "?" + requests.compat.urlencode(
        {"response_type": "code", "client_id": cid, "redirect_uri": REDIRECT, "scope": "openid",
         "prompt": "none", "code_challenge": s256(verifier), "code_challenge_method": "S256"}),
        allow_redirects=False)
    assert query_of(r.headers["Location"])["error"] == "consent_required"


def test_after_delete_no_more_tokens(open_server, ctl):
    ctl("user", "create", "--username", "ann", "--password", "ann-password")
    body = register(open_server, {"redirect_uris": [REDIRECT],
                                  "grant_types": ["authorization_code", "refresh_token"]}).json()
    cid, secret = body["client_id"], body["client_secret"]
    tok, _ = code_flow(open_server, cid, secret)
    assert tok.status_code == 200, tok.text
    refresh = tok.json()["refresh_token"]
    access = tok.json()["access_token"]
    r = manage("DELETE", body["registration_client_uri"], body["registration_access_token"])
    assert r.status_code == 204
    r = post(open_server, TOKEN, {"grant_type": "refresh_token", "refresh_token": refresh},
             auth=(cid, secret))
    assert_error(r, 401, "invalid_client", challenge=True)
    # Its grants are revoked too: the access token no longer opens /api/.
    r = requests.get(open_server.url("/oauth2/userinfo"), headers={"Authorization": "Bearer " + access})
    assert r.status_code == 401


def test_token_mode_needs_an_oauth_register_token(token_server, ctl):
    secret = ctl("client", "create", "--id", "registrar", "--scope", "oauth:register")["client_secret"]
    other = ctl("client", "create", "--id", "svc", "--scope", "a")["client_secret"]
    r = register(token_server, PUBLIC)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert register(token_server, PUBLIC, token="garbage").status_code == 401
    weak = post(token_server, TOKEN, {"grant_type": "client_credentials"}, auth=("svc", other)).json()
    r = register(token_server, PUBLIC, token=weak["access_token"])
    assert r.status_code == 403 and 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]

    initial = post(token_server, TOKEN, {"grant_type": "client_credentials"},
                   auth=("registrar", secret)).json()["access_token"]
    r = register(token_server, PUBLIC, token=initial)
    assert r.status_code == 201, r.text
    # Under token, a confidential client may have client_credentials.
    r = register(token_server, {"grant_types": ["client_credentials"], "scope": "openid"},
                 token=initial)
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["response_types"] == [] and m["redirect_uris"] == []
    got = post(token_server, TOKEN, {"grant_type": "client_credentials"},
               auth=(m["client_id"], m["client_secret"]))
    assert got.status_code == 200, got.text
    r = register(token_server, {"grant_types": ["client_credentials"],
                                "token_endpoint_auth_method": "none"}, token=initial)
    assert_registration_error(r, "invalid_client_metadata")
    # A revoked initial access token stops working at once (its session).
    ctl("session", "revoke", "--client", "registrar")
    assert register(token_server, PUBLIC, token=initial).status_code == 401


def test_discovery_publishes_registration(open_server, token_server):
    d = requests.get(open_server.url("/.well-known/oauth-authorization-server")).json()
    assert d["registration_endpoint"] == open_server.url(REGISTER)
    assert d["registration"]["mode"] == "open"
    assert d["registration"]["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert d["registration"]["limit_per_address"] == 20
    d = requests.get(token_server.url("/.well-known/openid-configuration")).json()
    assert d["registration"]["mode"] == "token"
    assert "client_credentials" in d["registration"]["grant_types_supported"]


def test_registration_and_deletion_are_audited(nginx_factory, redis, keys, workdir):
    # SPEC §11: registration created and deleted are audit events, with the
    # client id and never the secret or the registration access token.
    path = f"{workdir}/audit-{time.time_ns()}.log"
    port = rig.free_port()
    server = nginx_factory(registration_http(port, redis, keys,
                                             limit=f"oauth_audit_log {path};"), port=port)
    r = register(server, {"redirect_uris": [REDIRECT]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert manage("DELETE", body["registration_client_uri"],
                  body["registration_access_token"]).status_code == 204
    deadline = time.time() + 5
    while time.time() < deadline:
        lines = open(path).read().splitlines() if os.path.exists(path) else []
        if len(lines) >= 2:
            break
        time.sleep(0.05)
    got = [json.loads(line) for line in lines]
    assert [(e["event"], e["client_id"]) for e in got] == [
        ("registration_created", body["client_id"]),
        ("registration_deleted", body["client_id"])]
    text = open(path).read()
    assert body["client_secret"] not in text
    assert body["registration_access_token"] not in text
