"""oauthctl (SPEC §6): options, defaults, JSON out, errors on stderr with a
non-zero exit, and its effect on a running server."""
import json
import os

import pytest
import requests

import rig
from support.tokens import (TOKEN, api, assert_error, confidential, password_grant, post,
                            refresh_grant)


def fails(ctl, *args):
    out = ctl(*args, check=False)
    assert out.returncode != 0, out.stdout
    assert out.stdout == ""
    assert out.stderr.startswith("oauthctl: ")
    return out.stderr


def test_client_create_defaults(ctl):
    out = ctl("client", "create", "--id", "svc")
    assert set(out) == {"client_id", "client_secret"}
    assert len(out["client_secret"]) >= 43
    shown = ctl("client", "show", "svc")
    assert shown["grant_types"] == ["client_credentials"]
    assert shown["consent"] == "once"
    assert "secret" not in json.dumps(shown)
    assert out["client_secret"] not in json.dumps(shown)

    ctl("client", "create", "--id", "web", "--redirect-uri", "https://a/cb",
        "--redirect-uri", "https://b/cb", "--scope", "openid profile",
        "--consent", "skip", "--name", "Web App")
    web = ctl("client", "show", "web")
    assert web["grant_types"] == ["authorization_code", "refresh_token"]
    assert web["redirect_uris"] == ["https://a/cb", "https://b/cb"]
    assert web["scope"] == "openid profile"
    assert web["consent"] == "skip" and web["name"] == "Web App"
    assert web["public"] is False

    pub = ctl("client", "create", "--id", "spa", "--public", "--redirect-uri",
              "https://spa/cb")
    assert pub == {"client_id": "spa"}
    assert ctl("client", "show", "spa")["public"] is True

    dev = ctl("client", "create", "--id", "tv", "--public", "--grant-types",
              "device_code,refresh_token")
    assert ctl("client", "show", "tv")["grant_types"] == [
        "urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]
    assert dev == {"client_id": "tv"}

    listed = ctl("client", "list")
    assert [c["client_id"] for c in listed] == ["spa", "svc", "tv", "web"]
    assert "secret" not in json.dumps(listed)


def test_client_create_errors(ctl):
    ctl("client", "create", "--id", "dup")
    assert "exists" in fails(ctl, "client", "create", "--id", "dup")
    assert "client_credentials" in fails(
        ctl, "client", "create", "--id", "p", "--public", "--grant-types",
        "client_credentials")
    fails(ctl, "client", "create", "--id", "p", "--public", "--secret", "s")
    fails(ctl, "client", "create", "--id", "p", "--grant-types", "implicit")
    fails(ctl, "client", "create", "--id", "p", "--consent", "sometimes")
    fails(ctl, "client", "create")
    fails(ctl, "client", "show", "ghost")
    fails(ctl, "client", "delete", "ghost")
    fails(ctl, "frobnicate", "things")
    fails(ctl, "--bogus", "client", "list")


def test_given_secret_works_and_rotate_secret(server, ctl):
    out = ctl("client", "create", "--id", "svc", "--secret", "s3cret")
    assert out == {"client_id": "svc", "client_secret": "s3cret"}
    ok = post(server, TOKEN, {"grant_type": "client_credentials"},
              auth=("svc", "s3cret"))
    assert ok.status_code == 200
    rotated = ctl("client", "rotate-secret", "svc")
    assert rotated["client_id"] == "svc"
    assert rotated["client_secret"] != "s3cret"
    r = post(server, TOKEN, {"grant_type": "client_credentials"},
             auth=("svc", "s3cret"))
    assert_error(r, 401, "invalid_client", challenge=True)
    r = post(server, TOKEN, {"grant_type": "client_credentials"},
             auth=("svc", rotated["client_secret"]))
    assert r.status_code == 200
    ctl("client", "create", "--id", "spa", "--public")
    fails(ctl, "client", "rotate-secret", "spa")


def test_client_delete_revokes_its_tokens(server, ctl):
    secret = confidential(ctl, "svc", "client_credentials")
    tok = post(server, TOKEN, {"grant_type": "client_credentials"},
               auth=("svc", secret)).json()
    assert api(server, tok["access_token"]).status_code == 200
    out = ctl("client", "delete", "svc")
    assert out["deleted"] is True
    assert api(server, tok["access_token"]).status_code == 401
    r = post(server, TOKEN, {"grant_type": "client_credentials"},
             auth=("svc", secret))
    assert_error(r, 401, "invalid_client", challenge=True)
    assert ctl("client", "list") == []


def test_user_create_and_delete(server, ctl):
    u = ctl("user", "create", "--username", "lee", "--password", "pw",
            "--claim", "email=lee@example.com", "--claim", "email_verified=true",
            "--claim", "name=Lee Smith")
    assert set(u) == {"sub", "username"} and u["username"] == "lee"
    assert len(u["sub"]) >= 22
    assert "exists" in fails(ctl, "user", "create", "--username", "lee",
                             "--password", "x")
    fails(ctl, "user", "create", "--username", "x")
    secret = confidential(ctl, "app", "password")
    tok = password_grant(server, "app", secret, "lee").json()
    assert api(server, tok["access_token"]).status_code == 200
    ctl("user", "delete", "lee")
    assert api(server, tok["access_token"]).status_code == 401
    # A new user of the same name is someone else: a new sub.
    u2 = ctl("user", "create", "--username", "lee", "--password", "pw")
    assert u2["sub"] != u["sub"]
    fails(ctl, "user", "delete", "nobody")


def test_user_claims_take_json_values(ctl, redis):
    """OIDC Core §5.1.1: address is an object; --claim takes JSON for
    structured claims, and a plain address becomes its "formatted" member."""
    ctl("user", "create", "--username", "ann", "--password", "pw",
        "--claim", 'address={"street_address":"1 Main St","country":"FR"}',
        "--claim", "email_verified=true", "--claim", "name=Ann",
        "--claim", 'nickname="42"', "--claim", "zoneinfo=[not json")
    claims = json.loads(redis.cli("GET", "oauth:user:ann"))["claims"]
    assert claims["address"] == {"street_address": "1 Main St", "country": "FR"}
    assert claims["email_verified"] is True
    assert claims["name"] == "Ann"
    assert claims["nickname"] == "42"
    assert claims["zoneinfo"] == "[not json"
    ctl("user", "create", "--username", "bea", "--password", "pw",
        "--claim", "address=1 Main St, Springfield")
    claims = json.loads(redis.cli("GET", "oauth:user:bea"))["claims"]
    assert claims["address"] == {"formatted": "1 Main St, Springfield"}


@pytest.mark.parametrize("how", ["jti", "sub", "client"])
def test_session_revoke(server, ctl, how):
    secret = confidential(ctl, "app", "password,refresh_token")
    other = confidential(ctl, "other", "password")
    user = ctl("user", "create", "--username", "max", "--password", "pw")
    ctl("user", "create", "--username", "ned", "--password", "pw")
    tok = password_grant(server, "app", secret, "max").json()
    keep = password_grant(server, "other", other, "ned").json()
    from support.jose import verify_access_token as verify
    jti = verify(server, tok["access_token"])[1]["jti"]
    arg = {"jti": jti, "sub": user["sub"], "client": "app"}[how]
    out = ctl("session", "revoke", "--" + how, arg)
    assert out["families_revoked"] == 1
    assert api(server, tok["access_token"]).status_code == 401
    r = refresh_grant(server, tok["refresh_token"], "app", secret)
    assert_error(r, 400, "invalid_grant")
    assert api(server, keep["access_token"]).status_code == 200
    fails(ctl, "session", "revoke")
    fails(ctl, "session", "revoke", "--sub", "a", "--client", "b")


def test_key_generate_feeds_nginx(nginx_factory, redis, ctl, workdir):
    paths = []
    for alg in ("RS256", "ES256", "EdDSA"):
        path = os.path.join(workdir, f"gen-{alg}-{os.getpid()}.pem")
        if os.path.exists(path):
            os.unlink(path)
        out = ctl("key", "generate", "--alg", alg, "--out", path)
        assert out["alg"] == alg and out["kid"]
        assert os.stat(path).st_mode & 0o077 == 0
        paths.append((path, out["kid"]))
    fails(ctl, "key", "generate", "--alg", "ES256", "--out", paths[0][0])
    fails(ctl, "key", "generate", "--alg", "HS256", "--out", "/tmp/nope.pem")
    port = rig.free_port()
    n = nginx_factory(rig.standard_http(port, redis.address,
                                        [p for p, _ in paths]), port=port)
    served = requests.get(n.url("/oauth2/jwks")).json()["keys"]
    assert [k["kid"] for k in served] == [kid for _, kid in paths]


def test_prefix_and_password(workdir, nginx_factory, keys):
    r = rig.Redis(workdir, password="redis-pw")
    try:
        env = dict(os.environ, OAUTHCTL_REDIS_PASSWORD="redis-pw")
        base = [rig.OAUTHCTL, "--redis", r.address, "--prefix", "t1:"]
        import subprocess
        out = subprocess.run(base + ["client", "create", "--id", "svc"],
                             capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        secret = json.loads(out.stdout)["client_secret"]
        assert r.keys("t1:client:svc") == ["t1:client:svc"]
        assert r.keys("oauth:*") == []
        bad = subprocess.run(base + ["--redis-password", "wrong", "client",
                                     "list"], capture_output=True, text=True)
        assert bad.returncode != 0
        port = rig.free_port()
        n = nginx_factory(rig.standard_http(
            port, r.address, [keys["RS256"]],
            redis_options="password=redis-pw prefix=t1:"), port=port)
        ok = post(n, TOKEN, {"grant_type": "client_credentials"},
                  auth=("svc", secret))
        assert ok.status_code == 200, ok.text
        assert r.keys("oauth:*") == []
    finally:
        r.stop()
