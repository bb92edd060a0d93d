"""Sending the applicants' messages: e-mail over real SMTP (Django's e-mail backend; locally
the mail sink `python -m simulators.mailsink`), SMS through the SMS gateway (locally the
payment simulator's `POST /sms`), letters collected in print batches (waitlist.letters).

Every message is a `Message` row the caseworker sees on the applicant: queued, then sent or
failed. The channel is chosen in one place (waitlist.services.applicants.message_queue):
e-mail (+ SMS when the applicant opted in) for e-offer applicants with an address, else a
letter.

Sending is at most once per message: a queued message is claimed by setting `sent_at`
while still queued (a conditional UPDATE, so two workers never both send it), then marked
sent or failed. A message claimed by a worker that died before finishing is sent again by
`messages_send_queued` after MESSAGE_CLAIM_TIMEOUT_SECONDS (at least once in that case).
"""

from __future__ import annotations

import http.client
import json
import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import transaction
from django.utils import timezone

from .models import Applicant, Message
from .services.applicants import message_queue

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT_SECONDS = 600


class SmsError(Exception):
    pass


def message_send(
    *,
    applicant: Applicant,
    kind: str,
    subject: str,
    body: str,
    dedup_key: str | None = None,
) -> list[Message]:
    """Record the applicant's message on the chosen channel(s) and send the e-mail and SMS
    now (after the surrounding transaction commits). Letters wait for the next print batch.
    Returns the Message rows; their status tells how sending went (when called outside a
    transaction)."""
    with transaction.atomic():
        messages = message_queue(
            applicant=applicant, kind=kind, subject=subject, body=body, dedup_key=dedup_key
        )
    ids = [m.pk for m in messages if m.channel != Message.MessageChannel.LETTER]
    if ids:
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: messages_deliver(ids))
        else:
            messages_deliver(ids)
            for message in messages:
                message.refresh_from_db()
    return messages


def messages_deliver(ids: Iterable[int]) -> dict[str, int]:
    """Send the given queued e-mail and SMS messages (each claimed first; a message another
    worker claimed or finished is skipped)."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for message in Message.objects.filter(pk__in=list(ids)).exclude(
        channel=Message.MessageChannel.LETTER
    ):
        counts[_deliver_one(message)] += 1
    return counts


def messages_send_queued(*, limit: int = 500) -> dict[str, int]:
    """Periodic: send queued e-mail and SMS (the nightly run queues them) and retry messages
    whose claim is older than the timeout (their worker died)."""
    stale = timezone.now() - timedelta(seconds=CLAIM_TIMEOUT_SECONDS)
    Message.objects.filter(status=Message.Status.QUEUED, sent_at__lt=stale).exclude(
        channel=Message.MessageChannel.LETTER
    ).update(sent_at=None)
    ids = list(
        Message.objects.filter(status=Message.Status.QUEUED, sent_at__isnull=True)
        .exclude(channel=Message.MessageChannel.LETTER)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return messages_deliver(ids)


def _deliver_one(message: Message) -> str:
    claimed = Message.objects.filter(
        pk=message.pk, status=Message.Status.QUEUED, sent_at__isnull=True
    ).update(sent_at=timezone.now())
    if not claimed:
        return "skipped"
    try:
        if message.channel == Message.MessageChannel.EMAIL:
            external_id = _send_email(message)
        else:
            external_id = _send_sms(message)
    except (smtplib.SMTPException, OSError, SmsError) as exc:
        logger.warning(
            "message %s (%s, %s) not sent: %s",
            message.pk,
            message.channel,
            message.kind,
            type(exc).__name__,
        )
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.FAILED, sent_at=None, external_id=""
        )
        return "failed"
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENT, sent_at=timezone.now(), external_id=external_id[:100]
    )
    return "sent"


def _send_email(message: Message) -> str:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
    )
    message_id = make_msgid(domain="boligkontor.local")
    email.extra_headers["Message-ID"] = message_id
    email.extra_headers["X-Boligkontor-Message"] = str(message.pk)
    email.send(fail_silently=False)
    return message_id


def _send_sms(message: Message) -> str:
    """POST the text to the SMS gateway; its id comes back. Any non-201 is a failure."""
    url = urlsplit(settings.SMS_GATEWAY_URL)
    cls = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    conn = cls(url.hostname or "127.0.0.1", url.port, timeout=settings.SMS_GATEWAY_TIMEOUT)
    text = message.subject + ("\n" + message.body if message.body else "")
    body = json.dumps(
        {
            "to": message.to_address,
            "text": text[:1600],
            "sender": settings.SMS_SENDER,
            "reference": f"message-{message.pk}",
        }
    )
    try:
        conn.request(
            "POST",
            url.path or "/sms",
            body=body,
            headers={"Content-Type": "application/json", "X-Api-Key": settings.SMS_GATEWAY_API_KEY},
        )
        response = conn.getresponse()
        raw = response.read()
    except http.client.HTTPException as exc:
        raise SmsError(type(exc).__name__) from exc
    finally:
        conn.close()
    if response.status != 201:
        raise SmsError(f"HTTP {response.status}")
    try:
        return str(json.loads(raw)["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SmsError("unreadable answer") from exc
