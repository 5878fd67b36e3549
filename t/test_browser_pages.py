"""The pages as a site deploys them: restyled with sub_filter (README, "Restyling the pages")
and the form's action following the location."""
import rig
from support.browser import (Browser, assert_code_redirect, assert_security_headers,
                             client_user_browser, make_client, make_user, start)
from support.forms import forms_of


def test_pages_can_be_restyled_with_sub_filter(nginx_factory, redis, keys, ctl):
    port = rig.free_port()
    server = nginx_factory(f"""
        oauth_redis {redis.address};
        oauth_issuer http://127.0.0.1:{port};
        oauth_signing_key {keys["RS256"]};
        server {{
            listen 127.0.0.1:{port};
            location = /oauth2/authorize {{ oauth_authorize; }}
            location = /oauth2/consent {{ oauth_consent; }}
            location = /signin {{
                oauth_login;
                sub_filter '</head>'
                    '<link rel="stylesheet" href="/assets/site.css"></head>';
            }}
        }}""", port=port)
    _, b = client_user_browser(server, ctl, consent="skip")
    page = b.go(start(server)[0])
    assert page.url.startswith(server.url("/signin?login_challenge="))
    assert '<link rel="stylesheet" href="/assets/site.css"></head>' in page.text
    assert_security_headers(page)
    # a same-origin stylesheet is allowed by the CSP
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert forms_of(page.text)[0].action == "/signin"
    assert_code_redirect(server, b.login(page, "alice", "correct horse"))


def test_login_hint_fills_in_the_username(server, ctl):
    # OIDC Core §3.1.2.1 login_hint: a hint, escaped, dropped when too long
    make_client(ctl)
    make_user(ctl)
    for hint, shown in (("alice", 'value="alice"'),
                        ('"><script>x</script>',
                         'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"'),
                        ("a" * 257, 'value=""')):
        b = Browser(server)
        page = b.go(start(server, login_hint=hint)[0])
        assert page.status_code == 200, page.text
        assert shown in page.text
    # only a hint: the user signs in as whoever they are
    assert "oauth-page--consent" in b.login(page, "alice", "correct horse").text
