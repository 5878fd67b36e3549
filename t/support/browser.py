"""Helpers of the browser-flow tests: a browser made of requests.Session that
reads the served HTML forms with html.parser and submits them like a person
would, following redirects on the server and stopping at the client."""
import html.parser
import urllib.parse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

REDIRECT_URI = "https://client.example/cb"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class Form:
    def __init__(self, action, method):
        self.action = action
        self.method = method
        self.inputs = []    # (name, type, value)
        self.buttons = []   # (name, value, label)


class FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []
        self._button = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("action", ""),
                                   a.get("method", "get").lower()))
        elif tag == "input" and self.forms:
            self.forms[-1].inputs.append(
                (a.get("name"), a.get("type", "text"), a.get("value", "")))
        elif tag == "button" and self.forms:
            self._button = [a.get("name"), a.get("value", ""), ""]

    def handle_data(self, data):
        if self._button is not None:
            self._button[2] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self.forms[-1].buttons.append(tuple(self._button))
            self._button = None


def forms_of(text):
    p = FormParser()
    p.feed(text)
    return p.forms


def assert_security_headers(r):
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (name, r.headers.get(name))
    csp = r.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, csp


class Browser:
    """A person with a browser: cookies kept, forms filled by their labels'
    inputs (one text input, one password input, buttons by their text)."""

    def __init__(self, server):
        self.server = server
        self.s = requests.Session()
        self.pages = []  # every HTML page seen

    def go(self, url, method="GET", data=None):
        """Follows redirects within the server; returns the last response
        (an HTML page, or the redirect that leaves the server)."""
        base = self.server.url("")
        while True:
            if method == "GET":
                r = self.s.get(url, allow_redirects=False)
            else:
                r = self.s.post(url, data=data, allow_redirects=False)
            if r.headers.get("Content-Type", "").startswith("text/html"):
                self.pages.append(r)
            if r.status_code in (302, 303) and \
                    r.headers["Location"].startswith(base):
                url, method, data = r.headers["Location"], "GET", None
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


def query_of(location):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query,
                              keep_blank_values=True)
    return {k: v[0] for k, v in q.items()}


def authorize_url(server, client_id, redirect_uri=REDIRECT_URI, **params):
    p = {"response_type": "code", "client_id": client_id,
         "redirect_uri": redirect_uri}
    p.update(params)
    p = {k: v for k, v in p.items() if v is not None}
    return server.url("/oauth2/authorize") + "?" + urllib.parse.urlencode(p)


def pkce_pair():
    import base64
    import hashlib
    import secrets
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


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
