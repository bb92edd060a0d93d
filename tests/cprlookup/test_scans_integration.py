"""Scans through a real Celery worker process (tests/worker.py's celery_worker_process)
against the GCTP simulator: faults, and a worker killed with SIGKILL mid-scan."""

import os
import signal
import time

import pytest

from cprlookup import services, tasks
from cprlookup.models import CprCharge, CprLookup, ScanItemStatus, ScanJob, ScanStatus
from tests.cprlookup.fixtures_cpr import SINCE, make_portfolio, register, start_worker

pytestmark = pytest.mark.integration


def _worker_env(sim, tmp_path) -> dict:
    return {
        "GCTP_BASE_URL": sim.base_url,
        "GCTP_TOKEN_FILE": str(tmp_path / "gctp-token.json"),
        "GCTP_TIMEOUT": "0.5",
        "GCTP_MAX_ATTEMPTS": "3",
        "GCTP_BACKOFF_BASE": "0.01",
        "GCTP_BACKOFF_MAX": "0.05",
        "CPR_SCAN_CHUNK_SIZE": "5",
        "CPR_SCAN_THREADS": "2",
        "CPR_SCAN_STUCK_SECONDS": "2",
    }


@pytest.fixture
def cpr_worker(transactional_db, gctp_settings, monkeypatch, tmp_path, request):
    """A Celery worker whose GCTP client talks to the test simulator."""
    for key, value in _worker_env(gctp_settings, tmp_path).items():
        monkeypatch.setenv(key, value)
    return request.getfixturevalue("celery_worker_process")


def _portfolio(sim, entrances):
    p = make_portfolio(entrances=entrances, units_per_entrance=1)
    units = [*p.units, p.unit2, *p.other_units]
    people = [
        (f"0101{80 + i % 19:02d}{1000 + i:04d}", f"Beboer {i}", [(u, SINCE, None)])
        for i, u in enumerate(units)
    ]
    sim.load(register(p.organisation, people=people))
    return p


def _finished(job_id):
    return lambda: ScanJob.objects.get(pk=job_id).is_finished


def test_scan_in_worker_with_faults_charges_each_answered_entrance_once(cpr_worker, gctp_settings):
    p = _portfolio(gctp_settings, entrances=20)
    gctp_settings.configure(error_rate=0.2, timeout_rate=0.05, timeout_sleep_ms=1500)

    job = services.scan_start(organisation=p.organisation, user=p.admin)  # queued on commit
    cpr_worker.wait_for(_finished(job.pk), timeout=120)

    job.refresh_from_db()
    assert job.done + job.failed == job.total == 21
    assert set(job.items.values_list("status", flat=True)) <= {"done", "failed"}
    answered = CprLookup.objects.filter(scan_job=job, outcome="ok").count()
    assert answered == job.done
    keys = list(CprCharge.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == answered
    stats = gctp_settings.stats()
    assert stats["errors_injected"] + stats["timeouts_injected"] > 0


def test_worker_killed_mid_scan_finishes_after_restart_with_nothing_lost(
    cpr_worker, gctp_settings, tmp_path
):
    p = _portfolio(gctp_settings, entrances=40)
    gctp_settings.configure(latency_ms=150)
    job = services.scan_start(organisation=p.organisation, user=p.admin)
    cpr_worker.wait_for(lambda: ScanJob.objects.get(pk=job.pk).done >= 5, timeout=60)
    job.refresh_from_db()
    assert not job.is_finished

    os.kill(cpr_worker.process.pid, signal.SIGKILL)
    cpr_worker.process.wait(10)

    process, log_path = start_worker(_worker_env(gctp_settings, tmp_path))
    try:
        deadline = time.monotonic() + 120
        last_sweep = 0.0
        while not ScanJob.objects.get(pk=job.pk).is_finished:
            assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")[-3000:]
            if time.monotonic() - last_sweep > 3:  # what beat does every minute
                tasks.scan_sweep.delay()
                last_sweep = time.monotonic()
            time.sleep(0.25)
    finally:
        process.terminate()
        process.wait(15)

    job.refresh_from_db()
    assert job.status == ScanStatus.DONE
    assert job.done == job.total == 41
    assert not job.items.exclude(status=ScanItemStatus.DONE).exists()
    lookups = CprLookup.objects.filter(scan_job=job)
    # Every entrance looked up and recorded exactly once, charged exactly once.
    assert lookups.count() == 41
    assert lookups.values("entrance").distinct().count() == 41
    assert CprCharge.objects.filter(lookup__scan_job=job).count() == 41
