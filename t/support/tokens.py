"""Helpers shared by the token, introspection, revocation and oauthctl tests."""
import requests
from authlib.integrations.requests_client import OAuth2Session

TOKEN = "/oauth2/token"
INTROSPECT = "/oauth2/introspect"
REVOKE = "/oauth2/revoke"


def session(server, client_id, secret=None, method="client_secret_basic",
            **kw):
    """An Authlib OAuth2 client for the server's token endpoint."""
    if secret is None:
        method = "none"
    return OAuth2Session(client_id, secret, token_endpoint_auth_method=method,
                         **kw)


def post(server, path, data, auth=None, headers=None):
    return requests.post(server.url(path), data=data, auth=auth,
                         headers=headers or {})


def assert_error(r, status, error, challenge=False):
    """An RFC 6749 §5.2 error answer, exactly."""
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json()
    assert body["error"] == error, body
    assert set(body) <= {"error", "error_description"}
    if challenge:
        assert r.headers["WWW-Authenticate"].startswith("Basic realm=")
    else:
        assert "WWW-Authenticate" not in r.headers


def api(server, token):
    return requests.get(server.url("/api/x"),
                        headers={"Authorization": "Bearer " + token})


def confidential(ctl, client_id, grants, scope="a b"):
    out = ctl("client", "create", "--id", client_id, "--grant-types", grants,
              "--scope", scope)
    return out["client_secret"]


def assert_needs_client_authentication(server, path, token, client_id, secret):
    """RFC 6749 §2.3 at an endpoint that takes a token: a wrong secret is
    401 invalid_client with a Basic challenge, no credentials 401
    invalid_client, and good credentials without the token 400
    invalid_request."""
    r = post(server, path, {"token": token}, auth=(client_id, "wrong"))
    assert_error(r, 401, "invalid_client", challenge=True)
    r = post(server, path, {"token": token})
    assert_error(r, 401, "invalid_client")
    r = post(server, path, {}, auth=(client_id, secret))
    assert_error(r, 400, "invalid_request")


def password_grant(server, client_id, secret, username, password="pw"):
    """The password grant at TOKEN for a confidential client (Basic)."""
    return post(server, TOKEN, {"grant_type": "password", "username": username,
                                "password": password}, auth=(client_id, secret))


def refresh_grant(server, refresh_token, client_id, secret):
    """The refresh_token grant at TOKEN for a confidential client (Basic)."""
    return post(server, TOKEN, {"grant_type": "refresh_token",
                                "refresh_token": refresh_token}, auth=(client_id, secret))
