"""Headers (issue 17): every HTML page carries a strict Content-Security-Policy, and every
response a view makes (pages, API, Excel downloads) carries `Cache-Control: no-store`.

The pages are found by walking the URL resolver, so a page added later is checked too. A
route's path parameters are filled from a small portfolio by the object its name starts
with (`unit_detail` -> the unit); a route that cannot be filled is skipped here (the
authorisation matrix in tests/security covers those)."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from tests.factories import MembershipFactory, UnitFactory, make_lease, make_person

ROOT = Path(settings.BASE_DIR)
SKIP_PREFIXES = ("admin:", "logout", "set_language")  # admin below; POST-only or logging out
CSP_REQUIRED = ("default-src 'self'", "script-src 'self'", "style-src 'self'")


def walk(patterns=None, namespace=""):
    """(qualified name, path parameter names) of every named URL pattern."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            params = list(entry.pattern.regex.groupindex)
            yield f"{namespace}{entry.name}", params


@pytest.fixture
def portfolio(organisation):
    unit = UnitFactory(entrance__building__property__organisation=organisation)
    person = make_person(organisation, name="Anna Sørensen", cpr="1203851234")
    lease = make_lease(unit, parties=[person], start_date=date(2020, 1, 1), rent=Decimal("7000"))
    admin = MembershipFactory(organisation=organisation, role="org_admin").user
    admin.is_staff = True
    admin.save()
    objects = {
        "unit": unit,
        "entrance": unit.entrance,
        "building": unit.entrance.building,
        "property": unit.entrance.building.property,
        "person": person,
        "lease": lease,
        "organisation": organisation,
    }
    return admin, objects


def fill(name: str, params: list[str], objects: dict) -> str | None:
    """The path of a route, its parameters taken from the object its name is about."""
    if "format" in params:
        return None  # the API's .json suffix variants: the plain route is checked
    short = name.rsplit(":", 1)[-1]
    kwargs = {}
    for param in params:
        key = param.removesuffix("_pk").removesuffix("_id")
        obj = objects.get(key) if key != "pk" else objects.get(short.split("_")[0])
        if obj is None:
            return None
        kwargs[param] = obj.pk
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def html_routes(objects):
    for name, params in walk():
        if name.startswith(SKIP_PREFIXES) or name.startswith("api") or "api" in name.split(":")[0]:
            continue
        path = fill(name, params, objects)
        if path is not None and not path.startswith("/api/"):
            yield name, path


def assert_headers(response, path: str, *, html: bool) -> None:
    cache = response.get("Cache-Control", "")
    assert "no-store" in cache, f"{path}: Cache-Control is {cache!r}"
    if html:
        csp = response.get("Content-Security-Policy", "")
        for directive in CSP_REQUIRED:
            assert directive in csp, f"{path}: CSP {csp!r} lacks {directive}"
        assert "unsafe-inline" not in csp, path
        assert "unsafe-eval" not in csp, path


def test_every_page_has_csp_and_no_store(portfolio):
    admin, objects = portfolio
    client = Client()
    client.force_login(admin)
    checked = []
    for name, path in html_routes(objects):
        response = client.get(path)
        assert response.status_code < 500, f"{name} {path}: {response.status_code}"
        html = response.get("Content-Type", "").startswith("text/html")
        assert_headers(response, path, html=html and response.status_code == 200)
        if html and response.status_code == 200:
            checked.append(name)
    # The walk really reached the caseworker screens, details included.
    for expected in ("tenancy:dashboard", "tenancy:unit_list", "tenancy:unit_detail"):
        assert expected in checked, checked
    assert "tenancy:person_detail" in checked, checked
    assert "tenancy:lease_detail" in checked, checked
    assert len(checked) > 20


def test_login_page_and_error_pages_have_the_headers():
    client = Client()
    assert_headers(client.get(reverse("login")), "/accounts/login/", html=True)
    response = client.get("/findes-ikke/")
    assert response.status_code in (302, 404)
    assert "no-store" in response["Cache-Control"]


def test_admin_pages_have_csp_and_no_store(organisation):
    superuser = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client = Client()
    client.force_login(superuser)
    for path in ("/admin/", "/admin/tenancy/unit/", "/admin/tenancy/person/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_headers(response, path, html=True)


def test_api_responses_and_excel_downloads_are_no_store(portfolio):
    admin, objects = portfolio
    client = Client()
    client.force_login(admin)
    for path in (
        "/api/units/",
        f"/api/units/{objects['unit'].pk}/",
        "/api/people/",
        f"/api/leases/{objects['lease'].pk}/",
        "/api/schema/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_headers(response, path, html=False)
    for kind in ("units", "people", "leases"):
        response = client.get(reverse("tenancy:export", args=[kind]))
        assert response.status_code == 200, kind
        assert "spreadsheetml" in response["Content-Type"], kind
        assert_headers(response, kind, html=False)


def test_swagger_ui_runs_under_the_policy(portfolio):
    """The API docs page loads its set-up script as a file (the split view), no inline code."""
    admin, _objects = portfolio
    client = Client()
    client.force_login(admin)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    body = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline <script> on /api/docs/"
    assert "<style" not in body
    assert client.get("/api/docs/", {"script": ""}).status_code == 200


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"\sstyle\s*=|<style", re.IGNORECASE)


# Documents rendered only into a downloaded file (never served as a page, so no policy
# applies) and opened offline, where our static files cannot be reached: their CSS is inline.
STANDALONE_DOCUMENTS = {"gdpr/templates/gdpr/subject/access_document.html"}  # the access ZIP


def test_no_template_has_inline_script_handler_or_style():
    """What the policy would block in a browser, caught in the source: every template of
    ours (project and apps) keeps JavaScript and CSS in static files."""
    templates = [
        path
        for path in ROOT.rglob("*.html")
        if ".venv" not in path.parts
        and "staticfiles" not in path.parts
        and "var" not in path.parts
        and str(path.relative_to(ROOT)) not in STANDALONE_DOCUMENTS
    ]
    assert len(templates) > 20
    offenders = []
    for path in templates:
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, INLINE_STYLE):
            for match in pattern.finditer(text):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)!r}")
    assert offenders == []


def test_htmx_is_served_locally_and_its_inline_styles_are_off(portfolio):
    admin, _objects = portfolio
    client = Client()
    client.force_login(admin)
    body = client.get(reverse("tenancy:dashboard")).content.decode()
    sources = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", body)
    assert any("htmx" in src for src in sources), sources
    assert all(src.startswith("/static/") for src in sources), sources
    assert '"includeIndicatorStyles": false' in body
    assert re.search(r"<link[^>]+css/csp\.css", body)
