import pytest
from django.db import connection
from django.urls import reverse

from core.pagination import ListPaginator
from tenancy.models import Unit
from tests.factories import EntranceFactory, MembershipFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def eight_units(organisation):
    entrance = EntranceFactory(building__property__organisation=organisation)
    return [UnitFactory(entrance=entrance) for _ in range(8)]


def test_small_lists_are_counted_exactly(eight_units):
    paginator = ListPaginator(Unit.objects.order_by("pk"), 3)
    assert paginator.count == 8
    assert paginator.count_is_exact


def test_long_lists_use_the_estimate_on_postgresql_and_keep_the_true_last_page(
    eight_units, monkeypatch
):
    monkeypatch.setattr(ListPaginator, "EXACT_LIMIT", 5)
    paginator = ListPaginator(Unit.objects.order_by("pk"), 3)
    if connection.vendor == "postgresql":
        assert not paginator.count_is_exact
        assert paginator.count >= 6  # never below what was seen
    else:
        assert paginator.count == 8
        assert paginator.count_is_exact
    last = paginator.page(paginator.num_pages)
    assert last.object_list[-1] == eight_units[-1]


def test_list_page_marks_an_estimated_count(client, organisation, eight_units, monkeypatch):
    user = MembershipFactory(organisation=organisation).user
    client.force_login(user)
    monkeypatch.setattr(ListPaginator, "EXACT_LIMIT", 5)
    html = client.get(reverse("tenancy:unit_list")).content.decode()
    if connection.vendor == "postgresql":
        assert "ca.</abbr>" in html
    else:
        assert "ca.</abbr>" not in html
        assert "8 resultater" in html
