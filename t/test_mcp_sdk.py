"""SPEC §9, the decisive check: the official MCP TypeScript SDK
(@modelcontextprotocol/sdk, t/node/mcp/) runs its own OAuth client flow
against conf-examples/mcp-server.conf, run as it is but for its addresses:
401 with resource_metadata -> RFC 9728 resource metadata -> RFC 8414
authorization server metadata -> RFC 7591 registration -> PKCE sign-in on
the built-in login and consent pages (this test plays the user with the
scripted browser of support/browser.py) -> token with resource (RFC 8707) -> a tool
call on an SDK MCP server behind oauth_require. The token's aud is the
resource, and /notes/ (another resource) refuses it."""
import json
import os
import subprocess

import pytest
import requests

import rig
from support.jose import jwt_claims
from support.node import NODE, node_dir, run_signing_in

NODE_DIR = node_dir("mcp")
SDK = os.path.join(NODE_DIR, "node_modules", "@modelcontextprotocol", "sdk")
REDIRECT = "http://127.0.0.1:{}/callback"

pytestmark = pytest.mark.skipif(not os.path.isdir(SDK),
                                reason="npm ci in t/node/mcp has not run (make deps)")


@pytest.fixture
def mcp_server():
    port = rig.free_port()
    p = subprocess.Popen([NODE, os.path.join(NODE_DIR, "server.mjs"), str(port)],
                         cwd=NODE_DIR, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "listening"
    yield port
    p.terminate()
    p.wait(timeout=10)


@pytest.fixture
def example(workdir, keys, redis, mcp_server):
    port = rig.free_port()
    origin = f"http://127.0.0.1:{port}"
    n = rig.ExampleNginx(
        workdir, os.path.join(rig.TOP, "conf-examples", "mcp-server.conf"), keys, port, {
            "listen 80;": f"listen 127.0.0.1:{port};",
            "oauth_redis 127.0.0.1:6379;": f"oauth_redis {redis.address};",
            "https://mcp.example.com": origin,
            "server 127.0.0.1:3000;": f"server 127.0.0.1:{mcp_server};",
            "worker_processes auto;": "worker_processes 1;",
        }).start()
    yield n
    n.stop()
    assert not n.fatal_log_lines(), n.log()


def test_mcp_sdk_signs_in_and_calls_a_tool(example, ctl, redis):
    user = ctl("user", "create", "--username", "ann", "--password", "ann-password")
    mcp_url = example.url("/mcp")
    redirect = REDIRECT.format(rig.free_port())  # never served: the browser stops there

    def check_authorize(url):
        assert url.startswith(example.url("/oauth2/authorize?"))
        assert "resource=" in url and "code_challenge_method=S256" in url

    out = run_signing_in("mcp", "client.mjs", [mcp_url, redirect], example,
                         "ann", "ann-password", redirect, check_authorize)
    assert "error" not in out, out.get("error")
    # The tool ran behind oauth_require, which told it who the user is.
    assert out["result"]["content"][0]["text"] == user["sub"]

    client = out["client"]
    assert client["client_id"]
    rec = json.loads(redis.cli("GET", "oauth:client:" + client["client_id"]))
    assert rec["dynamic"] is True and rec["redirect_uris"] == [redirect]
    assert rec["scope"] == "mcp:tools"

    access = out["tokens"]["access_token"]
    claims = jwt_claims(access)
    assert claims["aud"] == mcp_url
    assert claims["scope"] == "mcp:tools"
    assert claims["client_id"] == client["client_id"]
    bearer = {"Authorization": "Bearer " + access}
    # The same token at a location of another resource: refused.
    r = requests.get(example.url("/notes/"), headers=bearer)
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    assert ('resource_metadata="' + example.url("/.well-known/oauth-protected-resource/notes/")
            + '"') in r.headers["WWW-Authenticate"]
    # And a refresh keeps the resource (aud) of the grant.
    r = requests.post(example.url("/oauth2/token"), data={
        "grant_type": "refresh_token", "refresh_token": out["tokens"]["refresh_token"],
        "client_id": client["client_id"]})
    assert r.status_code == 200, r.text
    assert jwt_claims(r.json()["access_token"])["aud"] == mcp_url


def test_mcp_example_discovery_documents(example):
    r = requests.post(example.url("/mcp"), json={})
    assert r.status_code == 401
    metadata_url = example.url("/.well-known/oauth-protected-resource/mcp")
    assert r.headers["WWW-Authenticate"] == (
        f'Bearer realm="api", resource_metadata="{metadata_url}"')
    prm = requests.get(metadata_url).json()
    assert prm == {"resource": example.url("/mcp"),
                   "authorization_servers": [example.url("")],
                   "scopes_supported": ["mcp:tools"],
                   "bearer_methods_supported": ["header"],
                   "jwks_uri": example.url("/oauth2/jwks")}
    # RFC 9728 §3.1: the other resource at its own path-suffixed URL.
    notes = requests.get(example.url("/.well-known/oauth-protected-resource/notes/")).json()
    assert notes["resource"] == example.url("/notes/")
    assert requests.get(example.url("/.well-known/oauth-protected-resource/nothing")).status_code == 404
    asm = requests.get(example.url("/.well-known/oauth-authorization-server")).json()
    assert asm["registration_endpoint"] == example.url("/oauth2/register")
    assert asm["registration"]["mode"] == "open"
    assert "mcp:tools" in asm["registration"]["scopes_supported"]
