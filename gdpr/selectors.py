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
