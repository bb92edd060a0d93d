"""Background work of issue 16: large outbound exports and the scheduled data discovery.
Thin: ids in, services called (imported in gdpr.apps.ready so the worker knows them)."""

from celery import shared_task


@shared_task(name="gdpr.outbound_export_run", acks_late=True)
def outbound_export_run_task(export_id: int) -> None:
    """Write one outbound export (market statistics, handover). Safe to run twice."""
    from .outbound import outbound_export_run

    outbound_export_run(export_id=export_id)


@shared_task(name="gdpr.discovery_run", acks_late=True)
def discovery_run_task(run_id: int | None = None) -> None:
    """Scan for personal data lying where it should not (nightly from the beat schedule
    with no run id; with an id, the run a caseworker started). Safe to run twice."""
    from .discovery import discovery_run

    discovery_run(run_id=run_id)
