"""`oauth_redis cluster=...` (issue 10, SPEC 7) on a real three-master Redis
Cluster (t/support/cluster.py): the whole token service and edge on it, keys
on every master, revoke by client and by subject through oauthctl
--redis-cluster, a slot migrated mid-run (ASK, then MOVED), a stopped master
failing closed while the others serve, and nginx -t's refusals."""
import re

import pytest
import requests

import rig
from support.cluster import Cluster
from support.browser import Browser
from support.code_flow import REDIRECT, bearer, new_verifier, s256
from support.device import GRANT, Person, codes, poll  # noqa: F401 (helpers)
from support.query import query_of

ERRORS = re.compile(r"errorstat_(MOVED|ASK):count=(\d+)")


@pytest.fixture(scope="module")
def cluster(workdir):
    c = Cluster(workdir)
    yield c
    c.stop()


@pytest.fixture
def fresh(cluster):
    for n in cluster.nodes:
        if n.proc is None:
            n.start()
    cluster.wait_ok()
    for n in cluster.nodes:
        n.cli("FLUSHALL")
        n.cli("CONFIG", "RESETSTAT")
    return cluster


@pytest.fixture
def make(standard_nginx):
    return lambda cluster, options="": standard_nginx(cluster.directive, redis_options=options)


def cc_token(server, client="svc", secret=None, scope="a"):
    return requests.post(server.url("/oauth2/token"),
                         data={"grant_type": "client_credentials", "scope": scope},
                         auth=(client, secret))


def api(server, token):
    return requests.get(server.url("/api/x"), headers=bearer(token))


def introspect(server, auth, token):
    r = requests.post(server.url("/oauth2/introspect"), data={"token": token}, auth=auth)
    assert r.status_code == 200, r.text
    return r.json()


def errorstats(node):
    return {k: int(v) for k, v in ERRORS.findall(node.cli("INFO", "errorstats"))}


def test_the_token_service_and_the_edge_on_three_masters(fresh, make):
    server = make(fresh)
    svc = fresh.ctl("client", "create", "--id", "svc", "--grant-types",
                    "client_credentials", "--scope", "a b")["client_secret"]
    rs = fresh.ctl("client", "create", "--id", "rs", "--grant-types",
                   "client_credentials")["client_secret"]

    # client_credentials, the edge, introspection, revocation
    tokens = []
    for _ in range(30):
        r = cc_token(server, secret=svc)
        assert r.status_code == 200, r.text
        tokens.append(r.json()["access_token"])
    for t in tokens:
        assert api(server, t).status_code == 200
    info = introspect(server, ("rs", rs), tokens[0])
    assert info["active"] is True and info["client_id"] == "svc"
    r = requests.post(server.url("/oauth2/revoke"), data={"token": tokens[0]},
                      auth=("svc", svc))
    assert r.status_code == 200
    assert api(server, tokens[0]).status_code == 401
    assert introspect(server, ("rs", rs), tokens[0]) == {"active": False}
    assert api(server, tokens[1]).status_code == 200

    # the code flow through the real login page (its limit: one slot per
    # script), refresh rotation, and reuse detection revoking the family
    fresh.ctl("client", "create", "--id", "spa", "--public", "--redirect-uri", REDIRECT,
              "--scope", "openid a", "--consent", "skip",
              "--grant-types", "authorization_code,refresh_token")
    user = fresh.ctl("user", "create", "--username", "alice", "--password", "pw-alice")
    verifier = new_verifier()
    url = (server.url("/oauth2/authorize") + "?response_type=code&client_id=spa"
           f"&redirect_uri={REDIRECT}&scope=openid%20a&state=s1"
           f"&code_challenge={s256(verifier)}&code_challenge_method=S256")
    back = Browser(server).authorize(url, "alice", "pw-alice")
    code = query_of(back)["code"]
    r = requests.post(server.url("/oauth2/token"), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": "spa", "code_verifier": verifier})
    assert r.status_code == 200, r.text
    first = r.json()
    assert api(server, first["access_token"]).status_code == 200
    def refresh(rt):  # spa is a public client
        return requests.post(server.url("/oauth2/token"), data={
            "grant_type": "refresh_token", "refresh_token": rt, "client_id": "spa"})

    r = refresh(first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert api(server, second["access_token"]).status_code == 200
    reuse = refresh(first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert api(server, second["access_token"]).status_code == 401
    assert introspect(server, ("rs", rs), second["refresh_token"]) == {"active": False}

    # the device grant: a wrong code counted, the right one approved
    fresh.ctl("client", "create", "--id", "box", "--secret", "box-secret",
              "--grant-types", "device_code", "--scope", "a")
    a = codes(server)
    p = Person(server, "alice", "pw-alice")
    assert p.open(a["verification_uri"]).status_code == 200
    wrong = "BBBB-BBBB" if a["user_code"] != "BBBB-BBBB" else "CCCC-CCCC"
    assert p.enter(wrong).status_code == 400
    assert p.enter(a["user_code"]).status_code == 200
    assert p.press("Approve").status_code == 200
    r = poll(server, a["device_code"])
    assert r.status_code == 200, r.text
    assert api(server, r.json()["access_token"]).status_code == 200
    # the wrong code stayed counted, the found one was given back
    tries = [k for k in fresh.all_keys() if ":devtry:" in k]
    assert len(tries) == 1 and fresh.get(tries[0]) == "1"
    assert user["sub"] in tries[0]

    # keys verifiably on all three masters
    sizes = [n.dbsize() for n in fresh.nodes]
    assert all(s > 3 for s in sizes), sizes
    assert "error" not in server.log().lower().replace("error_log", ""), server.log()


def test_revoke_by_client_and_by_subject_with_oauthctl(fresh, make):
    server = make(fresh)
    svc = fresh.ctl("client", "create", "--id", "svc", "--grant-types",
                    "client_credentials,password,refresh_token", "--scope", "a")["client_secret"]
    other = fresh.ctl("client", "create", "--id", "other", "--grant-types",
                      "client_credentials", "--scope", "a")["client_secret"]
    fresh.ctl("user", "create", "--username", "bob", "--password", "pw-bob")
    mine = [cc_token(server, secret=svc).json()["access_token"] for _ in range(12)]
    theirs = [cc_token(server, "other", other).json()["access_token"] for _ in range(4)]
    bobs = []
    for _ in range(6):
        r = requests.post(server.url("/oauth2/token"), data={
            "grant_type": "password", "username": "bob", "password": "pw-bob",
            "scope": "a"}, auth=("svc", svc))
        assert r.status_code == 200, r.text
        bobs.append(r.json())
    slots = {fresh.slot(k) for n in fresh.nodes for k in n.keys("oauth:fam:*")}
    assert len(slots) == 6  # six families, six slots (their own tags)

    out = fresh.ctl("session", "revoke", "--sub",
                    fresh.ctl("user", "create", "--username", "carol",
                              "--password", "x")["sub"])
    assert all(api(server, b["access_token"]).status_code == 200 for b in bobs)
    bob_sub = requests.post(server.url("/oauth2/introspect"),
                            data={"token": bobs[0]["access_token"]},
                            auth=("other", other)).json()["sub"]
    out = fresh.ctl("session", "revoke", "--sub", bob_sub)
    assert out, out
    for b in bobs:
        assert api(server, b["access_token"]).status_code == 401
        r = requests.post(server.url("/oauth2/token"), data={
            "grant_type": "refresh_token", "refresh_token": b["refresh_token"]},
            auth=("svc", svc))
        assert r.status_code == 400
    assert all(api(server, t).status_code == 200 for t in mine)
    fresh.ctl("session", "revoke", "--client", "svc")
    assert all(api(server, t).status_code == 401 for t in mine)
    assert all(api(server, t).status_code == 200 for t in theirs)


def test_a_slot_migrated_mid_run_ask_then_moved(fresh, make):
    server = make(fresh)
    svc = fresh.ctl("client", "create", "--id", "svc", "--grant-types",
                    "client_credentials", "--scope", "a")["client_secret"]
    token = cc_token(server, secret=svc).json()["access_token"]
    assert api(server, token).status_code == 200  # the map is read
    (key,) = [k for k in fresh.all_keys() if k.startswith("oauth:at:")]
    slot = fresh.slot(key)
    src = next(n for n in fresh.nodes if key in n.keys())
    dst = next(n for n in fresh.nodes if n is not src)

    # migrating: the key already moved, the slot not yet: src answers ASK
    fresh.begin_migration(slot, src, dst)
    fresh.migrate_keys(slot, src, dst)
    assert key in dst.keys() and key not in src.keys()
    for _ in range(3):
        assert api(server, token).status_code == 200
    assert errorstats(src).get("ASK", 0) >= 3
    asking = re.search(r"cmdstat_asking:calls=(\d+)", dst.cli("INFO", "commandstats"))
    assert asking and int(asking.group(1)) >= 3
    # tokens issued meanwhile are fine wherever their keys land
    more = [cc_token(server, secret=svc).json()["access_token"] for _ in range(5)]

    # done: the slot is dst's, src answers MOVED once, then the map knows
    fresh.end_migration(slot, dst)
    moved_before = errorstats(src).get("MOVED", 0)
    for _ in range(5):
        assert api(server, token).status_code == 200
    moved = errorstats(src).get("MOVED", 0) - moved_before
    assert 1 <= moved <= 2, moved
    # a revocation through the new owner holds at once
    r = requests.post(server.url("/oauth2/revoke"), data={"token": token}, auth=("svc", svc))
    assert r.status_code == 200
    assert api(server, token).status_code == 401
    assert all(api(server, t).status_code == 200 for t in more)


def test_a_stopped_master_fails_closed_and_the_others_serve(fresh, make):
    server = make(fresh, "timeout=300ms")
    svc = fresh.ctl("client", "create", "--id", "svc", "--grant-types",
                    "client_credentials", "--scope", "a")["client_secret"]
    tokens = [cc_token(server, secret=svc).json()["access_token"] for _ in range(40)]
    where = {}
    for n in fresh.nodes:
        for k in n.keys("oauth:at:*"):
            where[k.split(":", 2)[2]] = n
    import base64
    import json as _json

    def jti(t):
        body = t.split(".")[1]
        return _json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["jti"]

    # The client's record must stay readable for the token endpoint, and its
    # current index bucket (idx:ccb:svc:W:N, one key per client and time
    # bucket) writable, or every token of the client fails closed: the dead
    # master is one that holds neither.
    needed = {n.port for n in fresh.nodes
              if "oauth:client:svc" in n.keys() or n.keys("oauth:idx:ccb:svc:*")}
    dead = next(n for n in fresh.nodes[1:] + fresh.nodes[:1] if n.port not in needed)
    on_dead = [t for t in tokens if where[jti(t)] is dead]
    alive = [t for t in tokens if where[jti(t)] is not dead]
    assert on_dead and alive
    dead.stop()

    for t in on_dead:
        r = api(server, t)
        assert r.status_code == 503, r.status_code   # never a 200
    for t in alive:
        assert api(server, t).status_code == 200
    issued = unavailable = 0
    for _ in range(20):
        r = cc_token(server, secret=svc)
        if r.status_code == 200:
            issued += 1
            assert api(server, r.json()["access_token"]).status_code == 200
        else:
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "temporarily_unavailable"
            unavailable += 1
    assert issued and unavailable, (issued, unavailable)
    # revocation of a token whose key is on the dead master: not done, said so
    r = requests.post(server.url("/oauth2/revoke"), data={"token": on_dead[0]},
                      auth=("svc", svc))
    assert r.status_code == 503
    assert r.json()["error"] == "temporarily_unavailable"

    # back (empty: no persistence here): its tokens are gone, nothing passes
    # that should not, and the node serves again without a reload
    dead.start()
    fresh.wait_ok()
    for t in on_dead:
        for _ in range(50):
            r = api(server, t)
            if r.status_code != 503:
                break
        assert r.status_code == 401


@pytest.mark.parametrize("directive,message", [
    ("cluster=", "an empty list"),
    ("cluster=127.0.0.1:7000,,127.0.0.1:7001", "invalid oauth_redis cluster address \"\""),
    ("cluster=127.0.0.1:notaport", "invalid oauth_redis cluster address"),
    ("cluster=unix:/tmp/redis.sock", "invalid oauth_redis cluster address"),
    ("cluster=127.0.0.1:7000 db=1", "a cluster has no db="),
])
def test_nginx_t_refuses_bad_cluster_forms(workdir, keys, directive, message):
    port = rig.free_port()
    http = rig.standard_http(port, directive, [keys["RS256"]])
    rc, out = rig.Nginx(workdir, http, port).test_config()
    assert rc != 0
    assert message in out, out
    assert re.search(r"nginx\.conf:\d+", out), out


def test_nginx_t_accepts_a_cluster(workdir, keys):
    port = rig.free_port()
    http = rig.standard_http(port, "cluster=127.0.0.1:7000,127.0.0.1:7001",
                             [keys["RS256"]], redis_options="password=x keepalive=2")
    rc, out = rig.Nginx(workdir, http, port).test_config()
    assert rc == 0, out
