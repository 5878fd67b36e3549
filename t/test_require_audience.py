"""oauth_require checks the audience by default (issue 18 item 9; RFC 9068
§4, RFC 8725 §3.9, SPEC 5): two servers sharing the issuer, the keys and
Redis but each with its own oauth_audience do not accept each other's
tokens; `aud=` names another audience instead of the server's."""
import requests

import rig
from support.tokens import confidential

ORDERS = "https://orders.example.com"
BILLING = "https://billing.example.com"


def two_servers(port, port2, port3, redis_address, key, upstream_port):
    up = f"http://127.0.0.1:{upstream_port}"
    return rig.oauth_head(port, redis_address, [key]) + f"""
server {{
    listen 127.0.0.1:{port};
    oauth_audience {ORDERS};
    location = /oauth2/token {{ oauth_token; }}
    location /api/ {{ oauth_require; proxy_pass {up}; }}
    location /billing-api/ {{ oauth_require aud={BILLING}; proxy_pass {up}; }}
}}
server {{
    listen 127.0.0.1:{port2};
    oauth_audience {BILLING};
    location = /oauth2/token {{ oauth_token; }}
    location /api/ {{ oauth_require; proxy_pass {up}; }}
}}
server {{
    listen 127.0.0.1:{port3};
    # no oauth_audience: the issuer
    location /api/ {{ oauth_require; proxy_pass {up}; }}
}}
"""


def token_from(port, client, secret):
    r = requests.post(f"http://127.0.0.1:{port}/oauth2/token",
                      data={"grant_type": "client_credentials"},
                      auth=(client, secret), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def status(port, path, token):
    return requests.get(f"http://127.0.0.1:{port}{path}", timeout=10,
                        headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_for_one_server_does_not_open_the_other(
        nginx_factory, redis, keys, upstream, ctl):
    port, port2, port3 = rig.free_port(), rig.free_port(), rig.free_port()
    assert len({port, port2, port3}) == 3
    n = nginx_factory(two_servers(port, port2, port3, redis.address,
                                  keys["RS256"], upstream.port), port=port)
    secret = confidential(ctl, "svc", "client_credentials")
    orders_token = token_from(port, "svc", secret)
    billing_token = token_from(port2, "svc", secret)

    assert status(port, "/api/x", orders_token) == 200
    assert status(port2, "/api/x", billing_token) == 200
    # Same issuer, same key, same Redis: only the audience tells them apart.
    assert status(port2, "/api/x", orders_token) == 401
    assert status(port, "/api/x", billing_token) == 401
    assert status(port3, "/api/x", orders_token) == 401
    # aud= replaces the server's audience for that location.
    assert status(port, "/billing-api/x", billing_token) == 200
    assert status(port, "/billing-api/x", orders_token) == 401
    assert "audience not accepted" in n.log()
