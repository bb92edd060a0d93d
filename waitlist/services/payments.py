"""Payments: card payments through the provider (sessions, signed webhooks, reconciliation)
and bank transfers registered by caseworkers.

Each payment is applied exactly once:

- a webhook is verified, stored once in the inbox and applied in batches by a worker
  (waitlist.services.payment_inbox, which has the rules);
- a card payment is stored once per provider payment id (Payment.provider_payment_id is
  unique), whichever path sees it first (webhook, the return page, or reconciliation);
- the payment session row is locked (select_for_update) while a payment is applied, and the
  invoice is marked paid by fees.invoice_mark_paid, which is idempotent;
- a late or out-of-order event never undoes a payment: "failed" or "cancelled" after "paid"
  is ignored.

Provider calls (waitlist.payments.PaymentClient) run outside database transactions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from ..models import ApplicantEvent, Invoice, Payment, PaymentSession, WebhookEvent
from ..payments import (
    PaymentClient,
    PaymentProviderError,
    ProviderSession,
)
from .fees import invoice_mark_paid

logger = logging.getLogger(__name__)

PAYABLE = (Invoice.Status.OPEN, Invoice.Status.REMINDED)


@dataclass
class ReconcileStats:
    checked: int = 0
    applied: int = 0
    expired: int = 0
    errors: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def _client() -> PaymentClient:
    return PaymentClient()


def _callback_url(name: str, *, webhook: bool = False) -> str:
    base = settings.PAYMENT_CALLBACK_BASE_URL
    if webhook and settings.PAYMENT_WEBHOOK_BASE_URL:
        base = settings.PAYMENT_WEBHOOK_BASE_URL
    return base.rstrip("/") + reverse(name)


# -- starting a card payment --------------------------------------------------------------


def payment_session_start(*, invoice: Invoice) -> PaymentSession:
    """Open a payment session at the provider for the invoice's amount; the applicant is then
    sent to `session.checkout_url`. Each call opens a new session (a cancelled or declined
    one stays behind); two concurrent calls get the same session."""
    if invoice.status not in PAYABLE:
        raise DomainError(
            _("Fakturaen er allerede betalt.")
            if invoice.status == Invoice.Status.PAID
            else _("Fakturaen er annulleret og kan ikke betales.")
        )
    attempt = PaymentSession.objects.filter(invoice=invoice).count() + 1
    try:
        remote = _client().create_session(
            amount=invoice.amount,
            reference=f"WL-{invoice.pk}",
            description=invoice.get_kind_display(),
            return_url=_callback_url("waitlist:payment_return"),
            webhook_url=_callback_url("waitlist:payment_webhook", webhook=True),
            metadata={"invoice_id": invoice.pk, "applicant_id": invoice.applicant_id},
            idempotency_key=f"wl-invoice-{invoice.pk}-{attempt}",
        )
    except PaymentProviderError as exc:
        logger.warning("payment session for invoice %s not opened: %s", invoice.pk, exc)
        raise DomainError(_("Betalingstjenesten svarer ikke lige nu. Prøv igen om lidt.")) from exc
    try:
        with transaction.atomic():
            return PaymentSession.objects.create(
                applicant_id=invoice.applicant_id,
                invoice=invoice,
                amount=invoice.amount,
                provider_session_id=remote.session_id,
                checkout_url=remote.payment_url,
            )
    except IntegrityError:  # a concurrent call stored the same provider session
        return PaymentSession.objects.get(provider_session_id=remote.session_id)


# -- applying what the provider says -------------------------------------------------------


def _session_row(remote: ProviderSession) -> PaymentSession | None:
    """The locked session row for a provider session. A session the product opened but has
    not stored yet (its answer was lost) is recognised by its metadata and stored now."""
    row = (
        PaymentSession.objects.select_for_update(of=("self",))
        .select_related("invoice")
        .filter(provider_session_id=remote.session_id)
        .first()
    )
    if row is not None:
        return row
    invoice_id = remote.metadata.get("invoice_id")
    if not isinstance(invoice_id, int) or remote.reference != f"WL-{invoice_id}":
        return None
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    if invoice is None:
        return None
    PaymentSession.objects.create(
        applicant_id=invoice.applicant_id,
        invoice=invoice,
        amount=remote.amount,
        provider_session_id=remote.session_id,
        checkout_url=remote.payment_url,
    )
    return PaymentSession.objects.select_for_update().get(provider_session_id=remote.session_id)


def provider_session_apply(remote: ProviderSession, *, event_id: str | None, kind: str = "") -> str:
    """Bring our session in line with the provider's (caller holds a transaction). Returns
    the outcome: applied, duplicate or ignored."""
    row = _session_row(remote)
    if row is None:
        logger.warning("payment event for unknown session %s ignored", remote.session_id)
        return WebhookEvent.Outcome.IGNORED
    if remote.status == "paid" and remote.payment is not None:
        return _apply_payment(row, remote, event_id=event_id)
    if row.status == PaymentSession.Status.PAID:
        return WebhookEvent.Outcome.IGNORED  # late "failed"/"cancelled" after the payment
    new_status = {
        "open": PaymentSession.Status.FAILED if kind == "payment.failed" else None,
        "cancelled": PaymentSession.Status.EXPIRED,
        "expired": PaymentSession.Status.EXPIRED,
    }.get(remote.status, PaymentSession.Status.FAILED)
    if new_status is not None and row.status != new_status:
        row.status = new_status
        row.save(update_fields=["status"])
    return WebhookEvent.Outcome.APPLIED


def _apply_payment(row: PaymentSession, remote: ProviderSession, *, event_id: str | None) -> str:
    paid = remote.payment
    assert paid is not None  # noqa: S101 - checked by the caller
    if Payment.objects.filter(provider_payment_id=paid.payment_id).exists():
        return WebhookEvent.Outcome.DUPLICATE
    payment = Payment.objects.create(
        applicant_id=row.applicant_id,
        invoice=row.invoice,
        amount=paid.amount,
        paid_on=paid.paid_on,
        method=Payment.Method.CARD,
        provider_event_id=event_id,
        provider_payment_id=paid.payment_id,
    )
    invoice_mark_paid(invoice=row.invoice, payment=payment)
    row.status = PaymentSession.Status.PAID
    row.paid_at = paid.paid_at
    row.save(update_fields=["status", "paid_at"])
    logger.info(
        "card payment %s applied to invoice %s (session %s)",
        paid.payment_id,
        row.invoice_id,
        row.provider_session_id,
    )
    return WebhookEvent.Outcome.APPLIED


def payment_session_refresh(*, session: PaymentSession) -> PaymentSession:
    """Ask the provider about one session and apply what it says (the return page and
    reconciliation). Provider trouble leaves the session as it is."""
    try:
        remote = _client().get_session(session.provider_session_id)
    except PaymentProviderError as exc:
        logger.warning("payment session %s not checked: %s", session.provider_session_id, exc)
        return session
    with transaction.atomic():
        if remote is None:
            PaymentSession.objects.filter(
                pk=session.pk, status=PaymentSession.Status.CREATED
            ).update(status=PaymentSession.Status.EXPIRED)
        else:
            provider_session_apply(remote, event_id=None)
    session.refresh_from_db()
    return session


# -- reconciliation ------------------------------------------------------------------------


def payments_reconcile(*, limit: int = 1000) -> ReconcileStats:
    """Periodic: ask the provider about sessions without a final answer (their webhook never
    came), at most `limit` per run (the last hour's first); apply what it says. Sessions older than
    PAYMENT_RECONCILE_MAX_AGE_DAYS that are still open are given up (expired)."""
    now = timezone.now()
    stats = ReconcileStats()
    cutoff = now - timedelta(seconds=settings.PAYMENT_RECONCILE_AFTER_SECONDS)
    oldest = now - timedelta(days=settings.PAYMENT_RECONCILE_MAX_AGE_DAYS)
    open_statuses = (PaymentSession.Status.CREATED, PaymentSession.Status.FAILED)
    stats.expired = PaymentSession.objects.filter(
        status__in=open_statuses, created_at__lt=oldest
    ).update(status=PaymentSession.Status.EXPIRED)
    candidates = PaymentSession.objects.filter(
        status__in=open_statuses, created_at__lt=cutoff, created_at__gte=oldest
    )
    # The last hour first, newest first (an applicant who just paid is waiting); then the
    # rest oldest first, so many abandoned sessions never starve a fresh payment.
    recent_from = now - timedelta(hours=1)
    due = list(candidates.filter(created_at__gte=recent_from).order_by("-created_at")[:limit])
    due += list(
        candidates.filter(created_at__lt=recent_from).order_by("created_at", "pk")[
            : max(limit - len(due), 0)
        ]
    )
    client = _client()
    for session in due:
        stats.checked += 1
        try:
            remote = client.get_session(session.provider_session_id)
        except PaymentProviderError:
            stats.errors += 1
            continue
        with transaction.atomic():
            if remote is None:
                outcome = "missing"
                PaymentSession.objects.filter(pk=session.pk).update(
                    status=PaymentSession.Status.EXPIRED
                )
            else:
                outcome = str(provider_session_apply(remote, event_id=None))
        if outcome == WebhookEvent.Outcome.APPLIED and remote and remote.status == "paid":
            stats.applied += 1
        stats.outcomes[outcome] = stats.outcomes.get(outcome, 0) + 1
    if stats.checked or stats.expired:
        logger.info(
            "payments reconciled: %s checked, %s applied, %s errors, %s given up",
            stats.checked,
            stats.applied,
            stats.errors,
            stats.expired,
        )
    return stats


# -- bank transfers ------------------------------------------------------------------------


def payment_register_bank_transfer(
    *,
    invoice: Invoice,
    amount: Decimal,
    paid_on: date,
    actor: User | None,
    note: str = "",
) -> Payment:
    """A caseworker records a bank transfer against an invoice; it counts from `paid_on`
    like a card payment (the sign-up fee's payment date is the seniority date)."""
    if amount <= 0:
        raise DomainError(_("Beløbet skal være større end 0."))
    if paid_on > timezone.localdate():
        raise DomainError(_("Betalingsdatoen kan ikke ligge i fremtiden."))
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status == Invoice.Status.PAID:
            raise DomainError(_("Fakturaen er allerede betalt."))
        if locked.status == Invoice.Status.CANCELLED:
            raise DomainError(
                _("Fakturaen er annulleret. En betaling kan ikke registreres på den.")
            )
        payment = Payment.objects.create(
            applicant_id=locked.applicant_id,
            invoice=locked,
            amount=amount,
            paid_on=paid_on,
            method=Payment.Method.BANK_TRANSFER,
            registered_by=actor if actor is not None and actor.pk else None,
            note=note[:300],
        )
        ApplicantEvent.objects.create(
            applicant_id=locked.applicant_id,
            application_id=locked.application_id,
            actor=actor if actor is not None and actor.pk else None,
            kind="payment_registered",
            text=_("Bankoverførsel på %(amount)s kr. registreret (betalt %(date)s).")
            % {"amount": f"{amount:.2f}".replace(".", ","), "date": paid_on.strftime("%d.%m.%Y")},
        )
        invoice_mark_paid(invoice=locked, payment=payment)
    invoice.refresh_from_db()
    return payment
