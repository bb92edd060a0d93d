"""Celery tasks for scheduled CPR scans. Thin: ids in, a service call, messages out.

- `scan_schedule` (beat, nightly at CPR_SCAN_TIME): starts a scan for every opted-in
  organisation.
- `scan_dispatch`: fans a job's pending items out to `scan_chunk` tasks.
- `scan_chunk` (acks_late, reject_on_worker_lost): looks up a chunk of entrances; items
  already done or taken are skipped, so a redelivered or duplicated message does no harm.
- `scan_sweep` (beat, every CPR_SWEEP_INTERVAL_SECONDS): re-queues items stuck in
  "running" (their worker died, e.g. SIGKILL) and pending items of jobs that stopped
  progressing (their messages were lost with the worker).
"""

from celery import shared_task

from . import services
from .models import ScanJob


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def scan_schedule() -> list[int]:
    """Start the nightly scans (organisations that opted in)."""
    return services.scheduled_scans_start()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def scan_dispatch(job_id: int) -> int:
    """Queue the pending items of a scan job in chunks."""
    job = ScanJob.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return 0
    chunks = services.scan_pending_chunks(job=job)
    for chunk in chunks:
        scan_chunk.delay(job_id, chunk)
    return len(chunks)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def scan_chunk(job_id: int, item_ids: list[int]) -> int:
    """Look up one chunk of a scan's entrances."""
    return services.scan_chunk_process(job_id=job_id, item_ids=item_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def scan_sweep() -> int:
    """Re-queue abandoned scan work; returns the number of chunks queued."""
    queued = 0
    for job_id, chunks in services.scan_sweep():
        for chunk in chunks:
            scan_chunk.delay(job_id, chunk)
            queued += 1
    return queued
