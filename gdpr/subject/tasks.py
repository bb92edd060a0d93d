"""The contact form's nightly deletion (Celery beat, config.settings.CELERY_BEAT_SCHEDULE):
enquiries are kept six months (docs/privacy.md)."""

from celery import shared_task

from . import contact


@shared_task(name="gdpr.contact_enquiries_expire", acks_late=True)
def contact_enquiries_expire() -> int:
    return contact.enquiries_expire()
