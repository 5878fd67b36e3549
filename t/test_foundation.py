"""The module loads into Debian's nginx; JWKS and discovery; nginx -t errors."""
import json
import os

import pytest
import requests
from jwcrypto import jwk, jws

import rig


def test_module_loads_and_serves_jwks_for_every_algorithm(nginx_factory, keys,
                                                         redis):
    port = rig.free_port()
    n = nginx_factory(rig.standard_http(
        port, redis.address, [keys["RS256"], keys["ES256"], keys["EdDSA"]]),
        port=port)
    r = requests.get(n.url("/oauth2/jwks"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert "max-age" in r.headers["Cache-Control"]
    doc = r.json()
    assert [k["alg"] for k in doc["keys"]] == ["RS256", "ES256", "EdDSA"]
    keyset = jwk.JWKSet.from_json(r.text)
    for k, path in zip(doc["keys"], [keys["RS256"], keys["ES256"], keys["EdDSA"]]):
        assert k["use"] == "sig"
        for private in ("d", "p", "q", "dp", "dq", "qi"):
            assert private not in k
        # the served public key is the public half of the configured key
        with open(path, "rb") as f:
            priv = jwk.JWK.from_pem(f.read())
        assert keyset.get_key(k["kid"]).thumbprint() == priv.thumbprint()
        # kid defaults to the RFC 7638 thumbprint
        assert k["kid"] == priv.thumbprint()


def test_discovery_lists_configured_endpoints(server):
    for path in ("/.well-known/openid-configuration",
                 "/.well-known/oauth-authorization-server"):
        r = requests.get(server.url(path))
        assert r.status_code == 200
        doc = r.json()
        base = server.url("")
        assert doc["issuer"] == base
        assert doc["token_endpoint"] == base + "/oauth2/token"
        assert doc["jwks_uri"] == base + "/oauth2/jwks"
        assert doc["introspection_endpoint"] == base + "/oauth2/introspect"
        assert doc["revocation_endpoint"] == base + "/oauth2/revoke"
        assert doc["authorization_endpoint"] == base + "/oauth2/authorize"
        assert doc["userinfo_endpoint"] == base + "/oauth2/userinfo"
        assert doc["device_authorization_endpoint"] == \
            base + "/oauth2/device_authorization"
        assert doc["response_types_supported"] == ["code"]
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["authorization_response_iss_parameter_supported"] is True
        for field in ("grant_types_supported", "scopes_supported",
                      "token_endpoint_auth_methods_supported",
                      "id_token_signing_alg_values_supported",
                      "subject_types_supported", "claims_supported"):
            assert doc[field], field


def test_discovery_lists_only_what_the_server_has(nginx_factory, keys):
    port = rig.free_port()
    n = nginx_factory(f"""
        oauth_issuer https://auth.example.com/;
        oauth_signing_key {keys["ES256"]} kid=k2;
        server {{
            listen 127.0.0.1:{port};
            location = /.well-known/openid-configuration {{ oauth_discovery; }}
            location = /keys {{ oauth_jwks; }}
        }}""", port=port)
    doc = requests.get(n.url("/.well-known/openid-configuration")).json()
    assert doc["issuer"] == "https://auth.example.com"
    assert doc["jwks_uri"] == "https://auth.example.com/keys"
    assert "token_endpoint" not in doc
    assert "authorization_endpoint" not in doc
    assert doc["id_token_signing_alg_values_supported"] == ["ES256"]
    assert requests.get(n.url("/keys")).json()["keys"][0]["kid"] == "k2"


def test_server_keys_replace_inherited_keys(nginx_factory, keys):
    port = rig.free_port()
    n = nginx_factory(f"""
        oauth_issuer http://127.0.0.1:{port};
        oauth_signing_key {keys["RS256"]} kid=outer;
        server {{
            listen 127.0.0.1:{port};
            oauth_signing_key {keys["EdDSA"]} kid=inner;
            location = /jwks {{ oauth_jwks; }}
        }}""", port=port)
    kids = [k["kid"] for k in requests.get(n.url("/jwks")).json()["keys"]]
    assert kids == ["inner"]


def nginx_t(workdir, http):
    n = rig.Nginx(workdir, http, rig.free_port())
    return n.test_config() + (n.conf,)


BAD_CONFIGS = {
    "unreadable key": ("oauth_signing_key /nonexistent/key.pem;", 2,
                       "cannot use signing key"),
    "rsa 1024": ("oauth_signing_key {RS1024};", 2, "2048"),
    "p-384": ("oauth_signing_key {ES384};", 2, "signing key"),
    "duplicate kid": ("oauth_signing_key {RS256} kid=a;\n"
                      "oauth_signing_key {ES256} kid=a;", 3, "duplicate"),
    "bad kid parameter": ("oauth_signing_key {RS256} id=a;", 2, "invalid"),
    "bad issuer": ("oauth_issuer ftp://x;", 2, "invalid issuer"),
    "bad time": ("oauth_access_token_ttl 10x;", 2, "invalid value"),
    "bad leeway": ("oauth_leeway forever;", 2, "invalid value"),
    "bad redis address": ("oauth_redis 127.0.0.1:notaport;", 2, ""),
    "bad redis option": ("oauth_redis 127.0.0.1:6379 colour=blue;", 2, ""),
    "bad redis timeout": ("oauth_redis 127.0.0.1:6379 timeout=soon;", 2, ""),
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_nginx_t_names_file_and_line(workdir, keys, name):
    directive, line, text = BAD_CONFIGS[name]
    # line numbers count from the http{} body: the rig puts the body after a
    # fixed preamble, so find the directive's real line in the file
    rc, out, conf = nginx_t(workdir, directive.format(**keys) + "\n")
    assert rc != 0
    with open(conf) as f:
        lines = f.read().splitlines()
    first = directive.format(**keys).splitlines()[line - 2].strip()
    lineno = next(i + 1 for i, l in enumerate(lines) if l.strip() == first)
    assert f"{conf}:{lineno}" in out, out
    assert text in out, out


@pytest.mark.parametrize("missing", ["issuer", "key", "redis"])
def test_nginx_t_refuses_endpoint_without_its_settings(workdir, keys, missing):
    settings = {
        "issuer": "oauth_issuer http://127.0.0.1;",
        "key": f"oauth_signing_key {keys['RS256']};",
        "redis": "oauth_redis 127.0.0.1:6379;",
    }
    del settings[missing]
    http = "\n".join(settings.values()) + """
server {
    listen 127.0.0.1:1;
    location = /token { oauth_token; }
}
"""
    rc, out, conf = nginx_t(workdir, http)
    assert rc != 0
    assert conf + ":" in out, out
    assert {"issuer": "oauth_issuer", "key": "oauth_signing_key",
            "redis": "oauth_redis"}[missing] in out


def test_nginx_t_accepts_every_example(workdir, keys):
    examples = os.path.join(rig.TOP, "conf-examples")
    for name in sorted(os.listdir(examples)):
        if not name.endswith(".conf"):
            continue
        rc, out = rig.check_example(workdir, os.path.join(examples, name), keys)
        assert rc == 0, f"{name}: {out}"
