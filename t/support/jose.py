"""JOSE for the tests (jwcrypto): base64url, a JWT's claims unverified,
the served JWKS, and the checks of an access token and an ID token against
it."""
import base64
import hashlib
import json
import time

import requests
from jwcrypto import jwk, jwt


def b64url(data):
    """base64url without padding, of bytes or of a string's UTF-8."""
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_claims(token):
    """The payload of a compact JWT, not verified."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def jwks(server):
    """The key set the server publishes at /oauth2/jwks."""
    return jwk.JWKSet.from_json(requests.get(server.url("/oauth2/jwks")).text)


def verify_access_token(server, token):
    """(header, claims) of an access token checked with jwcrypto against the
    served JWKS: signature, exp, typ."""
    t = jwt.JWT(jwt=token, key=jwks(server))
    header = json.loads(t.header)
    assert header["typ"] == "at+jwt"
    return header, json.loads(t.claims)


def verify_id_token(server, id_token, client_id, access_token, nonce=None):
    """Signature against the served JWKS, then the OIDC Core §3.1.3.7
    checks; returns (header, claims)."""
    t = jwt.JWT(jwt=id_token, key=jwks(server))
    header = json.loads(t.header)
    claims = json.loads(t.claims)
    assert header["typ"] == "JWT"
    assert claims["iss"] == server.url("")
    assert claims["aud"] == client_id
    now = time.time()
    assert claims["iat"] <= now + 5 and claims["exp"] > now
    if nonce is None:
        assert "nonce" not in claims
    else:
        assert claims["nonce"] == nonce
    # OIDC Core §3.1.3.6 (RS256 and ES256: SHA-256; EdDSA: SHA-512).
    digest = hashlib.sha512 if header["alg"] == "EdDSA" else hashlib.sha256
    full = digest(access_token.encode()).digest()
    assert claims["at_hash"] == b64url(full[:len(full) // 2])
    return header, claims
