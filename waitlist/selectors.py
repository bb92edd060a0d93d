"""Reads for the waiting-list screens, API and exports.

The one scoping rule: a user sees the applicants of the cooperations that one of the
user's organisations is a member of (tenancy.selectors.organisation_ids_for). Everything
below the cooperation (applications, invoices, payments, messages) is reached through the
applicant, so the same rule scopes it. Another cooperation's applicant is simply not found.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractYear

from core.cpr import normalise_cpr
from core.crypto import search_hash
from tenancy.models import Unit, normalise_search
from tenancy.selectors import organisation_ids_for

from .models import (
    Applicant,
    ApplicantEvent,
    Application,
    Cooperation,
    CooperationMember,
    Invoice,
    Message,
    Payment,
    WebhookEvent,
)


def cooperation_ids_for(user) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "boligkontor_cooperation_ids", None)
    if cached is None:
        cached = list(
            Cooperation.objects.filter(members__organisation_id__in=organisation_ids_for(user))
            .distinct()
            .values_list("pk", flat=True)
        )
        user.boligkontor_cooperation_ids = cached  # per-request cache on the user
    return cached


def cooperation_list(*, user) -> QuerySet[Cooperation]:
    return Cooperation.objects.filter(pk__in=cooperation_ids_for(user))


def applicant_scope(*, user) -> QuerySet[Applicant]:
    return Applicant.objects.filter(cooperation_id__in=cooperation_ids_for(user))


def applicant_get(*, user, pk: int) -> Applicant:
    """The applicant, or Applicant.DoesNotExist when outside the user's cooperations."""
    return applicant_scope(user=user).select_related("cooperation", "user").get(pk=pk)


def _search(qs: QuerySet[Applicant], q: str) -> QuerySet[Applicant]:
    q = q.replace("\x00", "").strip()  # (a NUL cannot go into a PostgreSQL query)
    digits = normalise_cpr(q) if any(ch.isdigit() for ch in q) else ""
    if len(digits) == 10 and digits.isascii() and digits.isdigit():
        return qs.filter(cpr_hash=search_hash(digits))
    compact = q.replace(" ", "")
    # an applicant number, or a phone number (in search_text); ASCII digits only: "²" and
    # other Unicode digits are isdigit() but not int()
    if compact.isascii() and compact.isdigit():
        if len(compact) < 8:
            return qs.filter(pk=int(compact))
        return qs.filter(search_text__contains=compact)
    if "@" in q:
        return qs.filter(email__iexact=q)
    words = normalise_search(q).split()
    for word in words[:5]:
        qs = qs.filter(search_text__contains=word)
    return qs


def applicant_list(
    *,
    user,
    q: str = "",
    status: str = "",
    list_type: str = "",
    channel: str = "",
    cooperation: int | None = None,
) -> QuerySet[Applicant]:
    """The filtered applicant list (browser, API and Excel use the same filters)."""
    qs = applicant_scope(user=user)
    if cooperation:
        qs = qs.filter(cooperation_id=cooperation)
    if channel:
        qs = qs.filter(channel=channel)
    if status or list_type:
        apps = Application.objects.all()
        if status:
            apps = apps.filter(status=status)
        if list_type:
            apps = apps.filter(list_type=list_type)
        qs = qs.filter(pk__in=apps.values("applicant_id"))
    if q:
        qs = _search(qs, q)
    return qs.order_by("name", "pk")


def _sees_every_cooperation(user) -> bool:
    """True when the user's cooperations are all there are (the usual installation: one
    joint list). Cached per request on the user, like cooperation_ids_for."""
    cached = getattr(user, "boligkontor_sees_every_cooperation", None)
    if cached is None:
        coop_ids = cooperation_ids_for(user)
        cached = bool(coop_ids) and set(coop_ids) >= set(
            Cooperation.objects.values_list("pk", flat=True)
        )
        if getattr(user, "is_authenticated", False):
            user.boligkontor_sees_every_cooperation = cached
    return cached


def _in_scope(qs: QuerySet, user, applicant_path: str) -> QuerySet:
    """The scoping rule for rows below the applicant: their applicant's cooperation. When
    the user sees every cooperation the condition is always true and is left out, so the
    counts over 500,000 rows need no join with the applicants."""
    if _sees_every_cooperation(user):
        return qs
    return qs.filter(**{f"{applicant_path}__cooperation_id__in": cooperation_ids_for(user)})


def application_scope(*, user) -> QuerySet[Application]:
    """The applications of the user's cooperations."""
    return _in_scope(Application.objects.all(), user, "applicant")


def seniority_years(*, user, list_type: str = "family") -> list[tuple[int, int]]:
    """(year, applications) of the seniority dates of those on the list (active or
    reminded), oldest year first: the overview's chart."""
    rows = (
        application_scope(user=user)
        .filter(
            list_type=list_type, status__in=["active", "reminded"], seniority_date__isnull=False
        )
        .annotate(year=ExtractYear("seniority_date"))
        .order_by("year")
        .values_list("year")
        .annotate(n=Count("pk"))
    )
    return [(int(year), n) for year, n in rows]


def application_list(*, user, list_type: str = "", status: str = "") -> QuerySet[Application]:
    qs = application_scope(user=user).select_related("applicant")
    if list_type:
        qs = qs.filter(list_type=list_type)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("list_type", "seniority_date", "pk")


def invoice_list(*, user, status: str = "", kind: str = "") -> QuerySet[Invoice]:
    qs = _in_scope(Invoice.objects.all(), user, "applicant").select_related(
        "applicant", "application"
    )
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-pk")


def payment_list(*, user, method: str = "") -> QuerySet[Payment]:
    qs = _in_scope(Payment.objects.all(), user, "applicant").select_related("applicant", "invoice")
    if method:
        qs = qs.filter(method=method)
    return qs.order_by("-paid_on", "-pk")


def reminders_due(*, user, today: date) -> QuerySet[Invoice]:
    """Reminded renewal invoices, soonest deadline first (deleted after the deadline)."""
    return invoice_list(user=user, status=Invoice.Status.REMINDED).order_by(
        "reminder_deadline", "pk"
    )


def student_reminders(*, user) -> QuerySet[Application]:
    return application_list(user=user, status=Application.Status.REMINDED).filter(
        list_type="student"
    )


def deletion_list(*, user) -> QuerySet[Application]:
    return (
        application_list(user=user)
        .filter(status__in=[Application.Status.DELETED, Application.Status.LEFT])
        .order_by("-ended_at", "-pk")
    )


def message_list(*, user, applicant: Applicant | None = None) -> QuerySet[Message]:
    qs = _in_scope(Message.objects.all(), user, "applicant")
    if applicant is not None:
        qs = qs.filter(applicant=applicant)
    return qs.select_related("applicant").order_by("-created_at", "-pk")


def applicant_history(*, applicant: Applicant) -> QuerySet[ApplicantEvent]:
    return applicant.events.select_related("actor", "application").order_by("-at", "-pk")


def webhook_event_list(*, user) -> QuerySet[WebhookEvent]:
    """Webhook events are not per applicant; only members of some cooperation see them."""
    if not cooperation_ids_for(user):
        return WebhookEvent.objects.none()
    return WebhookEvent.objects.order_by("-received_at", "-pk")


def applicant_for_user(user) -> Applicant | None:
    """The self-service applicant behind a login (None for staff and anonymous)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Applicant.objects.filter(user=user, deleted_at__isnull=True).first()


def offerable_units(*, user) -> QuerySet[Unit]:
    """Units of the cooperation's member organisations that may be offered from the joint
    list: never those the municipality allocates (elderly and disability housing), nor
    units marked as let outside the list. A unit without a listing row is let through it."""
    org_ids = CooperationMember.objects.filter(cooperation_id__in=cooperation_ids_for(user)).values(
        "organisation_id"
    )
    return (
        Unit.objects.filter(organisation_id__in=org_ids)
        .exclude(listing__municipality_allocated=True)
        .exclude(listing__let_through_joint_list=False)
    )
