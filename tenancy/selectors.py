"""Reads shared by screens, API and exports. Every selector is scoped to the organisations
the user is a member of (superusers too: they administer through Django admin)."""

from django.db.models import Count, QuerySet

from .choices import LeaseStatus, Role
from .models import (
    ChangeRecord,
    Department,
    Entrance,
    Lease,
    Membership,
    Organisation,
    Person,
    Property,
    Unit,
)


def organisation_ids_for(user) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "boligkontor_organisation_ids", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user).values_list("organisation_id", flat=True)
        )
        user.boligkontor_organisation_ids = cached  # per-request cache on the user
    return cached


def _scope(user, organisation: Organisation | None) -> list[int]:
    ids = organisation_ids_for(user)
    if organisation is not None:
        return [organisation.pk] if organisation.pk in ids else []
    return ids


def organisation_list(*, user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=organisation_ids_for(user))


def role_for(*, user, organisation: Organisation) -> str | None:
    return (
        Membership.objects.filter(user=user, organisation=organisation)
        .values_list("role", flat=True)
        .first()
    )


def can_reveal_cpr(*, user, organisation_id: int) -> bool:
    """Only the CPR-officer role sees full CPR numbers (docs/domain.md, personal data)."""
    return Membership.objects.filter(
        user=user, organisation_id=organisation_id, role=Role.CPR_OFFICER
    ).exists()


def department_list(*, user, organisation=None) -> QuerySet[Department]:
    return Department.objects.filter(organisation_id__in=_scope(user, organisation))


def property_list(*, user, organisation=None) -> QuerySet[Property]:
    return Property.objects.filter(organisation_id__in=_scope(user, organisation)).select_related(
        "organisation", "department"
    )


def entrance_list(*, user, organisation=None) -> QuerySet[Entrance]:
    return Entrance.objects.filter(organisation_id__in=_scope(user, organisation)).select_related(
        "building__property"
    )


def unit_list(*, user, organisation=None) -> QuerySet[Unit]:
    return Unit.objects.filter(organisation_id__in=_scope(user, organisation)).select_related(
        "entrance"
    )


def person_list(*, user, organisation=None) -> QuerySet[Person]:
    return Person.objects.filter(organisation_id__in=_scope(user, organisation))


def lease_list(*, user, organisation=None) -> QuerySet[Lease]:
    return (
        Lease.objects.filter(organisation_id__in=_scope(user, organisation))
        .select_related("unit__entrance")
        .prefetch_related("parties")
    )


def history_list(*, user, organisation=None) -> QuerySet[ChangeRecord]:
    return ChangeRecord.objects.filter(
        organisation_id__in=_scope(user, organisation)
    ).select_related("actor", "content_type")


def dashboard_counts(*, user, organisation=None) -> dict[str, int]:
    ids = _scope(user, organisation)
    # Grouped by status, so the (organisation, status) index answers it on a big portfolio.
    by_status = dict(
        Lease.objects.filter(organisation_id__in=ids)
        .order_by()
        .values_list("status")
        .annotate(n=Count("*"))
    )
    leases = {
        "active": by_status.get(LeaseStatus.ACTIVE, 0),
        "ended": by_status.get(LeaseStatus.ENDED, 0),
    }
    return {
        "properties": Property.objects.filter(organisation_id__in=ids).count(),
        "entrances": Entrance.objects.filter(organisation_id__in=ids).count(),
        "units": Unit.objects.filter(organisation_id__in=ids).count(),
        "people": Person.objects.filter(organisation_id__in=ids).count(),
        "active_leases": leases["active"],
        "ended_leases": leases["ended"],
    }
