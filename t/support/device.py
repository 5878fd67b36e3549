"""The device authorization grant (RFC 8628) from both sides: the device
(plain HTTP posts: ask for codes, poll the token endpoint) and the person (a
scripted browser on the module's real pages: signs in, types the code,
presses Approve or Deny)."""
import hashlib
import json
import re
from urllib.parse import urljoin, urlparse

import requests

from support.browser import REDIRECTS, Browser
from support.forms import forms_of

DEVICE_AUTHZ = "/oauth2/device_authorization"
TOKEN = "/oauth2/token"
GRANT = "urn:ietf:params:oauth:grant-type:device_code"
PREFIX = "oauth:"


# --- the device side --------------------------------------------------------

def client_post(server, path, data, client_id, secret):
    """POST as the device client: Basic when it has a secret, else
    client_id in the body (a public client)."""
    if secret is None:
        return requests.post(server.url(path), data={**data, "client_id": client_id})
    return requests.post(server.url(path), data=data, auth=(client_id, secret))


def ask(server, client_id="box", secret="box-secret", **extra):
    return client_post(server, DEVICE_AUTHZ, extra, client_id, secret)


def codes(server, client_id="box", secret="box-secret", **extra):
    r = ask(server, client_id, secret, **extra)
    assert r.status_code == 200, r.text
    return r.json()


def poll(server, device_code, client_id="box", secret="box-secret"):
    return client_post(server, TOKEN, {"grant_type": GRANT, "device_code": device_code},
                       client_id, secret)


def record(redis, device_code):
    text = redis.cli("GET", PREFIX + "dc:" + hashlib.sha256(device_code.encode()).hexdigest())
    return json.loads(text) if text.startswith("{") else text


# --- the person's side ------------------------------------------------------

class Person(Browser):
    """The scripted browser on the device pages: signs in through the real
    login form when sent there, types codes into the device page, presses
    buttons. page: the last page it was shown."""

    def __init__(self, server, username, password):
        super().__init__(server)
        self.username = username
        self.password = password
        self.page = None

    def open(self, url):
        """GET the device page (signing in on the way if needed); every
        redirect on the way stays on the server."""
        r = self.go(url)
        if r.status_code == 200 and urlparse(r.url).path == "/oauth2/login":
            r = self.login(r, self.username, self.password)
        assert r.status_code not in REDIRECTS, r.headers["Location"]
        self.page = r
        return r

    def form(self):
        forms = forms_of(self.page.text)
        assert len(forms) == 1, self.page.text
        return forms[0]

    def enter(self, code=None):
        """Types the code (or keeps the prefilled one) and submits."""
        form = self.form()
        text_inputs = [n for n, t in form.types.items() if t == "text"]
        assert text_inputs == ["user_code"], form
        data = dict(form.fields)
        if code is not None:
            data["user_code"] = code
        self.page = self.session.post(urljoin(self.page.url, form.action), data=data,
                                      allow_redirects=False)
        return self.page

    def press(self, label):
        """Presses the button labelled Approve or Deny."""
        form = self.form()
        assert [b[1] for b in form.buttons] == ["approve", "deny"], form
        assert re.search(r">Approve</button>", self.page.text)
        assert re.search(r">Deny</button>", self.page.text)
        data = dict(form.fields)
        data["decision"] = label.lower()
        self.page = self.session.post(urljoin(self.page.url, form.action), data=data,
                                      allow_redirects=False)
        return self.page


def approve(server, answer, username="alice", password="alice-pw", code=None, decision="Approve"):
    p = Person(server, username, password)
    r = p.open(answer["verification_uri"])
    assert r.status_code == 200, r.text
    r = p.enter(answer["user_code"] if code is None else code)
    assert r.status_code == 200, r.text
    r = p.press(decision)
    assert r.status_code == 200, r.text
    return p
