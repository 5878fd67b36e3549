"""The module's stateless DPoP nonces computed independently from the
signing key's PEM (README "Server-provided nonces"), so a test can name the
nonce of any window without asking the server."""
import base64
import hashlib
import hmac
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def _secret(pem_path):
    with open(pem_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.private_numbers().private_value.to_bytes(32, "big")
    if isinstance(key, rsa.RSAPrivateKey):
        d = key.private_numbers().d
        return d.to_bytes((d.bit_length() + 7) // 8, "big")
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.private_bytes(serialization.Encoding.Raw,
                                 serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    raise ValueError("unsupported key")


def nonce(pem_path, lifetime, now=None, windows_back=0):
    """The nonce of the window holding now (minus windows_back windows)."""
    now = int(time.time()) if now is None else now
    window = now // lifetime - windows_back
    nonce_key = hmac.new(_secret(pem_path), b"ngx_http_oauth DPoP-Nonce v1",
                         hashlib.sha256).digest()
    mac = hmac.new(nonce_key, f"DPoP-Nonce {lifetime} {window}".encode(),
                   hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def window(lifetime):
    return int(time.time()) // lifetime
