"""Fees: the dated fee schedule, the one-month notice rule and marking an invoice paid.

- The sign-up fee is the schedule in force on the sign-up date for the applicant's channel.
- A renewal period starting on P costs the renewal fee of the newest schedule with
  valid_from <= P whose announcement was at least one month before P (add_months(announced,
  1) <= P). A change announced too late therefore only hits the following periods.
- invoices_mark_paid (invoice_mark_paid for one) is the single place money turns into
  seniority; it is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.personal_data import rows_update

from ..models import (
    Applicant,
    ApplicantEvent,
    Application,
    Cooperation,
    FeeSchedule,
    Invoice,
    Payment,
)
from .dates import add_months, add_year, kr

OPEN_STATUSES = (Invoice.Status.OPEN, Invoice.Status.REMINDED)


def notice_effective_date(announced_at: date) -> date:
    """The first period start a renewal-fee change announced on `announced_at` may hit."""
    return add_months(announced_at, 1)


def _schedules(cooperation: Cooperation, channel: str) -> list[FeeSchedule]:
    return list(
        FeeSchedule.objects.filter(cooperation=cooperation, channel=channel).order_by(
            "-valid_from", "-pk"
        )
    )


def signup_fee_for(*, cooperation: Cooperation, channel: str, on: date) -> Decimal:
    for schedule in _schedules(cooperation, channel):
        if schedule.valid_from <= on:
            return schedule.signup_fee
    raise DomainError(_("Der er ingen gebyrsats for denne tilbudsform på datoen."))


def renewal_fee_for(*, cooperation: Cooperation, channel: str, period_start: date) -> Decimal:
    """The renewal fee for a period starting on `period_start` (the notice rule)."""
    schedules = _schedules(cooperation, channel)
    for schedule in schedules:
        if schedule.valid_from <= period_start and (
            notice_effective_date(schedule.announced_at) <= period_start
        ):
            return schedule.renewal_fee
    if schedules:  # nothing was announced in time: the oldest schedule still applies
        return schedules[-1].renewal_fee
    raise DomainError(_("Der er ingen gebyrsats for denne tilbudsform på datoen."))


@transaction.atomic
def fee_schedule_create(
    *,
    cooperation: Cooperation,
    valid_from: date,
    channel: str,
    signup_fee: Decimal,
    renewal_fee: Decimal,
    announced_at: date,
) -> FeeSchedule:
    """Add a dated schedule. A changed renewal fee must be announced at least one month
    before it applies, and the product never backdates a schedule before its announcement."""
    if signup_fee < 0 or renewal_fee < 0:
        raise DomainError(_("Gebyrer kan ikke være negative."))
    if valid_from < announced_at:
        raise DomainError(_("En gebyrsats kan ikke gælde fra før den er varslet."))
    previous = (
        FeeSchedule.objects.filter(
            cooperation=cooperation, channel=channel, valid_from__lte=valid_from
        )
        .order_by("-valid_from", "-pk")
        .first()
    )
    earliest = notice_effective_date(announced_at)
    if previous is not None and previous.renewal_fee != renewal_fee and valid_from < earliest:
        raise DomainError(
            _(
                "Et ændret ajourføringsgebyr skal varsles mindst en måned før det træder i "
                "kraft. Med varsling den %(announced)s kan det tidligst gælde fra %(earliest)s."
            )
            % {
                "announced": announced_at.strftime("%d.%m.%Y"),
                "earliest": earliest.strftime("%d.%m.%Y"),
            }
        )
    if FeeSchedule.objects.filter(
        cooperation=cooperation, channel=channel, valid_from=valid_from
    ).exists():
        raise DomainError(_("Der findes allerede en gebyrsats for denne tilbudsform og dato."))
    return FeeSchedule.objects.create(
        cooperation=cooperation,
        valid_from=valid_from,
        channel=channel,
        signup_fee=signup_fee,
        renewal_fee=renewal_fee,
        announced_at=announced_at,
    )


def applicant_refresh_debt(applicant: Applicant) -> Decimal:
    """Outstanding = open or reminded invoices past nothing else; stored on the applicant."""
    total = Invoice.objects.filter(applicant=applicant, status__in=OPEN_STATUSES).aggregate(
        s=Sum("amount")
    )["s"] or Decimal("0.00")
    Applicant.objects.filter(pk=applicant.pk).update(debt=total)
    applicant.debt = total
    return total


def applicants_refresh_debt(applicant_ids: Iterable[int]) -> None:
    """applicant_refresh_debt for any number of applicants in one UPDATE (the sum computed
    by the database), for the webhook and the nightly run."""
    total = (
        Invoice.objects.filter(applicant=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("applicant")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    money = DecimalField(max_digits=10, decimal_places=2)
    Applicant.objects.filter(pk__in=list(applicant_ids)).update(
        debt=Coalesce(
            Subquery(total, output_field=money), Value(Decimal("0.00")), output_field=money
        )
    )


def _paid_total(invoice: Invoice) -> Decimal:
    return invoice.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def _apply_to_application(application: Application, invoice: Invoice, paid_on: date) -> None:
    if invoice.kind == Invoice.Kind.SIGNUP:
        if application.seniority_date is None:
            application.seniority_date = paid_on
        start = application.seniority_date
        application.paid_until = max(application.paid_until or start, add_year(start))
    else:
        end = invoice.period_end or add_year(application.paid_until or paid_on)
        application.paid_until = max(application.paid_until or end, end)
    application.status = Application.Status.ACTIVE


def invoice_mark_paid(*, invoice: Invoice, payment: Payment) -> Invoice:
    """Apply `payment` (already saved) to `invoice`: invoices_mark_paid for one pair."""
    if payment.invoice_id is None:
        Payment.objects.filter(pk=payment.pk).update(invoice=invoice)
        payment.invoice = invoice
        payment.invoice_id = invoice.pk
    elif payment.invoice_id != invoice.pk:
        raise DomainError(_("Betalingen hører til en anden opkrævning."))
    return invoices_mark_paid([payment])[0]


def invoices_mark_paid(payments: list[Payment]) -> list[Invoice]:
    """Apply saved payments, each already linked to its invoice; returns the invoices in
    the same order. Idempotent: an invoice already paid is left unchanged; a cancelled
    invoice (the applicant was deleted or left) is not revived, the payment stays on record
    as a credit for a caseworker to refund.

    On the first paid sign-up invoice the application's seniority date becomes the payment
    date and it is on the list for a year from then; a renewal extends paid_until to the
    invoice's period end. Partial payments are kept and the invoice stays open until the
    payments linked to it cover the amount.

    Set-based, so that a batch of webhooks costs about the same statements as one (the
    payment inbox applies hundreds at a time): one locking SELECT of the invoices with their
    applications, then one UPDATE per table (each row's own values through
    core.personal_data.rows_update, not bulk_update's CASE per row) and one INSERT of the
    history rows. Part of the
    caller's transaction (no savepoint: an error undoes the whole batch, which is repeated)."""
    if not payments:
        return []
    with transaction.atomic(savepoint=False):
        # Invoices and their applications locked by one statement, in id order (no deadlock
        # between two batches), invoice first as everywhere else.
        ids = sorted({p.invoice_id for p in payments if p.invoice_id is not None})
        invoices = {
            i.pk: i
            for i in Invoice.objects.select_for_update()
            .select_related("application")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        applications: dict[int, Application] = {}
        paid: list[Invoice] = []
        events: list[ApplicantEvent] = []
        now = timezone.now()
        for payment in payments:
            invoice = invoices.get(payment.invoice_id)  # type: ignore[arg-type]
            if invoice is None:
                raise DomainError(_("Betalingen hører ikke til en opkrævning."))
            if invoice.status in (Invoice.Status.PAID, Invoice.Status.CANCELLED):
                continue
            # One payment covering the amount (the card payment) needs no sum of the others.
            if payment.amount < invoice.amount and _paid_total(invoice) < invoice.amount:
                continue
            # One object per application, so two invoices of it in a batch both count.
            application = applications.setdefault(invoice.application_id, invoice.application)
            if application.status in (Application.Status.DELETED, Application.Status.LEFT):
                continue
            invoice.status = Invoice.Status.PAID
            invoice.paid_at = now
            paid.append(invoice)
            _apply_to_application(application, invoice, payment.paid_on)
            events.append(
                ApplicantEvent(
                    applicant_id=invoice.applicant_id,
                    application=application,
                    kind="invoice_paid",
                    text=_("%(kind)s betalt %(date)s (%(amount)s)")
                    % {
                        "kind": invoice.get_kind_display(),
                        "date": payment.paid_on.strftime("%d.%m.%Y"),
                        "amount": kr(invoice.amount),
                    },
                )
            )
        if paid:
            Invoice.objects.filter(pk__in=[i.pk for i in paid]).update(
                status=Invoice.Status.PAID, paid_at=now
            )
            touched = {invoice.application_id for invoice in paid}
            rows_update(
                [a for pk, a in applications.items() if pk in touched],
                ["seniority_date", "paid_until", "status"],
            )
            ApplicantEvent.objects.bulk_create(events)
            applicants_refresh_debt({invoice.applicant_id for invoice in paid})
        return [invoices[p.invoice_id] for p in payments]  # type: ignore[index]
