"""Revocation (SPEC §4.2, RFC 7009): a client revokes only its own tokens;
unknown or foreign tokens answer 200 and change nothing; a refresh token
takes its whole family with it; no grace window at any nginx."""
import subprocess
import time

import rig
from support.jose import jwt_claims
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


def cc_token(server, client, secret):
    r = post(server, TOKEN, {"grant_type": "client_credentials"},
             auth=(client, secret))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_revoke_by_client_reaches_every_bucket_and_the_old_index(
        nginx_factory, redis, keys, upstream, ctl):
    """`session revoke --client` finds the client's family-less tokens in
    buckets of every width (one per token life here) and in the sorted set of
    the layout before buckets (store/keys.h), without SCAN."""
    svc = confidential(ctl, "svc", "client_credentials")
    rs = confidential(ctl, "rs", "client_credentials")
    issued = []  # (server, token): each server is its own issuer
    servers = []
    for ttl in ("60s", "10m", "1h", "1d"):  # bucket widths 16, 128, 512, 16384 s
        port = rig.free_port()
        s = nginx_factory(rig.standard_http(
            port, redis.address, [keys["EdDSA"]], upstream_port=upstream.port,
            http_extra=f"oauth_access_token_ttl {ttl};"), port=port)
        servers.append(s)
        issued += [(s, cc_token(s, "svc", svc)) for _ in range(20)]
    buckets = redis.keys("oauth:idx:ccb:svc:*")
    assert {b.split(":")[-2] for b in buckets} == {"16", "128", "512", "16384"}
    assert sum(int(redis.cli("SCARD", b)) for b in buckets) == 80
    assert redis.keys("oauth:idx:cc:*") == []  # nothing writes the old index
    # A token as the layout before buckets kept it: its session and an
    # idx:cc member, in no bucket.
    old = cc_token(servers[1], "svc", svc)
    claims = jwt_claims(old)
    for b in redis.keys("oauth:idx:ccb:svc:*"):
        redis.cli("SREM", b, claims["jti"])
    redis.cli("SET", f"oauth:at:{claims['jti']}", '{"c":"svc"}', "EX", "600")
    redis.cli("ZADD", "oauth:idx:cc:svc", str(claims["exp"]), claims["jti"])
    redis.cli("EXPIRE", "oauth:idx:cc:svc", "600")
    issued.append((servers[1], old))
    others = [(s, cc_token(s, "rs", rs)) for s in servers]
    for s, t in issued + others:
        assert api(s, t).status_code == 200
        assert active(s, rs, t)

    assert ctl("session", "revoke", "--client", "svc") == {"families_revoked": 0}
    for s, t in issued:
        assert api(s, t).status_code == 401
        assert not active(s, rs, t)
    assert redis.keys("oauth:idx:ccb:svc:*") == []
    assert redis.keys("oauth:idx:cc:*") == []
    # Another client's tokens and buckets are untouched.
    for s, t in others:
        assert api(s, t).status_code == 200
        assert active(s, rs, t)
    assert len(redis.keys("oauth:idx:ccb:rs:*")) == 4


def test_revoke_by_client_of_more_tokens_than_one_pipeline(redis, ctl):
    """oauthctl sends the writes of a revoke in batches (src/cli/redis_conn.h):
    5,000 tokens in one bucket (a 10 min life: 128 s buckets), written as
    nginx writes them, all end."""
    confidential(ctl, "svc", "client_credentials")
    exp = int(time.time()) + 600
    bucket = f"oauth:idx:ccb:svc:128:{exp // 128}"
    lines = [f"SADD {bucket} j{i}\nSET oauth:at:j{i} '{{\"c\":\"svc\"}}' EX 600\n"
             for i in range(5000)]
    subprocess.run(["redis-cli", "-p", str(redis.port)], input="".join(lines),
                   text=True, check=True, capture_output=True)
    assert len(redis.keys("oauth:at:*")) == 5000
    assert ctl("session", "revoke", "--client", "svc") == {"families_revoked": 0}
    assert redis.keys("oauth:at:*") == []
    assert redis.keys("oauth:idx:ccb:*") == []
