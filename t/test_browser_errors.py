"""What the browser endpoints answer to bad input (SPEC §4.3): HTML 400 pages
for requests that cannot be trusted with a redirect, error redirects with
state and iss for the rest, 403 for CSRF failures, the login form again for
wrong credentials."""
import requests

from support.browser import (Browser, REDIRECT_URI, assert_code_redirect, assert_error_redirect,
                             assert_security_headers, authorize_url, client_user_browser,
                             make_client, make_user, sign_in, start)
from support.forms import forms_of
from support.query import query_of


def assert_html_400(r):
    assert r.status_code == 400, (r.status_code, r.headers, r.text)
    assert "Location" not in r.headers
    assert r.headers["Content-Type"].startswith("text/html")
    assert_security_headers(r)


def test_unknown_client_gets_an_html_page_never_a_redirect(server, ctl):
    r = requests.get(authorize_url(server, "nobody"), allow_redirects=False)
    assert_html_400(r)


def test_unregistered_redirect_uri_gets_an_html_page(server, ctl):
    make_client(ctl)
    for uri in ("https://evil.example/cb", REDIRECT_URI + "/", REDIRECT_URI + "?x=1",
                "HTTPS://client.example/cb"):
        r = requests.get(authorize_url(server, "web", redirect_uri=uri),
                         allow_redirects=False)
        assert_html_400(r)


def test_missing_client_or_redirect_uri_gets_an_html_page(server, ctl):
    make_client(ctl)
    assert_html_400(requests.get(server.url("/oauth2/authorize?response_type=code"),
                                 allow_redirects=False))
    assert_html_400(requests.get(
        server.url("/oauth2/authorize?response_type=code&client_id=web"),
        allow_redirects=False))


def test_duplicate_client_id_or_redirect_uri_is_an_html_page(server, ctl):
    make_client(ctl)
    base = authorize_url(server, "web", state="st-123")
    for extra in ("&client_id=web", "&redirect_uri=" + REDIRECT_URI):
        assert_html_400(requests.get(base + extra, allow_redirects=False))


def test_duplicate_parameter_redirects_invalid_request(server, ctl):
    make_client(ctl)
    url, _ = start(server)
    r = requests.get(url + "&scope=openid", allow_redirects=False)
    assert_error_redirect(server, r, "invalid_request")


def test_response_type_must_be_code(server, ctl):
    make_client(ctl)
    url, _ = start(server, response_type="token")
    assert_error_redirect(server, requests.get(url, allow_redirects=False),
                          "unsupported_response_type")


def test_scope_beyond_the_clients_is_invalid_scope(server, ctl):
    make_client(ctl, scope="openid")
    url, _ = start(server, scope="openid admin")
    assert_error_redirect(server, requests.get(url, allow_redirects=False),
                          "invalid_scope")


def test_plain_pkce_is_refused(server, ctl):
    make_client(ctl)
    url = authorize_url(server, "web", state="st-123",
                        code_challenge="a" * 43, code_challenge_method="plain")
    q = assert_error_redirect(server, requests.get(url, allow_redirects=False),
                              "invalid_request")
    assert "S256" in q["error_description"]
    # a challenge without a method means plain (RFC 7636 §4.3): refused too
    url = authorize_url(server, "web", state="st-123", code_challenge="a" * 43)
    assert_error_redirect(server, requests.get(url, allow_redirects=False),
                          "invalid_request")


def test_public_client_must_send_a_challenge(server, ctl):
    make_client(ctl)
    url = authorize_url(server, "web", state="st-123")
    q = assert_error_redirect(server, requests.get(url, allow_redirects=False),
                              "invalid_request")
    assert "code_challenge" in q["error_description"]


def test_confidential_client_may_skip_pkce(server, ctl):
    _, b = client_user_browser(server, ctl, client_id="bff", public=False, consent="skip")
    url = authorize_url(server, "bff", state="st-123")
    assert_code_redirect(server, sign_in(b, url))


def test_malformed_challenge_is_refused(server, ctl):
    make_client(ctl)
    url = authorize_url(server, "web", state="st-123", code_challenge="short",
                        code_challenge_method="S256")
    assert_error_redirect(server, requests.get(url, allow_redirects=False),
                          "invalid_request")


def test_unknown_prompt_and_none_with_others_are_refused(server, ctl):
    make_client(ctl)
    for prompt in ("none login", "sometimes"):
        url, _ = start(server, prompt=prompt)
        assert_error_redirect(server, requests.get(url, allow_redirects=False),
                              "invalid_request")


def test_client_without_the_code_grant_is_unauthorized(server, ctl):
    make_client(ctl, client_id="svc", public=False, grants="client_credentials")
    url, _ = start(server, client_id="svc")
    assert_error_redirect(server, requests.get(url, allow_redirects=False),
                          "unauthorized_client")


def test_login_without_csrf_field_is_403(server, ctl):
    _, b = client_user_browser(server, ctl)
    page = b.go(start(server)[0])
    hidden = {n: v for n, k, v in forms_of(page.text)[0].inputs if k == "hidden"}
    data = {"login_challenge": hidden["login_challenge"],
            "username": "alice", "password": "correct horse"}
    r = b.session.post(server.url("/oauth2/login"), data=data, allow_redirects=False)
    assert r.status_code == 403
    assert_security_headers(r)
    assert "oauth_sso" not in r.headers.get("Set-Cookie", "")
    # a wrong value, and the right value from another browser
    r = b.session.post(server.url("/oauth2/login"), data=dict(data, csrf="x" * 43),
                 allow_redirects=False)
    assert r.status_code == 403
    other = requests.post(server.url("/oauth2/login"),
                          data=dict(data, csrf=hidden["csrf"]),
                          allow_redirects=False)
    assert other.status_code == 403
    # the form itself still works: signed in, the flow goes on to the
    # consent page (consent "once", nothing granted yet)
    done = b.login(page, "alice", "correct horse")
    assert done.status_code == 200, done.text
    assert "oauth-page--consent" in done.text


def test_consent_without_csrf_field_is_403(server, ctl, redis):
    _, b = client_user_browser(server, ctl, consent="always")
    consent = sign_in(b, start(server)[0])
    hidden = {n: v for n, k, v in forms_of(consent.text)[0].inputs
              if k == "hidden"}
    r = b.session.post(server.url("/oauth2/consent"),
                 data={"authz": hidden["authz"], "decision": "approve"},
                 allow_redirects=False)
    assert r.status_code == 403
    assert_security_headers(r)
    assert redis.keys("oauth:code:*") == []


def test_wrong_password_shows_the_form_again(server, ctl):
    _, b = client_user_browser(server, ctl)
    url, _ = start(server)
    again = sign_in(b, url, password="wrong")
    assert again.status_code == 200
    assert "Wrong username or password" in again.text
    assert "oauth_sso" not in again.headers.get("Set-Cookie", "")
    # an unknown user gets the very same message (no user enumeration)
    unknown = b.login(again, "mallory", "whatever")
    assert "Wrong username or password" in unknown.text
    assert unknown.text.replace("mallory", "alice") == again.text.replace(
        "mallory", "alice")
    ok = b.login(unknown, "alice", "correct horse")
    assert "oauth-page--consent" in ok.text


def test_output_is_escaped(server, ctl):
    ctl("client", "create", "--id", "xss", "--public", "--redirect-uri",
        REDIRECT_URI, "--scope", "openid", "--consent", "always",
        "--name", "<script>alert(1)</script>")
    make_user(ctl)
    b = Browser(server)
    url, _ = start(server, client_id="xss", scope="openid")
    page = b.go(url)
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    again = b.login(page, '"><b>x</b>', "nope")
    assert "<b>x</b>" not in again.text
    assert "&quot;&gt;&lt;b&gt;x&lt;/b&gt;" in again.text


def test_expired_or_forged_handles_get_a_page(server, ctl):
    for path in ("/oauth2/login?login_challenge=AAAAAAAAAAAAAAAAAAAAAA",
                 "/oauth2/login?login_challenge=../../etc",
                 "/oauth2/authorize?authz=AAAAAAAAAAAAAAAAAAAAAA",
                 "/oauth2/consent?authz=%00",
                 "/oauth2/login"):
        r = requests.get(server.url(path), allow_redirects=False)
        assert_html_400(r)


def test_a_handle_does_not_work_in_another_browser(server, ctl):
    _, b = client_user_browser(server, ctl, consent="skip")
    r = b.session.get(start(server)[0], allow_redirects=False)
    challenge = query_of(r.headers["Location"])["login_challenge"]
    # the victim signs in, the attacker replays the continuation
    other = Browser(server)
    login = other.go(server.url("/oauth2/login?login_challenge=" + challenge))
    assert login.status_code == 200
    r = other.login(login, "alice", "correct horse")
    assert_html_400(r)


def test_methods_and_content_types(server, ctl):
    for path in ("/oauth2/authorize", "/oauth2/login", "/oauth2/consent"):
        r = requests.put(server.url(path), allow_redirects=False)
        assert r.status_code == 405
        assert "GET" in r.headers["Allow"]
        r = requests.post(server.url(path), data="{}",
                          headers={"Content-Type": "application/json"},
                          allow_redirects=False)
        assert_html_400(r)
    r = requests.get(server.url("/oauth2/authorize?client_id=%zz"),
                     allow_redirects=False)
    assert_html_400(r)


def test_state_or_nonce_that_is_not_utf8_is_invalid_request(server, ctl):
    """Issue 18 item 4: never a redirect without state. Refused, and the
    error carries state exactly as sent (%FF stays %FF)."""
    make_client(ctl)
    url, _ = start(server, state="st-123")
    r = requests.get(url.replace("state=st-123", "state=st%FF"),
                     allow_redirects=False)
    assert r.status_code == 302, r.text
    assert "state=st%FF" in r.headers["Location"]
    assert "error=invalid_request" in r.headers["Location"]
    r = requests.get(url + "&nonce=n%C0%80", allow_redirects=False)
    assert_error_redirect(server, r, "invalid_request")
