"""SPEC §9: resource indicators (RFC 8707) at authorize and token (every
grant) and refresh, the aud they yield, oauth_require checking it per
location (oauth_resource), RFC 9728 metadata and the 401 challenge; and
oauthctl with registered clients."""
import json

import pytest
import requests

import rig
from support.browser import Browser
from support.code_flow import new_verifier, s256
from support.jose import jwt_claims
from support.query import query_of
from support.registration import PUBLIC, REDIRECT, register
from support.tokens import TOKEN, assert_error, post

A = "http://127.0.0.1:{port}/a/"
B = "http://127.0.0.1:{port}/b/"


def resource_http(port, redis, keys, upstream):
    a, b = A.format(port=port), B.format(port=port)
    return rig.standard_http(port, redis.address, [keys["RS256"]], upstream_port=upstream.port,
                             server_extra=f"""
        location /oauth2/register {{ oauth_registration open; }}
        location /.well-known/oauth-protected-resource {{ oauth_resource_metadata; }}
        location /a/ {{
            oauth_resource {a} scope=a:read,a:write;
            oauth_require scope=a:read;
            proxy_pass http://127.0.0.1:{upstream.port};
        }}
        location /b/ {{
            oauth_resource {b};
            oauth_require;
            proxy_pass http://127.0.0.1:{upstream.port};
        }}
        location /b/explicit/ {{
            oauth_resource {b};
            oauth_require aud=urn:explicit;
            proxy_pass http://127.0.0.1:{upstream.port};
        }}
        """)


@pytest.fixture
def rs(nginx_factory, redis, keys, upstream):
    port = rig.free_port()
    n = nginx_factory(resource_http(port, redis, keys, upstream), port=port)
    n.a, n.b = A.format(port=port), B.format(port=port)
    return n


def cc(server, secret, **extra):
    data = {"grant_type": "client_credentials"}
    data.update(extra)
    return post(server, TOKEN, data, auth=("svc", secret))


def get(server, path, token):
    return requests.get(server.url(path), headers={"Authorization": "Bearer " + token})


def test_client_credentials_resource_sets_aud_and_locations_check_it(rs, ctl):
    secret = ctl("client", "create", "--id", "svc", "--scope", "a:read b")["client_secret"]
    tok = cc(rs, secret, resource=rs.a).json()["access_token"]
    assert jwt_claims(tok)["aud"] == rs.a
    assert get(rs, "/a/x", tok).status_code == 200
    r = get(rs, "/b/x", tok)
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    # Without resource, aud stays the server's oauth_audience: no resource's.
    plain = cc(rs, secret).json()["access_token"]
    assert jwt_claims(plain)["aud"] == rs.url("")
    assert get(rs, "/a/x", plain).status_code == 401
    assert get(rs, "/api/x", plain).status_code == 200
    # Two resources: aud is both (RFC 8707 §2: resource may repeat).
    r = post(rs, TOKEN, [("grant_type", "client_credentials"), ("resource", rs.a),
                         ("resource", rs.b)], auth=("svc", secret))
    both = r.json()["access_token"]
    assert jwt_claims(both)["aud"] == [rs.a, rs.b]
    assert get(rs, "/a/x", both).status_code == 200
    assert get(rs, "/b/x", both).status_code == 200
    # aud= on oauth_require wins over the location's resource.
    assert get(rs, "/b/explicit/x", both).status_code == 401


@pytest.mark.parametrize("value", ["http://127.0.0.1:1/unknown/", "/a/", "urn:x#frag", "a b"])
def test_unknown_or_malformed_resource_is_invalid_target(rs, ctl, value):
    secret = ctl("client", "create", "--id", "svc", "--scope", "a:read")["client_secret"]
    assert_error(cc(rs, secret, resource=value), 400, "invalid_target")


def test_challenge_and_metadata(rs):
    r = requests.get(rs.url("/a/x"))
    assert r.status_code == 401
    url = rs.url("/.well-known/oauth-protected-resource/a/")
    assert r.headers["WWW-Authenticate"] == f'Bearer realm="api", resource_metadata="{url}"'
    md = requests.get(url)
    assert md.status_code == 200 and md.headers["Content-Type"] == "application/json"
    assert md.json() == {"resource": rs.a, "authorization_servers": [rs.url("")],
                         "scopes_supported": ["a:read", "a:write"],
                         "bearer_methods_supported": ["header"], "jwks_uri": rs.url("/oauth2/jwks")}
    # Two resources in this server: no guess at the bare well-known URL.
    assert requests.get(rs.url("/.well-known/oauth-protected-resource")).status_code == 404
    assert requests.post(url).status_code == 405
    # A location without oauth_resource names no metadata.
    assert "resource_metadata" not in requests.get(rs.url("/api/x")).headers["WWW-Authenticate"]


def sign_in(server, client_id, resources, scope):
    verifier = new_verifier()
    params = [("response_type", "code"), ("client_id", client_id), ("redirect_uri", REDIRECT),
              ("scope", scope), ("state", "s"), ("code_challenge", s256(verifier)),
              ("code_challenge_method", "S256")] + [("resource", r) for r in resources]
    url = server.url("/oauth2/authorize") + "?" + requests.compat.urlencode(params)
    location = Browser(server).authorize(url, "ann", "ann-password")
    return query_of(location), verifier


def test_code_flow_and_refresh_narrow_never_widen(rs, ctl):
    ctl("user", "create", "--username", "ann", "--password", "ann-password")
    c = register(rs, dict(PUBLIC, scope="a:read", grant_types=["authorization_code", "refresh_token"])).json()
    cid = c["client_id"]
    q, verifier = sign_in(rs, cid, [rs.a, rs.b], "a:read")
    # The token request may name fewer of the authorized resources.
    r = post(rs, TOKEN, {"grant_type": "authorization_code", "code": q["code"], "redirect_uri": REDIRECT,
                         "code_verifier": verifier, "client_id": cid, "resource": rs.a})
    assert r.status_code == 200, r.text
    tok = r.json()
    assert jwt_claims(tok["access_token"])["aud"] == rs.a
    # Refresh: the family holds both; asking for b narrows to b.
    r = post(rs, TOKEN, {"grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
                         "client_id": cid, "resource": rs.b})
    assert r.status_code == 200, r.text
    tok = r.json()
    assert jwt_claims(tok["access_token"])["aud"] == rs.b
    # Never wider than the grant: a resource it was not given.
    r = post(rs, TOKEN, [("grant_type", "refresh_token"), ("refresh_token", tok["refresh_token"]),
                         ("client_id", cid), ("resource", "http://127.0.0.1:1/other/")])
    assert_error(r, 400, "invalid_target")
    # Without resource, the family's resources again.
    r = post(rs, TOKEN, {"grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
                         "client_id": cid})
    assert r.status_code == 200, r.text
    assert jwt_claims(r.json()["access_token"])["aud"] == [rs.a, rs.b]


def test_code_exchange_cannot_add_a_resource(rs, ctl):
    ctl("user", "create", "--username", "ann", "--password", "ann-password")
    cid = register(rs, dict(PUBLIC, scope="a:read")).json()["client_id"]
    q, verifier = sign_in(rs, cid, [rs.a], "a:read")
    r = post(rs, TOKEN, {"grant_type": "authorization_code", "code": q["code"], "redirect_uri": REDIRECT,
                         "code_verifier": verifier, "client_id": cid, "resource": rs.b})
    assert_error(r, 400, "invalid_target")


def test_authorize_unknown_resource_redirects_invalid_target(rs, ctl):
    cid = register(rs, PUBLIC).json()["client_id"]
    r = requests.get(rs.url("/oauth2/authorize"), allow_redirects=False, params={
        "response_type": "code", "client_id": cid, "redirect_uri": REDIRECT, "state": "s",
        "code_challenge": s256(new_verifier()), "code_challenge_method": "S256",
        "resource": "https://elsewhere.example/"})
    assert r.status_code == 302
    q = query_of(r.headers["Location"])
    assert q["error"] == "invalid_target" and q["state"] == "s"


def test_registration_scope_comes_from_resources(rs):
    r = register(rs, dict(PUBLIC, scope="a:write"))
    assert r.status_code == 201, r.text
    r = register(rs, dict(PUBLIC, scope="c:write"))
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"


def test_oauth_resource_checked_by_nginx_t(workdir, redis, keys):
    port = rig.free_port()
    for bad in ("oauth_resource ftp://x/;", "oauth_resource https://x/#f;",
                "oauth_resource https://x/ scopes=a;"):
        http = rig.standard_http(port, redis.address, [keys["RS256"]],
                                 server_extra=f"location /r/ {{ {bad} oauth_require; }}")
        code, out = rig.Nginx(workdir, http, port).test_config()
        assert code != 0 and "resource" in out, bad


def test_oauthctl_lists_marks_and_deletes_registered_clients(rs, ctl):
    dyn = register(rs, PUBLIC).json()
    ctl("client", "create", "--id", "admin-made", "--public", "--redirect-uri", REDIRECT)
    listed = {c["client_id"]: c for c in ctl("client", "list")}
    assert listed[dyn["client_id"]]["dynamic"] is True
    assert listed[dyn["client_id"]]["consent"] == "always"
    assert listed[dyn["client_id"]]["metadata"]["client_name"] == "Test Assistant"
    assert "dynamic" not in listed["admin-made"]
    shown = ctl("client", "show", dyn["client_id"])
    assert "registration_token_hash" not in json.dumps(shown)
    out = ctl("client", "delete", dyn["client_id"])
    assert out["deleted"] is True
    assert dyn["client_id"] not in {c["client_id"] for c in ctl("client", "list")}
    r = requests.get(dyn["registration_client_uri"],
                     headers={"Authorization": "Bearer " + dyn["registration_access_token"]})
    assert r.status_code == 401
