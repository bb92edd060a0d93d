"""Issue 12, item 8: the rent register kept in step. A comparison reads the register back
and lists every difference from ours with one-click refiling; a lease removed by mistake is
restored with the UDK task; a tenant's CPR move during a temporary rehousing makes the
"contact UDK" task; the notification contacts go to the register's notification settings."""

import json
import urllib.request
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from core.errors import DomainError
from cprlookup.occupancy import _tell_person_moved
from rentregister import services
from rentregister.hlr import HlrClient
from rentregister.models import (
    DifferenceKind,
    Filing,
    FilingKind,
    NotificationContact,
    RegisterDifference,
    UdkTask,
    UdkTaskKind,
)
from rentregister.services import sync
from tenancy import hooks
from tests.factories import MembershipFactory
from tests.rentregister import fixtures_rent

pytestmark = pytest.mark.django_db

rent_unit = fixtures_rent.rent_unit
rent_lease = fixtures_rent.rent_lease
push = fixtures_rent.push


def _register_update(lease, **changes):
    """Somebody changes the lease in the register behind our back."""
    filing = Filing.objects.filter(lease=lease).latest("pk")
    payload = json.loads(json.dumps(filing.payload))
    payload["lease"].update(changes)
    HlrClient().file(operation="update", payload=payload, idempotency_key=str(uuid.uuid4()))


def test_comparison_finds_changed_value_and_refile_puts_ours_back(rent_lease, push):
    push()
    assert sync.register_compare(organisation=rent_lease.organisation).differences == 0
    _register_update(rent_lease, rent="1.00")

    comparison = sync.register_compare(organisation=rent_lease.organisation)
    (difference,) = RegisterDifference.objects.filter(comparison=comparison)
    assert (difference.kind, difference.field) == (DifferenceKind.FIELD, "lease.rent")
    assert difference.ours == "6500.00"
    assert difference.theirs == "1.00"

    filing = sync.difference_refile(difference=difference)
    assert filing.kind == FilingKind.RESEND
    push()
    assert sync.register_compare(organisation=rent_lease.organisation).differences == 0


def test_lease_removed_by_mistake_is_restored_with_udk_task(rent_lease, push):
    push()
    HlrClient().file(
        operation="delete",
        payload={"lease": {"lease_number": rent_lease.number}},
        idempotency_key=str(uuid.uuid4()),
    )
    sync.register_compare(organisation=rent_lease.organisation)
    difference = RegisterDifference.objects.get(lease=rent_lease)
    assert difference.kind == DifferenceKind.DELETED

    filing = sync.difference_refile(difference=difference)
    assert (filing.kind, filing.operation, filing.is_correction) == ("restore", "create", True)
    task = UdkTask.objects.get(lease=rent_lease, kind=UdkTaskKind.RESTORED)
    assert rent_lease.number in task.subject
    push()
    filing.refresh_from_db()
    assert filing.state == "accepted"
    assert HlrClient().get_lease(rent_lease.number)["status"] == "active"
    assert sync.register_compare(organisation=rent_lease.organisation).differences == 0


def test_restore_refused_while_the_register_holds_the_lease(rent_lease, push):
    push()
    with pytest.raises(DomainError):
        sync.filing_restore(lease=rent_lease)


def test_lease_only_in_the_register_is_listed(rent_lease, push, lease_payload, organisation):
    push()
    lease_payload["organisation_cvr"] = organisation.cvr
    lease_payload["lease"]["lease_number"] = "FREMMED-1"
    HlrClient().file(operation="create", payload=lease_payload, idempotency_key=str(uuid.uuid4()))
    sync.register_compare(organisation=organisation)
    only = RegisterDifference.objects.get(kind=DifferenceKind.ONLY_THERE)
    assert only.lease_number == "FREMMED-1"
    assert only.lease is None


def test_move_during_temporary_rehousing_creates_contact_udk_task(rent_lease):
    services.rehousing_start_temporary(
        lease=rent_lease, start_date=date(2026, 2, 1), placement="inside", temporary_rent="8000"
    )
    person = rent_lease.parties.get()
    event = [rent_lease.unit_id, "h", person.pk, "m", "", False, "moved_out", date(2026, 3, 1), 1]
    _tell_person_moved([event, event])  # cprlookup's call; told twice, one task
    task = UdkTask.objects.get(lease=rent_lease, kind=UdkTaskKind.REHOUSING_MOVE)
    assert "01.03.2026" in task.message


def test_move_without_rehousing_creates_no_task(rent_lease):
    person = rent_lease.parties.get()
    hooks.person_moved.call(
        [
            hooks.PersonMove(
                person_id=person.pk, unit_id=rent_lease.unit_id, kind="moved_out", date=None
            )
        ]
    )
    assert not UdkTask.objects.filter(kind=UdkTaskKind.REHOUSING_MOVE).exists()


def test_contacts_sent_to_register_notification_settings(organisation, hlr_settings, hlr_simulator):
    NotificationContact.objects.create(organisation=organisation, name="Åse Ø", email="a@x.dk")
    NotificationContact.objects.create(
        organisation=organisation, name="Gammel", email="g@x.dk", active=False
    )
    result = sync.contacts_push(organisation=organisation)
    assert result.error == ""
    assert result.contacts == 1
    url = (
        f"{hlr_simulator.base_url}/api/v3/boligorganisationer/{organisation.cvr}"
        "/notifikationsindstillinger"
    )
    request = urllib.request.Request(url, headers={"X-Api-Key": hlr_simulator.api_key})  # noqa: S310 - the local simulator
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        held = json.loads(response.read())
    assert held["contacts"] == [{"name": "Åse Ø", "email": "a@x.dk"}]


def test_comparison_is_a_beat_task():
    entry = django_settings.CELERY_BEAT_SCHEDULE["rentregister-compare-register"]
    assert entry["task"] == "rentregister.compare_register"


def test_screen_excel_and_api(rent_lease, push):
    push()
    _register_update(rent_lease, rent="2.00")
    user = MembershipFactory(organisation=rent_lease.organisation, role="org_admin").user
    client = Client()
    client.force_login(user)
    assert client.post("/huslejeregister/afstemning/sammenlign/").status_code == 302
    page = client.get("/huslejeregister/afstemning/")
    assert page.status_code == 200
    assert "6500.00" in page.content.decode()
    xlsx = client.get("/huslejeregister/afstemning/", {"format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")

    api = APIClient()
    api.force_authenticate(user)
    (row,) = api.get("/api/rent-register/differences/").json()["results"]
    assert row["field"] == "lease.rent"
    refiled = api.post(f"/api/rent-register/differences/{row['id']}/refile/")
    assert refiled.status_code == 201
    assert api.get("/api/rent-register/differences/").json()["results"] == []
    assert api.post("/api/rent-register/comparisons/run/").status_code == 201
    latest = Filing.objects.filter(lease=rent_lease).latest("pk")
    assert Decimal(latest.payload["lease"]["rent"]) == Decimal("6500.00")


def test_rent_filed_during_rehousing_is_no_difference(rent_lease, push):
    services.rehousing_start_temporary(
        lease=rent_lease, start_date=date(2026, 2, 1), placement="outside_insured"
    )
    push()
    assert sync.register_compare(organisation=rent_lease.organisation).differences == 0
