"""Background work for tenancy: large Excel exports (and the daily clean-up of old ones).

Tasks are thin: they take ids and call the functions in `tenancy.exports`."""

from celery import shared_task

from . import exports


@shared_task(name="tenancy.export_job_run", acks_late=True)
def export_job_run_task(job_id: int) -> None:
    """Write the Excel file of one ExportJob. Safe to run twice: the file is rewritten."""
    exports.export_job_run(job_id=job_id)


@shared_task(name="tenancy.export_jobs_purge")
def export_jobs_purge_task() -> None:
    """Delete export files and jobs older than a week."""
    exports.export_jobs_purge()


@shared_task(name="tenancy.leases_apply_dates")
def leases_apply_dates_task() -> None:
    """Move lease statuses and waiting rent periods on to today (idempotent)."""
    from .services import leases_apply_dates

    leases_apply_dates()
