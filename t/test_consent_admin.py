"""Remembered consent (client policy `once`) from the operator's side:
oauthctl consent list / revoke, and consents going with their user or
client; oauth_consent_ttl."""
import time

import rig
from support.browser import (Browser, assert_code_redirect, make_client,
                             make_user, sign_in, start)


def remember(server, ctl):
    """alice approves `web` once; returns her sub and her browser."""
    make_client(ctl, consent="once")
    sub = make_user(ctl)["sub"]
    b = Browser(server)
    consent = sign_in(b, start(server, scope="openid profile")[0])
    assert_code_redirect(server, b.submit(consent, button="Approve"))
    return sub, b


def test_list_and_revoke_bring_the_question_back(server, ctl):
    sub, b = remember(server, ctl)
    assert ctl("consent", "list", "--sub", sub) == [
        {"client_id": "web", "scope": "openid profile"}]
    assert_code_redirect(server, b.go(start(server)[0]))  # not asked

    assert ctl("consent", "revoke", "--sub", sub, "--client", "web") == {
        "consents_revoked": 1}
    assert ctl("consent", "list", "--sub", sub) == []
    page = b.go(start(server)[0])
    assert "oauth-page--consent" in page.text
    assert ctl("consent", "revoke", "--sub", sub) == {"consents_revoked": 0}


def test_deleting_the_client_forgets_its_consents(server, ctl, redis):
    sub, _ = remember(server, ctl)
    out = ctl("client", "delete", "web")
    assert out["consents_revoked"] == 1
    assert redis.keys("oauth:consent:*") == []
    # the same id registered again asks again
    make_client(ctl, consent="once")
    b = Browser(server)
    page = sign_in(b, start(server)[0])
    assert "oauth-page--consent" in page.text


def test_deleting_the_user_forgets_their_consents(server, ctl, redis):
    remember(server, ctl)
    ctl("user", "delete", "alice")
    assert redis.keys("oauth:consent:*") == []


def test_keys_are_matched_exactly(ctl, redis):
    # Client ids may hold ':' and glob characters; subs never do.
    for key in ("s1:b", "s1:a:b", "s2:b", "s1:x*", "s1:xyz", "s1:[b]"):
        redis.cli("SET", f"oauth:consent:{key}", "openid")
    assert ctl("consent", "revoke", "--client", "x*") == {"consents_revoked": 1}
    assert ctl("consent", "revoke", "--client", "b") == {"consents_revoked": 2}
    assert sorted(redis.keys("oauth:consent:*")) == [
        "oauth:consent:s1:[b]", "oauth:consent:s1:a:b", "oauth:consent:s1:xyz"]
    assert sorted(c["client_id"] for c in ctl("consent", "list", "--sub", "s1")) \
        == ["[b]", "a:b", "xyz"]
    assert ctl("consent", "revoke", "--sub", "s1", "--client", "a:b") == {
        "consents_revoked": 1}


def test_usage(ctl):
    out = ctl("consent", "revoke", check=False)
    assert out.returncode == 2
    assert "--sub" in out.stderr
    assert ctl("consent", "list", check=False).returncode == 2


def test_remembered_consent_is_kept_by_default(server, ctl, redis):
    sub, _ = remember(server, ctl)
    assert redis.cli("TTL", f"oauth:consent:{sub}:web") == "-1"


def test_oauth_consent_ttl_bounds_it(nginx_factory, redis, keys, ctl):
    port = rig.free_port()
    server = nginx_factory(rig.standard_http(
        port, redis.address, [keys["RS256"]], http_extra="oauth_consent_ttl 2s;"),
        port=port)
    sub, b = remember(server, ctl)
    assert 0 < int(redis.cli("TTL", f"oauth:consent:{sub}:web")) <= 2
    assert_code_redirect(server, b.go(start(server)[0]))  # still remembered
    time.sleep(2.5)
    assert "oauth-page--consent" in b.go(start(server)[0]).text


def test_oauth_consent_ttl_zero_means_until_revoked(workdir, redis, keys):
    port = rig.free_port()
    http = rig.standard_http(port, redis.address, [keys["RS256"]],
                             http_extra="oauth_consent_ttl 0;")
    rc, out = rig.Nginx(workdir, http, port).test_config()
    assert rc == 0, out
