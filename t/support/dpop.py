"""DPoP proofs made with jwcrypto (RFC 9449 §4.2), with one thing changed
when a test wants a forgery."""
import hashlib
import json
import os
import time

from jwcrypto import jwk, jws

from support.jose import b64url


def ath(token):
    return b64url(hashlib.sha256(token.encode()).digest())


class Prover:
    """A client's proof key and the proofs it signs."""

    def __init__(self, kty="EC", alg="ES256"):
        if kty == "EC":
            self.key = jwk.JWK.generate(kty="EC", crv="P-256")
        elif kty == "OKP":
            self.key = jwk.JWK.generate(kty="OKP", crv="Ed25519")
        else:
            self.key = jwk.JWK.generate(kty="RSA", size=2048)
        self.alg = alg

    @property
    def jkt(self):
        return self.key.thumbprint()

    def public_jwk(self):
        return json.loads(self.key.export_public())

    def proof(self, method, url, token=None, header=None, drop=(), **claims):
        c = {"jti": b64url(os.urandom(12)), "htm": method, "htu": url,
             "iat": int(time.time())}
        if token is not None:
            c["ath"] = ath(token)
        c.update(claims)
        for k in drop:
            c.pop(k, None)
        h = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.public_jwk()}
        h.update(header or {})
        s = jws.JWS(json.dumps(c))
        s.add_signature(self.key, alg=self.alg, protected=json.dumps(h))
        return s.serialize(compact=True)

    def unsigned(self, method, url, alg="none"):
        h = {"typ": "dpop+jwt", "alg": alg, "jwk": self.public_jwk()}
        c = {"jti": b64url(os.urandom(12)), "htm": method, "htu": url,
             "iat": int(time.time())}
        return f"{b64url(json.dumps(h))}.{b64url(json.dumps(c))}."

    def hmac(self, method, url):
        import hmac as _hmac
        h = {"typ": "dpop+jwt", "alg": "HS256", "jwk": self.public_jwk()}
        c = {"jti": b64url(os.urandom(12)), "htm": method, "htu": url,
             "iat": int(time.time())}
        inp = f"{b64url(json.dumps(h))}.{b64url(json.dumps(c))}"
        mac = _hmac.new(b"secret", inp.encode(), hashlib.sha256).digest()
        return f"{inp}.{b64url(mac)}"

    def with_private_jwk(self, method, url, token=None):
        """A proof whose jwk carries the private key (RFC 9449 §4.3 step 7)."""
        return self.proof(method, url, token=token,
                          header={"jwk": json.loads(self.key.export_private())})

    def signed_as(self, alg, method, url, token=None, **claims):
        """A proof whose header names alg while the signature is what this
        key signs natively: Ed25519 for an OKP key (jwcrypto knows no
        "Ed25519" alg, RFC 9864), PKCS#1 v1.5 SHA-256 for an RSA key, and
        for an EC key 64 bytes that are no signature at all."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        c = {"jti": b64url(os.urandom(12)), "htm": method, "htu": url,
             "iat": int(time.time())}
        if token is not None:
            c["ath"] = ath(token)
        c.update(claims)
        h = {"typ": "dpop+jwt", "alg": alg, "jwk": self.public_jwk()}
        inp = f"{b64url(json.dumps(h))}.{b64url(json.dumps(c))}".encode()
        k = self.key.get_op_key("sign")
        kty = self.key.export_public(as_dict=True)["kty"]
        if kty == "OKP":
            sig = k.sign(inp)
        elif kty == "RSA":
            sig = k.sign(inp, padding.PKCS1v15(), hashes.SHA256())
        else:
            sig = os.urandom(64)
        return f"{inp.decode()}.{b64url(sig)}"
