"""The nightly run: renewal invoices in good time, reminders with a deadline, deletion that
loses the seniority, and the same for the student list's yearly renewal.

Resumable and idempotent: each step first selects candidate ids with one indexed query,
then handles each row in its own transaction after locking it and re-checking its state.
A run killed midway leaves every row either fully done (state changed and its message
queued, together) or untouched; running again, or twice for the same date, does nothing
twice (renewal invoices are unique per period, messages unique per dedup key).

Dates for a run on day D (docs/domain.md):
- family, active, paid_until <= D + renewal_lead_days, no invoice for the period starting
  at paid_until: a renewal invoice for [paid_until, paid_until + 1 year), due on paid_until,
  at the renewal fee the notice rule gives for that period;
- an open renewal invoice with due_date < D: reminded, deadline D + reminder_days;
- a reminded invoice with reminder_deadline < D: the application is deleted (seniority lost);
- student, active, paid_until <= D + lead: a renewal notice; paid_until < D: reminded with
  the same deadline; reminded with reminder_deadline < D: deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Application, Cooperation, FeeSchedule, Invoice, ListType
from .applicants import application_delete_unpaid, event, message_queue
from .dates import add_year, kr
from .fees import applicant_refresh_debt, notice_effective_date

CHUNK = 1000


@dataclass
class NightlyResult:
    renewal_invoices: int = 0
    reminders: int = 0
    deletions: int = 0
    student_notices: int = 0
    student_reminders: int = 0
    student_deletions: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


def _fmt(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


class _Fees:
    """The cooperation's schedules loaded once per run; the notice rule applied in memory."""

    def __init__(self, cooperation: Cooperation) -> None:
        self.by_channel: dict[str, list[FeeSchedule]] = {}
        for s in FeeSchedule.objects.filter(cooperation=cooperation).order_by("-valid_from", "-pk"):
            self.by_channel.setdefault(s.channel, []).append(s)

    def renewal(self, channel: str, start: date) -> Decimal | None:
        schedules = self.by_channel.get(channel, [])
        for s in schedules:
            if s.valid_from <= start and notice_effective_date(s.announced_at) <= start:
                return s.renewal_fee
        return schedules[-1].renewal_fee if schedules else None


def _each(ids: Iterable[int], handle: Callable[[int], bool], result: NightlyResult) -> int:
    done = 0
    for pk in ids:
        try:
            if handle(pk):
                done += 1
        except Exception as exc:  # noqa: BLE001 - one bad row must not stop the run; logged
            result.errors.append(f"{handle.__name__}({pk}): {exc}")
    return done


def _ids(qs) -> list[int]:
    return list(qs.order_by("pk").values_list("pk", flat=True))


def _renewal_invoices(coop: Cooperation, today: date, result: NightlyResult) -> None:
    fees = _Fees(coop)
    horizon = today + timedelta(days=coop.renewal_lead_days)
    candidates = Application.objects.filter(
        applicant__cooperation=coop,
        list_type=ListType.FAMILY,
        status=Application.Status.ACTIVE,
        paid_until__lte=horizon,
    ).exclude(
        Exists(
            Invoice.objects.filter(
                application=OuterRef("pk"),
                kind=Invoice.Kind.RENEWAL,
                period_start=OuterRef("paid_until"),
            ).exclude(status=Invoice.Status.CANCELLED)
        )
    )

    def renewal_invoice(pk: int) -> bool:
        with transaction.atomic():
            app = Application.objects.select_for_update().select_related("applicant").get(pk=pk)
            start = app.paid_until
            if app.status != Application.Status.ACTIVE or start is None or start > horizon:
                return False
            if (
                Invoice.objects.filter(
                    application=app, kind=Invoice.Kind.RENEWAL, period_start=start
                )
                .exclude(status=Invoice.Status.CANCELLED)
                .exists()
            ):
                return False
            amount = fees.renewal(app.applicant.channel, start)
            if amount is None:
                raise ValueError("no fee schedule")
            invoice = Invoice.objects.create(
                applicant=app.applicant,
                application=app,
                kind=Invoice.Kind.RENEWAL,
                period_start=start,
                period_end=add_year(start),
                amount=amount,
                due_date=start,
            )
            applicant_refresh_debt(app.applicant)
            text = _(
                "Ajourføringsgebyr %(amount)s for perioden %(start)s-%(end)s. "
                "Betal senest %(due)s for at beholde din anciennitet."
            ) % {
                "amount": kr(amount),
                "start": _fmt(start),
                "end": _fmt(invoice.period_end),
                "due": _fmt(start),
            }
            message_queue(
                applicant=app.applicant,
                kind="renewal_invoice",
                subject=_("Opkrævning af ajourføringsgebyr"),
                body=text,
                dedup_key=f"renewal:{invoice.pk}",
            )
            event(app.applicant, "renewal_invoice", text, application=app)
            return True

    result.renewal_invoices += _each(_ids(candidates), renewal_invoice, result)


def _reminders(coop: Cooperation, today: date, result: NightlyResult) -> None:
    deadline = today + timedelta(days=coop.reminder_days)
    candidates = Invoice.objects.filter(
        applicant__cooperation=coop,
        kind=Invoice.Kind.RENEWAL,
        status=Invoice.Status.OPEN,
        due_date__lt=today,
    )

    def reminder(pk: int) -> bool:
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().select_related("applicant").get(pk=pk)
            if invoice.status != Invoice.Status.OPEN or invoice.due_date >= today:
                return False
            invoice.status = Invoice.Status.REMINDED
            invoice.reminder_sent_at = timezone.now()
            invoice.reminder_deadline = deadline
            invoice.save(update_fields=["status", "reminder_sent_at", "reminder_deadline"])
            Application.objects.filter(
                pk=invoice.application_id, status=Application.Status.ACTIVE
            ).update(
                status=Application.Status.REMINDED,
                reminded_at=timezone.now(),
                reminder_deadline=deadline,
            )
            text = _(
                "Rykker: ajourføringsgebyret på %(amount)s er ikke betalt. Betal senest "
                "%(deadline)s, ellers slettes du fra ventelisten og mister din anciennitet."
            ) % {"amount": kr(invoice.amount), "deadline": _fmt(deadline)}
            message_queue(
                applicant=invoice.applicant,
                kind="reminder",
                subject=_("Rykker"),
                body=text,
                dedup_key=f"reminder:{invoice.pk}",
            )
            event(invoice.applicant, "reminder", text, application=invoice.application)
            return True

    result.reminders += _each(_ids(candidates), reminder, result)


def _deletions(coop: Cooperation, today: date, result: NightlyResult) -> None:
    candidates = Invoice.objects.filter(
        applicant__cooperation=coop,
        kind=Invoice.Kind.RENEWAL,
        status=Invoice.Status.REMINDED,
        reminder_deadline__lt=today,
    )

    def deletion(pk: int) -> bool:
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().select_related("applicant").get(pk=pk)
            if (
                invoice.status != Invoice.Status.REMINDED
                or not invoice.reminder_deadline
                or invoice.reminder_deadline >= today
            ):
                return False
            reason = _("Slettet: ajourføringsgebyret blev ikke betalt inden rykkerfristen.")
            if not application_delete_unpaid(application=invoice.application, reason=reason):
                return False
            message_queue(
                applicant=invoice.applicant,
                kind="deleted",
                subject=_("Du er slettet fra ventelisten"),
                body=reason + " " + _("Du kan tilmelde dig igen, men med ny anciennitet."),
                dedup_key=f"deleted:{invoice.pk}",
            )
            return True

    result.deletions += _each(_ids(candidates), deletion, result)


def _students(coop: Cooperation, today: date, result: NightlyResult) -> None:
    horizon = today + timedelta(days=coop.renewal_lead_days)
    deadline = today + timedelta(days=coop.reminder_days)
    base = Application.objects.filter(applicant__cooperation=coop, list_type=ListType.STUDENT)

    def student_delete(pk: int) -> bool:
        with transaction.atomic():
            app = Application.objects.select_for_update().select_related("applicant").get(pk=pk)
            if (
                app.status != Application.Status.REMINDED
                or not app.reminder_deadline
                or app.reminder_deadline >= today
            ):
                return False
            reason = _("Slettet: ansøgningen til studiebolig blev ikke fornyet inden fristen.")
            key = f"student-deleted:{app.pk}:{app.paid_until}"
            application_delete_unpaid(application=app, reason=reason)
            message_queue(
                applicant=app.applicant,
                kind="deleted",
                subject=_("Du er slettet fra ventelisten"),
                body=reason,
                dedup_key=key,
            )
            return True

    def student_remind(pk: int) -> bool:
        with transaction.atomic():
            app = Application.objects.select_for_update().select_related("applicant").get(pk=pk)
            if (
                app.status != Application.Status.ACTIVE
                or not app.paid_until
                or app.paid_until >= today
            ):
                return False
            app.status = Application.Status.REMINDED
            app.reminded_at = timezone.now()
            app.reminder_deadline = deadline
            app.save(update_fields=["status", "reminded_at", "reminder_deadline"])
            text = _(
                "Rykker: forny din ansøgning til studiebolig senest %(d)s, ellers slettes du "
                "og mister din anciennitet."
            ) % {"d": _fmt(deadline)}
            message_queue(
                applicant=app.applicant,
                kind="reminder",
                subject=_("Rykker: forny din ansøgning"),
                body=text,
                dedup_key=f"student-reminder:{app.pk}:{app.paid_until}",
            )
            event(app.applicant, "reminder", text, application=app)
            return True

    def student_notice(pk: int) -> bool:
        with transaction.atomic():
            app = Application.objects.select_for_update().select_related("applicant").get(pk=pk)
            if (
                app.status != Application.Status.ACTIVE
                or not app.paid_until
                or app.paid_until > horizon
            ):
                return False
            text = _(
                "Din ansøgning til studiebolig udløber %(d)s. Forny den på lejehuset inden da."
            ) % {"d": _fmt(app.paid_until)}
            Application.objects.filter(pk=app.pk).update(renewal_notice_for=app.paid_until)
            return bool(
                message_queue(
                    applicant=app.applicant,
                    kind="student_renewal",
                    subject=_("Forny din ansøgning"),
                    body=text,
                    dedup_key=f"student-notice:{app.pk}:{app.paid_until}",
                )
            )

    result.student_deletions += _each(
        _ids(base.filter(status=Application.Status.REMINDED, reminder_deadline__lt=today)),
        student_delete,
        result,
    )
    result.student_reminders += _each(
        _ids(base.filter(status=Application.Status.ACTIVE, paid_until__lt=today)),
        student_remind,
        result,
    )
    result.student_notices += _each(
        _ids(
            base.filter(
                status=Application.Status.ACTIVE, paid_until__lte=horizon, paid_until__gte=today
            ).exclude(renewal_notice_for=F("paid_until"))
        ),
        student_notice,
        result,
    )


def nightly_run(
    *, today: date | None = None, cooperation: Cooperation | None = None
) -> NightlyResult:
    """Run every step for every cooperation (or one) as of `today`."""
    today = today or timezone.localdate()
    result = NightlyResult()
    coops = [cooperation] if cooperation else list(Cooperation.objects.order_by("pk"))
    for coop in coops:
        _deletions(coop, today, result)
        _reminders(coop, today, result)
        _renewal_invoices(coop, today, result)
        _students(coop, today, result)
    return result
