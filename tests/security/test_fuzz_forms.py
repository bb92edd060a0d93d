"""Bad input never gives a 500 (issue 17), the browser side: every page with a POST form
(found by walking the URL resolver, parameters filled from a small portfolio as in
test_headers) gets its form posted back with out-of-range values in every field at once —
dates in year 9999 and year 1, huge ids and integers, decimals with many digits, overlong
text. The answer must be a form error or a redirect, never a 500."""

from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.security.test_headers import html_routes, portfolio  # noqa: F401 - fixture

SKIP = ("logout", "set_language", "two_factor")

BAD_VALUES = {
    "year 9999": {"date": "9999-12-31", "number": "99999999999999999999999", "text": "9999-12-31"},
    "year 1": {"date": "0001-01-01", "number": "-99999999999999999999", "text": "01.01.0001"},
    "many digits": {
        "date": "2024-02-30",
        "number": "1" * 40 + "." + "9" * 40,
        "text": "1e400",
    },
    "overlong": {"date": "x" * 5000, "number": "9" * 5000, "text": "Æ" * 100_000},
}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The login forms are posted too: a fast hasher keeps the run short."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class FormParser(HTMLParser):
    """The POST forms of a page: action and [(field name, kind)]."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self.current: list[tuple[str, str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.current = []
            self.forms.append((a.get("action") or "", self.current))
        elif self.current is not None and tag in ("input", "select", "textarea") and a.get("name"):
            if a["name"] == "csrfmiddlewaretoken":
                return
            kind = a.get("type", "text")
            if kind == "date":
                self.current.append((a["name"], "date"))
            elif kind == "number" or tag == "select" or kind == "hidden":
                self.current.append((a["name"], "number"))
            else:
                self.current.append((a["name"], "text"))

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def post_forms(client: Client, path: str) -> list[str]:
    page = client.get(path)
    if page.status_code != 200 or not page.get("Content-Type", "").startswith("text/html"):
        return []
    parser = FormParser()
    parser.feed(page.content.decode())
    posted = []
    for action, fields in parser.forms:
        target = action or path
        if not target.startswith("/") or any(s in target for s in ("logout", "i18n")):
            continue
        if not fields:
            continue
        for label, values in BAD_VALUES.items():
            data = {name: values[kind] for name, kind in fields}
            response = client.post(target, data)
            assert response.status_code < 500, f"{target} ({label}): {response.status_code}"
            posted.append(target)
    return posted


def test_every_form_refuses_out_of_range_values(portfolio):  # noqa: F811 - the fixture
    admin, objects = portfolio
    client = Client(raise_request_exception=True)
    client.force_login(admin)
    posted = []
    for name, path in html_routes(objects):
        if any(s in name for s in SKIP):
            continue
        posted += post_forms(client, path)
    assert len(set(posted)) > 10, posted


@pytest.mark.parametrize(
    "payload",
    [
        {"parties": ["99999999999999999999999"], "start_date": "2024-01-01", "rent": "5000"},
        {"parties": ["abc"], "start_date": "9999-12-31", "rent": "1e400"},
    ],
)
def test_lease_form_with_an_out_of_range_party_id(portfolio, payload):  # noqa: F811
    admin, objects = portfolio
    client = Client()
    client.force_login(admin)
    from django.urls import reverse

    response = client.post(reverse("tenancy:lease_create", args=[objects["unit"].pk]), payload)
    assert response.status_code == 200  # the form again, with its errors
    assert objects["unit"].leases.count() == 1  # nothing half-saved
