"""Reads for the rent-register screens, API and exports, scoped to the user's organisations;
the housing-benefit refund calculation and payout-list CPR form."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.consents import ConsentEntry
from core.formatting import user_name
from tenancy.hooks import AttentionItem
from tenancy.models import Lease, Organisation, Person, normalise_search
from tenancy.selectors import organisation_ids_for

from .models import (
    OPEN_STATES,
    Filing,
    FilingConsent,
    FilingState,
    NotificationContact,
    PayoutDeadline,
    Rehousing,
    UdkTask,
    UdkTaskStatus,
)


def _scope(user, organisation: Organisation | None) -> list[int]:
    ids = organisation_ids_for(user)
    if organisation is not None:
        return [organisation.pk] if organisation.pk in ids else []
    return ids


def filing_list(
    *, user, organisation=None, state: str | None = None, query: str = ""
) -> QuerySet[Filing]:
    """Filings in scope; `query` finds a lease number (prefix) or the unit's address (prefix,
    as the unit list: 'Strandvejen 12' finds the stairwell)."""
    qs = Filing.objects.filter(organisation_id__in=_scope(user, organisation)).select_related(
        "lease__unit__entrance"
    )
    if state:
        qs = qs.filter(state=state)
    query = query.strip()[:100]
    if query:
        if all(c.isdigit() or c == "-" for c in query):
            qs = qs.filter(lease__number__startswith=query)
        else:
            text = normalise_search(query)
            if any(c.isdigit() for c in text):  # a whole house number, as on the unit list
                qs = qs.filter(
                    Q(lease__unit__search_text=text)
                    | Q(lease__unit__search_text__startswith=text + " ")
                )
            else:  # a street name alone, by prefix
                qs = qs.filter(lease__unit__search_text__startswith=text)
    return qs.defer("payload")


def filing_get(*, user, pk: int, organisation: Organisation | None = None) -> Filing:
    """One filing in the user's organisations, or only in `organisation` when given (the
    browser passes the organisation the user works in: docs/architecture.md, "Scope");
    Filing.DoesNotExist otherwise."""
    return Filing.objects.select_related("lease__unit__entrance", "actor", "resolved_by").get(
        pk=pk, organisation_id__in=_scope(user, organisation)
    )


def filing_state_counts(*, user, organisation=None) -> dict[str, int]:
    rows = (
        Filing.objects.filter(organisation_id__in=_scope(user, organisation))
        .values("state")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(FilingState.values, 0)
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def udk_task_list(*, user, organisation=None, status: str | None = None) -> QuerySet[UdkTask]:
    qs = UdkTask.objects.filter(organisation_id__in=_scope(user, organisation)).select_related(
        "lease", "done_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs


def udk_task_get(*, user, pk: int, organisation: Organisation | None = None) -> UdkTask:
    return UdkTask.objects.select_related("lease__unit__entrance", "done_by", "filing").get(
        pk=pk, organisation_id__in=_scope(user, organisation)
    )


def rehousing_list(*, user, organisation=None) -> QuerySet[Rehousing]:
    return Rehousing.objects.filter(organisation_id__in=_scope(user, organisation)).select_related(
        "lease__unit__entrance", "new_lease", "temporary_unit__entrance"
    )


def contact_list(*, user, organisation=None) -> QuerySet[NotificationContact]:
    return NotificationContact.objects.filter(organisation_id__in=_scope(user, organisation))


def consent_history(*, person: Person) -> QuerySet[FilingConsent]:
    """The person's consents to file their CPR number, newest first (the caller has
    already scoped the person to the user's organisation)."""
    return FilingConsent.objects.filter(person=person).select_related("recorded_by")


def consent_entries(*, organisation_id: int, person_ids=None) -> list[ConsentEntry]:
    """The filing consents in gdpr's consent register (a core.consents source): one query
    for the organisation or the given people."""
    qs = FilingConsent.objects.filter(organisation_id=organisation_id).select_related("recorded_by")
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    return [
        ConsentEntry(
            person_id=consent.person_id,
            purpose="rent_register_cpr",
            purpose_label=_("Indberetning af CPR-nummer til huslejeregistret"),
            given_at=consent.given_at,
            withdrawn_at=consent.withdrawn_at,
            recorded_by=user_name(consent.recorded_by),
            evidence=consent.note,
            source=_("Huslejeregister"),
        )
        for consent in qs.order_by("-given_at", "-pk")
    ]


def lease_for_user(*, user, number: str, organisation: Organisation | None = None) -> Lease | None:
    return (
        Lease.objects.filter(number=number.strip(), organisation_id__in=_scope(user, organisation))
        .select_related("unit__entrance", "organisation")
        .first()
    )


# --- operating plan ---------------------------------------------------------------------


def next_deadline(*, today: date | None = None) -> PayoutDeadline | None:
    """The next cut-off in the operating plan (today counts: filing today is in time)."""
    today = today or timezone.localdate()
    return PayoutDeadline.objects.filter(cutoff_date__gte=today).order_by("cutoff_date").first()


def filings_missing_payout(
    *, user, organisation=None, deadline: PayoutDeadline | None, today: date | None = None
) -> QuerySet[Filing]:
    """Open filings that will miss the payout of `deadline`: rejected or needing attention
    (they are not sent until a caseworker acts), pending with their next attempt after the
    cut-off, and — close to the cut-off — any filing not yet accepted."""
    qs = Filing.objects.filter(
        organisation_id__in=_scope(user, organisation), state__in=OPEN_STATES
    )
    if deadline is None:
        return qs.none()
    today = today or timezone.localdate()
    cutoff_end = timezone.make_aware(datetime.combine(deadline.cutoff_date, time.max))
    if (deadline.cutoff_date - today).days <= settings.RENT_DEADLINE_WARN_DAYS:
        return qs
    return qs.filter(
        Q(state__in=[FilingState.REJECTED, FilingState.NEEDS_ATTENTION])
        | Q(state=FilingState.PENDING, next_attempt_at__gt=cutoff_end)
    )


def attention_items(*, user, organisation) -> list[AttentionItem]:
    """Dashboard warnings: filings that need a caseworker, open UDK tasks, and changes that
    will miss the next housing-benefit payout."""
    items: list[AttentionItem] = []
    if organisation is None:
        return items
    counts = filing_state_counts(user=user, organisation=organisation)
    index = reverse("rentregister:filing_list")
    for state, level in (
        (FilingState.REJECTED, "danger"),
        (FilingState.NEEDS_ATTENTION, "danger"),
    ):
        if counts[state]:
            items.append(
                {
                    "title": _("Indberetninger til huslejeregistret: %s")
                    % FilingState(state).label,
                    "url": f"{index}?state={state}",
                    "count": counts[state],
                    "level": level,
                }
            )
    open_tasks = udk_task_list(user=user, organisation=organisation, status=UdkTaskStatus.OPEN)
    n_tasks = open_tasks.count()
    if n_tasks:
        items.append(
            {
                "title": _("Åbne opgaver: giv Udbetaling Danmark besked"),
                "url": reverse("rentregister:task_list"),
                "count": n_tasks,
                "level": "warn",
            }
        )
    deadline = next_deadline()
    if deadline is not None:
        at_risk = filings_missing_payout(user=user, organisation=organisation, deadline=deadline)
        n_risk = at_risk.count()
        if n_risk:
            items.append(
                {
                    "title": _("Ændringer, der ikke når udbetalingen %(payout)s (frist %(cutoff)s)")
                    % {
                        "payout": f"{deadline.payout_date:%d.%m.%Y}",
                        "cutoff": f"{deadline.cutoff_date:%d.%m.%Y}",
                    },
                    "url": reverse("rentregister:index"),
                    "count": n_risk,
                    "level": "warn",
                }
            )
    return items


# --- housing-benefit refunds and payout lists -------------------------------------------


def payout_cpr(person: Person) -> str:
    """The CPR number as on UDK's payout lists since 1 Feb 2015: last four digits 0000."""
    if not person.cpr_masked:
        return ""
    return f"{person.cpr_masked[:6]}-0000"


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class RefundLine:
    """One month of housing benefit to pay back to UDK."""

    lease_number: str
    address: str
    tenant_names: str
    cpr_numbers: str
    month: date
    amount: Decimal


def refund_months(*, liable_until: date, paid_from: date, paid_to: date) -> list[date]:
    """Months (first days) UDK paid for in which the tenant was not liable for rent at all.
    Only whole months: a month in which the tenant was liable for any day — e.g. the first
    half — is kept by the organisation."""
    first_refundable = _next_month(liable_until)
    month = max(_month_start(paid_from), first_refundable)
    last = _month_start(paid_to)
    months = []
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def refund_lines(
    *, lease: Lease, liable_until: date, paid_from: date, paid_to: date, monthly_amount: Decimal
) -> list[RefundLine]:
    """The refund statement lines for one lease. Names as they may leave the organisation
    (protected persons never by name) and CPR numbers in payout form (DDMMYY-0000)."""
    parties = list(lease.parties.all())
    names = ", ".join(p.public_name for p in parties)
    cprs = ", ".join(c for c in (payout_cpr(p) for p in parties) if c)
    address = lease.unit.address
    return [
        RefundLine(
            lease_number=lease.number,
            address=address,
            tenant_names=names,
            cpr_numbers=cprs,
            month=month,
            amount=monthly_amount,
        )
        for month in refund_months(liable_until=liable_until, paid_from=paid_from, paid_to=paid_to)
    ]
