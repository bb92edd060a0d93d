"""The applicant list's pages at any depth: the Next/Previous links carry a keyset cursor
(no OFFSET), deep page numbers read primary keys first; both give exactly the rows the plain
OFFSET would, in the same order, with a constant number of queries."""

import re

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import pagination
from core.pagination import ListPaginator
from waitlist.models import Applicant

pytestmark = pytest.mark.django_db

NAMES = ["Anna Holm", "Bo Berg", "Anna Holm", "Carl Dam", "Bo Berg", "Dorthe Ravn", "Anna Holm"]


@pytest.fixture
def applicants(cooperation):
    # Repeated names: the order (name, pk) must break ties by pk on every page.
    return Applicant.objects.bulk_create(
        Applicant(cooperation=cooperation, name=NAMES[k % len(NAMES)], search_text=f"x{k}")
        for k in range(23)
    )


def _qs():
    return Applicant.objects.order_by("name", "pk")


def _get(**params):
    return RequestFactory().get("/", {k: str(v) for k, v in params.items()})


def _pks(page):
    return [a.pk for a in page.object_list]


def test_next_and_previous_cursors_walk_the_list_like_offsets(applicants, monkeypatch):
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 0)  # every page by primary keys first
    expected = list(_qs().values_list("pk", flat=True))
    page = ListPaginator(_qs(), 5).page_from_request(_get())
    seen = _pks(page)
    while page.has_next():
        page = ListPaginator(_qs(), 5).page_from_request(
            _get(page=page.next_page_number(), after=page.object_list[-1].pk)
        )
        seen += _pks(page)
    assert seen == expected
    assert page.number == 5
    assert len(page.object_list) == 3
    back = ListPaginator(_qs(), 5).page_from_request(_get(page=4, before=page.object_list[0].pk))
    assert _pks(back) == expected[15:20]
    assert back.number == 4
    # Deep numbered pages (read from the far end past the middle) give the same rows.
    for number in range(1, 6):
        numbered = ListPaginator(_qs(), 5).page_from_request(_get(page=number))
        assert _pks(numbered) == expected[(number - 1) * 5 : number * 5]


def test_descending_order_and_bad_cursors(applicants):
    qs = Applicant.objects.order_by("-name", "-pk")
    expected = list(qs.values_list("pk", flat=True))
    first = ListPaginator(qs, 4).page_from_request(_get())
    second = ListPaginator(qs, 4).page_from_request(_get(page=2, after=first.object_list[-1].pk))
    assert _pks(second) == expected[4:8]
    # A cursor outside the (filtered) list, or no number, falls back to the page number.
    outside = ListPaginator(qs.exclude(pk=expected[3]), 4).page_from_request(
        _get(page=3, after=expected[3])
    )
    assert _pks(outside) == [pk for pk in expected if pk != expected[3]][8:12]
    assert _pks(ListPaginator(qs, 4).page_from_request(_get(page="x", after="1"))) == expected[:4]
    # An ordering without the primary key last is no total order: page numbers only.
    by_name = Applicant.objects.order_by("name")
    page = ListPaginator(by_name, 4).page_from_request(_get(page=2, after=expected[0]))
    assert page.number == 2
    assert len(page.object_list) == 4


def test_previous_from_a_shrunken_start_returns_page_one(applicants):
    expected = list(_qs().values_list("pk", flat=True))
    page = ListPaginator(_qs(), 5).page_from_request(_get(page=2, before=expected[3]))
    assert page.number == 1
    assert _pks(page) == expected[:5]


def test_screen_links_carry_the_cursor_and_queries_stay_constant(
    client, caseworker, applicants, monkeypatch
):
    client.force_login(caseworker)
    url = reverse("waitlist:applicant_list")
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 0)
    html = client.get(url, {"list_type": ""}).content.decode()
    assert "23 i alt" in html
    assert "after=" not in html

    from waitlist.views import staff

    def five_a_page(request, qs, per_page=5):
        return ListPaginator(qs, per_page).page_from_request(request)

    monkeypatch.setattr(staff, "_page", five_a_page)

    def queries(params):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        return response, len(ctx.captured_queries)

    first, _n = queries({})
    html = first.content.decode()
    link = re.search(r'href="\?([^"]*after=\d+)"', html).group(1).replace("&amp;", "&")
    assert "page=2" in link
    params = dict(part.split("=") for part in link.split("&"))
    second, n2 = queries(params)
    assert "Side 2 af 5" in second.content.decode()
    last = ListPaginator(_qs(), 5).page(4).object_list[-1].pk
    deep, n5 = queries({"page": 5, "after": last})
    assert n5 == n2
    assert "Side 5 af 5" in deep.content.decode()
    assert "before=" in deep.content.decode()
    assert "Første" in deep.content.decode()
