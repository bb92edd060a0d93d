"""Background work for the waiting list. Thin: the rules are in waitlist.services."""

from celery import shared_task

from waitlist.tasks_letting import letting_rounds_due  # noqa: F401  (letting, issue 14)
from waitlist.tasks_payments import payments_reconcile  # noqa: F401  (payments helper)


@shared_task(name="waitlist.nightly_run", acks_late=True)
def nightly_run_task(day: str | None = None) -> dict[str, int]:
    """Renewal invoices, reminders and deletions as of `day` (ISO date; default today).
    Idempotent and resumable: a redelivered or repeated run does nothing twice."""
    from datetime import date

    from .services.nightly import nightly_run
    from .services.payment_inbox import webhook_rejections_purge

    today = date.fromisoformat(day) if day else None
    result = nightly_run(today=today)
    return {**result.as_dict(), "rejected_webhooks_purged": webhook_rejections_purge(today=today)}


@shared_task(name="waitlist.fee_change_announce", acks_late=True)
def fee_change_announce_task(schedule_id: int) -> int:
    """Tell the applicants a new renewal fee concerns (idempotent: once per schedule)."""
    from .models import FeeSchedule
    from .services.announce import fee_change_announce

    return fee_change_announce(schedule=FeeSchedule.objects.get(pk=schedule_id))
