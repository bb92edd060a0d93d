"""Celery tasks of letting (registered through waitlist.tasks; beat entry
"waitlist-letting-rounds" in config/settings.py)."""

from celery import shared_task


@shared_task(name="waitlist.letting_rounds_due", ignore_result=True, acks_late=True)
def letting_rounds_due() -> int:
    """Settle offer rounds whose answer deadline has passed: lapse the unanswered offers,
    assign the home to the best-ranked acceptor or start the next round. Idempotent."""
    from .services.letting import rounds_due_run

    return rounds_due_run()
