"""Reliability with a real Celery worker process and the HLR simulator over HTTP:
changes made while the broker (Redis) is unreachable and while the register is down are
all filed exactly once after recovery; a rejected filing stays visible until a caseworker
acts."""

import contextlib
import os
import socket
import time
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from rentregister.models import Filing, FilingState
from tenancy import services as tenancy_services
from tests.factories import make_lease
from tests.rentregister.fixtures_rent import make_rent_unit

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reset_pools(app) -> None:
    """Forget every broker connection pool. Celery's pools live in kombu's global registry
    keyed by broker URL: closing one without clearing the registry would hand the closed
    pool back later ("Acquire on closed pool")."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_unreachable():
    """This process's Celery app points at a Redis port nobody listens on."""
    from config.celery import app

    closed = f"redis://127.0.0.1:{_closed_port()}/6"
    old = app.conf.broker_url
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    old_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = closed
    app.conf.broker_url = closed
    _reset_pools(app)
    try:
        yield
    finally:
        app.conf.broker_url = old
        if old_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = old_env
        _reset_pools(app)


@pytest.fixture
def rent_worker(request, monkeypatch, hlr_settings, hlr_simulator):
    """A real worker that reaches the simulator, with short back-off for the test."""
    monkeypatch.setenv("HLR_BASE_URL", hlr_simulator.base_url)
    monkeypatch.setenv("HLR_API_KEY", hlr_simulator.api_key)
    monkeypatch.setenv("HLR_TIMEOUT", "2")
    monkeypatch.setenv("HLR_RETRY_ATTEMPTS", "2")
    monkeypatch.setenv("HLR_RETRY_BACKOFF", "0.01")
    monkeypatch.setenv("RENT_PUSH_BACKOFF_SECONDS", "0.2")
    monkeypatch.setenv("RENT_PUSH_BACKOFF_MAX_SECONDS", "0.5")
    return request.getfixturevalue("celery_worker_process")


def _states(lease_ids) -> list[str]:
    return list(Filing.objects.filter(lease_id__in=lease_ids).values_list("state", flat=True))


def _sweep() -> None:
    """What beat does every minute."""
    from rentregister.tasks import filings_sweep_task

    filings_sweep_task.delay()


def _swept_until(predicate, every: float = 2.0):
    """A predicate that also sweeps every `every` seconds while it is false, as beat does:
    a sweep that runs while the filings are still backing off finds nothing due yet."""
    next_sweep = [0.0]

    def check() -> bool:
        if predicate():
            return True
        if time.monotonic() >= next_sweep[0]:
            _sweep()
            next_sweep[0] = time.monotonic() + every
        return False

    return check


def test_changes_while_broker_and_register_down_filed_once(
    organisation, rent_worker, hlr_simulator
):
    units = [make_rent_unit(organisation) for _ in range(4)]
    # 1. Redis unreachable: the changes commit (no error, no hang), nothing is enqueued.
    with broker_unreachable():
        started = time.monotonic()
        leases = [make_lease(unit) for unit in units[:2]]
        tenancy_services.lease_change_rent(
            lease=leases[0], rent=Decimal("7000"), effective_date=date(2026, 1, 1)
        )
        assert time.monotonic() - started < 10
    # 2. The register is down: the worker tries, fails transiently, keeps them pending.
    hlr_simulator.configure(down=True)
    more = [make_lease(unit) for unit in units[2:]]
    tenancy_services.lease_update(lease=more[0], water="included")
    lease_ids = [lease.pk for lease in leases + more]
    rent_worker.wait_for(
        lambda: Filing.objects.filter(lease_id__in=lease_ids, attempts__gt=0).exists()
    )
    assert hlr_simulator.filings() == []
    assert FilingState.ACCEPTED not in _states(lease_ids)
    # 3. Recovery: the register is back and the sweeper runs.
    hlr_simulator.configure(down=False)
    total = Filing.objects.filter(lease_id__in=lease_ids).count()
    assert total == 6
    rent_worker.wait_for(
        _swept_until(lambda: _states(lease_ids).count(FilingState.ACCEPTED) == total),
        timeout=90,
    )
    # A second sweep sends nothing again.
    _sweep()
    time.sleep(2)
    filed = hlr_simulator.filings()
    assert len(filed) == total
    assert len({(f["lease_number"], f["version"]) for f in filed}) == total
    assert len({f["idempotency_key"] for f in filed}) == total


def test_rejected_filing_stays_visible_until_caseworker_acts(
    client, caseworker, organisation, rent_worker, hlr_simulator
):
    lease = make_lease(make_rent_unit(organisation))
    rent_worker.wait_for(lambda: Filing.objects.get(lease=lease).state == FilingState.ACCEPTED)
    hlr_simulator.reset()  # the register lost the lease: the next update is refused (404)
    tenancy_services.lease_update(lease=lease, water="included")
    filing = Filing.objects.filter(lease=lease).latest("pk")
    rent_worker.wait_for(lambda: Filing.objects.get(pk=filing.pk).state == FilingState.REJECTED)
    _sweep()
    time.sleep(2)
    filing.refresh_from_db()
    assert filing.state == FilingState.REJECTED
    client.force_login(caseworker)
    body = client.get(reverse("rentregister:filing_detail", args=[filing.pk])).content.decode()
    assert "Lejekontrakten findes ikke i registeret." in body
    index = client.get(reverse("rentregister:index")).content.decode()
    assert lease.number in index
