"""Request bodies at the endpoints (issue 18, item 13): read whether nginx
kept them in memory or spooled them to a temporary file, up to
oauth_max_body_size (default 64k); past it the endpoint answers in its own
format (JSON invalid_request, or a 413 page at the browser endpoints), never
nginx's HTML 413, the same over HTTP/1.1 (Content-Length or chunked) and
HTTP/2 (with or without content-length)."""
import base64
import json
import os
import shutil
import subprocess
import tempfile

import pytest
import requests

import rig
from support.http2 import H2Client, listen_h2
from support.tokens import confidential

LIMIT = 64 * 1024
FORM = "application/x-www-form-urlencoded"


def body_of(size, base=b"grant_type=client_credentials&pad="):
    """A form of exactly `size` bytes (an unknown parameter pads it)."""
    assert size > len(base)
    return base + b"x" * (size - len(base))


def limit_http(port, h2port, redis_address, key, small_limit_path, temp):
    endpoints = textwrap_endpoints()
    return f"""
oauth_redis {redis_address};
oauth_issuer http://127.0.0.1:{port};
oauth_signing_key {key};
# every body past 1k goes to a temporary file
client_body_buffer_size 1k;

server {{
    listen 127.0.0.1:{port};
    client_body_temp_path {temp};
{endpoints}
    location = {small_limit_path} {{
        oauth_max_body_size 100;
        oauth_token;
    }}
}}
server {{
    {listen_h2(f"127.0.0.1:{h2port}")}
    client_body_temp_path {temp};
{endpoints}
}}
"""


def textwrap_endpoints():
    return "\n".join("    " + line for line in
                     rig.ENDPOINTS.format().splitlines())


@pytest.fixture
def srv(nginx_factory, redis, keys, ctl):
    # the workers, running as another user, write the temporary files:
    # not under pytest's private directories
    temp = tempfile.mkdtemp(prefix="oauth-body-")
    os.chmod(temp, 0o777)
    port, h2port = rig.free_port(), rig.free_port()
    n = nginx_factory(limit_http(port, h2port, redis.address, keys["RS256"],
                                 "/small/token", temp), port=port)
    n.h2port = h2port
    secret = confidential(ctl, "svc", "client_credentials")
    n.basic = "Basic " + base64.b64encode(b"svc:" + secret.encode()).decode()
    yield n
    shutil.rmtree(temp, ignore_errors=True)


def h1(srv, path, body, headers=None, chunked=False):
    h = {"Content-Type": FORM, "Authorization": srv.basic}
    h.update(headers or {})
    data = body
    if chunked:
        data = iter([body[i:i + 4096] for i in range(0, len(body), 4096)])
    return requests.post(srv.url(path), data=data, headers=h, timeout=10)


def curl_h2(srv, path, body, tmp_path, content_type=FORM):
    f = tmp_path / "body"
    f.write_bytes(body)
    out = subprocess.run(
        ["curl", "-sS", "--http2-prior-knowledge", "-o", "-",
         "-w", "\n%{http_code}|%{content_type}|%{http_version}",
         "-H", f"Content-Type: {content_type}",
         "-H", f"Authorization: {srv.basic}",
         "--data-binary", f"@{f}",
         f"http://127.0.0.1:{srv.h2port}{path}"],
        capture_output=True, text=True, timeout=20, check=True)
    text, _, tail = out.stdout.rpartition("\n")
    status, ctype, version = tail.split("|")
    assert version == "2"
    return int(status), ctype, text


def h2_post(srv, path, body, length=False):
    """HTTP/2 with or without content-length (without, nginx learns the
    size as it reads). Past the limit with a content-length nginx answers
    at once and resets the stream with NO_ERROR (RFC 9113 section 8.1),
    as it does for its own client_max_body_size; curl 7.88 reports that
    as an error (exit 92 or 18), hence this client."""
    headers = [("content-type", FORM), ("authorization", srv.basic)]
    if length:
        headers.append(("content-length", str(len(body))))
    c = H2Client(srv.h2port)
    try:
        sid = c.request("POST", path, headers, body=body)
        [st] = c.wait([sid])
        return st["status"], st["headers"].get("content-type", ""), \
            st["body"].decode()
    finally:
        c.close()


def assert_token(status, ctype, text):
    assert status == 200, text
    assert ctype == "application/json"
    assert json.loads(text)["token_type"] == "Bearer"


def assert_too_large(status, ctype, text):
    assert status == 400, text
    assert ctype == "application/json", text
    doc = json.loads(text)
    assert doc["error"] == "invalid_request"
    assert "too large" in doc["error_description"]


# ---- HTTP/1.1 ---------------------------------------------------------------

@pytest.mark.parametrize("chunked", [False, True])
def test_http1_spooled_body_at_the_limit_is_read(srv, chunked):
    r = h1(srv, "/oauth2/token", body_of(LIMIT), chunked=chunked)
    assert_token(r.status_code, r.headers["Content-Type"], r.text)
    # nginx wrote it to a temporary file (client_body_buffer_size 1k)
    assert "a client request body is buffered to a temporary file" in \
        srv.log()


@pytest.mark.parametrize("chunked", [False, True])
def test_http1_body_past_the_limit_is_invalid_request(srv, chunked):
    r = h1(srv, "/oauth2/token", body_of(LIMIT + 1), chunked=chunked)
    assert_too_large(r.status_code, r.headers["Content-Type"], r.text)
    assert r.headers["Cache-Control"] == "no-store"


def test_small_bodies_in_memory_still_work(srv):
    r = h1(srv, "/oauth2/token", b"grant_type=client_credentials")
    assert_token(r.status_code, r.headers["Content-Type"], r.text)


def test_the_limit_is_per_location(srv):
    r = h1(srv, "/small/token", body_of(100))
    assert_token(r.status_code, r.headers["Content-Type"], r.text)
    r = h1(srv, "/small/token", body_of(101))
    assert_too_large(r.status_code, r.headers["Content-Type"], r.text)


def test_browser_page_past_the_limit_is_a_413_page(srv):
    base = b"username=alice&password=x&pad="
    r = h1(srv, "/oauth2/login", body_of(LIMIT + 1, base))
    assert r.status_code == 413
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "nginx" not in r.text
    # at the limit, spooled, the form is read (and judged on its merits:
    # here a POST without login_challenge, nothing to sign in to: 400)
    r = h1(srv, "/oauth2/login", body_of(LIMIT, base))
    assert r.status_code == 400, r.text
    assert "There is nothing to sign in to" in r.text
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"


def test_login_accept_past_the_limit_is_json(srv):
    r = requests.post(srv.url("/oauth2/login/accept"),
                      data=b"{" + b" " * LIMIT + b"}",
                      headers={"Content-Type": "application/json"},
                      timeout=10)
    # no Bearer token: refused before the body matters, in JSON
    assert r.headers["Content-Type"] == "application/json"
    assert r.status_code == 401  # RFC 6750 §3: no token


# ---- HTTP/2 -----------------------------------------------------------------

def test_http2_spooled_body_at_the_limit_is_read(srv, tmp_path):
    assert_token(*curl_h2(srv, "/oauth2/token", body_of(LIMIT), tmp_path))
    assert_token(*h2_post(srv, "/oauth2/token", body_of(LIMIT)))
    assert_token(*h2_post(srv, "/oauth2/token", body_of(LIMIT), True))
    # 8 KiB, the size nginx's HTTP/2 body buffer spilled to a file at
    assert_token(*curl_h2(srv, "/oauth2/token", body_of(8193), tmp_path))


@pytest.mark.parametrize("length", [True, False])
def test_http2_body_past_the_limit_is_invalid_request(srv, length):
    assert_too_large(*h2_post(srv, "/oauth2/token", body_of(LIMIT + 1),
                              length))


@pytest.mark.parametrize("length", [True, False])
def test_http2_browser_page_past_the_limit(srv, length):
    base = b"username=alice&password=x&pad="
    status, ctype, text = h2_post(srv, "/oauth2/login",
                                  body_of(LIMIT + 1, base), length)
    assert status == 413
    assert ctype == "text/html; charset=utf-8"
