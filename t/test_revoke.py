"""Revocation (SPEC §4.2, RFC 7009): a client revokes only its own tokens;
unknown or foreign tokens answer 200 and change nothing; a refresh token
takes its whole family with it; no grace window at any nginx."""
import rig
from support.tokens import (INTROSPECT, REVOKE, TOKEN, api, assert_error,
                            assert_needs_client_authentication, confidential, password_grant, post,
                            refresh_grant, session)


def issue_for(server, ctl):
    app = confidential(ctl, "app", "password,refresh_token")
    rs = confidential(ctl, "rs", "client_credentials")
    ctl("user", "create", "--username", "jan", "--password", "pw")
    tok = password_grant(server, "app", app, "jan").json()
    return app, rs, tok


def active(server, rs, token):
    return post(server, INTROSPECT, {"token": token},
                auth=("rs", rs)).json()["active"]


def assert_revoke_ok(r):
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"


def test_owner_revokes_access_token_with_authlib(server, ctl, upstream):
    app, rs, tok = issue_for(server, ctl)
    assert api(server, tok["access_token"]).status_code == 200
    c = session(server, "app", app)
    r = c.revoke_token(server.url(REVOKE), token=tok["access_token"],
                       token_type_hint="access_token")
    assert_revoke_ok(r)
    assert api(server, tok["access_token"]).status_code == 401
    assert not active(server, rs, tok["access_token"])
    # The refresh token is untouched (RFC 7009 §2.1 leaves it to us).
    assert active(server, rs, tok["refresh_token"])


def test_revoking_refresh_token_revokes_the_family(server, ctl):
    app, rs, tok = issue_for(server, ctl)
    new = refresh_grant(server, tok["refresh_token"], "app", app).json()
    r = post(server, REVOKE, {"token": new["refresh_token"],
                              "token_type_hint": "refresh_token"},
             auth=("app", app))
    assert_revoke_ok(r)
    for t in (tok["access_token"], new["access_token"]):
        assert api(server, t).status_code == 401
    assert not active(server, rs, new["refresh_token"])
    r = refresh_grant(server, new["refresh_token"], "app", app)
    assert_error(r, 400, "invalid_grant")


def test_stranger_cannot_revoke(server, ctl):
    app, rs, tok = issue_for(server, ctl)
    for t in (tok["access_token"], tok["refresh_token"]):
        r = post(server, REVOKE, {"token": t}, auth=("rs", rs))
        assert_revoke_ok(r)
        assert active(server, rs, t)
    assert api(server, tok["access_token"]).status_code == 200


def test_unknown_tokens_and_hints(server, ctl):
    app, rs, tok = issue_for(server, ctl)
    for data in ({"token": "never-issued"},
                 {"token": "a.b.c"},
                 {"token": "never-issued", "token_type_hint": "refresh_token"},
                 {"token": "never-issued", "token_type_hint": "unheard_of"}):
        assert_revoke_ok(post(server, REVOKE, data, auth=("app", app)))
    # An unknown hint does not stop a real revocation.
    r = post(server, REVOKE, {"token": tok["access_token"],
                              "token_type_hint": "unheard_of"},
             auth=("app", app))
    assert_revoke_ok(r)
    assert not active(server, rs, tok["access_token"])


def test_revoke_needs_client_authentication(server, ctl):
    app, _, tok = issue_for(server, ctl)
    assert_needs_client_authentication(server, REVOKE, tok["access_token"], "app", app)
    assert api(server, tok["access_token"]).status_code == 200


def test_public_client_revokes_its_refresh_token(server, ctl):
    ctl("client", "create", "--id", "cli", "--public", "--grant-types",
        "password,refresh_token")
    ctl("user", "create", "--username", "kim", "--password", "pw")
    tok = post(server, TOKEN, {"grant_type": "password", "username": "kim",
                               "password": "pw", "client_id": "cli"}).json()
    r = post(server, REVOKE, {"token": tok["refresh_token"], "client_id": "cli"})
    assert_revoke_ok(r)
    assert api(server, tok["access_token"]).status_code == 401


def test_revocation_reaches_every_nginx(nginx_factory, redis, keys, upstream,
                                        ctl):
    pa, pb = rig.free_port(), rig.free_port()
    a = nginx_factory(rig.standard_http(pa, redis.address, [keys["RS256"]],
                                        upstream_port=upstream.port), port=pa)
    http_b = rig.standard_http(pb, redis.address, [keys["RS256"]],
                               upstream_port=upstream.port).replace(
        f"oauth_issuer http://127.0.0.1:{pb};",
        f"oauth_issuer http://127.0.0.1:{pa};")
    b = nginx_factory(http_b, port=pb)
    app, rs, tok = issue_for(a, ctl)
    assert api(b, tok["access_token"]).status_code == 200
    assert_revoke_ok(post(b, REVOKE, {"token": tok["access_token"]},
                          auth=("app", app)))
    assert api(a, tok["access_token"]).status_code == 401
    assert api(b, tok["access_token"]).status_code == 401
