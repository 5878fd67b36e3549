"""Dynamic client registration (RFC 7591) requests, and the public client
metadata the registration and resource tests register."""
import json

import requests

from support.code_flow import REDIRECT

REGISTER = "/oauth2/register"

PUBLIC = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none",
          "client_name": "Test Assistant", "client_uri": "https://app.example.com/",
          "scope": "openid profile"}


def register(server, metadata, token=None, raw=None, content_type="application/json"):
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = "Bearer " + token
    body = raw if raw is not None else json.dumps(metadata)
    return requests.post(server.url(REGISTER), data=body, headers=headers)
