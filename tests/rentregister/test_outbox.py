"""The outbox: every lease/unit change writes a filing in the same transaction; the push
sends it to the HLR simulator over real HTTP, in order, exactly once."""

import threading
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import DomainError
from rentregister import services
from rentregister.models import Filing, FilingKind, FilingState
from tenancy import services as tenancy_services
from tests.factories import UnitFactory, make_lease
from tests.rentregister.fixtures_rent import make_rent_unit, push, rent_lease, rent_unit

pytestmark = pytest.mark.django_db
__all__ = ["push", "rent_lease", "rent_unit"]


def test_lease_create_writes_pending_filing_with_full_payload(rent_lease):
    filing = Filing.objects.get(lease=rent_lease)
    assert filing.state == FilingState.PENDING
    assert filing.kind == FilingKind.CREATE
    assert filing.operation == "create"
    assert isinstance(filing.idempotency_key, uuid.UUID)
    payload = filing.payload
    assert payload["organisation_cvr"] == rent_lease.organisation.cvr
    assert payload["dwelling"]["bbr_unit_id"] == str(rent_lease.unit.bbr_unit_id)
    assert payload["dwelling"]["area_m2"] == "72.50"
    assert payload["lease"]["lease_number"] == rent_lease.number
    assert payload["lease"]["rent"] == "6500.00"
    assert payload["lease"]["end_date"] is None
    assert payload["effective_date"] == "2020-01-01"
    for key in ("electricity", "water", "drainage", "heating", "heating_form", "student_room"):
        assert key in payload["lease"]


def test_failed_change_writes_no_filing(rent_lease):
    with pytest.raises(DomainError):
        tenancy_services.lease_end(lease=rent_lease, end_date=date(2019, 1, 1))
    assert Filing.objects.filter(lease=rent_lease).count() == 1


def test_push_files_once_and_marks_accepted(rent_lease, push, hlr_simulator):
    stats = push()
    assert stats.accepted == 1
    filing = Filing.objects.get(lease=rent_lease)
    assert filing.state == FilingState.ACCEPTED
    assert filing.receipt_id
    assert filing.receipt_version == 1
    # A second push finds nothing to send: an accepted filing is never sent again.
    assert push().claimed == 0
    filed = hlr_simulator.filings()
    assert len(filed) == 1
    assert filed[0]["lease_number"] == rent_lease.number


def test_filings_of_one_lease_are_sent_in_order(rent_lease, push, hlr_simulator):
    tenancy_services.lease_update(lease=rent_lease, water="included")
    tenancy_services.lease_change_rent(
        lease=rent_lease, rent=Decimal("7000"), effective_date=date(2026, 1, 1)
    )
    tenancy_services.lease_end(lease=rent_lease, end_date=date(2026, 6, 30))
    stats = push()
    assert stats.accepted == 4
    filed = [f for f in hlr_simulator.filings() if f["lease_number"] == rent_lease.number]
    assert [f["operation"] for f in filed] == ["create", "update", "update", "update"]
    versions = list(
        Filing.objects.filter(lease=rent_lease)
        .order_by("pk")
        .values_list("receipt_version", flat=True)
    )
    assert versions == [1, 2, 3, 4]


def test_later_filing_waits_while_earlier_is_open(rent_lease, push, hlr_simulator):
    tenancy_services.lease_update(lease=rent_lease, water="included")
    hlr_simulator.configure(down=True)
    push()
    first, second = Filing.objects.filter(lease=rent_lease).order_by("pk")
    assert first.state == FilingState.PENDING
    assert first.attempts == 1
    assert second.state == FilingState.PENDING
    assert second.attempts == 0
    assert hlr_simulator.filings() == []


def test_transient_failure_backs_off_then_needs_attention(
    rent_lease, push, hlr_simulator, settings
):
    hlr_simulator.configure(down=True)
    push()
    filing = Filing.objects.get(lease=rent_lease)
    assert filing.state == FilingState.PENDING
    assert filing.next_attempt_at > timezone.now()
    assert "svarede ikke" in filing.last_error
    # Not due yet: a push does not send it.
    assert push().claimed == 0
    for _ in range(settings.RENT_PUSH_MAX_ATTEMPTS - 1):
        Filing.objects.filter(pk=filing.pk).update(next_attempt_at=None)
        push()
    filing.refresh_from_db()
    assert filing.state == FilingState.NEEDS_ATTENTION
    assert filing.attempts == settings.RENT_PUSH_MAX_ATTEMPTS
    # The caseworker retries once the register is back: filed exactly once.
    hlr_simulator.configure(down=False)
    services.filing_retry(filing=filing, actor=None)
    push()
    filing.refresh_from_db()
    assert filing.state == FilingState.ACCEPTED
    assert len(hlr_simulator.filings()) == 1


def test_lost_answer_is_resent_with_same_key_and_filed_once(rent_lease, push, hlr_simulator):
    hlr_simulator.configure(lost_response_rate=1)
    push()
    filing = Filing.objects.get(lease=rent_lease)
    assert filing.state == FilingState.PENDING
    key = filing.idempotency_key
    hlr_simulator.configure(lost_response_rate=0)
    Filing.objects.filter(pk=filing.pk).update(next_attempt_at=None)
    push()
    filing.refresh_from_db()
    assert filing.state == FilingState.ACCEPTED
    assert filing.idempotency_key == key
    assert len(hlr_simulator.filings()) == 1


def test_stuck_sent_filing_is_released_and_replayed(rent_lease, push, hlr_simulator):
    push()
    # Simulate a worker that died after the register accepted but before recording it.
    Filing.objects.filter(lease=rent_lease).update(
        state=FilingState.SENT, claimed_at=timezone.now() - timedelta(hours=1)
    )
    stats = services.filings_sweep()
    assert stats.accepted == 1
    assert Filing.objects.get(lease=rent_lease).state == FilingState.ACCEPTED
    assert len(hlr_simulator.filings()) == 1
    assert hlr_simulator.stats()["replays"] >= 1


def test_missing_bbr_unit_id_is_caught_before_sending(organisation, push, hlr_simulator):
    unit = make_rent_unit(organisation)
    unit.bbr_unit_id = None
    unit.save()
    lease = make_lease(unit)
    filing = Filing.objects.get(lease=lease)
    assert filing.state == FilingState.NEEDS_ATTENTION
    assert filing.errors[0]["field"] == "dwelling.bbr_unit_id"
    assert push().claimed == 0
    assert hlr_simulator.filings() == []
    # Fixing the unit and retrying sends it.
    tenancy_services.unit_update(unit=unit, bbr_unit_id=uuid.uuid4())
    services.filing_retry(filing=filing, actor=None)
    push()
    filing.refresh_from_db()
    assert filing.state == FilingState.ACCEPTED


def test_register_rejection_is_kept_with_danish_message(rent_lease, push, hlr_simulator):
    push()
    hlr_simulator.reset()  # the register no longer knows the lease: an update is refused
    tenancy_services.lease_update(lease=rent_lease, water="included")
    tenancy_services.lease_update(lease=rent_lease, drainage="aconto_utility")
    push()
    rejected, waiting = Filing.objects.filter(lease=rent_lease).order_by("pk")[1:]
    assert rejected.state == FilingState.REJECTED
    assert rejected.errors[0]["code"] == "not_found"
    assert "findes ikke" in rejected.last_error
    assert waiting.state == FilingState.PENDING
    assert waiting.attempts == 0
    # It stays until a caseworker acts; pushing again changes nothing.
    push()
    rejected.refresh_from_db()
    assert rejected.state == FilingState.REJECTED
    with pytest.raises(DomainError):
        services.filing_cancel(filing=rejected, actor=None, reason="")
    services.filing_cancel(filing=rejected, actor=None, reason="Erstattes af næste")
    rejected.refresh_from_db()
    assert rejected.state == FilingState.CANCELLED
    assert rejected.resolution_note == "Erstattes af næste"


def test_retry_refused_for_accepted_filing(rent_lease, push):
    push()
    with pytest.raises(DomainError):
        services.filing_retry(filing=Filing.objects.get(lease=rent_lease), actor=None)


def test_unit_change_refiles_every_active_lease(organisation, push, hlr_simulator):
    unit = make_rent_unit(organisation)
    lease = make_lease(unit)
    push()
    tenancy_services.unit_update(unit=unit, area_m2=Decimal("80.00"))
    filing = Filing.objects.filter(lease=lease).latest("pk")
    assert filing.kind == FilingKind.UNIT
    assert filing.payload["dwelling"]["area_m2"] == "80.00"
    push()
    filing.refresh_from_db()
    assert filing.state == FilingState.ACCEPTED


def test_unit_without_leases_files_nothing(organisation):
    unit = make_rent_unit(organisation)
    tenancy_services.unit_update(unit=unit, rooms=4)
    assert Filing.objects.count() == 0


def test_unit_of_default_factory_lacks_department(organisation):
    lease = make_lease(UnitFactory(entrance__building__property__organisation=organisation))
    filing = Filing.objects.get(lease=lease)
    fields = {e["field"] for e in filing.errors}
    assert {"department_number", "dwelling.bbr_unit_id"} <= fields
    assert filing.state == FilingState.NEEDS_ATTENTION


@pytest.mark.django_db(transaction=True)
def test_concurrent_pushes_send_each_filing_once(organisation, hlr_settings, hlr_simulator):
    units = [make_rent_unit(organisation) for _ in range(12)]
    for unit in units:
        make_lease(unit)
    hlr_simulator.configure(latency_ms=30)
    errors = []

    def run():
        try:
            services.filings_push(workers=3, batch=2)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Filing.objects.filter(state=FilingState.ACCEPTED).count() == 12
    assert len(hlr_simulator.filings()) == 12
    assert hlr_simulator.stats()["replays"] == 0
