"""No CPR number in any URL (issue 17, item 5): every admin changelist search posts and a CPR
number reaches the URL only as its keyed hash; no GET search form on the staff screens and
no GET filter of the API finds anyone by CPR number (so nobody has a reason to put one
there); every redirect is free of CPR numbers."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin

from core.crypto import search_hash
from tests.factories import UserFactory, make_person

from .conftest import verified_client
from .discovery import api_callbacks, django_routes
from .matrix import UnfillableRoute, fill
from .route_policy import POLICY
from .world import World

pytestmark = pytest.mark.django_db

CPR = "1705801234"
OTHER_CPR = "0101010000"  # nobody's: a CPR-shaped value that finds no one
CPR_PATTERN = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
MARKER_NAME = "Cprsøgt Markørsen"


def assert_no_cpr(url: str, where: str) -> None:
    assert not CPR_PATTERN.search(url), f"{where}: CPR number in URL {url!r}"


class Forms(HTMLParser):
    """The forms of a page: method, action and the names of their free-text inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "method": (attrs.get("method") or "get").lower(),
                    "action": attrs.get("action") or "",
                    "text": [],
                    "id": attrs.get("id", ""),
                }
            )
        elif (
            tag == "input"
            and self.forms
            and (attrs.get("type") or "text") in ("text", "search")
            and attrs.get("name")
        ):
            self.forms[-1]["text"].append(attrs["name"])


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def test_admin_searches_post_and_put_only_a_hash_in_the_url(organisation):
    person = make_person(organisation, name=MARKER_NAME, cpr=CPR)
    client = verified_client(UserFactory(is_superuser=True, is_staff=True))
    searchable = [m for m, a in admin.site._registry.items() if a.search_fields]
    assert searchable
    for model in searchable:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        page = client.get(url)
        assert page.status_code == 200, url
        search = [f for f in forms_of(page.content.decode()) if f["id"] == "changelist-search"]
        assert search, url
        assert search[0]["method"] == "post", f"{url}: the search form must post"
        for term in (CPR, "170580-1234"):
            response = client.post(url, {"_search": "1", "q": term})
            assert response.status_code == 302, url
            assert_no_cpr(response["Location"], url)
            followed = client.get(response["Location"])
            assert followed.status_code == 200, response["Location"]
            if model._meta.model_name == "person":
                assert response["Location"].endswith(f"cpr_hash={search_hash(CPR)}")
                assert MARKER_NAME in followed.content.decode()
        named = client.post(url, {"_search": "1", "q": "Markørsen"})
        assert "q=" in named["Location"]
    # an old bookmark with the number in ?q= is sent on without it
    old = client.get(f"/admin/tenancy/person/?q={CPR}")
    assert old.status_code == 302
    assert_no_cpr(old["Location"], "GET ?q=")
    assert person.pk


def _found(response) -> bool:
    """The marker person is in the answer (the search narrowed to them)."""
    return MARKER_NAME in response.content.decode()


def _get_forms_with_text(world: World, client):
    for route in django_routes():
        entry = POLICY.get(route.key)
        if entry is None:
            continue
        try:
            path = fill(route, world, "a", entry.obj)
        except UnfillableRoute:
            continue
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in forms_of(response.content.decode()):
            if form["method"] == "get" and form["text"]:
                yield path, form


def test_no_get_search_form_finds_a_person_by_cpr(two_factor_enforced):
    """Every GET form on every staff page, its text fields filled with a CPR number: nobody
    is found by it (a CPR search must post), and no redirect carries the number."""
    world = World()
    make_person(world.orgs["a"], name=MARKER_NAME, cpr=CPR)
    client = world.client_for("cpr_officer")
    found, tried = [], 0
    for path, form in _get_forms_with_text(world, client):
        tried += 1
        target = form["action"] or path
        response = client.get(target, dict.fromkeys(form["text"], CPR))
        if response.status_code in (301, 302):
            assert_no_cpr(response["Location"], target)
        if MARKER_NAME in response.content.decode():
            found.append(f"{target} ({', '.join(form['text'])})")
    assert tried >= 3  # the walk reached the staff screens' filter forms
    assert not found, "GET forms that find a person by CPR number (make them post):\n" + "\n".join(
        found
    )


def test_no_api_get_filter_finds_a_person_by_cpr(organisation, caseworker):
    """Every string query parameter of every GET operation in the OpenAPI schema, set to a
    CPR number: nobody is found (the API's CPR search is POST /api/people/search/)."""
    from drf_spectacular.generators import SchemaGenerator

    make_person(organisation, name=MARKER_NAME, cpr=CPR)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    client = verified_client(caseworker)
    found, tried = [], 0
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if not get or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            if parameter.get("in") != "query" or parameter["schema"].get("type") != "string":
                continue
            tried += 1
            response = client.get(path, {parameter["name"]: CPR})
            baseline = client.get(path, {parameter["name"]: OTHER_CPR})
            if _found(response) and not _found(baseline):
                found.append(f"GET {path}?{parameter['name']}=")
    assert tried > 5
    assert not found, "API GET filters that find a person by CPR number:\n" + "\n".join(found)
    assert api_callbacks()
