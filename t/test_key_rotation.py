"""Key rotation (SPEC section 11, README "Operating it"): oauth_signing_key
... use=sign|verify through reloads of a live nginx while a client keeps
calling; no request is refused for a key reason."""
import base64
import json
import os
import subprocess
import threading
import time

import pytest
import requests

import rig
from support.tokens import TOKEN, confidential

TTL = 2  # oauth_access_token_ttl: a retired key's last token dies this fast


def keygen(workdir, name):
    path = os.path.join(workdir, f"rot-{name}-{time.time_ns()}.pem")
    out = subprocess.run([rig.OAUTHCTL, "key", "generate", "--alg", "ES256",
                          "--out", path], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout)["out"] == path
    return path


def conf(port, redis, upstream, keys):
    """keys: [(path, kid, use or None)]"""
    lines = "\n".join(f"oauth_signing_key {p} kid={k}"
                      + (f" use={u}" if u else "") + ";" for p, k, u in keys)
    http = rig.standard_http(port, redis.address, [], upstream_port=upstream.port,
                             http_extra=lines + f"\noauth_access_token_ttl {TTL}s;")
    return http


def kids(server):
    return {k["kid"] for k in requests.get(server.url("/oauth2/jwks")).json()["keys"]}


def reload(server, http, expect_kids, workers=2):
    with open(server.conf, "w") as f:
        f.write(rig.render_main_conf(server.prefix, http, workers))
    subprocess.run([rig.NGINX, "-p", server.prefix, "-c", server.conf,
                    "-e", server.error_log, "-s", "reload"], check=True,
                   env=rig.nginx_env(), capture_output=True)
    deadline = time.time() + 10
    while kids(server) != expect_kids:
        assert time.time() < deadline, "the reload did not take"
        time.sleep(0.02)


class Client(threading.Thread):
    """Gets a token, checks its kid against the JWKS fetched just before
    (a client verifying ID tokens would), calls the API with it until it is
    0.4 s from its end (a retired key really is needed that long), then
    gets another."""

    def __init__(self, server, secret):
        super().__init__(daemon=True)
        self.server, self.secret = server, secret
        self.stop = threading.Event()
        self.calls, self.refused, self.tokens = 0, [], []

    def run(self):
        tok, got = None, 0
        while not self.stop.is_set():
            if tok is None or time.time() - got > TTL - 0.4:
                published = kids(self.server)
                r = requests.post(self.server.url(TOKEN), auth=("svc", self.secret),
                                  data={"grant_type": "client_credentials"})
                if r.status_code != 200:
                    self.refused.append(("token", r.status_code, r.text))
                    continue
                tok, got = r.json()["access_token"], time.time()
                kid = json.loads(b64decode(tok.split(".")[0]))["kid"]
                self.tokens.append(kid)
                if kid not in published:
                    self.refused.append(("unpublished kid", kid, published))
            r = requests.get(self.server.url("/api/x"),
                             headers={"Authorization": "Bearer " + tok})
            self.calls += 1
            if r.status_code != 200:
                self.refused.append(("api", r.status_code,
                                     r.headers.get("WWW-Authenticate")))


def b64decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def test_three_keys_rotated_on_a_live_nginx(nginx_factory, redis, upstream,
                                            ctl, workdir):
    k1, k2, k3 = (keygen(workdir, n) for n in ("k1", "k2", "k3"))
    port = rig.free_port()
    server = nginx_factory(conf(port, redis, upstream, [(k1, "k1", None)]),
                           port=port, workers=2)
    secret = confidential(ctl, "svc", "client_credentials")
    client = Client(server, secret)
    client.start()

    def stage(keys, expect, hold=1.0):
        reload(server, conf(port, redis, upstream, keys), expect)
        time.sleep(hold)

    time.sleep(0.5)
    # publish k2 before it signs; then k2 signs and k1 only verifies
    stage([(k1, "k1", "sign"), (k2, "k2", "verify")], {"k1", "k2"})
    stage([(k1, "k1", "verify"), (k2, "k2", "sign")], {"k1", "k2"},
          hold=TTL + 1.0)
    # k1's last token has expired: it goes; k3 is published
    stage([(k2, "k2", "sign"), (k3, "k3", "verify")], {"k2", "k3"})
    stage([(k2, "k2", "verify"), (k3, "k3", "sign")], {"k2", "k3"},
          hold=TTL + 1.0)
    stage([(k3, "k3", None)], {"k3"})
    client.stop.set()
    client.join(10)

    assert not client.refused, client.refused
    assert client.calls > 50
    # every key signed in its turn, in order
    order = [k for i, k in enumerate(client.tokens)
             if i == 0 or client.tokens[i - 1] != k]
    assert order == ["k1", "k2", "k3"], order


@pytest.mark.parametrize("keys, message", [
    ([("A", "a", "sign"), ("B", "b", "sign")], 'a second oauth_signing_key with "use=sign"'),
    ([("A", "a", "verify")], "no oauth_signing_key to sign with"),
    ([("A", "a", "publish")], 'invalid parameter "use=publish"'),
])
def test_key_roles_checked_by_nginx_t(redis, upstream, keys, workdir,
                                      message):
    paths = {"A": keygen(workdir, "a"), "B": keygen(workdir, "b")}
    port = rig.free_port()
    server = rig.Nginx(workdir, conf(port, redis, upstream,
                                     [(paths[p], k, u) for p, k, u in keys]),
                       port)
    rc, out = server.test_config()
    assert rc != 0 and message in out, out


def test_use_sign_picks_the_signer_whatever_the_order(nginx_factory, redis,
                                                      upstream, ctl, workdir):
    a, b = keygen(workdir, "a"), keygen(workdir, "b")
    port = rig.free_port()
    server = nginx_factory(conf(port, redis, upstream,
                                [(a, "a", "verify"), (b, "b", None)]),
                           port=port)
    secret = confidential(ctl, "svc", "client_credentials")
    r = requests.post(server.url(TOKEN), auth=("svc", secret),
                      data={"grant_type": "client_credentials"})
    kid = json.loads(b64decode(r.json()["access_token"].split(".")[0]))["kid"]
    assert kid == "b"
    assert kids(server) == {"a", "b"}
