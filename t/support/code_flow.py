"""Helpers for the authorization-code and userinfo tests: codes written
straight into Redis (the record format of src/core/oauth/code.h), a browser
that fills the module's real HTML forms, and ID-token checks with jwcrypto."""
import base64
import hashlib
import json
import secrets
import time
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import requests
from jwcrypto import jwk, jwt

REDIRECT = "https://app.example.com/cb"
PREFIX = "oauth:"

# RFC 7636 Appendix B.
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


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


def jwks(server):
    return jwk.JWKSet.from_json(requests.get(server.url("/oauth2/jwks")).text)


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


def bearer(token):
    return {"Authorization": "Bearer " + token}


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Forms(HTMLParser):
    """Every form of a page: action, method, its inputs and its buttons."""

    def __init__(self, text):
        super().__init__()
        self.forms = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""),
                               "method": (a.get("method") or "get").lower(),
                               "inputs": {}, "types": {}, "buttons": []})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["inputs"][a["name"]] = a.get("value", "")
            self.forms[-1]["types"][a["name"]] = (a.get("type") or "text").lower()
        elif tag == "button" and self.forms:
            self.forms[-1]["buttons"].append((a.get("name"), a.get("value"),
                                              a.get("type", "submit")))


class Browser:
    """A person with a web browser, scripted: follows redirects inside the
    authorization server, fills the login form and presses Approve, and stops
    at the first redirect that leaves for the client."""

    def __init__(self, server):
        self.server = server
        self.session = requests.Session()

    def authorize(self, url, username, password, decision="approve"):
        response = self.session.get(url, allow_redirects=False)
        for _ in range(10):
            if response.status_code in (301, 302, 303, 307):
                location = urljoin(response.url, response.headers["Location"])
                if not location.startswith(self.server.url("")):
                    return location
                response = self.session.get(location, allow_redirects=False)
                continue
            assert response.status_code == 200, response.text
            form = Forms(response.text).forms[0]
            data = dict(form["inputs"])
            types = form["types"]
            if "password" in types.values():
                for name, kind in types.items():
                    if kind == "password":
                        data[name] = password
                    elif kind in ("text", "email"):
                        data[name] = username
            else:
                names = [b[0] for b in form["buttons"] if b[0]]
                data[names[0]] = decision
            response = self.session.post(urljoin(response.url, form["action"]),
                                         data=data, allow_redirects=False)
        raise AssertionError("the authorization never came back to the client")


def query_of(url):
    from urllib.parse import parse_qs
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
