"""oauth_require (SPEC section 5): tokens this test signs itself with the
configured private keys (jwcrypto), sessions it creates directly in Redis, so
that exactly one thing is wrong in each refused token."""
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import time

import pytest
import requests
from jwcrypto import jwk, jwt

import rig
from support.jose import b64url
from support.require import AUD, Minter, get, jti_of, require_globals


def require_http(port, redis_address, keys, upstream_port, redis_options="",
                 extra=""):
    up = f"http://127.0.0.1:{upstream_port}"
    return f"""
{require_globals(port, redis_address, keys, redis_options)}{extra}
server {{
    listen 127.0.0.1:{port};
    location = /oauth2/revoke {{ oauth_revoke; }}
    location /api/ {{
        oauth_require scope=orders:read;
        proxy_set_header X-User $oauth_sub;
        proxy_set_header X-Client $oauth_client_id;
        proxy_set_header X-Scope $oauth_scope;
        proxy_set_header X-Jti $oauth_jti;
        proxy_set_header X-Exp $oauth_exp;
        proxy_set_header X-Name $oauth_claim_preferred_username;
        proxy_set_header X-Admin $oauth_claim_admin;
        proxy_set_header X-Level $oauth_claim_level;
        proxy_pass {up};
        location /api/public/ {{
            oauth_require off;
            proxy_set_header X-User $oauth_sub;
            proxy_pass {up};
        }}
    }}
    location /any/ {{
        oauth_require;
        proxy_set_header X-User $oauth_sub;
        proxy_pass {up};
    }}
    location /write/ {{
        oauth_require scope=orders:read,orders:write;
        proxy_pass {up};
    }}
    location /aud/ {{
        oauth_require aud={AUD};
        proxy_pass {up};
    }}
    location /strict/ {{
        oauth_require;
        oauth_leeway 0;
        oauth_realm "orders";
        proxy_pass {up};
    }}
    location /satisfy/ {{
        satisfy any;
        allow 127.0.0.1;
        deny all;
        oauth_require;
        proxy_set_header X-User $oauth_sub;
        proxy_pass {up};
    }}
    location /satisfy-deny/ {{
        satisfy any;
        deny all;
        oauth_require;
        proxy_set_header X-User $oauth_sub;
        proxy_pass {up};
    }}
    location /plain/ {{
        proxy_set_header X-User $oauth_sub;
        proxy_set_header X-Claim $oauth_claim_sub;
        proxy_pass {up};
    }}
}}
"""


@pytest.fixture
def env(nginx_factory, redis, keys, upstream):
    port = rig.free_port()
    n = nginx_factory(require_http(port, redis.address, keys, upstream.port),
                      port=port)
    m = Minter(keys, redis, f"http://127.0.0.1:{port}")
    n.minter = m
    return n


def assert_invalid_token(r, realm="api"):
    assert r.status_code == 401, r.text
    wa = r.headers["WWW-Authenticate"]
    assert wa.startswith(f'Bearer realm="{realm}", error="invalid_token"'), wa
    assert "error_description=" in wa


# ---- what passes -----------------------------------------------------------

@pytest.mark.parametrize("kid", ["rs", "es", "ed"])
def test_valid_token_reaches_upstream_with_claims(env, upstream, kid):
    t = env.minter.token(kid=kid)
    r = get(env, "/api/orders", t)
    assert r.status_code == 200, r.text
    h = r.json()["headers"]
    assert h["x-user"] == "user-42"
    assert h["x-client"] == "app"
    assert h["x-scope"] == "orders:read profile"
    assert h["x-jti"] == jti_of(t)
    assert int(h["x-exp"]) > time.time()
    assert h["x-name"] == "alice"
    assert h["x-admin"] == "true"
    assert h["x-level"] == "7"
    # the Authorization header itself still goes upstream, as nginx does
    assert upstream.hits == 1


def test_repeated_token_keeps_passing(env, upstream):
    t = env.minter.token()
    for _ in range(5):
        assert get(env, "/api/x", t).status_code == 200
    assert upstream.hits == 5


def test_scheme_is_case_insensitive(env):
    t = env.minter.token()
    for scheme in ("bearer", "BEARER", "BeArEr"):
        r = requests.get(env.url("/api/x"),
                         headers={"Authorization": f"{scheme} {t}"})
        assert r.status_code == 200, scheme


def test_typ_application_at_jwt(env):
    assert get(env, "/api/x", env.minter.token(typ="application/at+jwt")) \
        .status_code == 200
    assert get(env, "/api/x", env.minter.token(typ="AT+JWT")).status_code == 200


def test_aud_string_or_array(env):
    m = env.minter
    assert get(env, "/aud/x", m.token(aud=AUD)).status_code == 200
    assert get(env, "/aud/x", m.token(aud=["https://x", AUD])).status_code == 200


def test_leeway(env):
    m = env.minter
    now = int(time.time())
    # within the default 30s
    assert get(env, "/api/x", m.token(exp=now - 10)).status_code == 200
    assert get(env, "/api/x", m.token(nbf=now + 10)).status_code == 200
    # oauth_leeway 0 and oauth_realm in /strict/
    assert_invalid_token(get(env, "/strict/x", m.token(exp=now - 10)),
                         realm="orders")


# ---- no token, malformed header --------------------------------------------

def test_no_token(env, upstream):
    r = get(env, "/api/x")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    r = get(env, "/api/x", headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert upstream.hits == 0


def test_token_in_query_is_ignored(env):
    t = env.minter.token()
    r = requests.get(env.url("/api/x"), params={"access_token": t})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer a.b.c d.e.f",
                                   "bearer  a.b.c  d"])
def test_malformed_header(env, upstream, value):
    r = requests.get(env.url("/api/x"), headers={"Authorization": value})
    assert r.status_code == 400
    assert 'error="invalid_request"' in r.headers["WWW-Authenticate"]
    assert upstream.hits == 0


def test_two_authorization_headers(env, upstream):
    """nginx itself refuses a second Authorization header (400) before any
    module runs; whichever comes first, nothing reaches the upstream."""
    t = env.minter.token()
    for first, second in ((f"Bearer {t}", "Bearer a.b.c"),
                          ("Basic YTpi", f"Bearer {t}")):
        with socket.create_connection(("127.0.0.1", env.port), timeout=10) as s:
            s.sendall(f"GET /api/x HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: {first}\r\nAuthorization: {second}\r\n"
                      f"Connection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        assert data.startswith(b"HTTP/1.1 400 "), data[:100]
    assert upstream.hits == 0


# ---- one thing wrong ---------------------------------------------------------

def test_expired_beyond_leeway(env, upstream):
    t = env.minter.token(exp=int(time.time()) - 60)
    r = get(env, "/api/x", t)
    assert_invalid_token(r)
    assert "expired" in r.headers["WWW-Authenticate"]
    assert upstream.hits == 0


@pytest.mark.parametrize("over", [
    {"nbf": int(time.time()) + 3600},
    {"iat": int(time.time()) + 3600},
    {"iss": "https://evil.example.com"},
    {"iss": None},
    {"exp": None},
    {"jti": None},
    {"exp": "soon"},
    {"sub": "alice\r\nX-Admin: 1"},
    {"preferred_username": "a\nb"},
    {"client_id": "app\x7f"},
])
def test_one_claim_wrong(env, upstream, over):
    r = get(env, "/api/x", env.minter.token(**over))
    assert_invalid_token(r)
    assert upstream.hits == 0


def test_wrong_audience(env, upstream):
    assert_invalid_token(get(env, "/aud/x",
                             env.minter.token(aud="https://other")))
    assert_invalid_token(get(env, "/aud/x", env.minter.token(aud=None)))
    assert upstream.hits == 0


@pytest.mark.parametrize("typ", ["JWT", "jwt", None, "id_token+jwt"])
def test_wrong_typ(env, typ):
    assert_invalid_token(get(env, "/api/x", env.minter.token(typ=typ)))


def test_no_session(env, upstream):
    assert_invalid_token(get(env, "/api/x", env.minter.token(session=False)))
    assert upstream.hits == 0


def test_insufficient_scope(env, upstream):
    r = get(env, "/write/x", env.minter.token())
    assert r.status_code == 403
    wa = r.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in wa
    assert 'scope="orders:read orders:write"' in wa
    r = get(env, "/api/x", env.minter.token(scope="profile"))
    assert r.status_code == 403
    assert 'scope="orders:read"' in r.headers["WWW-Authenticate"]
    assert get(env, "/write/x", env.minter.token(
        scope="orders:write orders:read")).status_code == 200
    assert upstream.hits == 1


# ---- forgeries --------------------------------------------------------------

def test_alg_none(env, upstream):
    m = env.minter
    c = m.claims()
    m.session(c["jti"])
    for sig in (b"", b"x"):
        t = m.raw({"alg": "none", "kid": "rs", "typ": "at+jwt"}, c, sig)
        assert_invalid_token(get(env, "/api/x", t))
    t = m.raw({"alg": "none", "typ": "at+jwt"}, c, b"")
    assert_invalid_token(get(env, "/api/x", t))
    assert upstream.hits == 0


def test_hs256_signed_with_the_public_key(env, keys, upstream):
    m = env.minter
    c = m.claims()
    m.session(c["jti"])
    with open(keys["RS256"], "rb") as f:
        pub_pem = jwk.JWK.from_pem(f.read()).export_to_pem()
    head = {"alg": "HS256", "kid": "rs", "typ": "at+jwt"}
    signing_input = f"{b64url(json.dumps(head))}.{b64url(json.dumps(c))}"
    sig = hmac.new(pub_pem, signing_input.encode(), hashlib.sha256).digest()
    assert_invalid_token(get(env, "/api/x", f"{signing_input}.{b64url(sig)}"))
    assert upstream.hits == 0


def test_unknown_kid(env):
    assert_invalid_token(get(env, "/api/x",
                             env.minter.token(header={"kid": "nope"})))


def test_alg_key_mismatch(env):
    m = env.minter
    # signed by the EC key, but the header names the RSA key
    key, _ = m.jwks["es"]
    c = m.claims()
    m.session(c["jti"])
    t = jwt.JWT(header={"alg": "ES256", "kid": "rs", "typ": "at+jwt"}, claims=c)
    t.make_signed_token(key)
    assert_invalid_token(get(env, "/api/x", t.serialize()))


def test_flipped_signature_bit(env):
    t = env.minter.token()
    head, payload, sig = t.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
    raw[5] ^= 1
    assert_invalid_token(get(env, "/api/x", f"{head}.{payload}.{b64url(bytes(raw))}"))
    # and the intact token still passes (nothing cached the forgery)
    assert get(env, "/api/x", t).status_code == 200


def test_changed_payload(env):
    t = env.minter.token(scope="profile")
    head, payload, sig = t.split(".")
    c = json.loads(base64.urlsafe_b64decode(payload + "=="))
    c["scope"] = "orders:read"
    assert_invalid_token(get(env, "/api/x", f"{head}.{b64url(json.dumps(c))}.{sig}"))


def test_shapes(env, upstream):
    t = env.minter.token()
    parts = t.split(".")
    for bad in (".".join(parts[:2]), t + ".x", t + "=", "a.b.c",
                "!!!." + ".".join(parts[1:]), "a,b", t.replace(".", "$", 1)):
        r = requests.get(env.url("/api/x"),
                         headers={"Authorization": "Bearer " + bad})
        assert_invalid_token(r)
    assert upstream.hits == 0


def test_oversized_header(env):
    big = "A" * 20000
    r = requests.get(env.url("/api/x"), headers={"Authorization": "Bearer " +
                                                 big + "." + big + "." + big})
    assert r.status_code == 400  # nginx: Request Header Or Cookie Too Large
    medium = b64url(os.urandom(1500))  # fits nginx 8k header buffers
    r = get(env, "/api/x", f"{medium}.{medium}.{medium}")
    assert_invalid_token(r)
    # the worker lives on
    assert get(env, "/api/x", env.minter.token()).status_code == 200


# ---- revocation --------------------------------------------------------------

def test_revocation_refuses_the_very_next_request(env, redis, upstream):
    t = env.minter.token()
    assert get(env, "/api/x", t).status_code == 200
    redis.cli("DEL", f"oauth:at:{jti_of(t)}")
    r = get(env, "/api/x", t)
    assert_invalid_token(r)
    assert "revoked" in r.headers["WWW-Authenticate"]
    assert upstream.hits == 1


def test_revocation_at_a_second_nginx(env, nginx_factory, redis, keys,
                                      upstream):
    # a second nginx, same Redis, same keys and issuer
    port2 = rig.free_port()
    http = require_http(env.port, redis.address, keys, upstream.port)
    http = http.replace(f"listen 127.0.0.1:{env.port};",
                        f"listen 127.0.0.1:{port2};")
    n2 = nginx_factory(http, port=port2)
    t = env.minter.token()
    assert get(env, "/api/x", t).status_code == 200
    assert get(n2, "/api/x", t).status_code == 200
    redis.cli("DEL", f"oauth:at:{jti_of(t)}")
    assert_invalid_token(get(n2, "/api/x", t))
    assert_invalid_token(get(env, "/api/x", t))


# ---- Redis trouble -----------------------------------------------------------

def test_redis_down_then_back(env, redis, upstream):
    t = env.minter.token()
    assert get(env, "/api/x", t).status_code == 200
    redis.stop()
    for _ in range(3):
        assert get(env, "/api/x", t).status_code == 503
    assert upstream.hits == 1
    assert "oauth_require: 503" in env.log()
    redis.start()
    env.minter.session(jti_of(t))   # the restarted Redis kept nothing
    deadline = time.time() + 10
    while True:
        status = get(env, "/api/x", t).status_code
        if status == 200 or time.time() > deadline:
            break
        assert status == 503
        time.sleep(0.2)
    assert status == 200


def test_redis_slow_past_its_timeout(nginx_factory, redis, keys, upstream):
    port = rig.free_port()
    n = nginx_factory(require_http(port, redis.address, keys, upstream.port,
                                   redis_options="timeout=200ms"), port=port)
    m = Minter(keys, redis, f"http://127.0.0.1:{port}")
    t = m.token()
    assert get(n, "/api/x", t).status_code == 200
    os.kill(redis.proc.pid, signal.SIGSTOP)   # Redis hangs, socket open
    try:
        started = time.time()
        assert get(n, "/api/x", t).status_code == 503
        assert time.time() - started < 2
    finally:
        os.kill(redis.proc.pid, signal.SIGCONT)
    assert upstream.hits == 1
    assert "oauth_require: 503" in n.log()


def test_client_gone_while_waiting_on_redis(env, redis, upstream):
    t = env.minter.token()
    assert get(env, "/api/x", t).status_code == 200
    os.kill(redis.proc.pid, signal.SIGSTOP)   # the requests wait on Redis
    try:
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", env.port))
            s.sendall(f"GET /api/x HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {t}\r\n\r\n".encode())
            time.sleep(0.02)
            s.close()
    finally:
        os.kill(redis.proc.pid, signal.SIGCONT)
    time.sleep(0.5)
    # the worker survived and serves the next request
    assert get(env, "/api/x", t).status_code == 200


def test_keepalive_and_pipelined_requests(env):
    t = env.minter.token()
    req = (f"GET /api/x HTTP/1.1\r\nHost: x\r\n"
           f"Authorization: Bearer {t}\r\n\r\n").encode()
    bad = b"GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", env.port), timeout=10) as s:
        s.sendall(req + bad + req + req)
        data = b""
        deadline = time.time() + 10
        while data.count(b"HTTP/1.1 ") < 4 and time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    # bodies end without CRLF: a status line may follow one on its line
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
    assert statuses == [b"200", b"401", b"200", b"200"], data


# ---- nginx semantics ----------------------------------------------------------

def test_off_in_a_nested_location_and_variables_empty(env, upstream):
    r = get(env, "/api/public/x")
    assert r.status_code == 200
    assert "x-user" not in r.json()["headers"]
    # even with a valid token, an unprotected location sets nothing
    t = env.minter.token()
    r = get(env, "/plain/x", t)
    assert r.status_code == 200
    assert "x-user" not in r.json()["headers"]
    assert "x-claim" not in r.json()["headers"]
    r = get(env, "/api/public/x", t)
    assert "x-user" not in r.json()["headers"]


def test_require_without_scope(env):
    assert get(env, "/any/x", env.minter.token(scope=None)).status_code == 200
    assert get(env, "/any/x").status_code == 401


def test_satisfy_any_with_allow(env, upstream):
    # 127.0.0.1 is allowed: no token is needed ...
    r = get(env, "/satisfy/x")
    assert r.status_code == 200
    assert "WWW-Authenticate" not in r.headers
    assert "x-user" not in r.json()["headers"]
    # ... a valid one still fills the variables ...
    r = get(env, "/satisfy/x", env.minter.token())
    assert r.status_code == 200
    assert r.json()["headers"]["x-user"] == "user-42"
    # ... and with "deny all" the token is what decides
    r = get(env, "/satisfy-deny/x")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert get(env, "/satisfy-deny/x", env.minter.token()).status_code == 200


def test_log_has_reasons_never_tokens(env):
    m = env.minter
    tokens = [m.token(), m.token(exp=int(time.time()) - 100),
              m.token(session=False), m.token(typ="JWT")]
    for t in tokens:
        get(env, "/api/x", t)
    log = env.log()
    assert "oauth_require: access denied with 401, token expired" in log
    assert "token revoked (no session)" in log
    assert "typ is not at+jwt" in log
    for t in tokens:
        for part in t.split("."):
            assert part not in log


# ---- configuration --------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    ("scope=", "invalid scope"),
    ("scope=a,,b", "invalid scope"),
    ('"scope=a b"', "invalid scope"),
    ("aud=", "empty \"aud=\""),
    ("scope=a scope=b", "duplicate \"scope=\""),
    ("off scope=a", "\"off\" must be the only argument"),
    ("sope=a", "invalid parameter \"sope=a\""),
])
def test_bad_arguments_fail_nginx_t(workdir, redis, keys, args, message):
    port = rig.free_port()
    http = f"""
oauth_redis {redis.address};
oauth_issuer http://127.0.0.1:{port};
oauth_signing_key {keys['ES256']};
server {{
    listen 127.0.0.1:{port};
    location / {{
        oauth_require {args};
    }}
}}
"""
    rc, out = rig.Nginx(workdir, http, port).test_config()
    assert rc != 0
    assert message in out, out
    assert "nginx.conf:" in out


def test_good_arguments_pass_nginx_t(workdir, redis, keys):
    port = rig.free_port()
    http = f"""
oauth_redis {redis.address};
oauth_issuer http://127.0.0.1:{port};
oauth_signing_key {keys['ES256']};
oauth_require;
server {{
    listen 127.0.0.1:{port};
    location / {{ oauth_require scope=a,b:c aud=https://x; }}
    location /b/ {{ oauth_require aud=https://x scope=a; }}
    location /c/ {{ oauth_require off; }}
}}
"""
    rc, out = rig.Nginx(workdir, http, port).test_config()
    assert rc == 0, out


# ---- with the module's own token service --------------------------------------

def test_issued_token_and_revoke_endpoint(nginx_factory, redis, keys, upstream,
                                          ctl):
    """A token from /oauth2/token (client_credentials, Authlib) opens the
    API with its claims in the variables; /oauth2/revoke shuts it at once, at
    this nginx and at a second one sharing the Redis."""
    from authlib.integrations.requests_client import OAuth2Session
    port = rig.free_port()
    http = require_http(port, redis.address, keys, upstream.port)
    http = http.replace("location = /oauth2/revoke { oauth_revoke; }",
                        "location = /oauth2/revoke { oauth_revoke; }\n"
                        "    location = /oauth2/token { oauth_token; }")
    n = nginx_factory(http, port=port)
    port2 = rig.free_port()
    n2 = nginx_factory(http.replace(f"listen 127.0.0.1:{port};",
                                    f"listen 127.0.0.1:{port2};"), port=port2)
    secret = ctl("client", "create", "--id", "svc", "--grant-types",
                 "client_credentials", "--scope", "orders:read")["client_secret"]
    client = OAuth2Session("svc", secret,
                           token_endpoint_auth_method="client_secret_basic")
    tok = client.fetch_token(n.url("/oauth2/token"),
                             grant_type="client_credentials")
    at = tok["access_token"]
    r = get(n, "/api/x", at)
    assert r.status_code == 200, r.text
    h = r.json()["headers"]
    assert h["x-client"] == "svc"
    assert h["x-user"] == "svc"       # sub is the client id (SPEC section 3)
    assert h["x-scope"] == "orders:read"
    assert get(n2, "/api/x", at).status_code == 200
    r = client.revoke_token(n.url("/oauth2/revoke"), token=at,
                            token_type_hint="access_token")
    assert r.status_code == 200
    assert_invalid_token(get(n, "/api/x", at))
    assert_invalid_token(get(n2, "/api/x", at))
    assert at.split(".")[2] not in n.log() + n2.log()
