"""oauth_userinfo (OIDC Core §5.3, RFC 6750 §3): the Bearer token is checked
like oauth_require checks it, must carry openid and a live session; the
answer is sub plus the claims the token's scopes release."""
import requests

from support.code_flow import REDIRECT, bearer, exchange, put_code
from support.jose import jwt_claims

CLAIMS = {"name": "Alice Liddell", "email": "alice@example.com",
          "email_verified": True, "phone_number": "+1 555 0100",
          "birthdate": "1852-05-04"}


def token_for(server, redis, sub, scope, claims=None, client="spa"):
    code = put_code(redis, client, sub, "alice", scope=scope, claims=claims)
    r = exchange(server, code, client_id=client)
    assert r.status_code == 200, r.text
    return r.json()


def setup_users(ctl):
    ctl("client", "create", "--id", "spa", "--public", "--redirect-uri", REDIRECT,
        "--scope", "openid profile email phone orders:read", "--consent", "skip")
    return ctl("user", "create", "--username", "alice", "--password", "pw-alice-1",
               "--claim", "name=Alice Liddell", "--claim", "email=alice@example.com",
               "--claim", "locale=en-GB")


def assert_json_no_store(r):
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"


def test_userinfo_releases_claims_of_granted_scopes(server, redis, ctl):
    user = setup_users(ctl)
    tok = token_for(server, redis, user["sub"], "openid email", CLAIMS)
    for method in ("GET", "POST"):
        r = requests.request(method, server.url("/oauth2/userinfo"),
                             headers=bearer(tok["access_token"]))
        assert r.status_code == 200, r.text
        assert_json_no_store(r)
        assert r.json() == {"sub": user["sub"], "email": "alice@example.com",
                            "email_verified": True}

    tok = token_for(server, redis, user["sub"], "openid profile phone", CLAIMS)
    info = requests.get(server.url("/oauth2/userinfo"),
                        headers=bearer(tok["access_token"])).json()
    assert info == {"sub": user["sub"], "name": "Alice Liddell",
                    "preferred_username": "alice", "birthdate": "1852-05-04",
                    "phone_number": "+1 555 0100"}

    tok = token_for(server, redis, user["sub"], "openid", CLAIMS)
    info = requests.get(server.url("/oauth2/userinfo"),
                        headers=bearer(tok["access_token"])).json()
    assert info == {"sub": user["sub"]}


def test_userinfo_reads_claims_set_by_oauthctl(server, redis, ctl):
    """The browser flow puts the user record's claims (oauthctl user create
    --claim) into the code; a password-grant family has none and userinfo
    reads the user record through P sub:{sub}."""
    user = setup_users(ctl)
    ctl("client", "create", "--id", "cli", "--secret", "cli-secret-123",
        "--grant-types", "password", "--scope", "openid profile email")
    r = requests.post(server.url("/oauth2/token"),
                      data={"grant_type": "password", "username": "alice",
                            "password": "pw-alice-1", "scope": "openid profile email"},
                      auth=("cli", "cli-secret-123"))
    assert r.status_code == 200, r.text
    info = requests.get(server.url("/oauth2/userinfo"),
                        headers=bearer(r.json()["access_token"]))
    assert info.status_code == 200, info.text
    assert info.json() == {"sub": user["sub"], "name": "Alice Liddell",
                           "preferred_username": "alice", "locale": "en-GB",
                           "email": "alice@example.com"}


def test_userinfo_needs_openid(server, redis, ctl):
    user = setup_users(ctl)
    tok = token_for(server, redis, user["sub"], "profile orders:read", CLAIMS)
    r = requests.get(server.url("/oauth2/userinfo"), headers=bearer(tok["access_token"]))
    assert r.status_code == 403
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="openid"' in challenge
    assert r.json()["error"] == "insufficient_scope"
    assert r.headers["Cache-Control"] == "no-store"


def test_userinfo_refuses_revoked_tokens(server, redis, ctl):
    user = setup_users(ctl)
    tok = token_for(server, redis, user["sub"], "openid email", CLAIMS)
    url = server.url("/oauth2/userinfo")
    assert requests.get(url, headers=bearer(tok["access_token"])).status_code == 200
    jti = jwt_claims(tok["access_token"])["jti"]
    ctl("session", "revoke", "--jti", jti)
    r = requests.get(url, headers=bearer(tok["access_token"]))
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    assert r.json()["error"] == "invalid_token"

    # Revocation through RFC 7009 of the refresh token ends the family too.
    tok = token_for(server, redis, user["sub"], "openid email", CLAIMS)
    r = requests.post(server.url("/oauth2/revoke"),
                      data={"token": tok["refresh_token"], "client_id": "spa"})
    assert r.status_code == 200
    assert requests.get(url, headers=bearer(tok["access_token"])).status_code == 401


def test_userinfo_bearer_errors(server, redis, ctl):
    user = setup_users(ctl)
    url = server.url("/oauth2/userinfo")
    # No token: 401 with a bare challenge (RFC 6750 §3.1).
    r = requests.get(url)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert "error=" not in r.headers["WWW-Authenticate"]
    r = requests.get(url, headers={"Authorization": "Basic YTpi"})
    assert r.status_code == 401 and "error=" not in r.headers["WWW-Authenticate"]
    # Malformed header: 400 invalid_request.
    r = requests.get(url, headers={"Authorization": "Bearer"})
    assert r.status_code == 400
    assert 'error="invalid_request"' in r.headers["WWW-Authenticate"]
    r = requests.get(url, headers={"Authorization": "Bearer a b"})
    assert r.status_code == 400
    # Forged or foreign tokens: 401 invalid_token.
    tok = token_for(server, redis, user["sub"], "openid email", CLAIMS)
    at = tok["access_token"]
    head, payload, sig = at.split(".")
    forged = head + "." + payload + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
    for bad in (forged, "not-a-jwt", tok["id_token"]):
        r = requests.get(url, headers=bearer(bad))
        assert r.status_code == 401, bad
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    # The token never reaches the log.
    assert at not in server.log()
    # Not in the query string, ever (nginx's own request line in the log
    # context shows such a URL: the client put it there).
    r = requests.get(url + "?access_token=" + at)
    assert r.status_code == 401
    assert "error=" not in r.headers["WWW-Authenticate"]
    # Other methods.
    r = requests.put(url, headers=bearer(at))
    assert r.status_code == 405


def test_userinfo_only_trusts_a_user_record_with_the_tokens_sub(server, redis, ctl):
    """A family without stored claims (password grant) reads the user record
    through P sub:{sub}; a record whose sub is not the token's (a broken or
    tampered index) releases nothing."""
    user = setup_users(ctl)
    ctl("user", "create", "--username", "mallory", "--password", "pw-mallory",
        "--claim", "email=mallory@example.com")
    ctl("client", "create", "--id", "cli", "--secret", "cli-secret-123",
        "--grant-types", "password", "--scope", "openid email")
    r = requests.post(server.url("/oauth2/token"),
                      data={"grant_type": "password", "username": "alice",
                            "password": "pw-alice-1"},
                      auth=("cli", "cli-secret-123"))
    at = r.json()["access_token"]
    url = server.url("/oauth2/userinfo")
    assert requests.get(url, headers=bearer(at)).json()["email"] == "alice@example.com"
    redis.cli("SET", "oauth:sub:" + user["sub"], "mallory")
    r = requests.get(url, headers=bearer(at))
    assert r.status_code == 200
    assert r.json() == {"sub": user["sub"]}
    # And a deleted user's tokens die with it (oauthctl user delete revokes).
    redis.cli("SET", "oauth:sub:" + user["sub"], "alice")
    ctl("user", "delete", "alice")
    assert requests.get(url, headers=bearer(at)).status_code == 401


def test_userinfo_answers_with_the_locations_realm(nginx_factory, redis,
                                                         keys, ctl):
    """The userinfo location's oauth_realm names the challenge (its
    oauth_leeway applies too), as in oauth_require locations."""
    import rig
    port = rig.free_port()
    n = nginx_factory(rig.standard_http(port, redis.address, [keys["RS256"]],
                                        server_extra="""
        location = /accounts/userinfo {
            oauth_realm accounts;
            oauth_leeway 0s;
            oauth_userinfo;
        }"""), port=port)
    r = requests.get(n.url("/accounts/userinfo"))
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="accounts"'
    r = requests.get(n.url("/oauth2/userinfo"))
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    user = setup_users(ctl)
    tok = token_for(n, redis, user["sub"], "openid")
    r = requests.get(n.url("/accounts/userinfo"),
                     headers=bearer(tok["access_token"]))
    assert r.status_code == 200 and r.json()["sub"] == user["sub"]
