"""Issue 12, items 5-7: full-CPR downloads logged as reveals, the private landlord's
dwellings counted from the product, the 392-style status from leases, owner data and CPR."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import crypto
from core.errors import DomainError
from cprlookup import services
from cprlookup.models import (
    CprLookup,
    CprLookupResident,
    LookupCprDownload,
    OccupancyStatus,
    OwnerUse,
    UnitOccupancy,
)
from cprlookup.occupancy import derive_status
from cprlookup.occupancy_refresh import owner_use_set
from gdpr.models import CprReveal
from tenancy import services as tenancy_services
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    UnitFactory,
    make_cpr,
    make_lease,
    make_person,
)

pytestmark = pytest.mark.django_db


def _lookup(organisation, unit, cpr, person=None):
    lookup = CprLookup.objects.create(
        organisation=organisation,
        source="adhoc",
        target_kind="unit",
        target_label=unit.street_address,
        unit=unit,
        owner_cvr=organisation.cvr,
        purpose="Sag 1",
        outcome="ok",
    )
    CprLookupResident.objects.create(
        lookup=lookup,
        cpr_encrypted=crypto.encrypt(cpr),
        cpr_hash=crypto.search_hash(cpr),
        cpr_masked=f"{cpr[:6]}-xxxx",
        name="Søren Åberg",
        unit=unit,
        person=person,
    )
    return lookup


# --- 5: full-CPR downloads are logged as reveals --------------------------------------------


def test_full_cpr_download_asks_purpose_and_logs_reveals(organisation, unit, cpr_officer):
    cpr = make_cpr()
    person = make_person(organisation, name="Søren Åberg", cpr=cpr)
    lookup = _lookup(organisation, unit, cpr, person)
    client = Client()
    client.force_login(cpr_officer)
    url = reverse("cprlookup:lookup_cpr_excel", args=[lookup.pk])

    form = client.get(url)
    assert form.status_code == 200
    assert b"Form\xc3\xa5l" in form.content
    missing = client.post(url, {"purpose": " "})
    assert missing["Content-Type"].startswith("text/html")
    assert CprReveal.objects.count() == 0

    response = client.post(url, {"purpose": "Sag 2024-17"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    reveal = CprReveal.objects.get()
    assert reveal.person == person
    assert "Sag 2024-17" in reveal.purpose
    download = LookupCprDownload.objects.get()
    assert download.residents == 1
    assert download.user == cpr_officer


def test_plain_download_is_masked_and_caseworker_cannot_get_full(organisation, unit, caseworker):
    cpr = make_cpr()
    lookup = _lookup(organisation, unit, cpr)
    client = Client()
    client.force_login(caseworker)
    assert (
        client.post(
            reverse("cprlookup:lookup_cpr_excel", args=[lookup.pk]), {"purpose": "x"}
        ).status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        services.lookup_cpr_download(user=caseworker, lookup=lookup, purpose="x")
    assert LookupCprDownload.objects.count() == 0


# --- 6: private landlords: dwellings let in the product ---------------------------------------


def _private(dwellings_owned=500):
    org = OrganisationFactory(kind="private", dwellings_owned=dwellings_owned)
    admin = MembershipFactory(organisation=org, role="org_admin").user
    return org, admin


def test_typed_number_alone_does_not_make_a_private_landlord_eligible():
    org, _admin = _private(dwellings_owned=500)
    assert "mere end 10" in services.eligibility_error(org)


def test_eleven_let_dwellings_make_it_eligible_and_commercial_units_do_not_count():
    org, _admin = _private(dwellings_owned=0)
    for _ in range(10):
        make_lease(UnitFactory(entrance__building__property__organisation=org))
    shop = UnitFactory(entrance__building__property__organisation=org, use_code=320)
    make_lease(shop)
    assert services.eligibility_error(org) is not None  # 10 dwellings + a shop
    make_lease(UnitFactory(entrance__building__property__organisation=org))
    assert services.eligibility_error(org) is None


def test_recorded_document_makes_typed_number_count(caseworker):
    org, admin = _private(dwellings_owned=0)
    with pytest.raises(DomainError):
        services.dwellings_evidence_record(
            user=admin, organisation=org, dwellings=40, document="  "
        )
    services.dwellings_evidence_record(
        user=admin, organisation=org, dwellings=40, document="Tingbogsattest 1.3.2024"
    )
    org.refresh_from_db()
    assert org.dwellings_owned == 40
    assert services.eligibility_error(org) is None


def test_only_admin_records_the_document():
    org, _admin = _private()
    worker = MembershipFactory(organisation=org).user
    with pytest.raises(PermissionDenied):
        services.dwellings_evidence_record(
            user=worker, organisation=org, dwellings=40, document="x"
        )


def test_eligibility_screen_and_excel(organisation):
    admin = MembershipFactory(organisation=organisation, role="org_admin").user
    client = Client()
    client.force_login(admin)
    url = reverse("cprlookup:eligibility")
    assert client.get(url).status_code == 200
    assert (
        client.post(
            reverse("cprlookup:evidence_record"), {"dwellings": "12", "document": "Attest"}
        ).status_code
        == 302
    )
    for liste in ("dokumentation", "ejerbenyttelse", "downloads"):
        response = client.get(url, {"format": "xlsx", "liste": liste})
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(url, {"format": "xlsx", "liste": "x"}).status_code == 404


# --- 7: the 392-style status ------------------------------------------------------------------


def test_status_from_lease_owner_data_and_cpr():
    assert derive_status(registered_now=0, leased=True) == OccupancyStatus.LET
    assert derive_status(registered_now=1, owner_used=True) == OccupancyStatus.OWNER
    assert derive_status(registered_now=0, letting_code="E") == OccupancyStatus.OWNER
    assert derive_status(registered_now=2) == OccupancyStatus.LET
    assert derive_status(registered_now=0) == OccupancyStatus.NOT_USED


def _occupancy(unit, status=OccupancyStatus.NOT_USED, registered=0, age_days=0):
    at = timezone.now() - timedelta(days=age_days)
    return UnitOccupancy.objects.create(
        unit=unit,
        organisation=unit.organisation,
        status=status,
        registered_count=registered,
        computed_at=at,
        looked_up_at=at,
    )


def test_status_recomputed_when_lease_starts_and_ends(unit):
    _occupancy(unit)
    lease = make_lease(unit, start_date=date(2020, 1, 1))
    assert UnitOccupancy.objects.get(unit=unit).status == OccupancyStatus.LET
    tenancy_services.lease_end(lease=lease, end_date=date(2021, 1, 31))
    assert UnitOccupancy.objects.get(unit=unit).status == OccupancyStatus.NOT_USED


def test_status_recomputed_when_field_322_changes(unit):
    _occupancy(unit, status=OccupancyStatus.LET, registered=1)
    tenancy_services.unit_update(unit=unit, letting_code="E")
    assert UnitOccupancy.objects.get(unit=unit).status == OccupancyStatus.OWNER


def test_owner_data_makes_owner_used_without_field_322(unit, organisation):
    officer = MembershipFactory(organisation=organisation, role="cpr_officer").user
    _occupancy(unit, status=OccupancyStatus.LET, registered=1)
    owner_use_set(user=officer, unit=unit, note="Ejerens egen bolig")
    assert OwnerUse.objects.filter(unit=unit).exists()
    assert UnitOccupancy.objects.get(unit=unit).status == OccupancyStatus.OWNER


def test_status_is_stale_after_the_set_age(unit, settings):
    settings.CPR_OCCUPANCY_STALE_DAYS = 30
    occupancy = _occupancy(unit, age_days=31)
    assert occupancy.is_stale
    occupancy.looked_up_at = timezone.now()
    assert not occupancy.is_stale


def test_api_evidence_eligibility_and_owner_use(unit):
    from rest_framework.test import APIClient

    org = unit.organisation
    admin = MembershipFactory(organisation=org, role="org_admin").user
    api = APIClient()
    api.force_authenticate(admin)
    created = api.post(
        "/api/cpr/dwellings-evidence/", {"dwellings": 40, "document": "Attest"}, format="json"
    )
    assert created.status_code == 201
    assert (
        api.post(
            "/api/cpr/dwellings-evidence/", {"dwellings": 4, "document": ""}, format="json"
        ).status_code
        == 400
    )
    # Beyond the column's range (found by the API fuzz test on PostgreSQL: a 500 before).
    too_many = api.post(
        "/api/cpr/dwellings-evidence/",
        {"dwellings": 46_344_346_714, "document": "Attest"},
        format="json",
    )
    assert too_many.status_code == 400
    assert "dwellings" in too_many.json()
    (row,) = api.get("/api/cpr/dwellings-evidence/eligibility/").json()
    assert row["problem"] is None
    _occupancy(unit, status=OccupancyStatus.LET, registered=1)
    use = api.post("/api/cpr/owner-use/", {"unit": unit.pk, "note": "Kontor"}, format="json")
    assert use.status_code == 201
    assert UnitOccupancy.objects.get(unit=unit).status == OccupancyStatus.OWNER
    assert api.delete(f"/api/cpr/owner-use/{use.json()['id']}/").status_code == 204
    assert UnitOccupancy.objects.get(unit=unit).status == OccupancyStatus.LET
