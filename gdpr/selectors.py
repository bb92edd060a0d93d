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
