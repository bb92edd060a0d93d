"""The nightly run: renewal invoices in good time, reminders with a deadline, deletion that
loses the seniority, and the same for the student list's yearly renewal.

Set-based, resumable and idempotent. Each step first selects candidate ids with one indexed
query, then works through them in chunks of CHUNK rows. A chunk is one transaction: its
rows are locked and re-checked by the candidate condition itself (a row someone changed
meanwhile simply drops out), then its state changes, invoices, events and queued messages
are written with a handful of set-based statements, and committed together. A run killed
midway therefore leaves every chunk either fully done (state changed and its messages
queued) or untouched; running again, or twice for the same date, does nothing twice
(renewal invoices are unique per period, messages unique per dedup key, and the candidate
conditions exclude what is done). A chunk that fails is redone row by row, so one bad row
is reported in `errors` and never stops the others.

Deletions, which lose the seniority, go through applications_end, the same code a
caseworker's "udmeld" and application_delete_unpaid use; only applications still reminded
when their chunk is locked are deleted (one paid meanwhile is active again and drops out).

Dates for a run on day D (docs/domain.md):
- family, active, paid_until <= D + renewal_lead_days, no invoice for the period starting
  at paid_until: a renewal invoice for [paid_until, paid_until + 1 year), due on paid_until
  (or on D when invoiced late), at the renewal fee the notice rule gives for that period;
- an open renewal invoice with due_date < D: reminded, deadline D + reminder_days;
- a reminded invoice with reminder_deadline < D: the application is deleted (seniority lost);
- student, active, paid_until <= D + lead: a renewal notice; paid_until < D: reminded with
  the same deadline; reminded with reminder_deadline < D: deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    Applicant,
    ApplicantEvent,
    Application,
    Cooperation,
    FeeSchedule,
    Invoice,
    ListType,
    Message,
)
from .applicants import applications_end, message_rows
from .dates import add_year, kr
from .fees import applicants_refresh_debt, notice_effective_date


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


# -- the chunk machinery ------------------------------------------------------------------

Handler = Callable[[Sequence[int]], int]


def _chunk_size() -> int:
    return max(1, int(getattr(settings, "WAITLIST_NIGHTLY_CHUNK", 1000)))


def _each_chunk(ids: list[int], handle: Handler, result: NightlyResult) -> int:
    """Run `handle` (one transaction per call) over `ids` in chunks; a chunk that fails is
    redone row by row so that only the bad rows are left out (and reported)."""
    done = 0
    size = _chunk_size()
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        try:
            done += handle(chunk)
        except Exception:  # noqa: BLE001 - isolate the bad row(s) below, each one reported
            for pk in chunk:
                try:
                    done += handle([pk])
                except Exception as exc:  # noqa: BLE001 - one bad row must not stop the run
                    result.errors.append(f"{handle.__name__}({pk}): {exc}")
    return done


def _ids(qs: QuerySet) -> list[int]:
    return list(qs.order_by("pk").values_list("pk", flat=True))


def _locked(qs: QuerySet, pks: Sequence[int]) -> list:
    """The rows of `pks` still matching `qs` (the candidate condition), locked until the
    chunk commits; rows changed meanwhile are re-checked by the database and drop out."""
    return list(qs.filter(pk__in=pks).select_for_update(of=("self",)).order_by("pk"))


@dataclass
class _Outbox:
    """The chunk's messages and history rows, written with one INSERT each."""

    messages: list[Message] = field(default_factory=list)
    events: list[ApplicantEvent] = field(default_factory=list)

    def send(self, applicant: Applicant, *, kind: str, subject: str, body: str, key: str) -> None:
        self.messages += message_rows(
            applicant=applicant, kind=kind, subject=subject, body=body, dedup_key=key
        )

    def log(self, app: Application, kind: str, text: str) -> None:
        self.events.append(
            ApplicantEvent(applicant_id=app.applicant_id, application=app, kind=kind, text=text)
        )

    def flush(self) -> None:
        # A message whose key is already there (sent by an earlier, interrupted run) is
        # skipped by the database, never sent twice.
        Message.objects.bulk_create(self.messages, ignore_conflicts=True)
        ApplicantEvent.objects.bulk_create(self.events)


# -- family list ----------------------------------------------------------------------------


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

    def renewal_invoice(pks: Sequence[int]) -> int:
        with transaction.atomic():
            apps = _locked(candidates.select_related("applicant"), pks)
            invoices, out = [], _Outbox()
            for app in apps:
                start = app.paid_until
                amount = fees.renewal(app.applicant.channel, start)
                if amount is None:
                    raise ValueError("no fee schedule")
                invoices.append(
                    Invoice(
                        applicant_id=app.applicant_id,
                        application=app,
                        kind=Invoice.Kind.RENEWAL,
                        period_start=start,
                        period_end=add_year(start),
                        amount=amount,
                        # Invoiced late (after an outage, or a fresh import): due the day it
                        # is sent, reminded from the next night on, never in the same run.
                        due_date=max(start, today),
                    )
                )
            Invoice.objects.bulk_create(invoices)
            for app, invoice in zip(apps, invoices, strict=True):
                text = _(
                    "Ajourføringsgebyr %(amount)s for perioden %(start)s-%(end)s. "
                    "Betal senest %(due)s for at beholde din anciennitet."
                ) % {
                    "amount": kr(invoice.amount),
                    "start": _fmt(invoice.period_start),
                    "end": _fmt(invoice.period_end),
                    "due": _fmt(invoice.due_date),
                }
                out.send(
                    app.applicant,
                    kind="renewal_invoice",
                    subject=_("Opkrævning af ajourføringsgebyr"),
                    body=text,
                    key=f"renewal:{invoice.pk}",
                )
                out.log(app, "renewal_invoice", text)
            applicants_refresh_debt({app.applicant_id for app in apps})
            out.flush()
            return len(apps)

    result.renewal_invoices += _each_chunk(_ids(candidates), renewal_invoice, result)


def _reminders(coop: Cooperation, today: date, result: NightlyResult) -> None:
    deadline = today + timedelta(days=coop.reminder_days)
    candidates = Invoice.objects.filter(
        applicant__cooperation=coop,
        kind=Invoice.Kind.RENEWAL,
        status=Invoice.Status.OPEN,
        due_date__lt=today,
    )

    def reminder(pks: Sequence[int]) -> int:
        with transaction.atomic():
            invoices = _locked(candidates.select_related("applicant", "application"), pks)
            now = timezone.now()
            Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(
                status=Invoice.Status.REMINDED, reminder_sent_at=now, reminder_deadline=deadline
            )
            Application.objects.filter(
                pk__in=[i.application_id for i in invoices], status=Application.Status.ACTIVE
            ).update(
                status=Application.Status.REMINDED, reminded_at=now, reminder_deadline=deadline
            )
            out = _Outbox()
            for invoice in invoices:
                text = _(
                    "Rykker: ajourføringsgebyret på %(amount)s er ikke betalt. Betal senest "
                    "%(deadline)s, ellers slettes du fra ventelisten og mister din anciennitet."
                ) % {"amount": kr(invoice.amount), "deadline": _fmt(deadline)}
                out.send(
                    invoice.applicant,
                    kind="reminder",
                    subject=_("Rykker"),
                    body=text,
                    key=f"reminder:{invoice.pk}",
                )
                out.log(invoice.application, "reminder", text)
            out.flush()
            return len(invoices)

    result.reminders += _each_chunk(_ids(candidates), reminder, result)


def _deletions(coop: Cooperation, today: date, result: NightlyResult) -> None:
    candidates = Invoice.objects.filter(
        applicant__cooperation=coop,
        kind=Invoice.Kind.RENEWAL,
        status=Invoice.Status.REMINDED,
        reminder_deadline__lt=today,
    )
    reason = _("Slettet: ajourføringsgebyret blev ikke betalt inden rykkerfristen.")

    def deletion(pks: Sequence[int]) -> int:
        with transaction.atomic():
            invoices = _locked(candidates.select_related("applicant"), pks)
            # Only applications still reminded: one paid meanwhile is active again.
            apps = _locked(
                Application.objects.filter(status=Application.Status.REMINDED),
                [i.application_id for i in invoices],
            )
            applications_end(apps, status=Application.Status.DELETED, reason=reason)
            out, told = _Outbox(), set[int]()
            deleted = {app.pk for app in apps}
            for invoice in invoices:
                if invoice.application_id in deleted - told:
                    told.add(invoice.application_id)
                    out.send(
                        invoice.applicant,
                        kind="deleted",
                        subject=_("Du er slettet fra ventelisten"),
                        body=reason + " " + _("Du kan tilmelde dig igen, men med ny anciennitet."),
                        key=f"deleted:{invoice.pk}",
                    )
            out.flush()
            return len(apps)

    result.deletions += _each_chunk(_ids(candidates), deletion, result)


# -- student list ---------------------------------------------------------------------------


def _student_deletions(base: QuerySet, today: date, result: NightlyResult) -> None:
    candidates = base.filter(status=Application.Status.REMINDED, reminder_deadline__lt=today)
    reason = _("Slettet: ansøgningen til studiebolig blev ikke fornyet inden fristen.")

    def student_delete(pks: Sequence[int]) -> int:
        with transaction.atomic():
            apps = _locked(candidates.select_related("applicant"), pks)
            keys = {app.pk: f"student-deleted:{app.pk}:{app.paid_until}" for app in apps}
            applications_end(apps, status=Application.Status.DELETED, reason=reason)
            out = _Outbox()
            for app in apps:
                out.send(
                    app.applicant,
                    kind="deleted",
                    subject=_("Du er slettet fra ventelisten"),
                    body=reason,
                    key=keys[app.pk],
                )
            out.flush()
            return len(apps)

    result.student_deletions += _each_chunk(_ids(candidates), student_delete, result)


def _student_reminders(base: QuerySet, today: date, deadline: date, result: NightlyResult) -> None:
    candidates = base.filter(status=Application.Status.ACTIVE, paid_until__lt=today)

    def student_remind(pks: Sequence[int]) -> int:
        with transaction.atomic():
            apps = _locked(candidates.select_related("applicant"), pks)
            Application.objects.filter(pk__in=[a.pk for a in apps]).update(
                status=Application.Status.REMINDED,
                reminded_at=timezone.now(),
                reminder_deadline=deadline,
            )
            out = _Outbox()
            text = _(
                "Rykker: forny din ansøgning til studiebolig senest %(d)s, ellers slettes du "
                "og mister din anciennitet."
            ) % {"d": _fmt(deadline)}
            for app in apps:
                out.send(
                    app.applicant,
                    kind="reminder",
                    subject=_("Rykker: forny din ansøgning"),
                    body=text,
                    key=f"student-reminder:{app.pk}:{app.paid_until}",
                )
                out.log(app, "reminder", text)
            out.flush()
            return len(apps)

    result.student_reminders += _each_chunk(_ids(candidates), student_remind, result)


def _student_notices(base: QuerySet, today: date, horizon: date, result: NightlyResult) -> None:
    candidates = base.filter(
        status=Application.Status.ACTIVE, paid_until__lte=horizon, paid_until__gte=today
    ).exclude(renewal_notice_for=F("paid_until"))

    def student_notice(pks: Sequence[int]) -> int:
        with transaction.atomic():
            apps = _locked(candidates.select_related("applicant"), pks)
            Application.objects.filter(pk__in=[a.pk for a in apps]).update(
                renewal_notice_for=F("paid_until")
            )
            out = _Outbox()
            for app in apps:
                out.send(
                    app.applicant,
                    kind="student_renewal",
                    subject=_("Forny din ansøgning"),
                    body=_(
                        "Din ansøgning til studiebolig udløber %(d)s. Forny den på lejehuset "
                        "inden da."
                    )
                    % {"d": _fmt(app.paid_until)},
                    key=f"student-notice:{app.pk}:{app.paid_until}",
                )
            out.flush()
            return len(apps)

    result.student_notices += _each_chunk(_ids(candidates), student_notice, result)


def _students(coop: Cooperation, today: date, result: NightlyResult) -> None:
    horizon = today + timedelta(days=coop.renewal_lead_days)
    deadline = today + timedelta(days=coop.reminder_days)
    base = Application.objects.filter(applicant__cooperation=coop, list_type=ListType.STUDENT)
    _student_deletions(base, today, result)
    _student_reminders(base, today, deadline, result)
    _student_notices(base, today, horizon, result)


def nightly_run(
    *, today: date | None = None, cooperation: Cooperation | None = None
) -> NightlyResult:
    """Run every step for every cooperation (or one) as of `today` (default: today in
    Danish time, settings.TIME_ZONE)."""
    today = today or timezone.localdate()
    result = NightlyResult()
    coops = [cooperation] if cooperation else list(Cooperation.objects.order_by("pk"))
    for coop in coops:
        _deletions(coop, today, result)
        _reminders(coop, today, result)
        _renewal_invoices(coop, today, result)
        _students(coop, today, result)
    return result
