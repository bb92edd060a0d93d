"""The data-subject request register (issue 15): each request has a deadline one month
after receipt (GDPR art. 12(3)), extendable once by two further months with a reason; the
dashboard warns before a deadline (attention_items below). Closing a request records the
answer; the work itself (bundle, erasure, restriction, objection) is done by the services
the request screen calls."""

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import DomainError
from tenancy.history import record_change, snapshot
from tenancy.hooks import AttentionItem
from tenancy.models import Organisation, Person

from ..models import RequestKind, RequestStatus, SubjectRequest

TEXT_MAX_LENGTH = 2000


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 January + 1
    month = 28/29 February). Works backwards too (negative `months`)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def first_deadline(received_on: date) -> date:
    """One month after receipt."""
    return add_months(received_on, 1)


def extended_deadline(received_on: date) -> date:
    """The first month plus two more."""
    return add_months(received_on, 3)


def request_create(
    *,
    person: Person,
    kind: str,
    received_on: date | None = None,
    details: str = "",
    actor=None,
) -> SubjectRequest:
    """Register a request from the person; the deadline follows from the day received."""
    if kind not in RequestKind.values:
        raise DomainError({"kind": [_("Vælg hvilken ret anmodningen gælder.")]})
    today = timezone.localdate()
    received_on = received_on or today
    if received_on > today:
        raise DomainError({"received_on": [_("Modtagelsesdatoen kan ikke ligge i fremtiden.")]})
    details = (details or "").strip()
    if len(details) > TEXT_MAX_LENGTH:
        raise DomainError({"details": [_("Højst %d tegn.") % TEXT_MAX_LENGTH]})
    with transaction.atomic():
        request = SubjectRequest.objects.create(
            organisation_id=person.organisation_id,
            person=person,
            kind=kind,
            received_on=received_on,
            deadline=first_deadline(received_on),
            details=details,
            created_by=_user(actor),
        )
        record_change(
            instance=request,
            action="request_received",
            actor=actor,
            before=None,
            after=snapshot(request),
            people=[person],
        )
    return request


def request_extend(*, request: SubjectRequest, reason: str, actor=None) -> SubjectRequest:
    """Extend the deadline once by two months; the reason is told to the person."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            {"reason": [_("Skriv hvorfor fristen forlænges (det skal oplyses til personen).")]}
        )
    if len(reason) > 500:
        raise DomainError({"reason": [_("Højst 500 tegn.")]})
    with transaction.atomic():
        request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_open:
            raise DomainError(_("Anmodningen er afsluttet."))
        if request.extended:
            raise DomainError(_("Fristen kan kun forlænges én gang."))
        before = snapshot(request)
        request.extended = True
        request.extension_reason = reason
        request.deadline = extended_deadline(request.received_on)
        request.save(update_fields=["extended", "extension_reason", "deadline"])
        record_change(
            instance=request,
            action="request_extended",
            actor=actor,
            before=before,
            after=snapshot(request),
            people=[request.person],
        )
    return request


def request_close(
    *, request: SubjectRequest, status: str, outcome: str, actor=None
) -> SubjectRequest:
    """Close the request as answered or refused, with what was answered (a refusal must
    say why: the person can complain to Datatilsynet)."""
    if status not in (RequestStatus.COMPLETED, RequestStatus.REFUSED):
        raise DomainError({"status": [_("Vælg besvaret eller afvist.")]})
    outcome = (outcome or "").strip()
    if not outcome:
        raise DomainError({"outcome": [_("Skriv hvad personen har fået svar på.")]})
    if len(outcome) > 4000:
        raise DomainError({"outcome": [_("Højst 4000 tegn.")]})
    with transaction.atomic():
        request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_open:
            raise DomainError(_("Anmodningen er allerede afsluttet."))
        before = snapshot(request)
        request.status = status
        request.outcome = outcome
        request.closed_at = timezone.now()
        request.closed_by = _user(actor)
        request.save(update_fields=["status", "outcome", "closed_at", "closed_by"])
        record_change(
            instance=request,
            action="request_closed",
            actor=actor,
            before=before,
            after=snapshot(request),
            people=[request.person],
        )
    return request


def warn_days() -> int:
    return settings.GDPR_REQUEST_WARN_DAYS


def attention_items(*, user, organisation: Organisation) -> list[AttentionItem]:
    """tenancy.hooks.attention_items: open requests past their deadline (danger) and due
    within GDPR_REQUEST_WARN_DAYS (warn). Two counts, one query each."""
    today = timezone.localdate()
    open_requests = SubjectRequest.objects.filter(
        organisation=organisation, status=RequestStatus.OPEN
    )
    overdue = open_requests.filter(deadline__lt=today).count()
    soon = open_requests.filter(
        deadline__gte=today, deadline__lte=today + timedelta(days=warn_days())
    ).count()
    url = reverse("gdpr:request_list") + "?status=open"
    items: list[AttentionItem] = []
    if overdue:
        items.append(
            {
                "title": ngettext(
                    "GDPR-anmodning har overskredet fristen",
                    "GDPR-anmodninger har overskredet fristen",
                    overdue,
                ),
                "url": url,
                "count": overdue,
                "level": "danger",
            }
        )
    if soon:
        items.append(
            {
                "title": ngettext(
                    "GDPR-anmodning skal besvares inden for %(days)d dage",
                    "GDPR-anmodninger skal besvares inden for %(days)d dage",
                    soon,
                )
                % {"days": warn_days()},
                "url": url,
                "count": soon,
                "level": "warn",
            }
        )
    return items
