"""GDPR reads, scoped to the organisation the user works in."""

from django.db.models import QuerySet

from tenancy.choices import Role
from tenancy.models import Organisation
from tenancy.selectors import role_for

from .models import CprReveal


def can_see_reveal_log(*, user, organisation: Organisation | None) -> bool:
    """Organisation administrators see everyone's CPR reveals in their organisation."""
    return organisation is not None and role_for(user=user, organisation=organisation) == (
        Role.ORG_ADMIN
    )


def cpr_reveal_list(*, user, organisation: Organisation | None) -> QuerySet[CprReveal]:
    """The organisation's CPR reveals for an administrator; the user's own otherwise."""
    if organisation is None:
        return CprReveal.objects.none()
    qs = CprReveal.objects.filter(organisation=organisation).select_related("user", "person")
    if not can_see_reveal_log(user=user, organisation=organisation):
        qs = qs.filter(user=user)
    return qs.order_by("-at", "-pk")


# --- data-subject requests, consents, objections, restriction (issue 15) ---------------------


def objecting_person_ids(purpose: str, *, organisation_id: int | None = None) -> set[int]:
    """The people with an active objection to `purpose` (ObjectionPurpose, e.g.
    "market_statistics"): an export for that purpose leaves them out. One query."""
    from .models import Objection

    qs = Objection.objects.filter(purpose=purpose, withdrawn_at__isnull=True)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return set(qs.values_list("person_id", flat=True))


def restricted_person_ids(*, organisation_id: int | None = None) -> set[int]:
    """The people whose processing is restricted now (one query)."""
    from .models import Restriction

    qs = Restriction.objects.filter(lifted_at__isnull=True)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return set(qs.values_list("person_id", flat=True))


def subject_request_list(*, organisation: Organisation | None):
    """The organisation's data-subject requests, soonest deadline first."""
    from .models import SubjectRequest

    if organisation is None:
        return SubjectRequest.objects.none()
    return (
        SubjectRequest.objects.filter(organisation=organisation)
        .select_related("person", "created_by", "closed_by")
        .order_by("status", "deadline", "pk")
    )


def consent_list(*, organisation: Organisation | None):
    """The organisation's consents and other recorded bases (gdpr's own), newest first."""
    from .models import Consent

    if organisation is None:
        return Consent.objects.none()
    return (
        Consent.objects.filter(organisation=organisation)
        .select_related("person", "given_by", "withdrawn_by")
        .order_by("-given_at", "-pk")
    )


def enquiry_list(*, organisation: Organisation | None):
    """The organisation's contact-form enquiries, newest first."""
    from .models import ContactEnquiry

    if organisation is None:
        return ContactEnquiry.objects.none()
    return (
        ContactEnquiry.objects.filter(organisation=organisation)
        .select_related("handled_by")
        .order_by("-created_at", "-pk")
    )


def person_register(*, person) -> dict:
    """What the GDPR panel shows for one person: consents (gdpr's and other apps' through
    core.consents), objections, restrictions and requests. A fixed number of queries."""
    from core import consents

    from .models import Consent, Objection, Restriction, SubjectRequest

    restrictions = list(
        Restriction.objects.filter(person=person).select_related("started_by", "lifted_by")
    )
    return {
        "consents": list(
            Consent.objects.filter(person=person).select_related("given_by", "withdrawn_by")
        ),
        "other_consents": consents.entries_for(
            organisation_id=person.organisation_id, person_ids=[person.pk]
        ),
        "objections": list(Objection.objects.filter(person=person).select_related("recorded_by")),
        "restrictions": restrictions,
        "restriction": next((r for r in restrictions if r.lifted_at is None), None),
        "requests": list(SubjectRequest.objects.filter(person=person).order_by("-received_on")),
    }
