"""id_token_hint at /authorize (OIDC Core §3.1.2.1): a session of another
user than the hint's does not count."""
from support.browser import (assert_code_redirect, assert_error_redirect,
                             make_client, make_user, sign_in_for_tokens, start)


def signed_in_pair(server, ctl):
    """alice's browser, and ID tokens of alice and of bob."""
    make_client(ctl, consent="skip")
    make_user(ctl, "alice")
    make_user(ctl, "bob")
    b, alice = sign_in_for_tokens(server, "alice")
    _, bob = sign_in_for_tokens(server, "bob")
    return b, alice["id_token"], bob["id_token"]


def test_silent_renewal_for_the_same_user(server, ctl):
    b, alice, _ = signed_in_pair(server, ctl)
    r = b.go(start(server, prompt="none", id_token_hint=alice)[0])
    assert_code_redirect(server, r)


def test_another_users_session_is_login_required_silently(server, ctl):
    b, _, bob = signed_in_pair(server, ctl)
    r = b.go(start(server, prompt="none", id_token_hint=bob)[0])
    assert_error_redirect(server, r, "login_required")


def test_another_users_session_means_a_new_login(server, ctl):
    b, _, bob = signed_in_pair(server, ctl)
    page = b.go(start(server, id_token_hint=bob)[0])
    assert "oauth-page--login" in page.text
    assert_code_redirect(server, b.login(page, "bob", "correct horse"))


def test_a_bad_hint_is_invalid_request(server, ctl):
    b, alice, _ = signed_in_pair(server, ctl)
    head, body, sig = alice.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    for hint in (f"{head}.{body}.{flipped}", "garbage"):
        r = b.go(start(server, id_token_hint=hint)[0])
        assert_error_redirect(server, r, "invalid_request")
