"""The fast push path of the outbox: claiming (oldest open filing per lease, safe with
concurrent pushers), answers recorded in bulk and only against their own claim."""

import threading
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rentregister import services
from rentregister.hlr import Receipt
from rentregister.models import Filing, FilingState
from rentregister.services.push import _claim
from rentregister.services.push_outcomes import _record
from tenancy import services as tenancy_services
from tests.factories import make_lease
from tests.rentregister.fixtures_rent import make_rent_unit

pytestmark = pytest.mark.django_db


def _changes(lease, n: int) -> None:
    """n rent changes on the lease (each writes a pending filing)."""
    with services.push_enqueue_suppressed():
        for step in range(1, n + 1):
            tenancy_services.lease_change_rent(
                lease=lease,
                rent=Decimal(6500 + step),
                effective_date=date(2026, 1, 1) + timedelta(days=step),
            )


def _filing_ids(lease) -> list[int]:
    return list(Filing.objects.filter(lease=lease).order_by("pk").values_list("pk", flat=True))


def test_claim_takes_only_the_oldest_open_filing_of_each_lease(organisation):
    long = make_lease(make_rent_unit(organisation))
    _changes(long, 30)
    short = make_lease(make_rent_unit(organisation))  # written after the long backlog
    long_ids, short_ids = _filing_ids(long), _filing_ids(short)

    rows = _claim(10)

    assert sorted(r["pk"] for r in rows) == [long_ids[0], short_ids[0]]
    assert set(Filing.objects.filter(state=FilingState.SENT).values_list("pk", flat=True)) == {
        long_ids[0],
        short_ids[0],
    }
    # While the first filing is sent (not yet answered) nothing later of that lease goes.
    assert _claim(10) == []
    # Rejected still holds the lease back; accepted lets the next one go, in order.
    Filing.objects.filter(pk=long_ids[0]).update(state=FilingState.REJECTED)
    assert _claim(10) == []
    Filing.objects.filter(pk=long_ids[0]).update(state=FilingState.ACCEPTED)
    assert [r["pk"] for r in _claim(10)] == [long_ids[1]]


def test_claim_and_record_cost_a_fixed_number_of_queries(organisation):
    leases = [make_lease(make_rent_unit(organisation)) for _ in range(12)]
    for lease in leases:
        _changes(lease, 2)
    with CaptureQueriesContext(connection) as claim_queries:
        rows = _claim(50)
    assert len(rows) == 12
    results = [
        (row, "accepted", Receipt(receipt_id=f"r-{row['pk']}", status="accepted", version=1))
        for row in rows
    ]
    results[0] = (
        rows[0],
        "accepted",
        Receipt(
            receipt_id=f"r-{rows[0]['pk']}",
            status="accepted",
            version=1,
            warnings=[{"field": "lease.rent", "code": "high_rent", "message": "Høj husleje."}],
        ),
    )
    stats = services.PushStats()
    with CaptureQueriesContext(connection) as record_queries:
        _record(results, stats)
    # Not one query per filing: a select and an update to claim, one prepared update run
    # over all answers to record (plus savepoints), and the disclosure log written in bulk
    # in the same transaction (the lease parties read once, two INSERTs, savepoints).
    assert len(claim_queries) <= 4
    assert len(record_queries) <= 8
    assert stats.accepted == 12
    accepted = {f.pk: f for f in Filing.objects.filter(state=FilingState.ACCEPTED)}
    assert set(accepted) == {r["pk"] for r in rows}
    first = accepted[rows[0]["pk"]]
    assert first.receipt_id == f"r-{rows[0]['pk']}"
    assert first.receipt_version == 1
    assert first.accepted_at is not None
    assert first.next_attempt_at is None
    assert first.warnings == [
        {"field": "lease.rent", "code": "high_rent", "message": "Høj husleje."}
    ]
    assert accepted[rows[1]["pk"]].warnings == []
    # The next filing of each lease is now due, and only that one.
    assert len(_claim(50)) == 12


def test_late_answer_is_not_recorded_over_a_newer_claim(organisation):
    make_lease(make_rent_unit(organisation))
    (old,) = _claim(5)
    # The sweeper gives the filing up (its pusher looked dead) and another pusher claims it.
    assert services.filings_release_stuck(older_than=-1) == 1
    (new,) = _claim(5)
    assert new["pk"] == old["pk"]
    assert new["claimed_at"] != old["claimed_at"]

    stats = services.PushStats()
    late = Receipt(receipt_id="late", status="accepted", version=1)
    _record([(old, "accepted", late)], stats)
    filing = Filing.objects.get(pk=old["pk"])
    assert filing.state == FilingState.SENT
    assert filing.receipt_id == ""

    _record([(new, "accepted", Receipt("current", "accepted", 1))], stats)
    filing.refresh_from_db()
    assert filing.state == FilingState.ACCEPTED
    assert filing.receipt_id == "current"


@pytest.mark.django_db(transaction=True)
def test_two_pushers_at_once_send_each_filing_once_and_in_lease_order(
    organisation, hlr_settings, hlr_simulator
):
    leases = [make_lease(make_rent_unit(organisation)) for _ in range(8)]
    for lease in leases:
        _changes(lease, 3)
    ours = list(Filing.objects.order_by("pk").values_list("idempotency_key", "lease__number"))
    assert len(ours) == 32
    hlr_simulator.configure(latency_ms=10)
    errors = []
    start = threading.Barrier(2)

    def run():
        try:
            start.wait()
            services.filings_push(workers=4, batch=3)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert Filing.objects.filter(state=FilingState.ACCEPTED).count() == 32
    filed = hlr_simulator.filings()
    assert len(filed) == 32
    assert hlr_simulator.stats()["replays"] == 0  # nobody sent a filing twice
    assert sorted(f["idempotency_key"] for f in filed) == sorted(str(k) for k, _n in ours)
    expected, got = defaultdict(list), defaultdict(list)
    for key, number in ours:
        expected[number].append(str(key))
    for f in filed:
        got[f["lease_number"]].append(f["idempotency_key"])
        assert f["version"] == len(got[f["lease_number"]])
    assert got == expected


def _record_cost(organisation, n: int) -> int:
    for lease in [make_lease(make_rent_unit(organisation)) for _ in range(n)]:
        _changes(lease, 1)
    rows = _claim(100)
    assert len(rows) >= n  # (and the next filings of earlier leases)
    results = [
        (row, "accepted", Receipt(receipt_id=f"r-{row['pk']}", status="accepted", version=1))
        for row in rows
    ]
    with CaptureQueriesContext(connection) as queries:
        _record(results, services.PushStats())
    return len(queries)


def test_recording_costs_the_same_for_3_or_30_filings(organisation):
    """The disclosure log rides along in bulk: the count does not grow with the batch."""
    assert _record_cost(organisation, 3) == _record_cost(organisation, 30)
