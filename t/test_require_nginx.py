"""oauth_require next to the nginx modules it is used with (issue 4):
limit_req, auth_request and fastcgi_pass (proxy_pass and satisfy are in
test_require.py). Each shows the order nginx runs them in and what reaches
the upstream."""
import os
import shutil
import signal
import subprocess

import pytest

import rig
from support.require import Minter, get, require_globals

FCGIWRAP = shutil.which("fcgiwrap") or "/usr/sbin/fcgiwrap"

# A CGI script run by fcgiwrap, a real FastCGI server: it answers with what
# nginx passed as FastCGI parameters.
ECHO_CGI = """#!/bin/sh
echo run >> @RUNS@
printf 'Content-Type: text/plain\\r\\n\\r\\n'
printf 'sub=%s\\n' "$OAUTH_SUB"
printf 'scope=%s\\n' "$OAUTH_SCOPE"
printf 'authorization=%s\\n' "$HTTP_AUTHORIZATION"
"""


def combos_http(port, redis_address, keys, upstream_port, fcgi_address,
                cgi_script):
    up = f"http://127.0.0.1:{upstream_port}"
    return f"""
{require_globals(port, redis_address, keys)}limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;

server {{
    listen 127.0.0.1:{port};

    location /limited/ {{
        limit_req zone=one nodelay;
        limit_req_status 429;
        oauth_require;
        proxy_pass {up};
    }}

    location /checked/ {{
        oauth_require;
        auth_request /_authz;
        proxy_set_header X-User $oauth_sub;
        proxy_pass {up};
    }}
    location /checked-deny/ {{
        oauth_require;
        auth_request /_authz_deny;
        proxy_pass {up};
    }}
    location = /_authz {{
        internal;
        proxy_pass {up}/authz;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header X-Authz-User $oauth_sub;
        proxy_set_header X-Authz-Scope $oauth_scope;
    }}
    location = /_authz_deny {{
        internal;
        return 403;
    }}

    location /fcgi/ {{
        oauth_require scope=orders:read;
        include /etc/nginx/fastcgi_params;
        fastcgi_param SCRIPT_FILENAME {cgi_script};
        fastcgi_param OAUTH_SUB $oauth_sub;
        fastcgi_param OAUTH_SCOPE $oauth_scope;
        fastcgi_pass {fcgi_address};
    }}
}}
"""


@pytest.fixture
def fcgi(tmp_path):
    """fcgiwrap on a loopback port (nginx's workers run as another user, so
    a socket under pytest's private directories would be out of their
    reach); yields (address, script path, file of the script's runs)."""
    runs = tmp_path / "runs"
    script = tmp_path / "echo.cgi"
    script.write_text(ECHO_CGI.replace("@RUNS@", str(runs)))
    script.chmod(0o755)
    port = rig.free_port()
    proc = subprocess.Popen([FCGIWRAP, "-c", "2", "-s", f"tcp:127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            start_new_session=True)
    rig.wait_port(port)
    yield f"127.0.0.1:{port}", str(script), runs
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=5)


@pytest.fixture
def combos(nginx_factory, redis, keys, upstream, fcgi):
    port = rig.free_port()
    address, script, _ = fcgi
    n = nginx_factory(combos_http(port, redis.address, keys, upstream.port,
                                  address, script), port=port)
    n.minter = Minter(keys, redis, f"http://127.0.0.1:{port}")
    return n


# ---- limit_req ---------------------------------------------------------------

def test_limit_req_runs_before_the_token_check(combos, upstream):
    # limit_req works in the pre-access phase: past the rate a request is
    # refused before its token costs a verification or a Redis round trip,
    # whatever the token; within the rate, oauth_require decides.
    assert get(combos, "/limited/x", combos.minter.token()).status_code == 200
    assert upstream.hits == 1
    r = get(combos, "/limited/x", combos.minter.token())
    assert r.status_code == 429
    r = get(combos, "/limited/x", "not-even-a-jwt")
    assert r.status_code == 429
    assert "WWW-Authenticate" not in r.headers
    assert upstream.hits == 1


# ---- auth_request ------------------------------------------------------------

def test_auth_request_runs_after_the_token_passed(combos, upstream):
    r = get(combos, "/checked/orders", combos.minter.token())
    assert r.status_code == 200, r.text
    paths = [p for p, _ in upstream.seen]
    assert paths == ["/authz", "/checked/orders"]
    # the subrequest sees the main request's $oauth_* values
    authz = upstream.seen[0][1]
    assert authz["x-authz-user"] == "user-42"
    assert authz["x-authz-scope"] == "orders:read profile"
    assert upstream.seen[1][1]["x-user"] == "user-42"


def test_a_refused_token_never_reaches_auth_request(combos, upstream):
    # "satisfy all" (the default): the first refusal ends the request, and
    # oauth_require runs before auth_request.
    r = get(combos, "/checked/orders")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith('Bearer realm="api"')
    r = get(combos, "/checked/orders", combos.minter.token(session=False))
    assert r.status_code == 401
    assert upstream.seen == []


def test_auth_request_can_still_refuse_a_valid_token(combos, upstream):
    r = get(combos, "/checked-deny/orders", combos.minter.token())
    assert r.status_code == 403
    assert upstream.seen == []


# ---- fastcgi_pass --------------------------------------------------------------

def parse_cgi(text):
    return dict(line.split("=", 1) for line in text.strip().splitlines())


def test_fastcgi_upstream_gets_the_claims(combos):
    token = combos.minter.token()
    r = get(combos, "/fcgi/x", token)
    assert r.status_code == 200, r.text
    seen = parse_cgi(r.text)
    assert seen["sub"] == "user-42"
    assert seen["scope"] == "orders:read profile"
    assert seen["authorization"] == f"Bearer {token}"


def test_fastcgi_upstream_is_never_reached_without_a_valid_token(combos, fcgi):
    runs = fcgi[2]
    assert get(combos, "/fcgi/x").status_code == 401
    r = get(combos, "/fcgi/x", combos.minter.token(scope="profile"))
    assert r.status_code == 403
    assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
    assert not runs.exists()
    assert get(combos, "/fcgi/x", combos.minter.token()).status_code == 200
    assert runs.read_text() == "run\n"
