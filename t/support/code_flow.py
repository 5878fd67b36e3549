"""Helpers for the authorization-code and userinfo tests: PKCE, codes
written straight into Redis (the record format of src/core/oauth/code.h) and
their exchange at the token endpoint."""
import hashlib
import json
import secrets
import time

import requests

from support.jose import b64url

REDIRECT = "https://app.example.com/cb"
PREFIX = "oauth:"

# RFC 7636 Appendix B.
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def s256(verifier):
    return b64url(hashlib.sha256(verifier.encode()).digest())


def new_verifier():
    return secrets.token_urlsafe(48)


def put_code(redis, client_id, sub, username, scope="openid", challenge=RFC_CHALLENGE,
             redirect_uri=REDIRECT, nonce="", claims=None, auth_time=None,
             iat=None, ttl=60):
    """Stores an authorization code record as oauth_consent would, and
    returns the code (only its SHA-256 is a key)."""
    now = int(time.time())
    code = secrets.token_urlsafe(32)
    record = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge or "",
        "code_challenge_method": "S256" if challenge else "",
        "nonce": nonce,
        "scope": scope,
        "sub": sub,
        "username": username,
        "auth_time": now - 5 if auth_time is None else auth_time,
        "claims": claims or {},
        "iat": now if iat is None else iat,
    }
    key = PREFIX + "code:" + hashlib.sha256(code.encode()).hexdigest()
    redis.cli("SET", key, json.dumps(record), "EX", ttl)
    return code


def exchange(server, code, client_id=None, verifier=RFC_VERIFIER,
             redirect_uri=REDIRECT, auth=None):
    data = {"grant_type": "authorization_code", "code": code}
    if redirect_uri is not None:
        data["redirect_uri"] = redirect_uri
    if verifier is not None:
        data["code_verifier"] = verifier
    if client_id is not None:
        data["client_id"] = client_id
    return requests.post(server.url("/oauth2/token"), data=data, auth=auth)


def bearer(token):
    return {"Authorization": "Bearer " + token}
