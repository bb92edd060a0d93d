"""Ad-hoc CPR lookups against the GCTP simulator over real HTTP: eligibility, charging,
the lookup log, protected persons, moves and reconciliation (docs/domain.md: CPR lookups,
Occupancy reconciliation)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import DomainError
from cprlookup import selectors, services
from cprlookup.models import (
    CprCharge,
    CprLookup,
    CprLookupResident,
    CprRegistration,
    EventKind,
    OccupancyEvent,
    OccupancyStatus,
    UnitOccupancy,
)
from tenancy.models import Unit
from tests.cprlookup.fixtures_cpr import SINCE, lease_with_person, make_portfolio, register
from tests.factories import UnitFactory, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(db):
    return make_portfolio()


SOEREN = "0101801234"
HANNE = "0202802345"
JENS = "0303803456"


def _lookup(p, user=None, **target):
    target.setdefault("purpose", "Sag 2024-17")
    return services.cpr_lookup_perform(
        user=user or p.caseworker, organisation=p.organisation, **target
    )


def test_unit_lookup_returns_residents_logs_and_charges_once(portfolio, gctp_settings):
    p = portfolio
    unit = p.units[0]
    gctp_settings.load(
        register(
            p.organisation,
            people=[
                (SOEREN, "Søren Ærø", [(unit, SINCE, None)]),
                (JENS, "Jens Flyttet", [(unit, SINCE, date(2024, 3, 1))]),
                ("0404804567", "Gammel", [(unit, SINCE, date(2022, 3, 1))]),
            ],
        )
    )
    lookup = _lookup(p, unit_id=unit.pk)

    assert lookup.outcome == "ok"
    assert lookup.result_count == 2  # moved out more than a year ago: not returned
    rows = {r.cpr_masked: r for r in lookup.residents.all()}
    assert rows["010180-xxxx"].name == "Søren Ærø"
    assert rows["010180-xxxx"].move_out is None
    assert rows["030380-xxxx"].move_out == date(2024, 3, 1)
    assert lookup.owner_cvr == p.organisation.cvr
    charge = CprCharge.objects.get()
    assert charge.amount == Decimal("0.05")
    assert charge.lookup == lookup
    assert charge.user == p.caseworker
    assert gctp_settings.stats()["searches"] == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not_registered", "ikke tilmeldt"),
        ("small_private", "mere end 10"),
        ("not_owner", "ikke i en af organisationens ejendomme"),
        ("no_purpose", "formålet"),
        ("bad_uuid", "Ugyldigt DAR-id"),
        ("unknown_dar", "ikke i en af organisationens ejendomme"),
        ("bad_address", "vejnavn og husnummer"),
    ],
)
def test_refusals_are_free_and_made_before_any_call(db, gctp_settings, case, message):
    org_kwargs = {}
    if case == "not_registered":
        org_kwargs = {"cpr_service_registered": False, "cpr_service_registered_since": None}
    if case == "small_private":
        org_kwargs = {"kind": "private", "dwellings_owned": 10}
    p = make_portfolio(**org_kwargs)
    other = UnitFactory()  # another organisation's unit
    gctp_settings.load(register(p.organisation, other.organisation))
    target = {"unit_id": p.units[0].pk}
    if case == "not_owner":
        target = {"unit_id": other.pk}
    elif case == "no_purpose":
        target["purpose"] = "  "
    elif case == "bad_uuid":
        target = {"dar_address_id": "ikke-et-uuid"}
    elif case == "unknown_dar":
        target = {"dar_house_id": str(other.entrance.dar_id)}
    elif case == "bad_address":
        target = {"address": "Strandvejen"}

    with pytest.raises(DomainError) as exc:
        _lookup(p, **target)

    assert message.lower() in " ".join(exc.value.messages).lower()
    stats = gctp_settings.stats()
    assert stats["requests"] == 0  # not even a sign-on
    assert stats["searches"] == 0
    assert CprLookup.objects.count() == 0
    assert CprCharge.objects.count() == 0


def test_private_landlord_with_more_than_ten_dwellings_may_look_up(db, gctp_settings):
    p = make_portfolio(kind="private", dwellings_owned=11)
    # The typed number counts only with its document recorded (issue 12).
    services.dwellings_evidence_record(
        user=p.admin, organisation=p.organisation, dwellings=11, document="Tingbogsattest"
    )
    gctp_settings.load(register(p.organisation))
    assert _lookup(p, unit_id=p.units[0].pk).outcome == "ok"


def test_non_member_is_refused(portfolio, gctp_settings, other_organisation):
    from tests.factories import MembershipFactory

    outsider = MembershipFactory(organisation=other_organisation).user
    with pytest.raises(PermissionDenied):
        _lookup(portfolio, user=outsider, unit_id=portfolio.units[0].pk)
    assert gctp_settings.stats()["searches"] == 0


def test_service_refusal_is_logged_with_danish_reason_and_not_charged(portfolio, gctp_settings):
    # Registered in our records, but CPR does not know the CVR as registered.
    gctp_settings.load(register(portfolio.organisation, unregistered=[portfolio.organisation]))
    with pytest.raises(DomainError) as exc:
        _lookup(portfolio, unit_id=portfolio.units[0].pk)
    assert "ikke tilmeldt CPR's udlejerservice" in exc.value.messages[0]
    lookup = CprLookup.objects.get()
    assert lookup.outcome == "refused"
    assert lookup.error_code == "60"
    assert CprCharge.objects.count() == 0
    assert sum(gctp_settings.stats()["refusals"].values()) == 1


def test_service_down_is_a_readable_error_and_not_charged(portfolio, gctp_settings, settings):
    gctp_settings.load(register(portfolio.organisation))
    gctp_settings.configure(error_rate=1.0)
    settings.GCTP_MAX_ATTEMPTS = 2
    with pytest.raises(services.CprServiceUnavailable) as exc:
        _lookup(portfolio, unit_id=portfolio.units[0].pk)
    assert "svarer ikke" in exc.value.messages[0]
    assert CprLookup.objects.get().outcome == "unavailable"
    assert CprCharge.objects.count() == 0


def test_retried_search_is_charged_once(portfolio, gctp_settings, settings):
    gctp_settings.load(register(portfolio.organisation))
    gctp_settings.configure(error_rate=0.6)
    settings.GCTP_MAX_ATTEMPTS = 10
    for _ in range(5):
        _lookup(portfolio, unit_id=portfolio.units[0].pk)
    stats = gctp_settings.stats()
    assert stats["errors_injected"] > 0  # some searches were retried ...
    assert CprLookup.objects.filter(attempts__gt=1).exists()
    assert CprCharge.objects.count() == 5  # ... and each was charged once
    assert len(set(CprCharge.objects.values_list("key", flat=True))) == 5


def test_entrance_lookup_places_residents_and_matches_people(portfolio, gctp_settings):
    p = portfolio
    person = make_person(p.organisation, name="Søren Ærø", cpr=SOEREN)
    gctp_settings.load(
        register(
            p.organisation,
            people=[
                (SOEREN, "Søren Ærø", [(p.units[1], SINCE, None)]),
                (JENS, "Jens", [(p.units[2], SINCE, None)]),
            ],
        )
    )
    lookup = _lookup(p, address=p.entrance.street_address)
    assert lookup.target_kind == "entrance"
    rows = {r.cpr_hash: r for r in lookup.residents.all()}
    assert rows[person.cpr_hash].unit == p.units[1]
    assert rows[person.cpr_hash].person == person
    assert CprRegistration.objects.filter(unit=p.units[2]).count() == 1
    statuses = dict(UnitOccupancy.objects.values_list("unit_id", "status"))
    assert statuses[p.units[0].pk] == OccupancyStatus.NOT_USED
    assert statuses[p.units[1].pk] == OccupancyStatus.LET
    assert p.unit2.pk not in statuses  # the other stairwell was not looked up


def test_dar_lookups(portfolio, gctp_settings):
    p = portfolio
    gctp_settings.load(register(p.organisation, people=[(SOEREN, "S", [(p.unit2, SINCE, None)])]))
    by_house = _lookup(p, dar_house_id=str(p.entrance2.dar_id))
    by_address = _lookup(p, dar_address_id=str(p.unit2.dar_id))
    assert (by_house.target_kind, by_house.result_count) == ("dar_house", 1)
    assert (by_address.target_kind, by_address.result_count) == ("dar_address", 1)
    assert CprCharge.objects.count() == 2


def test_protected_person_never_named_even_when_known_by_name(portfolio, gctp_settings):
    p = portfolio
    # We hold the person's name; CPR says protected. Nothing that leaves may name them.
    make_person(p.organisation, name="Hemmelig Hansen", cpr=HANNE)
    gctp_settings.load(
        register(
            p.organisation, people=[(HANNE, "Hemmelig Hansen", [(p.units[0], SINCE, None)], True)]
        )
    )
    lookup = _lookup(p, unit_id=p.units[0].pk)
    row = lookup.residents.get()
    assert row.protected
    assert row.name == ""
    assert row.public_name == "Beskyttet person"
    assert row.unit == p.units[0]  # a unit lookup places them without an address from CPR


def test_lookup_log_is_append_only(portfolio, gctp_settings):
    gctp_settings.load(register(portfolio.organisation))
    lookup = _lookup(portfolio, unit_id=portfolio.units[0].pk)
    lookup.purpose = "ændret"
    with pytest.raises(ValidationError):
        lookup.save()
    with pytest.raises(ValidationError):
        lookup.delete()
    with pytest.raises(ValidationError):
        CprLookup.objects.filter(pk=lookup.pk).update(purpose="x")
    with pytest.raises(ValidationError):
        CprLookup.objects.all().delete()
    with pytest.raises(ValidationError):
        CprCharge.objects.all().update(amount=0)
    with pytest.raises(ValidationError):
        CprLookupResident.objects.all().delete()
    assert CprLookup.objects.get().purpose == "Sag 2024-17"


def test_lookups_touching_person_for_access_requests(portfolio, gctp_settings):
    p = portfolio
    person = make_person(p.organisation, name="Søren", cpr=SOEREN)
    gctp_settings.load(
        register(p.organisation, people=[(SOEREN, "S", [(p.units[0], SINCE, None)])])
    )
    touching = _lookup(p, unit_id=p.units[0].pk, purpose="Sag A")
    _lookup(p, unit_id=p.units[1].pk, purpose="Sag B")
    found = list(selectors.lookups_touching_person(user=p.caseworker, person=person))
    assert found == [touching]


def test_moves_become_events_after_the_first_lookup(portfolio, gctp_settings):
    p = portfolio
    unit = p.units[0]
    lease, tenant = lease_with_person(unit, SOEREN, name="Søren")
    gctp_settings.load(register(p.organisation, people=[(SOEREN, "Søren", [(unit, SINCE, None)])]))
    _lookup(p, unit_id=unit.pk)
    assert OccupancyEvent.objects.count() == 0  # first picture: a baseline, no moves

    gctp_settings.load(
        register(
            p.organisation,
            people=[
                (SOEREN, "Søren", [(unit, SINCE, date(2024, 5, 1))]),
                (JENS, "Jens", [(unit, date(2024, 5, 2), None)]),
            ],
        )
    )
    _lookup(p, unit_id=unit.pk)
    events = {e.kind: e for e in OccupancyEvent.objects.all()}
    assert events[EventKind.MOVED_OUT].date == date(2024, 5, 1)
    assert events[EventKind.MOVED_OUT].person == tenant
    assert events[EventKind.MOVED_OUT].lease == lease
    assert events[EventKind.MOVED_IN].date == date(2024, 5, 2)
    assert events[EventKind.MOVED_IN].person is None

    _lookup(p, unit_id=unit.pk)
    assert OccupancyEvent.objects.count() == 2  # nothing new: no new events


def test_reconciliation_categories(db, gctp_settings, monkeypatch):
    p = make_portfolio(units_per_entrance=5)
    a, b, c, d, e = p.units
    lease_with_person(a, "1111801111", name="Aktiv Uden Tilmelding")
    lease_c, _ = lease_with_person(c, HANNE, name="Flyttet Men Lejer")
    lease_with_person(d, SOEREN, name="Alt i orden")
    Unit.objects.filter(pk=e.pk).update(letting_code="E")  # BBR 322: used by the owner
    e.refresh_from_db()
    gctp_settings.load(
        register(
            p.organisation,
            people=[
                (JENS, "Uden Lejemål", [(b, SINCE, None)]),
                (HANNE, "Flyttet Men Lejer", [(c, SINCE, date(2024, 4, 1))]),
                (SOEREN, "Alt i orden", [(d, SINCE, None)]),
                ("0505055678", "Ejer", [(e, SINCE, None)]),
            ],
        )
    )
    _lookup(p, entrance_id=p.entrance.pk)

    def units(category):
        return set(
            selectors.disagreement_list(user=p.caseworker, category=category).values_list(
                "pk", flat=True
            )
        )

    assert units(selectors.NO_REGISTRATION) == {a.pk, c.pk}
    assert units(selectors.NO_LEASE) == {b.pk}  # e is used by the owner
    assert units(selectors.HOLDER_MOVED_OUT) == {c.pk}
    assert d.pk not in units(None)
    _label, url = selectors.resolution(category=selectors.HOLDER_MOVED_OUT, unit=c, lease=lease_c)
    assert url == f"/lejemaal/{lease_c.pk}/afslut/"
    counts = selectors.disagreement_counts(user=p.caseworker)
    assert counts[selectors.HOLDER_MOVED_OUT] == 1
    assert counts[selectors.ANY_CATEGORY] == 3  # a, b and c (c is in two categories)
    # The page's id-list form of the list finds the same units, as does the subquery form
    # it falls back to for long lists.
    ids = selectors.disagreement_ids(user=p.caseworker)
    for category in (None, *selectors.CATEGORIES):
        by_ids = selectors.disagreement_list(user=p.caseworker, category=category, ids=ids)
        assert set(by_ids.values_list("pk", flat=True)) == units(category)
    monkeypatch.setattr(selectors, "_MAX_ID_LIST", 1)
    by_subquery = selectors.disagreement_list(user=p.caseworker, ids=ids)
    assert list(by_subquery) == list(selectors.disagreement_list(user=p.caseworker))
    items = selectors.attention_items(user=p.caseworker, organisation=p.organisation)
    assert {i["count"] for i in items} >= {1, 2}
    # Another organisation's user sees none of it.
    from tests.factories import MembershipFactory

    stranger = MembershipFactory().user
    assert not selectors.disagreement_list(user=stranger).exists()


def _sheet(response):
    from io import BytesIO

    from openpyxl import load_workbook

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    return rows[0], rows[1:]


def test_reconciliation_and_moves_download_as_excel(db, client, gctp_settings):
    """Both lists as Excel: one row per disagreement (the category filter applies), and the
    moves with a protected person as "Beskyttet person" (a download can leave the
    organisation)."""
    p = make_portfolio(units_per_entrance=3)
    a, b, c = p.units
    lease_a, _ = lease_with_person(a, "1111801111", name="Aktiv Uden Tilmelding")
    lease_b, _ = lease_with_person(b, JENS, name="Hemmelig Jensen")
    lease_c, _ = lease_with_person(c, HANNE, name="Flyttet Men Lejer")
    gctp_settings.load(
        register(
            p.organisation,
            people=[
                (JENS, "Hemmelig Jensen", [(b, SINCE, None)], True),
                (HANNE, "Flyttet Men Lejer", [(c, SINCE, None)]),
            ],
        )
    )
    _lookup(p, entrance_id=p.entrance.pk)
    gctp_settings.load(
        register(
            p.organisation,
            people=[
                (JENS, "Hemmelig Jensen", [(b, SINCE, date(2024, 6, 1))], True),
                (HANNE, "Flyttet Men Lejer", [(c, SINCE, date(2024, 4, 1))]),
            ],
        )
    )
    _lookup(p, entrance_id=p.entrance.pk)
    client.force_login(p.caseworker)

    header, rows = _sheet(client.get("/cpr/afstemning/", {"format": "xlsx"}))
    assert header[0] == "Adresse"
    found = {(r[0], r[5], r[6]) for r in rows}
    no_reg, moved = (
        str(selectors.CATEGORIES[selectors.NO_REGISTRATION]),
        str(selectors.CATEGORIES[selectors.HOLDER_MOVED_OUT]),
    )
    assert found == {
        (a.street_address, lease_a.number, no_reg),
        (b.street_address, lease_b.number, no_reg),
        (b.street_address, lease_b.number, moved),
        (c.street_address, lease_c.number, no_reg),
        (c.street_address, lease_c.number, moved),
    }
    _h, only = _sheet(
        client.get("/cpr/afstemning/", {"format": "xlsx", "kategori": selectors.HOLDER_MOVED_OUT})
    )
    assert sorted((r[0], r[6]) for r in only) == [
        (b.street_address, moved),
        (c.street_address, moved),
    ]

    header, rows = _sheet(client.get("/cpr/flytninger/", {"format": "xlsx"}))
    people = {r[5]: r for r in rows}
    assert set(people) == {"Beskyttet person", "Flyttet Men Lejer"}
    assert people["Flyttet Men Lejer"][7] == lease_c.number
    assert not people["Beskyttet person"][7]  # no lease, address or CPR (issue 12)
    assert not people["Beskyttet person"][3]
    assert "Hemmelig" not in str(rows)
