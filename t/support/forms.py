"""The one HTML form parser of the tests (html.parser): every form of a
page with its action, method, inputs and buttons, as the scripted browsers
and the page tests read them."""
import html.parser


class Form:
    """One <form>. inputs: (name, type, value) in page order; fields and
    types: the named inputs' values and types by name; buttons:
    (name, value, label)."""

    def __init__(self, action, method):
        self.action = action
        self.method = method
        self.inputs = []
        self.fields = {}
        self.types = {}
        self.buttons = []

    def add_input(self, name, kind, value):
        self.inputs.append((name, kind, value))
        if name:
            self.fields[name] = value
            self.types[name] = kind

    def __repr__(self):
        return (f"Form(action={self.action!r}, method={self.method!r}, "
                f"inputs={self.inputs!r}, buttons={self.buttons!r})")


class FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []
        self._button = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("action", ""),
                                   (a.get("method") or "get").lower()))
        elif tag == "input" and self.forms:
            self.forms[-1].add_input(a.get("name"),
                                     (a.get("type") or "text").lower(),
                                     a.get("value", ""))
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
    """Every form of an HTML page, in order."""
    p = FormParser()
    p.feed(text)
    return p.forms
