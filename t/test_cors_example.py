"""conf-examples/spa-cross-origin.conf, run as it is (but for its addresses):
a single-page app on another origin reads the token, userinfo and API
answers; other origins get no CORS header; preflights never reach
oauth_require or the endpoints."""
import os

import pytest
import requests

import rig
from support.tokens import confidential

APP = "https://app.example.com"
EVIL = "https://evil.example"


@pytest.fixture
def spa(workdir, keys, redis, upstream):
    port = rig.free_port()
    n = rig.ExampleNginx(
        workdir, os.path.join(rig.TOP, "conf-examples", "spa-cross-origin.conf"),
        keys, port, {
            "listen 80;": f"listen 127.0.0.1:{port};",
            "oauth_redis 127.0.0.1:6379;": f"oauth_redis {redis.address};",
            "oauth_issuer https://auth.example.com;":
                f"oauth_issuer http://127.0.0.1:{port};",
            "proxy_pass http://127.0.0.1:9000;":
                f"proxy_pass http://127.0.0.1:{upstream.port};",
            "worker_processes auto;": "worker_processes 1;",
        }).start()
    yield n
    n.stop()
    assert not n.fatal_log_lines(), n.log()


@pytest.fixture
def client(ctl):
    return "spa-backend", confidential(ctl, "spa-backend",
                                       "client_credentials", "orders:read")


def token_for(spa, client, origin=APP):
    return requests.post(spa.url("/oauth2/token"), timeout=10, auth=client,
                         headers={"Origin": origin},
                         data={"grant_type": "client_credentials",
                               "scope": "orders:read"})


def preflight(spa, path, origin=APP, headers="authorization"):
    return requests.options(spa.url(path), timeout=10, headers={
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": headers})


@pytest.mark.parametrize("path", ["/oauth2/token", "/api/orders",
                                  "/oauth2/userinfo"])
def test_preflight_is_answered_before_the_module(spa, upstream, path):
    r = preflight(spa, path)
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
    assert "Origin" in r.headers["Vary"]
    # no token, yet neither a 401 nor an upstream hit
    assert "WWW-Authenticate" not in r.headers
    assert upstream.hits == 0


def test_preflight_from_another_origin_gets_no_permission(spa):
    r = preflight(spa, "/oauth2/token", origin=EVIL)
    assert "Access-Control-Allow-Origin" not in r.headers


def test_the_app_reads_token_and_api_answers(spa, client, upstream):
    r = token_for(spa, client)
    assert r.status_code == 200, r.text
    assert r.headers["Access-Control-Allow-Origin"] == APP
    token = r.json()["access_token"]

    r = requests.get(spa.url("/api/orders"), timeout=10, headers={
        "Origin": APP, "Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert upstream.hits == 1


def test_errors_carry_cors_headers_too(spa, client):
    # the app must be able to read why it was refused
    r = requests.get(spa.url("/api/orders"), timeout=10,
                     headers={"Origin": APP})
    assert r.status_code == 401
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert r.headers["Access-Control-Expose-Headers"] == "WWW-Authenticate"
    r = token_for(spa, ("spa-backend", "wrong-secret"))
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert r.headers["Access-Control-Allow-Origin"] == APP


def test_other_origins_get_answers_they_cannot_read(spa, client):
    r = token_for(spa, client, origin=EVIL)
    assert r.status_code == 200  # CORS is the browser's to enforce
    assert "Access-Control-Allow-Origin" not in r.headers


def test_public_documents_are_readable_from_anywhere(spa):
    for path in ("/.well-known/openid-configuration", "/oauth2/jwks"):
        r = requests.get(spa.url(path), timeout=10, headers={"Origin": EVIL})
        assert r.status_code == 200
        assert r.headers["Access-Control-Allow-Origin"] == "*"
