"""Reads for the waiting-list screens, API and exports.

The one scoping rule: a user sees the applicants of the cooperations that one of the
user's organisations is a member of (tenancy.selectors.organisation_ids_for). Everything
below the cooperation (applications, invoices, payments, messages) is reached through the
applicant, so the same rule scopes it. Another cooperation's applicant is simply not found.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

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
    q = q.strip()
    digits = normalise_cpr(q) if any(ch.isdigit() for ch in q) else ""
    if len(digits) == 10 and digits.isdigit():
        return qs.filter(cpr_hash=search_hash(digits))
    compact = q.replace(" ", "")
    if compact.isdigit():  # an applicant number, or a phone number (in search_text)
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


def application_list(*, user, list_type: str = "", status: str = "") -> QuerySet[Application]:
    qs = Application.objects.filter(
        applicant__cooperation_id__in=cooperation_ids_for(user)
    ).select_related("applicant")
    if list_type:
        qs = qs.filter(list_type=list_type)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("list_type", "seniority_date", "pk")


def invoice_list(*, user, status: str = "", kind: str = "") -> QuerySet[Invoice]:
    qs = Invoice.objects.filter(
        applicant__cooperation_id__in=cooperation_ids_for(user)
    ).select_related("applicant", "application")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-pk")


def payment_list(*, user, method: str = "") -> QuerySet[Payment]:
    qs = Payment.objects.filter(
        applicant__cooperation_id__in=cooperation_ids_for(user)
    ).select_related("applicant", "invoice")
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
    qs = Message.objects.filter(applicant__cooperation_id__in=cooperation_ids_for(user))
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
