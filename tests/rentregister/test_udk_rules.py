"""UDK rules: what UDK learns from the register needs nothing more; what it does not learn
gives a caseworker task with a drafted message; corrections and reinstatements."""

from datetime import date
from decimal import Decimal

import pytest

from core.errors import DomainError
from rentregister import services
from rentregister.models import Filing, FilingKind, UdkTask, UdkTaskKind, UdkTaskStatus
from tenancy import services as tenancy_services
from tests.rentregister.fixtures_rent import backdate_filings, push, rent_lease, rent_unit

pytestmark = pytest.mark.django_db
__all__ = ["push", "rent_lease", "rent_unit"]


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"water": "included"}, FilingKind.UPDATE),
        ({"drainage": "aconto_utility"}, FilingKind.UPDATE),
        ({"heating": "included"}, FilingKind.UPDATE),
        ({"private_kitchen": False}, FilingKind.UPDATE),
    ],
)
def test_automatic_lease_changes_create_filing_and_no_task(rent_lease, change, kind):
    tenancy_services.lease_update(lease=rent_lease, **change)
    filing = Filing.objects.filter(lease=rent_lease).latest("pk")
    assert filing.kind == kind
    key, value = next(iter(change.items()))
    assert filing.payload["lease"][key] == value
    assert UdkTask.objects.count() == 0


def test_rent_change_and_lease_end_create_no_task(rent_lease):
    tenancy_services.lease_change_rent(
        lease=rent_lease, rent=Decimal("7000"), effective_date=date(2026, 1, 1)
    )
    rent_filing = Filing.objects.filter(lease=rent_lease).latest("pk")
    assert rent_filing.kind == FilingKind.RENT_CHANGE
    assert rent_filing.effective_date == date(2026, 1, 1)
    assert rent_filing.payload["lease"]["rent"] == "7000.00"
    tenancy_services.lease_end(lease=rent_lease, end_date=date(2026, 6, 30))
    end_filing = Filing.objects.filter(lease=rent_lease).latest("pk")
    assert end_filing.kind == FilingKind.END
    assert end_filing.payload["lease"]["end_date"] == "2026-06-30"
    assert UdkTask.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "label", "before", "after"),
    [
        ({"heating_form": "gas"}, "Opvarmningsform", "Fjernvarme", "Gas"),
        ({"tenant_maintains": True}, "Lejer har vedligeholdelsespligt", "Nej", "Ja"),
        ({"electricity": "included"}, "El", "Aconto til forsyningen", "Indeholdt i lejen"),
    ],
)
def test_changes_udk_does_not_learn_create_notify_task(rent_lease, change, label, before, after):
    tenancy_services.lease_update(lease=rent_lease, **change)
    task = UdkTask.objects.get()
    assert task.kind == UdkTaskKind.NOTIFY_CHANGE
    assert task.status == UdkTaskStatus.OPEN
    assert task.lease == rent_lease
    assert task.filing == Filing.objects.filter(lease=rent_lease).latest("pk")
    assert rent_lease.number in task.message
    assert rent_lease.unit.address in task.message
    assert f"{label}: {before} → {after}" in task.message


@pytest.mark.parametrize(
    ("field", "value"), [("area_m2", Decimal("80.00")), ("rooms", 4), ("use_code", 150)]
)
def test_bbr_change_creates_notify_task_per_active_lease(rent_lease, field, value):
    tenancy_services.unit_update(unit=rent_lease.unit, **{field: value})
    task = UdkTask.objects.get()
    assert task.kind == UdkTaskKind.NOTIFY_CHANGE
    assert task.lease == rent_lease
    assert "→" in task.message


def test_same_day_correction_creates_no_task(rent_lease, push):
    tenancy_services.lease_update(lease=rent_lease, water="included")
    push()
    services.filing_correct(lease=rent_lease, water="aconto_organisation")
    filing = Filing.objects.filter(lease=rent_lease).latest("pk")
    assert filing.is_correction
    assert UdkTask.objects.count() == 0


def test_correction_on_later_day_creates_one_task(rent_lease, push):
    tenancy_services.lease_change_rent(
        lease=rent_lease, rent=Decimal("5000"), effective_date=date(2026, 1, 1)
    )
    push()
    backdate_filings(rent_lease, days=3)
    services.filing_correct(
        lease=rent_lease, rent=Decimal("6500"), rent_effective_date=date(2026, 1, 1)
    )
    task = UdkTask.objects.get()
    assert task.kind == UdkTaskKind.CORRECTION
    assert "5.000,00 kr. → 6.500,00 kr." in task.message  # Danish amounts (core.formatting)


def test_correction_needs_something_to_correct(rent_lease):
    with pytest.raises(DomainError):
        services.filing_correct(lease=rent_lease)
    with pytest.raises(DomainError):
        services.filing_correct(lease=rent_lease, rent=Decimal("1"))


def test_rent_correction_before_june_2014_creates_support_email_task(organisation):
    from tests.factories import make_lease
    from tests.rentregister.fixtures_rent import make_rent_unit

    lease = make_lease(make_rent_unit(organisation), start_date=date(2010, 1, 1))
    tenancy_services.lease_change_rent(
        lease=lease, rent=Decimal("4000"), effective_date=date(2014, 5, 1), confirm_large_drop=True
    )
    task = UdkTask.objects.get()
    assert task.kind == UdkTaskKind.PRE_2014_RENT
    assert task.recipient == "boligsupport@atp.dk"
    assert "01.05.2014" in task.message
    assert "Husleje efter: 4.000,00 kr." in task.message
    assert "for perioden fra og med " in task.message  # the period is named
    # On or after 1 June 2014 UDK learns it automatically.
    tenancy_services.lease_change_rent(
        lease=lease, rent=Decimal("4100"), effective_date=date(2014, 6, 1)
    )
    assert UdkTask.objects.count() == 1


def test_reinstated_lease_end_creates_task(rent_lease, push):
    tenancy_services.lease_end(lease=rent_lease, end_date=date(2026, 3, 31))
    push()
    backdate_filings(rent_lease, days=2)
    tenancy_services.lease_reinstate(lease=rent_lease)
    task = UdkTask.objects.get()
    assert task.kind == UdkTaskKind.REINSTATE
    assert "31.03.2026" in task.message
    filing = Filing.objects.filter(lease=rent_lease).latest("pk")
    assert filing.kind == FilingKind.REINSTATE
    assert filing.payload["lease"]["end_date"] is None


def test_lease_end_reinstated_same_day_creates_no_task(rent_lease, push):
    tenancy_services.lease_end(lease=rent_lease, end_date=date(2026, 3, 31))
    push()
    tenancy_services.lease_reinstate(lease=rent_lease)
    assert UdkTask.objects.count() == 0


def test_task_done_once(rent_lease, caseworker):
    tenancy_services.lease_update(lease=rent_lease, heating_form="gas")
    task = services.udk_task_done(task=UdkTask.objects.get(), actor=caseworker)
    assert task.status == UdkTaskStatus.DONE
    assert task.done_by == caseworker
    with pytest.raises(DomainError):
        services.udk_task_done(task=task, actor=caseworker)


def test_udk_feed_shows_automatic_changes_only(rent_lease, push, hlr_simulator):
    """Cross-check against the register's UDK feed: rent reaches UDK, heating form not."""
    push()
    tenancy_services.lease_update(lease=rent_lease, heating_form="gas")
    tenancy_services.lease_change_rent(
        lease=rent_lease, rent=Decimal("7000"), effective_date=date(2026, 1, 1)
    )
    push()
    kinds = {
        n["kind"] for n in hlr_simulator.notifications() if n["lease_number"] == rent_lease.number
    }
    assert "rent" in kinds
    assert "heating_form" not in kinds
    assert UdkTask.objects.filter(kind=UdkTaskKind.NOTIFY_CHANGE).count() == 1
