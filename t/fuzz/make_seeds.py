#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (t/fuzz/corpus/NAME/):
real tokens signed by the test keys of t/fuzz/keys/ around the harnesses'
clock, real requests of every endpoint, and the Redis records the flows
read, in the input formats the harnesses document. Run it again after a
format change; libFuzzer grows its own corpus from these under build/fuzz/.
"""
import base64
import hashlib
import json
import os
import shutil

from jwcrypto import jwk, jws, jwt

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = 1800000000            # fuzz::kNow
ISS = "https://issuer.example"
KEYS = {"rs": ("rs256.pem", "RS256"), "es": ("es256.pem", "ES256"),
        "ed": ("ed25519.pem", "EdDSA")}


def key(kid):
    with open(os.path.join(HERE, "keys", KEYS[kid][0]), "rb") as f:
        return jwk.JWK.from_pem(f.read())


def token(kid="es", typ="at+jwt", **claims):
    body = {"iss": ISS, "sub": "alice", "aud": ISS, "exp": NOW + 600,
            "iat": NOW - 5, "jti": "j" * 22, "client_id": "app",
            "scope": "openid orders:read"}
    body.update(claims)
    t = jwt.JWT(header={"alg": KEYS[kid][1], "kid": kid, "typ": typ},
                claims=body)
    t.make_signed_token(key(kid))
    return t.serialize()


def bulk(s):
    b = s.encode() if isinstance(s, str) else s
    return b"$%d\r\n%s\r\n" % (len(b), b)


def scrypt_hash(secret, ln=12):
    salt = b"0123456789abcdef"
    dk = hashlib.scrypt(secret.encode(), salt=salt, n=1 << ln, r=8, p=1,
                        maxmem=64 << 20, dklen=32)
    return "$scrypt$ln=%d,r=8,p=1$%s$%s" % (
        ln, base64.b64encode(salt).decode(), base64.b64encode(dk).decode())


CLIENT = json.dumps({
    "client_id": "svc", "name": "svc", "public": False,
    "secret_hash": scrypt_hash("s3cret"),
    "redirect_uris": ["https://app.example/cb"],
    "grant_types": ["client_credentials", "authorization_code",
                    "refresh_token", "password",
                    "urn:ietf:params:oauth:grant-type:device_code"],
    "scope": "openid profile orders:read", "consent": "once"})
PUBLIC = json.dumps({
    "client_id": "app", "name": "app", "public": True,
    "redirect_uris": ["https://app.example/cb"],
    "grant_types": ["authorization_code", "refresh_token",
                    "urn:ietf:params:oauth:grant-type:device_code"],
    "scope": "openid profile", "consent": "skip"})
USER = json.dumps({"sub": "u1", "username": "alice",
                   "password_hash": scrypt_hash("pw", ln=10),
                   "claims": {"email": "a@example.org",
                              "address": {"country": "NZ"}}})
SESSION = json.dumps({"client_id": "app", "sub": "u1", "scope": "openid",
                      "iat": NOW - 5, "exp": NOW + 600, "fam": "f1"})
BASIC = "Basic " + base64.b64encode(b"svc:s3cret").decode()
FORM = "application/x-www-form-urlencoded"
REPLIES = [b":1\r\n", b"+OK\r\n", b"$-1\r\n", b"*0\r\n",
           b"-NOSCRIPT No matching script\r\n", b"*2\r\n:1\r\n" + bulk("x")]

EP = {name: i for i, name in enumerate(
    ["discovery", "jwks", "token", "introspect", "revoke", "authorize",
     "login", "consent", "userinfo", "device_authorization",
     "device_verification", "login_accept", "logout"])}


def flow(ep, method="POST", query="", ctype=FORM, body="", auth="",
         cookie="", replies=(), flags=0):
    parts = [method, query, ctype, body, auth, cookie, "127.0.0.1"]
    head = bytes([EP[ep], flags]) + b"\0".join(p.encode() for p in parts)
    return head + b"\0" + b"".join(replies)


def dpop_proof(kid="es", htm="GET", htu="https://api.example/orders",
               iat=NOW, ath=None, **header):
    k = key(kid)
    h = {"typ": "dpop+jwt", "alg": KEYS[kid][1],
         "jwk": json.loads(k.export_public())}
    h.update(header)
    c = {"jti": "p" * 16, "htm": htm, "htu": htu, "iat": iat}
    if ath:
        c["ath"] = ath
    s = jws.JWS(json.dumps(c))
    s.add_signature(k, alg=KEYS[kid][1], protected=json.dumps(h))
    return s.serialize(compact=True).encode()


def dpop_seeds():
    url = b"https://api.example/orders"
    tok = b"an-access-token"
    ath = base64.urlsafe_b64encode(hashlib.sha256(tok).digest()).rstrip(b"=")
    jkt = key("es").thumbprint().encode()
    out = [bytes([0]) + dpop_proof(kid) + b"\0" + url + b"\0\0"
           for kid in KEYS]
    out.append(bytes([12]) + dpop_proof(ath=ath.decode()) + b"\0" + url +
               b"\0" + tok + b"\0" + jkt)
    out.append(bytes([1]) + dpop_proof(htm="POST", htu="https://API.example:443/orders?q#f")
               + b"\0" + url + b"\0\0")
    out.append(bytes([0]) + dpop_proof(typ="JWT") + b"\0" + url + b"\0\0")
    out.append(bytes([0]) + dpop_proof(iat=NOW - 100) + b"\0" + url + b"\0\0")
    out.append(bytes([0]) + b"e30.e30." + b"\0" + url)
    return out


def seeds():
    tok = token()
    yield "dpop", dpop_seeds()
    yield "require", [bytes([i]) + b"Bearer " + token(kid).encode() + b"\0" + r
                      for i, kid in enumerate(KEYS) for r in REPLIES[:3]]
    yield "require", [b"\0Bearer " + token(exp=NOW - 100).encode() + b"\0:1\r\n",
                      b"\0Bearer " + token(typ="JWT").encode() + b"\0:1\r\n",
                      b"\2bearer " + token(aud=["https://api.example", ISS],
                                           scope="orders:read openid").encode()
                      + b"\0:1\r\n",
                      b"\0Bearer", b"\0Bearer a b", b"\x80", b"\0Basic abc"]
    authz = ("response_type=code&client_id=app&redirect_uri=https%3A%2F%2F"
             "app.example%2Fcb&scope=openid&state=s&nonce=n&code_challenge="
             + "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
             + "&code_challenge_method=S256")
    yield "flow", [
        # flags 1: these run their scrypt offload (the others abandon the
        # flow there, which keeps the harness fast; the KDF dominates)
        flow("token", body="grant_type=client_credentials", auth=BASIC,
             replies=[bulk(CLIENT), b":1\r\n"], flags=1),
        flow("token", body="grant_type=client_credentials&client_id=svc"
             "&client_secret=s3cret", replies=[bulk(CLIENT), b":1\r\n"]),
        flow("token", body="grant_type=password&username=alice&password=pw"
             "&scope=openid", auth=BASIC,
             replies=[bulk(CLIENT), bulk(USER), b":1\r\n"], flags=1),
        flow("token", body="grant_type=authorization_code&code=abc&"
             "redirect_uri=https%3A%2F%2Fapp.example%2Fcb&client_id=app&"
             "code_verifier=dBjftJeZ4CVP-mJ92K9ZIOCXzoZtZ56xmI-9WD7Jm0",
             replies=[bulk(PUBLIC), b"$-1\r\n"]),
        flow("token", body="grant_type=refresh_token&refresh_token=" + "r" * 43
             + "&client_id=app", replies=[bulk(PUBLIC), b"*2\r\n:1\r\n:0\r\n"]),
        flow("token", body="grant_type=urn%3Aietf%3Aparams%3Aoauth%3A"
             "grant-type%3Adevice_code&device_code=" + "d" * 43
             + "&client_id=app", replies=[bulk(PUBLIC), b"$-1\r\n"]),
        flow("introspect", body="token=" + tok, auth=BASIC,
             replies=[bulk(CLIENT), bulk(SESSION)]),
        flow("revoke", body="token=" + tok, auth=BASIC,
             replies=[bulk(CLIENT), b":1\r\n"]),
        flow("authorize", method="GET", query=authz, ctype="",
             cookie="oauth_sso=" + "s" * 43, replies=[bulk(PUBLIC), b"$-1\r\n"]),
        flow("authorize", method="GET", query=authz + "&request=x", ctype=""),
        flow("login", method="GET", query="handle=" + "h" * 43, ctype=""),
        flow("login", body="handle=" + "h" * 43 + "&csrf=c&username=alice"
             "&password=pw", cookie="oauth_csrf=c",
             replies=[bulk("{}"), bulk(USER)], flags=1),
        flow("consent", body="handle=" + "h" * 43 + "&csrf=c&action=Approve",
             cookie="oauth_csrf=c; oauth_sso=" + "s" * 43),
        flow("userinfo", method="GET", ctype="", auth="Bearer " + tok,
             replies=[bulk(SESSION), bulk(USER)]),
        flow("device_authorization", body="client_id=app&scope=openid",
             replies=[bulk(PUBLIC), b":1\r\n"]),
        flow("device_verification", body="user_code=BCDF-GHJK&csrf=c&"
             "action=Approve", cookie="oauth_csrf=c; oauth_sso=" + "s" * 43),
        flow("login_accept", ctype="application/json",
             body=json.dumps({"login_challenge": "h" * 43, "subject": "bob",
                              "claims": {"email": "b@example.org"}}),
             auth="Bearer " + token(scope="oauth:login"),
             replies=[bulk(SESSION), b"$-1\r\n"]),
        flow("logout", method="GET", ctype="", query="id_token_hint="
             + token(typ="JWT", aud="app") + "&state=x"),
        flow("discovery", method="GET", ctype=""),
        flow("jwks", method="GET", ctype=""),
    ]
    yield "form", [b"grant_type=client_credentials&scope=a+b%20c",
                   b"a=1&a=2", b"x=%zz", b"=&&=", b"k=%E2%82%AC&v=%00"]
    yield "cookies", [b"oauth_sso\0oauth_sso=abc; oauth_csrf=x",
                      b"a\0a=\"q\"; a=2", b"b\0 b = 1 ;;c"]
    yield "basic", [BASIC.encode() + b"\0grant_type=client_credentials",
                    b"Basic " + base64.b64encode(b"a%3Ab:c%2") + b"\0",
                    b"Basic !!!\0client_id=svc",
                    BASIC.encode() + b"\0client_id=other"]
    records = [CLIENT, USER, SESSION,
               json.dumps({"client_id": "app", "redirect_uri": "https://a/cb",
                           "scope": "openid", "iat": NOW, "exp": NOW + 60}),
               json.dumps({"sub": "u1", "auth_time": NOW, "exp": NOW + 9}),
               json.dumps({"client_id": "app", "scope": "openid",
                           "status": "pending", "interval": 5,
                           "last_poll": NOW, "exp": NOW + 600}),
               json.dumps({"client_id": "app", "sub": "u1", "iat": NOW,
                           "ttl": -9223372036854775808})]
    yield "records", [bytes([i]) + r.encode() for i, r in enumerate(records)]


def main():
    corpus = os.path.join(HERE, "corpus")
    shutil.rmtree(corpus, ignore_errors=True)
    for name, inputs in seeds():
        d = os.path.join(corpus, name)
        os.makedirs(d, exist_ok=True)
        for data in inputs:
            h = hashlib.sha1(data).hexdigest()[:16]
            with open(os.path.join(d, h), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
