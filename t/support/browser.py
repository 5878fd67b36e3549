"""The scripted browser of the tests: a requests.Session that reads the
served HTML forms (support.forms) and submits them like a person would,
following redirects on the server and stopping at the client; and the
authorization code flow's steps and checks around it."""
import urllib.parse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from support.code_flow import new_verifier, s256
from support.forms import forms_of
from support.query import query_of

REDIRECT_URI = "https://client.example/cb"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
REDIRECTS = (301, 302, 303, 307)


def assert_security_headers(r):
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (name, r.headers.get(name))
    csp = r.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, csp


class Browser:
    """A person with a browser: cookies kept (session), forms filled by their
    labels' inputs (one text input, one password input, buttons by their
    text)."""

    def __init__(self, server):
        self.server = server
        self.session = requests.Session()
        self.pages = []  # every HTML page seen

    def go(self, url, method="GET", data=None):
        """Follows redirects within the server; returns the last response
        (an HTML page, or the redirect that leaves the server)."""
        base = self.server.url("")
        while True:
            if method == "GET":
                r = self.session.get(url, allow_redirects=False)
            else:
                r = self.session.post(url, data=data, allow_redirects=False)
            if r.headers.get("Content-Type", "").startswith("text/html"):
                self.pages.append(r)
            if r.status_code in REDIRECTS:
                location = urllib.parse.urljoin(r.url, r.headers["Location"])
                if location.startswith(base):
                    url, method, data = location, "GET", None
                    continue
            return r

    def submit(self, page, fields=None, button=None):
        forms = forms_of(page.text)
        assert len(forms) == 1, page.text
        f = forms[0]
        data = {}
        for name, kind, value in f.inputs:
            if kind == "hidden":
                data[name] = value
        texts = [i for i in f.inputs if i[1] in ("text", "email")]
        pwds = [i for i in f.inputs if i[1] == "password"]
        for key, value in (fields or {}).items():
            if key == "username":
                assert len(texts) == 1
                data[texts[0][0]] = value
            elif key == "password":
                assert len(pwds) == 1
                data[pwds[0][0]] = value
            else:
                data[key] = value
        if button:
            matching = [b for b in f.buttons if b[2].strip() == button]
            assert len(matching) == 1, f.buttons
            if matching[0][0]:
                data[matching[0][0]] = matching[0][1]
        action = urllib.parse.urljoin(page.url, f.action)
        return self.go(action, method="POST", data=data)

    def login(self, page, username, password):
        return self.submit(page, {"username": username, "password": password})

    def authorize(self, url, username, password, decision="approve"):
        """The whole authorization in one call: signs in on the login form,
        answers the consent form with `decision`, and returns the address the
        server sends the browser back to (at the client)."""
        response = self.go(url)
        for _ in range(10):
            if response.status_code in REDIRECTS:
                return urllib.parse.urljoin(response.url,
                                            response.headers["Location"])
            assert response.status_code == 200, response.text
            form = forms_of(response.text)[0]
            data = dict(form.fields)
            if "password" in form.types.values():
                for name, kind in form.types.items():
                    if kind == "password":
                        data[name] = password
                    elif kind in ("text", "email"):
                        data[name] = username
            else:
                names = [b[0] for b in form.buttons if b[0]]
                data[names[0]] = decision
            response = self.go(urllib.parse.urljoin(response.url, form.action),
                               method="POST", data=data)
        raise AssertionError("the authorization never came back to the client")


def authorize_url(server, client_id, redirect_uri=REDIRECT_URI, **params):
    p = {"response_type": "code", "client_id": client_id,
         "redirect_uri": redirect_uri}
    p.update(params)
    p = {k: v for k, v in p.items() if v is not None}
    return server.url("/oauth2/authorize") + "?" + urllib.parse.urlencode(p)


def pkce_pair():
    """(code_verifier, its S256 code_challenge), RFC 7636."""
    verifier = new_verifier()
    return verifier, s256(verifier)


def start(server, client_id="web", **params):
    verifier, challenge = pkce_pair()
    params.setdefault("state", "st-123")
    params.setdefault("scope", "openid profile")
    url = authorize_url(server, client_id, code_challenge=challenge,
                        code_challenge_method="S256", **params)
    return url, verifier


def sign_in(browser, url, username="alice", password="correct horse"):
    page = browser.go(url)
    assert page.status_code == 200, page.text
    assert "oauth-page--login" in page.text
    return browser.login(page, username, password)


def redirect_status(r):
    """The status of a redirect the module sends: 302 after a GET, 303
    after a POST (README, "/authorize accepts GET and POST"; RFC 9700
    §4.11: never 307 with credentials in the body)."""
    return 303 if r.request.method == "POST" else 302


def assert_code_redirect(server, r, state="st-123"):
    assert r.status_code == redirect_status(r), (r.status_code, r.text)
    loc = r.headers["Location"]
    assert loc.startswith(REDIRECT_URI + "?"), loc
    q = query_of(loc)
    assert q["state"] == state
    assert q["iss"] == server.url("")
    assert len(q["code"]) >= 22
    assert "error" not in q
    return q


def assert_error_redirect(server, r, error, state="st-123"):
    assert r.status_code == redirect_status(r), (r.status_code, r.text)
    loc = r.headers["Location"]
    assert loc.startswith(REDIRECT_URI + "?"), loc
    q = query_of(loc)
    assert q["error"] == error, q
    assert q.get("state") == state
    assert q["iss"] == server.url("")
    assert "code" not in q
    return q


def make_client(ctl, client_id="web", public=True, consent="once",
                scope="openid profile email", grants=None):
    args = ["client", "create", "--id", client_id, "--redirect-uri",
            REDIRECT_URI, "--scope", scope, "--consent", consent,
            "--name", f"App {client_id}"]
    if public:
        args.append("--public")
    if grants:
        args += ["--grant-types", grants]
    return ctl(*args)


def make_user(ctl, username="alice", password="correct horse"):
    return ctl("user", "create", "--username", username, "--password",
               password, "--claim", "name=Alice Liddell",
               "--claim", "email=alice@example.com")


def client_user_browser(server, ctl, **client):
    """A client (make_client's options), the user alice and a new browser:
    the start of most browser tests; returns (user, browser)."""
    make_client(ctl, **client)
    return make_user(ctl), Browser(server)


def sign_in_for_tokens(server, username="alice", client_id="web"):
    """A browser signed in through the authorization code flow (Authlib, PKCE,
    a client whose consent is skipped); returns the browser and the client's
    token response (with its ID token)."""
    client = OAuth2Session(client_id, redirect_uri=REDIRECT_URI,
                           scope="openid profile",
                           code_challenge_method="S256")
    verifier = generate_token(48)
    url, _ = client.create_authorization_url(
        server.url("/oauth2/authorize"), code_verifier=verifier)
    b = Browser(server)
    login = b.go(url)
    assert "oauth-page--login" in login.text
    done = b.login(login, username, "correct horse")
    assert done.headers["Location"].startswith(REDIRECT_URI), done.text
    token = client.fetch_token(server.url("/oauth2/token"),
                               authorization_response=done.headers["Location"],
                               code_verifier=verifier)
    return b, token
