"""What the oauth_session_cache tests and the bench share: nodes with the
cache on, waiting for their invalidation links, Redis's command counts, the
link's client id, polling a node until it refuses a token."""
import re
import time

import requests

import rig


def cache_http(port, redis, keys, upstream_port, cache="oauth_session_cache on;",
               http_extra=""):
    """rig.standard_http with the session cache at http level."""
    return rig.standard_http(port, redis.address, [keys["RS256"]],
                             upstream_port=upstream_port,
                             http_extra=cache + "\n" + http_extra)


def wait_ready(node, links=1, timeout=5.0):
    """Until `links` invalidation links of the node's workers confirmed
    tracking since the last call (counted in its error.log)."""
    seen = getattr(node, "_links_seen", 0)
    deadline = time.time() + timeout
    while time.time() < deadline:
        n = node.log().count("oauth_session_cache: tracking confirmed")
        if n >= seen + links:
            node._links_seen = n
            return
        time.sleep(0.01)
    raise AssertionError("invalidation link not ready:\n" + node.log()[-3000:])


def exists_calls(redis):
    """How many EXISTS Redis has run (INFO commandstats)."""
    m = re.search(r"cmdstat_exists:calls=(\d+)", redis.cli("INFO", "commandstats"))
    return int(m.group(1)) if m else 0


def commands_total(redis):
    stats = redis.cli("INFO", "commandstats")
    return sum(int(n) for n in re.findall(r"calls=(\d+)", stats))


def link_ids(redis):
    """Client ids of the invalidation links (the subscribed connections)."""
    ids = []
    for line in redis.cli("CLIENT", "LIST").splitlines():
        f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if f.get("sub") == "1":
            ids.append(f["id"])
    return ids


def api(node, token):
    return requests.get(node.url("/api/x"),
                        headers={"Authorization": "Bearer " + token}, timeout=5)


def poll_refused(node, token, timeout=1.0):
    """Seconds until the node refuses the token (401); fails after timeout."""
    start = time.time()
    while True:
        r = api(node, token)
        if r.status_code == 401:
            return time.time() - start
        assert r.status_code == 200, r.text
        if time.time() - start > timeout:
            raise AssertionError(f"still accepted after {timeout} s")


def issue(node, client_id, secret, scope="a"):
    r = requests.post(node.url("/oauth2/token"),
                      data={"grant_type": "client_credentials", "scope": scope},
                      auth=(client_id, secret), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def revoke(node, client_id, secret, token):
    r = requests.post(node.url("/oauth2/revoke"), data={"token": token},
                      auth=(client_id, secret), timeout=10)
    assert r.status_code == 200, r.text
