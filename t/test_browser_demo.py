"""The quickstart's demo app (demo/, served by conf-examples/quickstart.conf
as it is, with the data of scripts/quickstart-data.sh) in a real headless
Chromium: sign-in on the built-in login page, consent, the tokens' claims,
the API call, refresh, revocation and the 401, logout; the device flow's
verification page. Screenshots: build/test-artifacts/browser/."""
import json
import os
import subprocess

import pytest
import requests

import rig
from support.chromium import Browser

UPSTREAM = "127.0.0.1:8081"
DEMO_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@pytest.fixture
def demo(workdir, keys, redis):
    port, upstream_port = rig.free_port(), rig.free_port()
    n = rig.ExampleNginx(
        workdir, os.path.join(rig.TOP, "conf-examples", "quickstart.conf"),
        keys, port, {
            "listen 127.0.0.1:8080;": f"listen 127.0.0.1:{port};",
            "oauth_issuer http://127.0.0.1:8080;": f"oauth_issuer http://127.0.0.1:{port};",
            "oauth_redis 127.0.0.1:6390;": f"oauth_redis {redis.address};",
            UPSTREAM: f"127.0.0.1:{upstream_port}",
            # scripts/quickstart.sh links demo/ into its prefix; this prefix
            # is in pytest's private (0700) folder, which nginx's workers
            # (nobody) cannot enter, so the page is served from the tree.
            "alias demo/;": f"alias {rig.TOP}/demo/;",
        }).start()
    subprocess.run([os.path.join(rig.TOP, "scripts", "quickstart-data.sh"),
                    rig.OAUTHCTL, redis.address, n.url()],
                   check=True, capture_output=True, timeout=60)
    yield n
    n.stop()
    assert not n.fatal_log_lines(), n.log()


@pytest.fixture
def browser(workdir, request):
    b = Browser(workdir, request.node.name)
    yield b
    b.shot("last")      # where a failed test stopped
    b.quit()


def sign_in(b, demo):
    """From the demo page through the module's login and consent pages."""
    b.go(demo.url("/"))                       # / sends newcomers to the demo
    b.wait_text("#status", "Not signed in")
    assert b.url() == demo.url("/demo/")
    b.shot("demo-page")
    b.click("#signin")
    b.wait_page("login")
    assert b.url().startswith(demo.url("/oauth2/login?login_challenge="))
    b.type("#username", "demo")
    b.type("#password", "demo-password")
    b.shot("login-page")
    b.click("main.oauth-page--login button[type=submit]")
    b.wait_page("consent")
    assert "Demo app" in b.text("main")
    b.shot("consent-page")


def test_demo_signs_in_calls_the_api_refreshes_revokes_and_signs_out(demo, browser):
    b = browser
    sign_in(b, demo)
    b.click("button.oauth-approve")
    b.wait_text("#status", "Signed in as Demo User")
    assert b.url() == demo.url("/demo/"), "the code is left in the address bar"
    b.shot("signed-in")

    id_claims = json.loads(b.text("#id-claims"))
    assert id_claims["iss"] == demo.url()
    assert id_claims["aud"] == "demo-app"  # SPEC §3: aud(=client_id)
    assert id_claims["nonce"]
    at = json.loads(b.text("#access-claims"))
    assert at["client_id"] == "demo-app" and at["sub"] == id_claims["sub"]
    assert "orders:read" in at["scope"].split()

    b.click("#call-api")
    answer = b.wait_text("#api-result", r"^\d{3}")
    assert answer.startswith("200"), answer
    upstream = json.loads(answer[answer.index("{"):])
    assert upstream["user"] == at["sub"] and upstream["client"] == "demo-app"
    b.shot("api-200")

    b.click("#refresh")
    b.wait_text("#log", "tokens refreshed: 200")
    refreshed = json.loads(b.text("#access-claims"))
    assert refreshed["jti"] != at["jti"]
    b.click("#call-api")
    b.wait_text("#log", r"GET /api/orders with the access token: 200\n.*\n.*: 200")
    assert b.console_errors() == []

    b.click("#revoke")
    answer = b.wait_text("#api-result", "^401")
    assert 'WWW-Authenticate: Bearer' in answer and "invalid_token" in answer
    b.shot("api-401-after-revoke")
    assert b.console_errors(expected=["/api/orders - Failed to load resource"]) == []

    refresh_token = json.loads(b.session_storage("demo.tokens"))["refresh_token"]
    b.click("#signout")
    b.wait_text("#log", "signed out at the server")
    b.wait_text("#status", "Not signed in")
    assert b.url() == demo.url("/demo/")
    b.shot("signed-out")
    # sign-out revoked the grant ...
    r = requests.post(demo.url("/oauth2/token"), timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": "demo-app"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # ... and ended the browser's session: signing in asks for the password again
    b.click("#signin")
    b.wait_page("login")
    b.shot("login-again")
    assert b.console_errors() == []


def test_denied_consent_is_shown_by_the_demo(demo, browser):
    b = browser
    sign_in(b, demo)
    b.click("button.oauth-deny")
    err = b.wait_text("#error", "access_denied")
    assert "Not signed in" in b.text("#status")
    assert b.find("#call-api").get_attribute("disabled")
    b.shot("denied")
    assert err.startswith("sign-in ended with access_denied")


def test_demo_csp_is_its_own_and_the_module_pages_keep_theirs(demo):
    page = requests.get(demo.url("/demo/"), timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == DEMO_CSP
    callback = requests.get(demo.url("/callback?code=x&state=y"), timeout=10)
    assert callback.text == page.text
    assert callback.headers["Content-Security-Policy"] == DEMO_CSP
    login = requests.get(demo.url("/oauth2/login"), timeout=10)
    csp = login.headers["Content-Security-Policy"]
    assert "script-src 'none'" in csp, csp      # no script runs on its pages


def test_device_verification_page(demo, browser):
    # the device's side, as `make run` prints it
    start = requests.post(demo.url("/oauth2/device_authorization"), timeout=10,
                          data={"client_id": "demo-app", "scope": "orders:read"}).json()
    b = browser
    b.go(start["verification_uri"])
    b.wait_page("login")
    b.type("#username", "demo")
    b.type("#password", "demo-password")
    b.click("main.oauth-page--login button[type=submit]")
    b.wait_page("device")
    b.shot("device-code-entry")
    b.type("#user_code", start["user_code"])
    b.click("button.oauth-continue")
    b.wait_text(".oauth-user-code", start["user_code"])
    b.shot("device-confirm")
    b.click("button.oauth-approve")
    b.find("main.oauth-page--device")
    b.shot("device-approved")
    assert b.console_errors() == []

    r = requests.post(demo.url("/oauth2/token"), timeout=10, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": start["device_code"], "client_id": "demo-app"})
    assert r.status_code == 200, r.text
    api = requests.get(demo.url("/api/orders"), timeout=10, headers={
        "Authorization": "Bearer " + r.json()["access_token"]})
    assert api.status_code == 200 and api.json()["client"] == "demo-app"
