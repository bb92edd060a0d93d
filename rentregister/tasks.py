"""Celery tasks for the rent register: thin wrappers around the outbox services.

The push task is enqueued on commit after each change; the sweeper (every
RENT_SWEEP_INTERVAL_SECONDS via beat) re-sends stuck and due filings, so filings written
while Redis or the register was down are sent after recovery. Both are idempotent: an
accepted filing is never claimed again, and the register honours the idempotency key."""

from config.celery import app

from . import services


@app.task(name="rentregister.push_filings", acks_late=True, ignore_result=True)
def filings_push_task() -> dict:
    """Send all due filings to the rent register."""
    stats = services.filings_push()
    return {"claimed": stats.claimed, "accepted": stats.accepted}


@app.task(name="rentregister.sweep_filings", acks_late=True, ignore_result=True)
def filings_sweep_task() -> dict:
    """Release stuck filings and send everything due (periodic)."""
    stats = services.filings_sweep()
    return {"claimed": stats.claimed, "accepted": stats.accepted}


# --- issue 12 (fidelity): the register kept in step --------------------------------------


@app.task(name="rentregister.compare_register", acks_late=True, ignore_result=True)
def register_compare_task() -> dict:
    """Read back what the register holds and list every difference from ours (periodic)."""
    from .services import sync

    return sync.register_compare_all()


@app.task(name="rentregister.push_contacts", acks_late=True, ignore_result=True)
def contacts_push_task(organisation_id: int) -> None:
    """Send the organisation's notification contacts to the register's settings."""
    from tenancy.models import Organisation

    from .services import sync

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is not None:
        sync.contacts_push(organisation=organisation)
