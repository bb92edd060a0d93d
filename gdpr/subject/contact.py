"""The public contact form for viewing a home (issue 15): the enquiry is kept six months
and then deleted (the retention schedule's "contact_enquiries" category, carried out by the
nightly retention run through gdpr.subject.personal_data), or deleted at once when the person withdraws through
the signed link in the receipt. The link carries a signed id only: no personal data in a
URL. Submissions are limited per address (CONTACT_FORM_RATE) and a honeypot field catches
simple robots; CSRF protection is Django's."""

import hashlib

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy.history import record_change
from tenancy.models import Organisation

from ..models import ContactEnquiry

SALT = "gdpr.contact.withdraw"


def _audit(enquiry: ContactEnquiry, action: str, actor=None) -> None:
    """The enquiry's history without its personal data (the row goes after six months; its
    history must not keep the name)."""
    record_change(
        instance=enquiry,
        action=action,
        actor=actor,
        before=None,
        after={"id": enquiry.pk, "organisation": enquiry.organisation_id},
    )


def rate_limited(address: str) -> bool:
    """True when this address has sent CONTACT_FORM_RATE ("5/h") enquiries already."""
    count, _slash, period = settings.CONTACT_FORM_RATE.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(period[:1], 3600)
    key = "gdpr-contact:" + hashlib.sha256(address.encode()).hexdigest()[:32]
    cache.add(key, 0, seconds)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        used = 1
    return used > int(count or 5)


def withdraw_token(enquiry: ContactEnquiry) -> str:
    return signing.dumps(enquiry.pk, salt=SALT, compress=True)


def enquiry_from_token(token: str) -> int | None:
    """The enquiry id of a valid token (it may already be deleted), else None."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def enquiry_submit(
    *,
    organisation: Organisation,
    name: str,
    email: str,
    home: str,
    phone: str = "",
    message: str = "",
    withdraw_url_base: str = "",
) -> ContactEnquiry:
    """Keep the enquiry and send the receipt with the withdrawal link."""
    name, home = (name or "").strip(), (home or "").strip()
    if not name or not home:
        raise DomainError(_("Skriv dit navn og hvilken bolig, du vil se."))
    with transaction.atomic():
        enquiry = ContactEnquiry.objects.create(
            organisation=organisation,
            name=name[:200],
            email=email,
            phone=(phone or "").strip()[:20],
            home=home[:200],
            message=(message or "").strip()[:2000],
        )
        _audit(enquiry, "enquiry_received")
    link = withdraw_url_base + reverse("gdpr:contact_withdraw", args=[withdraw_token(enquiry)])
    transaction.on_commit(
        lambda: send_mail(
            subject=_("Vi har modtaget din henvendelse"),
            message=_(
                "Tak for din henvendelse om fremvisning af %(home)s. Vi kontakter dig.\n\n"
                "Vi gemmer dine oplysninger i 6 måneder. Du kan til enhver tid trække dit "
                "samtykke tilbage og få oplysningerne slettet her:\n%(link)s\n"
            )
            % {"home": enquiry.home, "link": link},
            from_email=None,
            recipient_list=[enquiry.email],
            fail_silently=True,
        )
    )
    return enquiry


def enquiry_withdraw(*, token: str) -> bool:
    """Delete the enquiry the token names; False when the token is invalid. Deleting an
    enquiry that is already gone is not an error (the link may be used twice)."""
    pk = enquiry_from_token(token)
    if pk is None:
        return False
    with transaction.atomic():
        enquiry = ContactEnquiry.objects.select_for_update().filter(pk=pk).first()
        if enquiry is not None:
            _audit(enquiry, "enquiry_withdrawn")
            enquiry.delete()
    return True


def enquiry_mark_handled(*, enquiry: ContactEnquiry, actor=None) -> ContactEnquiry:
    if enquiry.handled_at is not None:
        raise DomainError(_("Henvendelsen er allerede behandlet."))
    enquiry.handled_at = timezone.now()
    enquiry.handled_by = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        enquiry.save(update_fields=["handled_at", "handled_by"])
        _audit(enquiry, "enquiry_handled", actor)
    return enquiry
