"""Celery tasks of payments and messaging (registered through waitlist.tasks; beat entries
"waitlist-payments-reconcile" and "waitlist-messages-send" in config/settings.py)."""

from celery import shared_task


@shared_task(name="waitlist.payments_reconcile", ignore_result=True)
def payments_reconcile() -> dict:
    from .services import payments as payment_services

    stats = payment_services.payments_reconcile()
    return {"checked": stats.checked, "applied": stats.applied, "errors": stats.errors}


@shared_task(name="waitlist.messages_send", ignore_result=True)
def messages_send() -> dict:
    from .messaging import messages_send_queued

    return messages_send_queued()
