"""The one search box (tenancy.search): addresses, postcodes, DAR ids, people, leases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenancy.search import LIMIT, search
from tests.factories import EntranceFactory, UnitFactory, make_lease, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def stairwells(organisation):
    """Strandvejen 12 (three units), Strandvejen 120 (one unit), Vesterbrogade 3 in 1620."""
    e12 = EntranceFactory(
        building__property__organisation=organisation, street_name="Strandvejen", house_number="12"
    )
    e120 = EntranceFactory(
        building__property__organisation=organisation,
        street_name="Strandvejen",
        house_number="120",
    )
    e3 = EntranceFactory(
        building__property__organisation=organisation,
        street_name="Vesterbrogade",
        house_number="3",
        postcode="1620",
        city="København V",
    )
    units = {
        "12 st tv": UnitFactory(entrance=e12, floor="st", door="tv"),
        "12 2 tv": UnitFactory(entrance=e12, floor="2", door="tv"),
        "12 2 th": UnitFactory(entrance=e12, floor="2", door="th"),
        "120 1 tv": UnitFactory(entrance=e120, floor="1", door="tv"),
        "v3 1 th": UnitFactory(entrance=e3, floor="1", door="th"),
    }
    for unit in units.values():  # the factory's search_text is not the service's
        unit.search_text = unit.build_search_text()
        unit.save(update_fields=["search_text"])
    for entrance in (e12, e120, e3):
        entrance.search_text = entrance.build_search_text()
        entrance.save(update_fields=["search_text"])
    return {"e12": e12, "e120": e120, "e3": e3, **units}


def _run(user, organisation, text):
    return {g.kind: g for g in search(user=user, organisation=organisation, query=text)}


def test_full_address_finds_one_unit(caseworker, organisation, stairwells):
    groups = _run(caseworker, organisation, "Strandvejen 12, 2. tv")
    assert groups["units"].items == [stairwells["12 2 tv"]]


def test_ground_floor_written_with_dot(caseworker, organisation, stairwells):
    groups = _run(caseworker, organisation, "strandvejen 12, st. tv")
    assert groups["units"].items == [stairwells["12 st tv"]]


def test_house_number_finds_whole_stairwell_not_120(caseworker, organisation, stairwells):
    groups = _run(caseworker, organisation, "Strandvejen 12")
    found = {u.pk for u in groups["units"].items}
    assert found == {stairwells[k].pk for k in ("12 st tv", "12 2 tv", "12 2 th")}
    assert groups["units"].more_url.endswith("?q=Strandvejen+12")


def test_partial_street_finds_entrances_while_typing(caseworker, organisation, stairwells):
    groups = _run(caseworker, organisation, "Strandv")
    assert {e.pk for e in groups["entrances"].items} == {
        stairwells["e12"].pk,
        stairwells["e120"].pk,
    }


def test_postcode(caseworker, organisation, stairwells):
    groups = _run(caseworker, organisation, "1620")
    assert groups["entrances"].items == [stairwells["e3"]]
    assert groups["units"].items == [stairwells["v3 1 th"]]
    assert "postcode=1620" in groups["units"].more_url


def test_dar_ids(caseworker, organisation, stairwells):
    unit = stairwells["12 2 th"]
    assert _run(caseworker, organisation, str(unit.dar_id))["units"].items == [unit]
    entrance = stairwells["e120"]
    groups = _run(caseworker, organisation, str(entrance.dar_id).upper())
    assert groups["entrances"].items == [entrance]
    assert "units" not in groups


def test_person_by_name_prefix_and_full_cpr(caseworker, organisation):
    anna = make_person(organisation, name="Anna Sørensen", cpr="1203851234")
    annie = make_person(organisation, name="Annie Berg")
    make_person(organisation, name="Bo Sørensen")
    assert _run(caseworker, organisation, "anna sø")["people"].items == [anna]
    assert _run(caseworker, organisation, "Ann")["people"].items == [anna, annie]
    people = _run(caseworker, organisation, "Anna Sørensen")["people"]
    assert people.items == [anna]
    assert "person" in people.more_url  # the full list also finds surnames (substring)
    groups = _run(caseworker, organisation, "120385-1234")
    assert groups["people"].items == [anna]
    assert groups["people"].more_url == ""  # a CPR number never goes into a link


def test_address_text_does_not_search_names(caseworker, organisation):
    make_person(organisation, name="Strandvejen 12 Hansen")  # absurd, but proves the point
    assert "people" not in _run(caseworker, organisation, "Strandvejen 12")


def test_partial_cpr_finds_nobody(caseworker, organisation):
    make_person(organisation, name="Anna", cpr="1203851234")
    groups = _run(caseworker, organisation, "120385")
    assert "people" not in groups


def test_lease_by_number(caseworker, organisation, unit):
    lease = make_lease(unit)
    groups = _run(caseworker, organisation, lease.number)
    assert groups["leases"].items == [lease]


def test_limit_and_more_link(caseworker, organisation):
    entrance = EntranceFactory(
        building__property__organisation=organisation, street_name="Lang", house_number="1"
    )
    for i in range(LIMIT + 3):
        u = UnitFactory(entrance=entrance, floor=str(i + 1), door="tv")
        u.search_text = u.build_search_text()
        u.save(update_fields=["search_text"])
    group = _run(caseworker, organisation, "Lang 1")["units"]
    assert len(group.items) == LIMIT
    assert group.has_more


def test_scoped_to_current_organisation(caseworker, organisation, other_organisation):
    make_person(other_organisation, name="Fremmed Person", cpr="0101701234")
    assert _run(caseworker, organisation, "Fremmed") == {}
    assert _run(caseworker, organisation, "010170-1234") == {}
    # a user who is not a member sees nothing even when naming the organisation
    assert _run(caseworker, other_organisation, "Fremmed") == {}


def test_address_search_uses_prefix_not_substring(caseworker, organisation, stairwells):
    with CaptureQueriesContext(connection) as ctx:
        _run(caseworker, organisation, "Strandvejen 12, 2. tv")
    address_sql = [
        q["sql"]
        for q in ctx.captured_queries
        if "tenancy_unit" in q["sql"] or "tenancy_entrance" in q["sql"]
    ]
    assert address_sql
    for sql in address_sql:
        assert "%strandvejen" not in sql.lower()
        assert "LIKE '%%" not in sql


def test_empty_query(caseworker, organisation):
    assert search(user=caseworker, organisation=organisation, query="  ") == []
