"""oauth_require under "satisfy any" next to nginx's own access modules
(issue 18, item 1). nginx runs the access handlers in the reverse order of
their registration: oauth_require first, then allow/deny, auth_basic and
auth_request. So every case here is "oauth_require refuses, then another
module decides", the order in which nginx >= 1.23 walks the
r->headers_out.www_authenticate list through h->next when it grants.

Run against both nginx versions (make test does)."""
import base64
import os
import shutil
import tempfile

import pytest
import requests

import rig
from support.require import Minter, get, require_globals


def satisfy_http(port, redis_address, keys, upstream_port, htpasswd):
    up = f"http://127.0.0.1:{upstream_port}"
    return f"""
{require_globals(port, redis_address, keys)}
server {{
    listen 127.0.0.1:{port};

    location /allow/ {{
        satisfy any;
        oauth_require;
        allow 127.0.0.1;
        deny all;
        proxy_set_header X-User $oauth_sub;
        proxy_pass {up};
    }}
    location /basic/ {{
        satisfy any;
        oauth_require;
        auth_basic "staff";
        auth_basic_user_file {htpasswd};
        proxy_set_header X-User $oauth_sub;
        proxy_pass {up};
    }}
    location /basic-then-authreq/ {{
        satisfy any;
        oauth_require;
        auth_basic "staff";
        auth_basic_user_file {htpasswd};
        auth_request /_grant;
        proxy_pass {up};
    }}
    location = /_grant {{
        internal;
        return 204;
    }}
}}
"""


@pytest.fixture
def sat(nginx_factory, redis, keys, upstream):
    # auth_basic opens the file in the worker, which runs as another user:
    # not under pytest's private directories
    d = tempfile.mkdtemp(prefix="oauth-htpasswd-")
    os.chmod(d, 0o755)
    htpasswd = os.path.join(d, "htpasswd")
    with open(htpasswd, "w") as f:
        f.write("staff:{PLAIN}s3cret\n")
    os.chmod(htpasswd, 0o644)
    port = rig.free_port()
    n = nginx_factory(satisfy_http(port, redis.address, keys, upstream.port,
                                   htpasswd), port=port)
    n.minter = Minter(keys, redis, f"http://127.0.0.1:{port}")
    yield n
    shutil.rmtree(d, ignore_errors=True)


BASIC_OK = "Basic " + base64.b64encode(b"staff:s3cret").decode()
BASIC_BAD = "Basic " + base64.b64encode(b"staff:wrong").decode()


def challenges(r):
    return r.raw.headers.getlist("WWW-Authenticate")


def many(n, path, headers, count=40):
    """Requests on one kept-alive connection, then on fresh ones: the
    pool memory under a header pushed by the module is reused, so a
    "next" pointer left unset holds garbage sooner or later."""
    out = []
    with requests.Session() as s:
        for _ in range(count):
            out.append(s.get(n.url(path), headers=headers, timeout=10))
    for _ in range(count // 4):
        out.append(requests.get(n.url(path), headers=headers, timeout=10))
    return out


def test_refused_token_then_allow_grants(sat, upstream):
    workers = sat.worker_pids()
    for r in many(sat, "/allow/x", {}):
        assert r.status_code == 200, r.text
        assert challenges(r) == []
        assert "x-user" not in r.json()["headers"]
    # an invalid token is refused by oauth_require, then allowed too
    for r in many(sat, "/allow/x", {"Authorization": "Bearer a.b.c"}, 8):
        assert r.status_code == 200
        assert challenges(r) == []
    assert sat.worker_pids() == workers


def test_refused_token_then_auth_basic_grants(sat, upstream):
    workers = sat.worker_pids()
    for r in many(sat, "/basic/x", {"Authorization": BASIC_OK}):
        assert r.status_code == 200, r.text
        assert challenges(r) == []
    assert sat.worker_pids() == workers


def test_valid_token_alone_grants(sat, upstream):
    r = get(sat, "/basic/x", sat.minter.token())
    assert r.status_code == 200
    assert r.json()["headers"]["x-user"] == "user-42"
    assert challenges(r) == []


def test_nobody_grants_both_challenges(sat):
    workers = sat.worker_pids()
    for r in many(sat, "/basic/x", {"Authorization": BASIC_BAD}, 8):
        assert r.status_code == 401
        assert sorted(challenges(r)) == ['Basic realm="staff"',
                                         'Bearer realm="api"']
    assert sat.worker_pids() == workers


def test_auth_request_grants_after_two_refusals(sat, upstream):
    # oauth_require refuses (Bearer), auth_basic refuses (Basic) and
    # auth_request grants: the answer carries neither challenge
    workers = sat.worker_pids()
    for headers in ({}, {"Authorization": BASIC_BAD}):
        for r in many(sat, "/basic-then-authreq/x", headers, 8):
            assert r.status_code == 200, r.text
            assert challenges(r) == [], challenges(r)
    assert sat.worker_pids() == workers
