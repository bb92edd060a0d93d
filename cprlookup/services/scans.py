"""Scheduled scans: the opt-in, starting and resuming a scan, handing its items out in
chunks, and the sweeper that re-queues abandoned work.

A scan has one item per entrance of the organisation. The dispatcher (`tasks.scan_dispatch`)
queues the pending items in chunks; a worker looks up a chunk (`scan_work`) and records it
(`scan_recording`). The job's counters are derived from its items (`refresh_job_counts`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy.choices import LIVE_LEASE_STATUSES
from tenancy.models import Entrance, Lease, Organisation
from tenancy.selectors import role_for

from ..models import ScanItem, ScanItemStatus, ScanJob, ScanSetting, ScanStatus
from .lookup import check_member, eligibility_error

logger = logging.getLogger(__name__)


def scan_setting_set(*, user, organisation: Organisation, enabled: bool) -> ScanSetting:
    """Turn the nightly scan on or off (organisation admin or CPR officer)."""
    require_scan_role(user, organisation)
    if enabled:
        problem = eligibility_error(organisation)
        if problem:
            raise DomainError(problem)
    with transaction.atomic():
        setting, _created = ScanSetting.objects.select_for_update().get_or_create(
            organisation=organisation
        )
        setting.enabled = enabled
        setting.updated_by = user
        setting.save()
    return setting


def require_scan_role(user, organisation: Organisation) -> None:
    """PermissionDenied unless the user may run scans (None is the scheduler)."""
    if user is None:
        return  # the scheduler
    check_member(user, organisation)
    if role_for(user=user, organisation=organisation) not in ("org_admin", "cpr_officer"):
        raise PermissionDenied(
            _("Kun organisationsadministratorer og CPR-ansvarlige kan starte scanninger.")
        )


def scan_start(*, organisation: Organisation, user=None, scheduled: bool = False) -> ScanJob:
    """Create a scan of every entrance of the organisation and queue it.

    One item per entrance (unique per job). Refuses an ineligible organisation and a second
    scan while one is unfinished. The dispatcher is queued when the transaction commits.
    """
    from ..tasks import scan_dispatch

    require_scan_role(user, organisation)
    problem = eligibility_error(organisation)
    if problem:
        raise DomainError(problem)
    if ScanJob.objects.filter(
        organisation=organisation, status__in=[ScanStatus.QUEUED, ScanStatus.RUNNING]
    ).exists():
        raise DomainError(_("Der kører allerede en scanning for organisationen."))
    try:
        with transaction.atomic():
            job = ScanJob.objects.create(
                organisation=organisation, started_by=user, scheduled=scheduled
            )
            # One INSERT ... SELECT: a large portfolio has thousands of stairwells.
            qn = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {qn(ScanItem._meta.db_table)} "  # noqa: S608 - model names
                    "(job_id, entrance_id, status, attempts, result_count, error) "
                    f"SELECT %s, id, %s, 0, 0, '' FROM {qn(Entrance._meta.db_table)} "
                    "WHERE organisation_id = %s ORDER BY id",
                    [job.pk, ScanItemStatus.PENDING, organisation.pk],
                )
            # GDPR art. 18 (issue 15): no CPR lookup of a stairwell where a tenant's
            # processing is restricted (the flag gdpr sets through core.personal_data).
            restricted = Lease.objects.filter(
                organisation=organisation,
                status__in=LIVE_LEASE_STATUSES,
                parties__restricted=True,
            ).values_list("unit__entrance_id", flat=True)
            ScanItem.objects.filter(job=job, entrance_id__in=list(restricted)).delete()
            job.total = ScanItem.objects.filter(job=job).count()
            if job.total == 0:
                job.status = ScanStatus.DONE
                job.finished_at = timezone.now()
            job.save(update_fields=["total", "status", "finished_at"])
            if job.total:
                transaction.on_commit(lambda: scan_dispatch.delay(job.pk))
    except IntegrityError:
        raise DomainError(_("Der kører allerede en scanning for organisationen.")) from None
    return job


def scan_resume(*, job: ScanJob, user=None) -> ScanJob:
    """Run the failed items of a finished scan again (and re-queue anything unfinished).
    A search already charged in this job is not charged again (the ledger key)."""
    from ..tasks import scan_dispatch

    require_scan_role(user, job.organisation)
    problem = eligibility_error(job.organisation)
    if problem:
        raise DomainError(problem)
    try:
        with transaction.atomic():
            job = ScanJob.objects.select_for_update().get(pk=job.pk)
            ScanItem.objects.filter(job=job, status=ScanItemStatus.FAILED).update(
                status=ScanItemStatus.PENDING, error=""
            )
            job.status = ScanStatus.RUNNING
            job.finished_at = None
            job.save(update_fields=["status", "finished_at"])
            refresh_job_counts(job)
            if not job.is_finished:
                transaction.on_commit(lambda: scan_dispatch.delay(job.pk))
    except IntegrityError:
        raise DomainError(_("Der kører allerede en scanning for organisationen.")) from None
    return job


def scheduled_scans_start() -> list[int]:
    """Start a scan for every opted-in, eligible organisation without an unfinished one."""
    started = []
    for setting in ScanSetting.objects.filter(enabled=True).select_related("organisation"):
        try:
            job = scan_start(organisation=setting.organisation, scheduled=True)
        except DomainError as exc:
            logger.warning(
                "Scheduled CPR scan for organisation %s not started: %s",
                setting.organisation_id,
                "; ".join(exc.messages),
            )
            continue
        started.append(job.pk)
    return started


def scan_pending_chunks(*, job: ScanJob) -> list[list[int]]:
    """Mark the job running and return its pending item ids in chunks for the workers."""
    now = timezone.now()
    with transaction.atomic():
        ScanJob.objects.filter(pk=job.pk, status=ScanStatus.QUEUED).update(
            status=ScanStatus.RUNNING, started_at=now, progress_at=now
        )
        pending = ScanItem.objects.filter(job=job, status=ScanItemStatus.PENDING)
        ids = list(pending.order_by("pk").values_list("pk", flat=True))
        pending.update(queued_at=now)
    return chunked(ids)


def chunked(ids: list[int]) -> list[list[int]]:
    """Chunks of SCAN_CHUNK_SIZE ids, tapering towards the end: no chunk takes more than
    half of what is left (down to 2 x SCAN_THREADS), so the workers run out of work at
    about the same time instead of one searching a whole last chunk alone while the others
    idle. Big chunks matter: each chunk ends with its threads falling idle one by one and
    the next task's set-up, several per cent of a scan at 200 stairwells a chunk."""
    size = max(1, settings.CPR_SCAN_CHUNK_SIZE)
    smallest = max(1, min(size, 2 * settings.CPR_SCAN_THREADS))
    chunks, start = [], 0
    while start < len(ids):
        left, step = len(ids) - start, size
        while step > smallest and left < 2 * step:
            step = max(smallest, step // 2)
        chunks.append(ids[start : start + step])
        start += step
    return chunks


def refresh_job_counts(job: ScanJob) -> ScanJob:
    """Recount done/failed from the items (idempotent) and finish the job when nothing is
    left. Call inside a transaction holding the job row."""
    counts = ScanItem.objects.filter(job=job).aggregate(
        done=Count("pk", filter=Q(status=ScanItemStatus.DONE)),
        failed=Count("pk", filter=Q(status=ScanItemStatus.FAILED)),
    )
    job.done, job.failed = counts["done"], counts["failed"]
    job.progress_at = timezone.now()
    fields = ["done", "failed", "progress_at"]
    if job.status in (ScanStatus.QUEUED, ScanStatus.RUNNING) and job.done + job.failed >= job.total:
        job.status = ScanStatus.FAILED if job.failed else ScanStatus.DONE
        job.finished_at = timezone.now()
        fields += ["status", "finished_at"]
    job.save(update_fields=fields)
    return job


def scan_sweep(*, stuck_seconds: int | None = None) -> list[tuple[int, list[list[int]]]]:
    """Find abandoned work and return it for re-queueing: items "running" longer than the
    timeout (their worker died, e.g. SIGKILL) go back to pending; a job with no progress
    for the timeout gets all its pending items queued again (their messages may have been
    lost with the worker). Returns [(job_id, chunks)]."""
    stuck = timedelta(
        seconds=settings.CPR_SCAN_STUCK_SECONDS if stuck_seconds is None else stuck_seconds
    )
    now = timezone.now()
    cutoff = now - stuck
    out = []
    for job in ScanJob.objects.filter(status__in=[ScanStatus.QUEUED, ScanStatus.RUNNING]):
        with transaction.atomic():
            locked = ScanJob.objects.select_for_update().get(pk=job.pk)
            reset = ScanItem.objects.filter(
                job=locked, status=ScanItemStatus.RUNNING, claimed_at__lt=cutoff
            ).update(status=ScanItemStatus.PENDING, claimed_at=None)
            idle = (locked.progress_at or locked.created_at) < cutoff
            if not reset and not idle:
                continue
            pending = ScanItem.objects.filter(job=locked, status=ScanItemStatus.PENDING)
            if not reset:
                # Only items queued before the cutoff: recently queued ones are in line.
                pending = pending.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=cutoff))
            ids = list(pending.order_by("pk").values_list("pk", flat=True))
            if not ids:
                refresh_job_counts(locked)
                continue
            ScanItem.objects.filter(pk__in=ids).update(queued_at=now)
            if locked.status == ScanStatus.QUEUED:
                locked.status = ScanStatus.RUNNING
                locked.started_at = now
            locked.progress_at = now
            locked.save(update_fields=["status", "started_at", "progress_at"])
            logger.warning("CPR scan %s: re-queueing %d items", locked.pk, len(ids))
            out.append((locked.pk, chunked(ids)))
    return out
