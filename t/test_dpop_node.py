"""DPoP (SPEC §10) with real clients (t/node/dpop/): panva's oauth4webapi
obtains DPoP-bound tokens with client_credentials, with the authorization
code + PKCE (this test plays the user on the built-in login and consent
pages with the scripted browser of support/browser.py) and with refresh, and calls
a dpop=required location behind nginx with its own proofs; panva's dpop
signs RS256 proofs for a raw fetch and replays one. Every answer is checked
here: the token's cnf.jkt is the client key's thumbprint."""
import json
import os
import subprocess

import pytest

import rig
from support.browser import REDIRECT_URI, make_client, make_user
from support.jose import jwt_claims
from support.node import NODE, node_dir, run_signing_in
from support.tokens import confidential

NODE_DIR = node_dir("dpop")

pytestmark = pytest.mark.skipif(
    not all(os.path.isdir(os.path.join(NODE_DIR, "node_modules", m))
            for m in ("dpop", "oauth4webapi")),
    reason="npm ci in t/node/dpop has not run (make deps)")


@pytest.fixture
def dpop_server(nginx_factory, redis, keys, upstream):
    port = rig.free_port()
    return nginx_factory(rig.standard_http(
        port, redis.address, [keys["ES256"]], upstream_port=upstream.port,
        server_extra=f"""
        location /strict/ {{
            oauth_require scope=a dpop=required;
            proxy_set_header X-User $oauth_sub;
            proxy_pass http://127.0.0.1:{upstream.port};
        }}"""), port=port)


def test_oauth4webapi_and_dpop_get_bound_tokens_and_use_them(dpop_server, ctl, upstream):
    n = dpop_server
    secret = confidential(ctl, "svc", "client_credentials", scope="a")
    make_client(ctl, "spa", scope="a", consent="once",
                grants="authorization_code,refresh_token")
    user = make_user(ctl)
    resource = n.url("/strict/x")
    out = run_signing_in("dpop", "client.mjs",
                         [n.url(""), resource, "svc", secret, "spa", REDIRECT_URI],
                         n, "alice", "correct horse", REDIRECT_URI + "?")
    assert "error" not in out, out["error"]
    assert out["algs"] == ["ES256", "RS256", "PS256", "EdDSA", "Ed25519"]

    # client_credentials through oauth4webapi's DPoP handle.
    cc = out["cc"]
    assert cc["token_type"].lower() == "dpop"
    assert jwt_claims(cc["access_token"])["cnf"] == {"jkt": cc["jkt"]}
    assert cc["call"]["status"] == 200, cc["call"]
    assert cc["call"]["body"]["path"] == "/strict/x"
    # The same token with proofs by another key: refused at the edge.
    assert cc["other_key"]["status"] == 401
    assert cc["other_key"]["challenge"].startswith(
        'DPoP realm="api", error="invalid_dpop_proof"'), cc["other_key"]

    # panva's dpop, RS256, raw fetch: the proof works once, then is a replay.
    raw = out["raw"]
    assert raw["token_status"] == 200 and raw["token_type"] == "DPoP"
    assert jwt_claims(raw["access_token"])["cnf"] == {"jkt": raw["jkt"]}
    assert raw["first"] == 200
    assert raw["replay"] == 401
    assert 'error="invalid_dpop_proof"' in raw["replay_challenge"]

    # Authorization code + PKCE: bound to the handle's key, the user is the sub.
    code = out["code"]
    assert code["token_type"].lower() == "dpop"
    claims = jwt_claims(code["access_token"])
    assert claims["cnf"] == {"jkt": code["jkt"]}
    assert claims["sub"] == user["sub"] and claims["client_id"] == "spa"
    assert code["call"]["status"] == 200, code["call"]
    assert code["call"]["body"]["headers"]["x-user"] == user["sub"]
    # The public client's refresh token is bound to that key too.
    assert code["refresh_without_proof"] == "invalid_grant"
    assert code["refresh_other_key"] == "invalid_grant"
    fresh = out["refresh"]
    assert fresh["token_type"].lower() == "dpop"
    assert jwt_claims(fresh["access_token"])["cnf"] == {"jkt": code["jkt"]}
    assert fresh["access_token"] != code["access_token"]
    assert fresh["call"]["status"] == 200, fresh["call"]


def test_real_clients_get_and_use_the_servers_nonce(nginx_factory, redis, keys, upstream, ctl):
    """oauth_dpop_nonce on: oauth4webapi's DPoP handle takes the nonce from
    the token endpoint's use_dpop_nonce answer and from the edge's 401 (the
    resource is on another origin, localhost, so the edge asks too) and
    succeeds on the one retry of its documented pattern; panva's dpop signs
    with alg "Ed25519" and puts the nonce of the 400 into its next proof."""
    port = rig.free_port()
    n = nginx_factory(rig.standard_http(
        port, redis.address, [keys["ES256"]], upstream_port=upstream.port,
        http_extra="oauth_dpop_nonce on;",
        server_extra=f"""
        location /strict/ {{
            oauth_require scope=a dpop=required;
            proxy_pass http://127.0.0.1:{upstream.port};
        }}"""), port=port)
    secret = confidential(ctl, "svc", "client_credentials", scope="a")
    resource = f"http://localhost:{port}/strict/n"
    done = subprocess.run(
        [NODE, os.path.join(NODE_DIR, "client_nonce.mjs"), n.url(""), resource, "svc", secret],
        cwd=NODE_DIR, capture_output=True, text=True, timeout=60)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in out, out["error"]
    # One use_dpop_nonce, then the token, bound to the handle's key.
    assert out["token_attempts"] == ["use_dpop_nonce", "ok"]
    assert out["token_type"].lower() == "dpop"
    assert jwt_claims(out["access_token"])["cnf"] == {"jkt": out["jkt"]}
    # The edge on another origin asks once too, then lets it through.
    assert out["resource_attempts"] == ["use_dpop_nonce", "ok"]
    assert out["status"] == 200 and out["body"]["path"] == "/strict/n"
    assert out["again"] == 200
    raw = out["raw"]
    assert raw["alg"] == "Ed25519"
    assert (raw["first"], raw["first_error"]) == (400, "use_dpop_nonce")
    assert raw["second"] == 200 and raw["token_type"] == "DPoP"
    assert jwt_claims(raw["access_token"])["cnf"] == {"jkt": raw["jkt"]}
