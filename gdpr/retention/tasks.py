"""Celery tasks of the retention schedule. Thin: ids in, a service call.

- `retention_nightly` (beat, GDPR_RETENTION_TIME): resumes an unfinished nightly run, else
  starts one for every organisation.
- `retention_run` (acks_late): carries out one run; a redelivered message continues after
  the run's last committed batch (services.run_process)."""

from celery import shared_task
from django.db import transaction

from core.errors import DomainError

from . import services


@shared_task(name="gdpr.retention_nightly", acks_late=True, ignore_result=True)
def retention_nightly() -> int:
    run = services.run_unfinished(organisation=None)
    if run is None:
        try:
            run = services.run_create(organisation=None, scheduled=True)
        except DomainError:  # another worker made it a moment ago
            return 0
    services.run_process(run_id=run.pk)
    return run.pk


@shared_task(
    name="gdpr.retention_run", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def retention_run(run_id: int) -> int:
    return services.run_process(run_id=run_id).done


def run_dispatch(run_id: int) -> None:
    """Queue the run once the transaction that made it has committed."""
    transaction.on_commit(lambda: retention_run.delay(run_id))
