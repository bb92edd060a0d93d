"""The payment webhook inbox: receive fast, apply in batches.

The provider's webhook is answered as soon as the event is safely stored:

1. the signature (HMAC over the raw body, timestamp tolerance) is verified before anything
   is read; a forged, stale or malformed event is refused (400), logged, and stores nothing
   but a record of the refusal;
2. the event is stored once, as *pending* (WebhookEvent.event_id is unique, so a redelivery
   of the same event is answered "duplicate" and stored no second time): one INSERT;
3. the answer is 200, and a Celery task (payment_events_apply) is asked to apply the inbox.
   Asking is throttled per process (PAYMENT_INBOX_KICK_SECONDS), so a burst of webhooks
   costs a handful of broker messages, yet every event is followed by an apply run that
   starts after it was stored. The periodic reconciliation task also empties the inbox,
   so an event is applied even if the broker lost the message.

Applying takes pending events in batches (locked with SKIP LOCKED, so two workers never take
the same event), and in one transaction per batch stores the card payments, marks the
invoices paid (fees.invoices_mark_paid, set-based), updates the sessions and records each
event's outcome. Exactly once holds as before: the event row is locked and its outcome
written in the same transaction as the payment, and Payment.provider_payment_id is unique
whichever path (webhook, return page, reconciliation) sees the payment first. A batch that
fails is retried one event at a time; an event that fails alone is marked "failed" (shown
in admin, logged); the payment behind it is still applied by the reconciliation, which asks
the provider about every session without a final answer.

Why not apply in the request: on a 2-core machine the full application (about fifteen
statements per payment) made the webhook endpoint about five times slower than a bare HTTP
receiver (docs/benchmarks.md); storing the event and applying in batches does the same work
with a few statements per hundred payments.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping

from core.personal_data import rows_update

from ..models import Payment, PaymentSession, WebhookEvent
from ..payments import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    ProviderSession,
    SignatureError,
    parse_session,
    verify_signature,
)
from .fees import invoices_mark_paid
from .inbox_store import event_store
from .payments import provider_session_apply

logger = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 64 * 1024
APPLY_BATCH = 500
HANDLED_KINDS = ("payment.succeeded", "payment.failed", "session.cancelled")
RECEIVED = "received"


class WebhookRejected(Exception):
    """The webhook is forged, stale or malformed: answer 400, apply nothing."""


# -- receiving -----------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    if isinstance(headers, CaseInsensitiveMapping):  # request.headers: one lookup
        return headers.get(name)
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _reject(reason: str, claimed_id: str | None, *, signature_ok: bool) -> WebhookRejected:
    """Log a refused webhook (never its body) and keep a row for the record; the row's id is
    ours, so a forged event cannot take the real event's id."""
    logger.warning("payment webhook refused (%s), claimed event id %r", reason, claimed_id)
    WebhookEvent.objects.create(
        event_id=f"rejected-{uuid.uuid4()}",
        payload={"claimed_event_id": (claimed_id or "")[:100], "reason": reason},
        signature_ok=signature_ok,
        outcome=WebhookEvent.Outcome.REJECTED,
        error=reason,
    )
    return WebhookRejected(reason)


def _parse_event(event: Any) -> tuple[str, str, ProviderSession]:
    """(event id, type, session) of a verified event; ValueError if malformed."""
    if not isinstance(event, dict):
        raise ValueError("event is not an object")
    event_id, kind = event.get("id"), event.get("type")
    data = event.get("data")
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 100:
        raise ValueError("bad event id")
    if not isinstance(kind, str) or not isinstance(data, dict):
        raise ValueError("bad event type or data")
    session = data.get("session")
    if not isinstance(session, dict):
        raise ValueError("event without session")
    return event_id, kind, parse_session(session)


def webhook_receive(*, raw_body: bytes, headers: Mapping[str, str]) -> str:
    """Verify one provider webhook and store it in the inbox; returns "received", or
    "duplicate" for an event stored before. Raises WebhookRejected (nothing stored but the
    refusal) for a forged, stale or malformed one. A database error propagates (the view
    answers 500 and the provider delivers the same event again)."""
    claimed = _header(headers, EVENT_ID_HEADER)
    if len(raw_body) > MAX_WEBHOOK_BYTES:
        raise _reject("body too large", claimed, signature_ok=False)
    try:
        verify_signature(
            raw_body=raw_body,
            header=_header(headers, SIGNATURE_HEADER),
            secret=settings.PAYMENT_WEBHOOK_SECRET,
            tolerance=settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
        )
    except SignatureError as exc:
        raise _reject(str(exc), claimed, signature_ok=False) from exc
    try:
        event = json.loads(raw_body)
        event_id, _kind, _session = _parse_event(event)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _reject(f"malformed event: {exc}", claimed, signature_ok=True) from exc
    # One INSERT … ON CONFLICT DO NOTHING, grouped with concurrent webhooks by the process's
    # writer thread on PostgreSQL (inbox_store); committed before the answer.
    if not event_store(event_id, event):
        return str(WebhookEvent.Outcome.DUPLICATE)
    schedule_apply()
    return RECEIVED


# -- asking the worker ----------------------------------------------------------------------

_kick_lock = threading.Lock()
_next_kick = 0.0  # monotonic time from which the next immediate request may be sent
_delayed_until = 0.0  # when the delayed request already queued will run


def schedule_apply() -> None:
    """Ask for an apply run once the current transaction commits, at most one immediate and
    one delayed request per PAYMENT_INBOX_KICK_SECONDS in this process. An event stored now
    is always followed by a run that starts now or at the end of the current interval."""
    global _next_kick, _delayed_until
    now = time.monotonic()
    with _kick_lock:
        if now >= _next_kick:
            countdown = 0.0
            _next_kick = now + settings.PAYMENT_INBOX_KICK_SECONDS
        elif _delayed_until < now:
            countdown = _next_kick - now
            _delayed_until = _next_kick
        else:
            return  # a run already queued starts after this event was stored
    transaction.on_commit(lambda: _enqueue_apply(countdown), robust=True)


def _enqueue_apply(countdown: float) -> None:
    """Enqueue the apply task; when the broker is unreachable, give up within a fraction of
    a second (the webhook must not hang): the reconciliation task empties the inbox too."""
    from config.celery import app

    from ..tasks_payments import payment_events_apply_task

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.1, timeout=2)
            payment_events_apply_task.apply_async(
                connection=conn, retry=False, countdown=countdown or None
            )
    except Exception:  # noqa: BLE001 - broker errors vary by transport
        logger.warning("payment inbox: apply task not enqueued (broker unreachable)")


# -- applying --------------------------------------------------------------------------------


def payment_events_apply(*, batch_size: int = APPLY_BATCH) -> int:
    """Apply the pending inbox events, in batches; returns how many were handled. Safe to
    run in several workers at once and to repeat. It stops after a batch that was not full:
    events stored meanwhile have asked for a run of their own (schedule_apply), and while
    webhooks keep coming, waiting for that run lets the next batch fill up."""
    handled = 0
    while True:
        count = _apply_one_batch(batch_size)
        handled += count
        if count < batch_size:
            return handled


def _apply_one_batch(batch_size: int) -> int:
    with transaction.atomic():
        events = list(
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(outcome=WebhookEvent.Outcome.PENDING)
            .order_by("pk")[:batch_size]
        )
        if not events:
            return 0
        try:
            with transaction.atomic():
                _apply_events(events)
        except Exception:
            logger.exception("payment inbox: a batch of %s failed; one at a time", len(events))
            for event in events:
                try:
                    with transaction.atomic():
                        _apply_events([event])
                except Exception as exc:
                    logger.exception("payment inbox: event %s failed", event.event_id)
                    event.outcome = WebhookEvent.Outcome.FAILED
                    event.error = f"{type(exc).__name__}: {exc}"[:500]
                    event.save(update_fields=["outcome", "error"])
    return len(events)


def _apply_events(events: list[WebhookEvent]) -> None:
    """Apply events in order (caller holds a transaction and the event rows' locks). Card
    payments of known sessions go the set-based way; anything else (failed, cancelled,
    sessions we have not stored) through provider_session_apply one by one."""
    parsed = []
    for event in events:
        _event_id, kind, remote = _parse_event(event.payload)
        parsed.append((event, kind, remote))
    paid = [
        (event, remote)
        for event, kind, remote in parsed
        if kind == "payment.succeeded" and remote.status == "paid" and remote.payment
    ]
    rows = {
        row.provider_session_id: row
        for row in PaymentSession.objects.select_for_update(of=("self",))
        .filter(provider_session_id__in=[remote.session_id for _e, remote in paid])
        .order_by("pk")
    }
    seen = set(
        Payment.objects.filter(
            provider_payment_id__in=[remote.payment.payment_id for _e, remote in paid]  # type: ignore[union-attr]
        ).values_list("provider_payment_id", flat=True)
    )
    payments: list[Payment] = []
    sessions: dict[int, PaymentSession] = {}
    fast = set()
    for event, remote in paid:
        row = rows.get(remote.session_id)
        if row is None:
            continue  # a session we have not stored: provider_session_apply recognises it
        fast.add(event.pk)
        money = remote.payment
        assert money is not None  # noqa: S101 - filtered above
        if money.payment_id in seen:
            event.outcome = WebhookEvent.Outcome.DUPLICATE
            continue
        seen.add(money.payment_id)
        payments.append(
            Payment(
                applicant_id=row.applicant_id,
                invoice_id=row.invoice_id,
                amount=money.amount,
                paid_on=money.paid_on,
                method=Payment.Method.CARD,
                provider_event_id=event.event_id,
                provider_payment_id=money.payment_id,
            )
        )
        row.status = PaymentSession.Status.PAID
        row.paid_at = money.paid_at
        sessions[row.pk] = row
        event.outcome = WebhookEvent.Outcome.APPLIED
    Payment.objects.bulk_create(payments)
    invoices_mark_paid(payments)
    rows_update(list(sessions.values()), ["status", "paid_at"])
    for event, kind, remote in parsed:
        if event.pk in fast:
            continue
        event.outcome = (
            provider_session_apply(remote, event_id=event.event_id, kind=kind)
            if kind in HANDLED_KINDS
            else WebhookEvent.Outcome.IGNORED
        )
    by_outcome: dict[str, list[int]] = {}
    for event in events:
        by_outcome.setdefault(event.outcome, []).append(event.pk)
    for outcome, pks in by_outcome.items():
        WebhookEvent.objects.filter(pk__in=pks).update(outcome=outcome)
    if payments:
        logger.info("payment inbox: %s card payments applied", len(payments))


# -- housekeeping ------------------------------------------------------------------------------


def webhook_rejections_purge(*, today: date | None = None) -> int:
    """Delete the records of refused webhooks (forged, stale, malformed) older than
    PAYMENT_WEBHOOK_REJECTED_KEEP_DAYS: they applied nothing and only show what was tried.
    Accepted events are kept (they are the record of what was applied). The nightly task
    calls it; returns how many were deleted."""
    keep = settings.PAYMENT_WEBHOOK_REJECTED_KEEP_DAYS
    cutoff = timezone.now() - timedelta(days=keep)
    if today is not None:
        cutoff = timezone.make_aware(
            datetime.combine(today - timedelta(days=keep), datetime.min.time())
        )
    deleted, _by_model = WebhookEvent.objects.filter(
        outcome=WebhookEvent.Outcome.REJECTED, received_at__lt=cutoff
    ).delete()
    return deleted
