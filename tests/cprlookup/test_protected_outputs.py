"""Protected persons (docs/domain.md, "Protected persons"): what leaves for a private party
carries neither the name nor anything that leads to the person or their address; the rent
register (an authority) gets the real name."""

import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from core import crypto
from cprlookup import exports
from cprlookup.models import CprLookup, CprLookupResident, EventKind, OccupancyEvent
from rentregister.payload import tenant_identity
from tests.factories import make_cpr, make_lease, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


@pytest.fixture
def hidden(organisation):
    return make_person(organisation, name="Hemmelig Hansen", protected=True)


def _lookup(organisation, unit):
    return CprLookup.objects.create(
        organisation=organisation,
        source="adhoc",
        target_kind="unit",
        target_label=unit.street_address,
        unit=unit,
        owner_cvr=organisation.cvr,
        purpose="Sag 1",
        outcome="ok",
    )


def test_lease_api_withholds_unit_address_and_party_id(api, unit, hidden):
    lease = make_lease(unit, parties=[hidden])
    data = api.get(f"/api/leases/{lease.pk}/").json()
    assert data["parties"] == [{"id": None, "name": "Beskyttet person", "protected": True}]
    assert data["unit"] is None
    assert data["unit_address"] == ""
    assert "Hemmelig" not in str(data)


def test_lease_api_keeps_ordinary_lease_whole(api, unit, organisation):
    person = make_person(organisation, name="Åben Åse")
    lease = make_lease(unit, parties=[person])
    data = api.get(f"/api/leases/{lease.pk}/").json()
    assert data["unit"] == unit.pk
    assert data["unit_address"]
    assert data["parties"][0] == {"id": person.pk, "name": "Åben Åse", "protected": False}


def test_lookup_api_resident_has_no_person_id_or_birth_date(api, organisation, unit, hidden):
    lookup = _lookup(organisation, unit)
    cpr = make_cpr()
    CprLookupResident.objects.create(
        lookup=lookup,
        cpr_encrypted=crypto.encrypt(cpr),
        cpr_hash=crypto.search_hash(cpr),
        cpr_masked=f"{cpr[:6]}-xxxx",
        protected=False,  # CPR's marker missing: the linked person's flag still counts
        name="Hemmelig Hansen",
        unit=unit,
        person=hidden,
    )
    (resident,) = api.get(f"/api/cpr/lookups/{lookup.pk}/").json()["residents"]
    assert resident["name"] == "Beskyttet person"
    assert resident["person"] is None
    assert resident["cpr_masked"] == ""
    assert resident["unit"] is None


def test_moves_api_and_excel_withhold_address(api, organisation, unit, hidden):
    lookup = _lookup(organisation, unit)
    lease = make_lease(unit, parties=[hidden])
    OccupancyEvent.objects.create(
        organisation=organisation,
        unit=unit,
        lease=lease,
        person=hidden,
        cpr_hash="h",
        cpr_masked="170580-xxxx",
        name="",
        protected=False,
        kind=EventKind.MOVED_IN,
        lookup=lookup,
    )
    (event,) = api.get("/api/cpr/events/").json()["results"]
    assert event["name"] == "Beskyttet person"
    assert event["protected"] is True
    assert event["unit"] is None
    assert event["lease"] is None
    assert event["person"] is None
    assert event["cpr_masked"] == ""
    response = exports.events_response(events=OccupancyEvent.objects.all())
    content = b"".join(response.streaming_content) if response.streaming else response.content
    cells = [c for row in load_workbook(io.BytesIO(content)).active.values for c in row]
    assert unit.street_address not in cells
    assert "170580-xxxx" not in cells
    assert "Hemmelig Hansen" not in cells


def test_rent_register_gets_the_real_name(hidden):
    # The register is a public authority paying housing benefit: it needs the identity.
    assert tenant_identity(hidden)["name"] == "Hemmelig Hansen"


def test_staff_moves_page_shows_name_with_marker(caseworker, organisation, unit, hidden):
    from django.test import Client

    OccupancyEvent.objects.create(
        organisation=organisation,
        unit=unit,
        person=hidden,
        cpr_hash="h",
        cpr_masked="170580-xxxx",
        kind=EventKind.MOVED_IN,
        lookup=_lookup(organisation, unit),
    )
    client = Client()
    client.force_login(caseworker)
    page = client.get("/cpr/flytninger/").content.decode()
    assert "Hemmelig Hansen" in page  # authorised staff see the name ...
    assert "Beskyttet</span>" in page  # ... with the protection marker
