"""SPEC §3: nothing secret is stored in plain text, and no token or secret is
ever written to a log. Runs every flow of the token service, then reads
every Redis value and the whole error.log, written at `error_log ... debug`
so that a leak at any level would show."""
import hashlib
import json
import re

import pytest
import requests

import rig
from support.tokens import INTROSPECT, REVOKE, TOKEN, api, post, refresh_grant

ENTRY = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*\d+ )?",
                   re.M)


def module_entries(log):
    """(the log entries the module answers for, how many of them are debug
    entries): every entry above debug, and the debug entries the module
    writes (their messages start with "oauth"). nginx's own debug entries
    are left out: at debug nginx dumps every request header and every
    header it proxies (entries of several lines), Authorization included,
    which is nginx's debug log and not the module's to keep clean."""
    starts = [m for m in ENTRY.finditer(log)]
    kept, debug = [log[:starts[0].start()] if starts else log], 0
    for m, end in zip(starts, [s.start() for s in starts[1:]] + [len(log)]):
        entry = log[m.start():end]
        if m.group(1) != "debug":
            kept.append(entry)
        elif log.startswith("oauth", m.end()):
            kept.append(entry)
            debug += 1
    return "".join(kept), debug


def test_no_plain_secret_in_redis_or_log(nginx_factory, redis, keys, upstream,
                                         ctl):
    port = rig.free_port()
    n = nginx_factory(rig.standard_http(
        port, redis.address, [keys["RS256"]], upstream_port=upstream.port,
        server_extra="location /oauth2/register { oauth_registration open; }"),
        port=port, log_level="debug")
    secrets, tokens = [], []

    svc = ctl("client", "create", "--id", "svc", "--scope", "a b")["client_secret"]
    app = ctl("client", "create", "--id", "app", "--secret",
              "app-secret-given-by-admin", "--grant-types",
              "password,refresh_token", "--scope", "a b")["client_secret"]
    ctl("client", "create", "--id", "cli", "--public", "--grant-types",
        "password,refresh_token")
    rotated = ctl("client", "rotate-secret", "svc")["client_secret"]
    secrets += [svc, app, rotated]
    passwords = ["correct horse battery staple", "Tr0ub4dor&3"]
    secrets += passwords
    ctl("user", "create", "--username", "ann", "--password", passwords[0],
        "--claim", "email=ann@example.com")
    ctl("user", "create", "--username", "ben", "--password", passwords[1])

    tok = post(n, TOKEN, {"grant_type": "client_credentials"},
               auth=("svc", rotated)).json()
    tokens.append(tok["access_token"])
    # Failed attempts carry secrets too: they must not be logged either.
    wrong = ["wrong-secret-attempt-1", "wrong password attempt"]
    secrets += wrong
    post(n, TOKEN, {"grant_type": "client_credentials"}, auth=("svc", wrong[0]))
    post(n, TOKEN, {"grant_type": "password", "username": "ann",
                    "password": wrong[1]}, auth=("app", app))

    t1 = post(n, TOKEN, {"grant_type": "password", "username": "ann",
                         "password": passwords[0]}, auth=("app", app)).json()
    t2 = refresh_grant(n, t1["refresh_token"], "app", app).json()
    t3 = post(n, TOKEN, {"grant_type": "password", "username": "ben",
                         "password": passwords[1], "client_id": "cli"}).json()
    refresh = [t1["refresh_token"], t2["refresh_token"], t3["refresh_token"]]
    tokens += [t1["access_token"], t2["access_token"], t3["access_token"]]
    for t in tokens + refresh:
        post(n, INTROSPECT, {"token": t}, auth=("svc", rotated))
        api(n, t)
    post(n, REVOKE, {"token": t3["refresh_token"], "client_id": "cli"})
    post(n, REVOKE, {"token": t2["access_token"]}, auth=("app", app))
    # Reuse: the family is revoked, the presented token must not be logged.
    post(n, TOKEN, {"grant_type": "refresh_token",
                    "refresh_token": t1["refresh_token"]}, auth=("app", app))

    # SPEC §9: a registered client's secret and its registration access
    # tokens (the first, and the fresh one a read answers) are secrets too.
    reg = requests.post(n.url("/oauth2/register"), json={
        "redirect_uris": ["https://app.example.com/cb"],
        "grant_types": ["authorization_code", "refresh_token"]}).json()
    read = requests.get(reg["registration_client_uri"], headers={
        "Authorization": "Bearer " + reg["registration_access_token"]}).json()
    secrets += [reg["client_secret"], reg["registration_access_token"],
                read["registration_access_token"]]
    post(n, TOKEN, {"grant_type": "refresh_token", "refresh_token": "x" * 43},
         auth=(reg["client_id"], reg["client_secret"]))
    pub = requests.post(n.url("/oauth2/register"), json={
        "redirect_uris": ["http://127.0.0.1:9/cb"],
        "token_endpoint_auth_method": "none"}).json()
    secrets.append(pub["registration_access_token"])

    dump = redis.dump_all()
    assert dump, "nothing stored?"
    for s in secrets + refresh + tokens:
        assert s not in dump, "stored in plain text: " + s[:12]
    # What is stored instead: scrypt hashes and SHA-256 of refresh tokens.
    rec = json.loads(redis.cli("GET", "oauth:client:" + reg["client_id"]))
    assert rec["registration_token_hash"] == hashlib.sha256(
        read["registration_access_token"].encode()).hexdigest()
    assert redis.keys("oauth:limit:reg:*") == ["oauth:limit:reg:127.0.0.1"]
    for key in ("oauth:client:svc", "oauth:client:app", "oauth:user:ann",
                "oauth:client:" + reg["client_id"]):
        rec = json.loads(redis.cli("GET", key))
        h = rec.get("secret_hash") or rec.get("password_hash")
        assert h.startswith("$scrypt$ln=")
    # A rotated refresh token stays known, by its hash only, until its
    # family ends (that is how reuse is detected).
    # Its key is in its family's slot: oauth:rt:{FID}:HASH (README, key layout).
    rotated_hash = hashlib.sha256(t1["refresh_token"].encode()).hexdigest()
    fid = t1["refresh_token"].split(".")[0]
    rotated_key = f"oauth:rt:{{{fid}}}:{rotated_hash}"
    assert redis.keys(rotated_key) == [rotated_key]
    assert all(len(k.split(":")[-1]) == 64 for k in redis.keys("oauth:rt:*"))

    n.stop()
    log, module_debug = module_entries(n.log())
    assert "oauth" in log  # the module did log its reasons
    if rig.nginx_has_debug():
        # the module's debug lines were read too: this cannot pass vacuously
        assert module_debug > 0, n.log()[-2000:]
    for s in secrets + refresh + tokens:
        assert s not in log, "logged: " + s[:12]
        # nor the parts of a JWT (its signature or payload alone)
        for part in s.split(".") if s.count(".") == 2 else []:
            assert part not in log
    if not rig.nginx_has_debug():
        pytest.skip("this nginx is not built --with-debug: the log was read "
                    "at info level only, no debug line to check")
