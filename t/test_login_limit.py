"""Brute force on passwords (SPEC §11, RFC 6749 §4.3.2 and §10.10):
`oauth_login_limit`, failed password checks counted in Redis per user name and
per client address, shared by the login page and the password grant; and the
bound on KDF work in flight per worker (`oauth_kdf_limit`)."""
import concurrent.futures
import re
import subprocess
import time

import requests

import rig
from support.browser import (Browser, assert_code_redirect, make_client,
                             make_user, start)

TOKEN = "/oauth2/token"


def limited_server(nginx_factory, redis, keys, http_extra):
    port = rig.free_port()
    return nginx_factory(rig.standard_http(port, redis.address, [keys["RS256"]],
                                           http_extra=http_extra), port=port)


def cli(ctl):
    ctl("client", "create", "--id", "cli", "--public", "--grant-types",
        "password", "--scope", "a")


def grant(server, username, password):
    return requests.post(server.url(TOKEN), data={
        "grant_type": "password", "client_id": "cli",
        "username": username, "password": password})


def assert_wrong(r):
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_grant"
    assert "Retry-After" not in r.headers
    assert "retry" not in r.json()["error_description"]


def assert_limited(r, window):
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"] == "invalid_grant"
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= window
    assert f"retry in {wait} seconds" in body["error_description"]
    assert r.headers["Cache-Control"] == "no-store"


def test_password_grant_limit_per_user(server, ctl, redis):
    cli(ctl)
    ctl("user", "create", "--username", "alice", "--password", "right")
    ctl("user", "create", "--username", "bob", "--password", "right")
    for _ in range(5):                       # the default: 5 per 1m per name
        assert_wrong(grant(server, "alice", "wrong"))
    assert_limited(grant(server, "alice", "wrong"), 60)
    # the right password too, while the window lasts
    assert_limited(grant(server, "alice", "right"), 60)
    # another user is not affected
    assert grant(server, "bob", "right").status_code == 200
    # an unknown user name counts the same as a known one
    for _ in range(5):
        assert_wrong(grant(server, "nobody", "x"))
    assert_limited(grant(server, "nobody", "x"), 60)
    # counted in Redis under the prefix, the user name only as a hash
    names = redis.keys("oauth:limit:*")
    assert "oauth:limit:addr:127.0.0.1" in names
    assert not any("alice" in k or "nobody" in k for k in names), names


def login_page(server):
    b = Browser(server)
    page = b.go(start(server)[0])
    assert page.status_code == 200, page.text
    return b, page


def test_login_page_limit_is_a_429_page(server, ctl):
    make_client(ctl, consent="skip")
    make_user(ctl)                           # alice / correct horse
    make_user(ctl, "bob", "battery staple")
    b, page = login_page(server)
    for _ in range(5):
        page = b.login(page, "alice", "wrong")
        assert page.status_code == 200
        assert "Wrong username or password." in page.text
    page = b.login(page, "alice", "wrong")
    assert page.status_code == 429, page.text
    wait = int(page.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert f"Too many failed sign-in attempts. Wait {wait} seconds" in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    # the right password is refused too, and no session is made
    page = b.login(page, "alice", "correct horse")
    assert page.status_code == 429
    assert "oauth_sso" not in b.session.cookies
    # another user signs in
    b2, page2 = login_page(server)
    assert_code_redirect(server, b2.login(page2, "bob", "battery staple"))


def test_page_and_grant_share_the_count(server, ctl):
    make_client(ctl, consent="skip")
    make_user(ctl)
    cli(ctl)
    b, page = login_page(server)
    for _ in range(3):
        page = b.login(page, "alice", "wrong")
        assert page.status_code == 200
    for _ in range(2):
        assert_wrong(grant(server, "alice", "wrong"))
    assert_limited(grant(server, "alice", "correct horse"), 60)
    assert b.login(page, "alice", "correct horse").status_code == 429


def test_per_address_limit_across_user_names(nginx_factory, redis, keys, ctl):
    server = limited_server(nginx_factory, redis, keys,
                            "oauth_login_limit 5 per 1m address=3;")
    cli(ctl)
    ctl("user", "create", "--username", "alice", "--password", "right")
    make_client(ctl, consent="skip")
    for name in ("u1", "u2", "u3"):
        assert_wrong(grant(server, name, "x"))
    # a fourth name from the same address: limited, the right password too
    assert_limited(grant(server, "u4", "x"), 60)
    assert_limited(grant(server, "alice", "right"), 60)
    # and at the login page
    b, page = login_page(server)
    page = b.login(page, "alice", "right")
    assert page.status_code == 429


def test_successes_are_not_counted(nginx_factory, redis, keys, ctl):
    server = limited_server(nginx_factory, redis, keys,
                            "oauth_login_limit 2 per 1m;")
    cli(ctl)
    ctl("user", "create", "--username", "alice", "--password", "right")
    for _ in range(4):
        assert grant(server, "alice", "right").status_code == 200
    assert_wrong(grant(server, "alice", "wrong"))
    assert grant(server, "alice", "right").status_code == 200
    assert_wrong(grant(server, "alice", "wrong"))
    assert_limited(grant(server, "alice", "right"), 60)


def test_window_expiry(nginx_factory, redis, keys, ctl):
    server = limited_server(nginx_factory, redis, keys,
                            "oauth_login_limit 2 per 2s;")
    cli(ctl)
    ctl("user", "create", "--username", "alice", "--password", "right")
    assert_wrong(grant(server, "alice", "wrong"))
    assert_wrong(grant(server, "alice", "wrong"))
    assert_limited(grant(server, "alice", "right"), 2)
    time.sleep(2.2)
    assert grant(server, "alice", "right").status_code == 200


def test_parallel_attempts_do_not_exceed_the_count(server, ctl, redis):
    # 40 at once for one name: the check and the count are one atomic step,
    # so exactly 5 get a password check and 35 are refused before the KDF
    cli(ctl)
    ctl("user", "create", "--username", "alice", "--password", "right")
    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda _: grant(server, "alice", "wrong"),
                                range(40)))
    checked = [r for r in answers if "Retry-After" not in r.headers]
    limited = [r for r in answers if "Retry-After" in r.headers]
    assert all(r.json()["error"] == "invalid_grant" for r in answers)
    assert len(checked) == 5, [r.text for r in checked]
    assert len(limited) == 35
    assert redis.cli("GET", "oauth:limit:addr:127.0.0.1").strip() == "5"
    assert server.log().count("password grant: login limit reached") == 35


def vm_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        m = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1))


def test_kdf_work_in_flight_is_bounded(nginx_factory, redis, keys, ctl):
    # 2 KDF runs in flight and 3 waiting per worker: a burst of 24 attempts
    # (unknown names: the same 32 MiB scrypt) gets 503 past that, and the
    # worker's peak memory stays within 2 x 32 MiB of where it was
    server = limited_server(nginx_factory, redis, keys, """
        oauth_login_limit 5 per 1m address=1000;
        oauth_kdf_limit 2 queue=3;""")
    cli(ctl)
    assert_wrong(grant(server, "warm-up", "x"))   # the dummy hash is made
    (pid,) = server.worker_pids()
    base = vm_kb(pid, "VmRSS")
    with concurrent.futures.ThreadPoolExecutor(24) as pool:
        answers = list(pool.map(lambda i: grant(server, f"u{i}", "x"),
                                range(24)))
    busy = [r for r in answers if r.status_code == 503]
    checked = [r for r in answers if r.status_code == 400]
    assert len(busy) + len(checked) == 24, [r.text for r in answers]
    assert len(checked) >= 5 and busy, (len(checked), len(busy))
    for r in busy:
        assert r.json()["error"] == "temporarily_unavailable"
        assert r.headers["Retry-After"] == "1"
    peak = vm_kb(pid, "VmHWM")
    # (not under make test-asan: the allocator's quarantine keeps what
    # scrypt freed, so the worker's RSS says nothing about the bound there)
    if not rig.SANITIZER_PRELOAD:
        assert peak - base < 2 * 32 * 1024 + 16 * 1024, (base, peak)
    # a refused attempt was given back: the address counts only the checks
    assert redis.cli("GET", "oauth:limit:addr:127.0.0.1").strip() == \
        str(len(checked) + 1)
    # the worker serves on once the burst is over
    assert_wrong(grant(server, "after", "x"))


def test_login_page_busy_is_a_503_page(nginx_factory, redis, keys, ctl):
    server = limited_server(nginx_factory, redis, keys, """
        oauth_login_limit 5 per 1m address=1000;
        oauth_kdf_limit 1 queue=0;""")
    make_client(ctl, consent="skip")
    pages = [login_page(server) for _ in range(12)]
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(
            lambda i: pages[i][0].login(pages[i][1], f"u{i}", "x"),
            range(len(pages))))
    busy = [r for r in answers if r.status_code == 503]
    assert busy and any(r.status_code == 200 for r in answers)
    assert all(r.status_code in (200, 503) for r in answers)
    for r in busy:
        assert r.headers["Content-Type"].startswith("text/html")
        assert r.headers["Retry-After"] == "1"
        assert "busy" in r.text


def test_nginx_t_checks_the_directives(workdir, redis, keys):
    def nginx_t(line):
        port = rig.free_port()
        return rig.Nginx(workdir, rig.standard_http(
            port, redis.address, [keys["RS256"]], http_extra=line),
            port).test_config()

    for line, message in (
            ("oauth_login_limit 5;", "invalid number of arguments"),
            ("oauth_login_limit 0 per 1m;", "invalid limit"),
            ("oauth_login_limit x per 1m;", "invalid limit"),
            ("oauth_login_limit 5 every 1m;", '"N per T" is expected'),
            ("oauth_login_limit 5 per 0s;", "invalid window"),
            ("oauth_login_limit 5 per 1m address=0;", "invalid parameter"),
            ("oauth_login_limit 5 per 1m foo=1;", "invalid parameter"),
            ("oauth_login_limit 5 per 1m;\noauth_login_limit 5 per 1m;",
             "is duplicate"),
            ("oauth_kdf_limit 0;", "invalid KDF limit"),
            ("oauth_kdf_limit 2 queue=x;", "invalid parameter")):
        rc, out = nginx_t(line)
        assert rc != 0, line
        assert message in out, (line, out)
        assert re.search(r"nginx\.conf:\d+", out), out
    for line in ("oauth_login_limit 10 per 30s address=100;",
                 "oauth_login_limit 3 per 1h address=off;",
                 "oauth_kdf_limit 8 queue=128;",
                 "oauth_kdf_limit 1 queue=0;"):
        rc, out = nginx_t(line)
        assert rc == 0, (line, out)


def test_address_off_counts_names_only(nginx_factory, redis, keys, ctl):
    server = limited_server(nginx_factory, redis, keys,
                            "oauth_login_limit 1 per 1m address=off;")
    cli(ctl)
    for name in ("u1", "u2", "u3"):
        assert_wrong(grant(server, name, "x"))
    assert not redis.keys("oauth:limit:addr:*")


def test_a_client_leaving_while_in_line_leaves_the_line(nginx_factory, redis,
                                                        keys, ctl):
    # 1 run, 4 waiting: clients that hang up while in line are taken out of
    # it (their pool cleanup), so the line keeps room and the worker lives
    import socket
    server = limited_server(nginx_factory, redis, keys, """
        oauth_login_limit 5 per 1m address=1000;
        oauth_kdf_limit 1 queue=4;""")
    cli(ctl)
    body = "grant_type=password&client_id=cli&username={}&password=x"
    for rnd in range(3):
        socks = []
        for i in range(5):
            b = body.format(f"r{rnd}u{i}")
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall((f"POST {TOKEN} HTTP/1.1\r\nHost: x\r\n"
                       "Content-Type: application/x-www-form-urlencoded\r\n"
                       f"Content-Length: {len(b)}\r\n\r\n{b}").encode())
            socks.append(s)
        time.sleep(0.05)
        for s in socks:
            s.close()
        time.sleep(0.6)
    # nobody is left in line: a burst of 5 fits again
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda i: grant(server, f"v{i}", "x"),
                                range(5)))
    assert [r.status_code for r in answers] == [400] * 5, \
        [r.text for r in answers]


def test_a_reload_answers_the_kdf_work_in_flight(nginx_factory, redis, keys,
                                                 ctl):
    # a graceful shutdown ends a worker once no timer of its own is left; a
    # request on the thread pool or in its line has none, so without the
    # worker's KDF hold the old worker left with 1 run and 4 waiting
    # ("open socket left") and their clients saw the connection drop
    server = limited_server(nginx_factory, redis, keys, """
        oauth_login_limit 5 per 1m address=1000;
        oauth_kdf_limit 1 queue=4;""")
    cli(ctl)
    assert_wrong(grant(server, "warm-up", "x"))
    (old,) = server.worker_pids()
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        futures = [pool.submit(grant, server, f"q{i}", "x") for i in range(5)]
        time.sleep(0.05)
        subprocess.run([rig.NGINX, "-p", server.prefix, "-c", server.conf,
                        "-e", server.error_log, "-s", "reload"], check=True,
                       env=rig.nginx_env(), capture_output=True)
        answers = [f.result() for f in futures]
    for r in answers:
        assert_wrong(r)
    deadline = time.time() + 10
    while old in server.worker_pids():
        assert time.time() < deadline, "the old worker did not exit"
        time.sleep(0.05)
    assert "open socket" not in server.log()
