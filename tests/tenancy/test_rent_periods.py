"""Rent by period (issue 12, item 1): a change from a future date waits, a correction back
to a past date replaces that period only, the filing carries the amount of the period it
files, a large drop needs confirmation, and lease status follows the dates."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.errors import DomainError
from rentregister.models import Filing, FilingKind
from tenancy import services
from tenancy.choices import LeaseStatus
from tenancy.models import Lease, LeaseRentPeriod
from tenancy.tasks import leases_apply_dates_task
from tests.factories import make_lease
from tests.rentregister.fixtures_rent import make_rent_unit

pytestmark = pytest.mark.django_db


def _today() -> date:
    return timezone.localdate()


def _periods(lease) -> list[tuple[date, Decimal]]:
    return [(p.valid_from, p.rent) for p in lease.rent_periods.order_by("valid_from")]


def test_new_lease_has_its_first_period(unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1), rent=Decimal("6500"))
    assert _periods(lease) == [(date(2020, 1, 1), Decimal("6500.00"))]


def test_change_from_a_future_date_waits_until_the_day(unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1), rent=Decimal("6500"))
    future = _today() + timedelta(days=30)
    services.lease_change_rent(lease=lease, rent=Decimal("7000"), effective_date=future)
    lease.refresh_from_db()
    assert lease.rent == Decimal("6500.00")  # unchanged until then
    assert _periods(lease)[-1] == (future, Decimal("7000.00"))
    # The daily task on an ordinary day changes nothing ...
    assert services.leases_apply_dates()["rent"] == 0
    # ... and on the day the period becomes the lease's rent; a second run is a no-op.
    assert services.leases_apply_dates(day=future)["rent"] == 1
    lease.refresh_from_db()
    assert lease.rent == Decimal("7000.00")
    assert services.leases_apply_dates(day=future)["rent"] == 0


def test_beat_task_is_scheduled_and_runs(settings, unit):
    assert "tenancy-apply-lease-dates" in settings.CELERY_BEAT_SCHEDULE
    lease = make_lease(unit, start_date=_today() + timedelta(days=3))
    Lease.objects.filter(pk=lease.pk).update(status=LeaseStatus.ACTIVE)  # stale
    leases_apply_dates_task()
    lease.refresh_from_db()
    assert lease.status == LeaseStatus.UPCOMING


def test_change_back_inside_the_history_must_be_a_correction(unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1), rent=Decimal("6500"))
    services.lease_change_rent(lease=lease, rent=Decimal("6800"), effective_date=date(2024, 1, 1))
    with pytest.raises(DomainError) as exc:
        services.lease_change_rent(
            lease=lease, rent=Decimal("6600"), effective_date=date(2022, 1, 1)
        )
    assert "Ret fejlindberetning" in str(exc.value)


def test_correction_to_a_past_date_replaces_that_period_only(organisation):
    lease = make_lease(make_rent_unit(organisation), start_date=date(2020, 1, 1))
    services.lease_change_rent(lease=lease, rent=Decimal("6000"), effective_date=date(2023, 1, 1))
    services.lease_change_rent(lease=lease, rent=Decimal("6800"), effective_date=date(2025, 1, 1))
    services.lease_correct(
        lease=lease,
        rent=Decimal("5900"),
        rent_effective_date=date(2023, 1, 1),
        reason="Tastefejl i 2023-lejen",
    )
    lease.refresh_from_db()
    assert _periods(lease) == [
        (date(2020, 1, 1), Decimal("6500.00")),
        (date(2023, 1, 1), Decimal("5900.00")),
        (date(2025, 1, 1), Decimal("6800.00")),
    ]
    assert lease.rent == Decimal("6800.00")  # today's rent is untouched
    period = lease.rent_periods.get(valid_from=date(2023, 1, 1))
    assert period.correction
    assert period.reason == "Tastefejl i 2023-lejen"
    # The filing carries the corrected period's amount and date, marked as a correction.
    filing = Filing.objects.filter(lease=lease).latest("pk")
    assert filing.kind == FilingKind.RENT_CHANGE
    assert filing.is_correction
    assert filing.effective_date == date(2023, 1, 1)
    assert filing.payload["lease"]["rent"] == "5900.00"
    assert filing.payload["effective_date"] == "2023-01-01"


def test_correction_inside_a_period_starts_one_there(organisation):
    lease = make_lease(make_rent_unit(organisation), start_date=date(2020, 1, 1))
    services.lease_change_rent(lease=lease, rent=Decimal("6800"), effective_date=date(2025, 1, 1))
    services.lease_correct(
        lease=lease, rent=Decimal("6400"), rent_effective_date=date(2022, 7, 1), reason="Rettet"
    )
    assert _periods(lease) == [
        (date(2020, 1, 1), Decimal("6500.00")),
        (date(2022, 7, 1), Decimal("6400.00")),
        (date(2025, 1, 1), Decimal("6800.00")),
    ]


def test_future_rent_filing_carries_the_future_amount(organisation):
    lease = make_lease(make_rent_unit(organisation), start_date=date(2020, 1, 1))
    future = _today() + timedelta(days=60)
    services.lease_change_rent(lease=lease, rent=Decimal("7100"), effective_date=future)
    rent_filing = Filing.objects.filter(lease=lease).latest("pk")
    assert rent_filing.payload["lease"]["rent"] == "7100.00"
    assert rent_filing.effective_date == future
    # A terms change filed today carries today's rent, not the waiting one.
    services.lease_update(lease=lease, water="included")
    today_filing = Filing.objects.filter(lease=lease).latest("pk")
    assert today_filing.payload["lease"]["rent"] == "6500.00"


def test_special_payments_by_period(organisation):
    lease = make_lease(make_rent_unit(organisation), start_date=date(2020, 1, 1))
    future = _today() + timedelta(days=10)
    services.lease_change_rent(
        lease=lease,
        rent=Decimal("6600"),
        special_payments=Decimal("150"),
        effective_date=future,
    )
    lease.refresh_from_db()
    assert lease.special_payments == Decimal("0.00")
    filing = Filing.objects.filter(lease=lease).latest("pk")
    assert filing.payload["lease"]["special_payments"] == "150.00"


def test_large_drop_needs_confirmation(settings, unit):
    settings.RENT_DROP_CONFIRM_PERCENT = 30
    lease = make_lease(unit, start_date=date(2020, 1, 1), rent=Decimal("6000"))
    with pytest.raises(DomainError) as exc:
        services.lease_change_rent(
            lease=lease, rent=Decimal("4000"), effective_date=date(2025, 1, 1)
        )
    assert "confirm_large_drop" in exc.value.error_dict
    assert "boligstøtte" in str(exc.value)
    lease.refresh_from_db()
    assert lease.rent == Decimal("6000.00")
    # 30 % exactly is not "more than 30 %".
    services.lease_change_rent(lease=lease, rent=Decimal("4200"), effective_date=date(2025, 1, 1))
    services.lease_change_rent(
        lease=lease,
        rent=Decimal("1000"),
        effective_date=date(2025, 6, 1),
        confirm_large_drop=True,
    )
    lease.refresh_from_db()
    assert lease.rent == Decimal("1000.00")


def test_lease_without_periods_gets_one_on_first_change(unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1))
    LeaseRentPeriod.objects.filter(lease=lease).delete()  # as a bulk-loaded lease
    services.lease_change_rent(lease=lease, rent=Decimal("6600"), effective_date=date(2024, 1, 1))
    assert _periods(lease) == [
        (date(2020, 1, 1), Decimal("6500.00")),
        (date(2024, 1, 1), Decimal("6600.00")),
    ]


# --- status follows the dates ---------------------------------------------------------------


def test_lease_ended_as_of_a_future_date_is_active_until(unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1))
    end = _today() + timedelta(days=90)
    services.lease_end(lease=lease, end_date=end, reason="Opsagt")
    lease.refresh_from_db()
    assert lease.status == LeaseStatus.ACTIVE
    assert lease.status_label == f"Aktiv til {end:%d.%m.%Y}"
    # Still a running lease: its terms may change, it cannot be ended twice.
    services.lease_update(lease=lease, water="included")
    with pytest.raises(DomainError):
        services.lease_end(lease=lease, end_date=end)
    # The day after the end date the daily task makes it ended (idempotently).
    assert services.leases_apply_dates(day=end + timedelta(days=1))["ended"] == 1
    assert services.leases_apply_dates(day=end + timedelta(days=1))["ended"] == 0
    lease.refresh_from_db()
    assert lease.status == LeaseStatus.ENDED
    assert lease.status_label == "Ophørt"


def test_lease_starting_later_is_upcoming(unit):
    start = _today() + timedelta(days=200)
    lease = make_lease(unit, start_date=start)
    assert lease.status == LeaseStatus.UPCOMING
    assert lease.status_label.startswith("Kommende")
    assert services.leases_apply_dates(day=start)["active"] == 1
    lease.refresh_from_db()
    assert lease.status == LeaseStatus.ACTIVE


def test_reinstate_a_future_end(unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1))
    services.lease_end(lease=lease, end_date=_today() + timedelta(days=5))
    services.lease_reinstate(lease=lease)
    lease.refresh_from_db()
    assert lease.status == LeaseStatus.ACTIVE
    assert lease.end_date is None


def test_status_filter_list_and_api(client, caseworker, unit, organisation):
    from tests.factories import UnitFactory

    upcoming = make_lease(unit, start_date=_today() + timedelta(days=40))
    other = UnitFactory(entrance__building__property__organisation=organisation)
    running = make_lease(other, start_date=date(2020, 1, 1))
    end = _today() + timedelta(days=20)
    services.lease_end(lease=running, end_date=end)
    client.force_login(caseworker)
    page = client.get(reverse("tenancy:lease_list"), {"status": "upcoming"}).content.decode()
    assert upcoming.number in page
    assert running.number not in page
    api = APIClient()
    api.force_authenticate(caseworker)
    data = api.get(f"/api/leases/{running.pk}/").json()
    assert data["status"] == "active"
    assert data["status_label"] == f"Aktiv til {end:%d.%m.%Y}"
    listed = api.get("/api/leases/", {"status": "upcoming"}).json()["results"]
    assert [row["number"] for row in listed] == [upcoming.number]


def test_lease_page_shows_periods_and_status(client, caseworker, unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1))
    future = _today() + timedelta(days=30)
    services.lease_change_rent(lease=lease, rent=Decimal("7000"), effective_date=future)
    services.lease_end(lease=lease, end_date=future + timedelta(days=100))
    client.force_login(caseworker)
    page = client.get(reverse("tenancy:lease_detail", args=[lease.pk])).content.decode()
    assert "Husleje pr. periode" in page
    assert "Venter" in page
    assert "Gældende" in page
    assert f"Aktiv til {future + timedelta(days=100):%d.%m.%Y}" in page
    assert reverse("tenancy:lease_correct", args=[lease.pk]) in page


def test_change_rent_screen_asks_to_confirm_a_large_drop(client, caseworker, unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1), rent=Decimal("6000"))
    client.force_login(caseworker)
    url = reverse("tenancy:lease_change_rent", args=[lease.pk])
    response = client.post(url, {"rent": "1000", "effective_date": "2025-01-01"})
    assert response.status_code == 200
    assert "Bekræft" in response.content.decode() or "bekræft" in response.content.decode()
    lease.refresh_from_db()
    assert lease.rent == Decimal("6000.00")
    response = client.post(
        url, {"rent": "1000", "effective_date": "2025-01-01", "confirm_large_drop": "on"}
    )
    assert response.status_code == 302
    lease.refresh_from_db()
    assert lease.rent == Decimal("1000.00")


def test_api_change_rent_large_drop_and_future(caseworker, unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1), rent=Decimal("6000"))
    api = APIClient()
    api.force_authenticate(caseworker)
    url = f"/api/leases/{lease.pk}/change-rent/"
    response = api.post(url, {"rent": "100", "effective_date": "2025-01-01"}, format="json")
    assert response.status_code == 400
    assert "confirm_large_drop" in response.json()
    future = (_today() + timedelta(days=9)).isoformat()
    response = api.post(
        url,
        {"rent": "100", "effective_date": future, "confirm_large_drop": True},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["rent"] == "6000.00"  # waits for its date


def test_api_lists_rent_periods(caseworker, unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1))
    services.lease_change_rent(lease=lease, rent=Decimal("6600"), effective_date=date(2024, 1, 1))
    api = APIClient()
    api.force_authenticate(caseworker)
    rows = api.get(f"/api/leases/{lease.pk}/rent-periods/").json()
    assert [(r["valid_from"], r["rent"]) for r in rows] == [
        ("2020-01-01", "6500.00"),
        ("2024-01-01", "6600.00"),
    ]


def test_upcoming_lease_shows_its_first_rent_until_a_later_period(unit):
    start = _today() + timedelta(days=10)
    lease = make_lease(unit, start_date=start, rent=Decimal("5000"))
    services.lease_change_rent(
        lease=lease, rent=Decimal("5200"), effective_date=start + timedelta(days=30)
    )
    services.leases_apply_dates(day=start)
    lease.refresh_from_db()
    assert lease.rent == Decimal("5000.00")
    services.leases_apply_dates(day=start + timedelta(days=30))
    lease.refresh_from_db()
    assert lease.rent == Decimal("5200.00")
