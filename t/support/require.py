"""What the oauth_require tests share: a Minter that signs access tokens with
the configured private keys (jwcrypto) and creates their sessions directly in
Redis, so that exactly one thing is wrong in each refused token."""
import json
import os
import time

import requests
from jwcrypto import jwk, jwt

from support.jose import b64url, jwt_claims

AUD = "https://api.example.com"


class Minter:
    """Signs access tokens with the configured private keys and creates
    their sessions in Redis as the token service does ({prefix}at:{jti})."""

    def __init__(self, keys, redis, issuer):
        self.redis = redis
        self.issuer = issuer
        self.jwks = {}
        for kid, alg in (("rs", "RS256"), ("es", "ES256"), ("ed", "EdDSA")):
            with open(keys[alg], "rb") as f:
                self.jwks[kid] = (jwk.JWK.from_pem(f.read()), alg)

    def claims(self, **over):
        now = int(time.time())
        # aud: the issuer, as the token service mints it when
        # oauth_audience is unset (and oauth_require then checks it).
        c = {"iss": self.issuer, "sub": "user-42", "aud": self.issuer,
             "client_id": "app", "scope": "orders:read profile",
             "jti": b64url(os.urandom(16)), "iat": now, "exp": now + 600,
             "preferred_username": "alice", "admin": True, "level": 7}
        for k, v in over.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def token(self, kid="rs", typ="at+jwt", session=True, header=None,
              **over):
        key, alg = self.jwks[kid]
        c = self.claims(**over)
        h = {"alg": alg, "kid": kid, "typ": typ}
        if typ is None:
            del h["typ"]
        h.update(header or {})
        t = jwt.JWT(header=h, claims=c)
        t.make_signed_token(key)
        if session and "jti" in c:
            self.session(c["jti"])
        return t.serialize()

    def session(self, jti, ttl=600):
        self.redis.cli("SET", f"oauth:at:{jti}", json.dumps({"sub": "user-42"}),
                       "EX", ttl)

    def raw(self, header, claims, signature=b"x"):
        return f"{b64url(json.dumps(header))}.{b64url(json.dumps(claims))}." \
               f"{b64url(signature)}"


def require_globals(port, redis_address, keys, redis_options=""):
    """The http-level directives of the oauth_require tests: the Redis, the
    issuer at the test's port, and the three keys the Minter signs with."""
    return f"""
oauth_redis {redis_address} {redis_options};
oauth_issuer http://127.0.0.1:{port};
oauth_signing_key {keys['RS256']} kid=rs;
oauth_signing_key {keys['ES256']} kid=es;
oauth_signing_key {keys['EdDSA']} kid=ed;
"""


def get(n, path, token=None, headers=None):
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    return requests.get(n.url(path), headers=h, timeout=10)


def jti_of(token):
    return jwt_claims(token)["jti"]
