"""Scheduled scans, run in-process against the simulator over HTTP (the worker-process
versions are in test_scans_integration.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import DomainError
from cprlookup import services
from cprlookup.models import (
    CprCharge,
    CprLookup,
    ScanItem,
    ScanItemStatus,
    ScanJob,
    ScanSetting,
    ScanStatus,
)
from tests.cprlookup.fixtures_cpr import SINCE, make_portfolio, register

pytestmark = pytest.mark.django_db


def _run(job):
    """What scan_dispatch + the workers do, in this process."""
    for chunk in services.scan_pending_chunks(job=job):
        services.scan_chunk_process(job_id=job.pk, item_ids=chunk)
    job.refresh_from_db()
    return job


def _people(p):
    units = [*p.units, p.unit2, *p.other_units]
    return [
        (f"0101{80 + i % 19:02d}{1000 + i:04d}", f"Beboer {i}", [(u, SINCE, None)])
        for i, u in enumerate(units)
    ]


def test_scan_looks_up_every_entrance_once_and_charges_per_entrance(db, gctp_settings):
    p = make_portfolio(entrances=6)
    gctp_settings.load(register(p.organisation, people=_people(p)))
    job = services.scan_start(organisation=p.organisation, user=p.admin)
    assert job.total == 7  # one item per entrance

    job = _run(job)

    assert job.status == ScanStatus.DONE
    assert (job.done, job.failed) == (7, 0)
    assert gctp_settings.stats()["searches"] == 7
    assert CprCharge.objects.count() == 7
    assert CprLookup.objects.filter(scan_job=job, source="scan").count() == 7
    # Running the same chunks again (a redelivered message) does nothing.
    ids = list(job.items.values_list("pk", flat=True))
    assert services.scan_chunk_process(job_id=job.pk, item_ids=ids) == 0
    assert CprCharge.objects.count() == 7
    assert gctp_settings.stats()["searches"] == 7


def test_scan_with_faults_ends_looked_up_or_visibly_failed_and_never_charges_twice(
    db, gctp_settings, settings
):
    p = make_portfolio(entrances=30, units_per_entrance=2)
    gctp_settings.load(register(p.organisation, people=_people(p)))
    gctp_settings.configure(error_rate=0.2, timeout_rate=0.05, timeout_sleep_ms=1500)
    settings.GCTP_TIMEOUT = 0.5
    settings.GCTP_MAX_ATTEMPTS = 3

    job = _run(services.scan_start(organisation=p.organisation, user=p.admin))

    assert job.is_finished
    statuses = set(job.items.values_list("status", flat=True))
    assert statuses <= {ScanItemStatus.DONE, ScanItemStatus.FAILED}
    assert job.done + job.failed == job.total == 31
    failed = job.items.filter(status=ScanItemStatus.FAILED)
    assert all(item.error for item in failed)  # visibly failed, with a reason
    answered = CprLookup.objects.filter(scan_job=job, outcome="ok").count()
    assert answered == job.done
    keys = list(CprCharge.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == answered  # one charge per answered entrance
    stats = gctp_settings.stats()
    assert stats["errors_injected"] + stats["timeouts_injected"] > 0
    assert stats["searches"] >= answered

    if job.failed:
        # Resuming looks up only the failed entrances; charged ones are not charged again.
        gctp_settings.configure(error_rate=0, timeout_rate=0)
        before = CprCharge.objects.count()
        job = _run(services.scan_resume(job=job, user=p.admin))
        assert job.status == ScanStatus.DONE
        assert CprCharge.objects.count() == before + len(failed)


def test_one_open_scan_per_organisation_and_only_eligible(db, gctp_settings):
    p = make_portfolio()
    services.scan_start(organisation=p.organisation, user=p.admin)
    with pytest.raises(DomainError):
        services.scan_start(organisation=p.organisation, user=p.admin)
    small = make_portfolio(kind="private", dwellings_owned=5)
    with pytest.raises(DomainError):
        services.scan_start(organisation=small.organisation, user=small.admin)


def test_caseworker_may_not_start_a_scan(db):
    from django.core.exceptions import PermissionDenied

    p = make_portfolio()
    with pytest.raises(PermissionDenied):
        services.scan_start(organisation=p.organisation, user=p.caseworker)


def test_nightly_schedule_starts_opted_in_organisations(db, django_capture_on_commit_callbacks):
    opted = make_portfolio()
    make_portfolio()  # not opted in
    services.scan_setting_set(user=opted.admin, organisation=opted.organisation, enabled=True)
    with django_capture_on_commit_callbacks() as callbacks:
        started = services.scheduled_scans_start()
    assert [ScanJob.objects.get(pk=pk).organisation for pk in started] == [opted.organisation]
    assert len(callbacks) == 1  # the dispatcher is queued after commit
    assert ScanSetting.objects.get().enabled


def test_periodic_tasks_registered():
    """One beat schedule (settings.CELERY_BEAT_SCHEDULE) names the nightly scan at the
    configured time and the sweeper, and every task it names exists."""
    from config.celery import app

    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert {"cpr-nightly-scan", "cpr-scan-sweeper", "rentregister-sweep-filings"} <= set(schedule)
    nightly = schedule["cpr-nightly-scan"]["schedule"]
    assert nightly.hour == {2}
    assert nightly.minute == {0}
    for entry in schedule.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_sweeper_requeues_stuck_work_and_the_scan_finishes(db, gctp_settings):
    p = make_portfolio(entrances=3)
    gctp_settings.load(register(p.organisation, people=_people(p)))
    job = services.scan_start(organisation=p.organisation, user=p.admin)
    chunks = services.scan_pending_chunks(job=job)
    # A worker claimed the items and was killed before recording anything.
    long_ago = timezone.now() - timedelta(hours=1)
    ScanItem.objects.filter(job=job).update(status=ScanItemStatus.RUNNING, claimed_at=long_ago)
    ScanJob.objects.filter(pk=job.pk).update(progress_at=long_ago)
    # The redelivered message finds the items taken and leaves them alone.
    assert services.scan_chunk_process(job_id=job.pk, item_ids=chunks[0]) == 0

    requeued = services.scan_sweep(stuck_seconds=60)

    assert [job_id for job_id, _c in requeued] == [job.pk]
    for _job_id, chunk_list in requeued:
        for chunk in chunk_list:
            services.scan_chunk_process(job_id=job.pk, item_ids=chunk)
    job.refresh_from_db()
    assert job.status == ScanStatus.DONE
    assert job.done == job.total == 4
    assert CprCharge.objects.count() == 4
    assert services.scan_sweep(stuck_seconds=60) == []
