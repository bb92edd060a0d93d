"""Celery tasks of payments and messaging (registered through waitlist.tasks; beat entries
"waitlist-payments-reconcile" and "waitlist-messages-send" in config/settings.py)."""

from celery import shared_task


@shared_task(name="waitlist.payment_events_apply", ignore_result=True)
def payment_events_apply_task() -> int:
    """Apply the payment webhook inbox (asked for by the webhook view)."""
    from .services.payment_inbox import payment_events_apply

    return payment_events_apply()


@shared_task(name="waitlist.payments_reconcile", ignore_result=True)
def payments_reconcile() -> dict:
    """Empty the webhook inbox (in case a request to do so was lost), then ask the provider
    about the sessions whose webhook never came."""
    from .services import payments as payment_services
    from .services.payment_inbox import payment_events_apply

    inbox = payment_events_apply()
    stats = payment_services.payments_reconcile()
    return {
        "inbox": inbox,
        "checked": stats.checked,
        "applied": stats.applied,
        "errors": stats.errors,
    }


@shared_task(name="waitlist.messages_send", ignore_result=True)
def messages_send() -> dict:
    from .messaging import messages_send_queued

    return messages_send_queued()
