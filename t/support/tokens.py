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
