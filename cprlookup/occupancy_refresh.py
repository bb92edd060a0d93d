"""Keeping the 392-style status in step with our own data between CPR lookups
(docs/domain.md, "Occupancy reconciliation"): a lease created, ended or reinstated, a change
of BBR field 322, or the owner's own record of owner use recomputes the status of the unit
from the registrations CPR last reported. Registered on tenancy.hooks.lease_changed and
unit_changed in `CprlookupConfig.ready()`; runs inside the change's transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy.hooks import LeaseChange, UnitChange
from tenancy.models import Unit
from tenancy.selectors import organisation_ids_for, role_for

from .models import OwnerUse, UnitOccupancy
from .occupancy import derive_status, leased_and_owner_used

OWNER_ROLES = ("org_admin", "cpr_officer")


def occupancy_refresh(*, unit_ids) -> int:
    """Recompute the status of these units (those looked up at least once: a unit CPR never
    answered for has no status) from the stored registration count and today's leases and
    owner data. Returns how many statuses changed."""
    unit_ids = list(unit_ids)
    rows = list(UnitOccupancy.objects.filter(unit_id__in=unit_ids).select_related("unit"))
    if not rows:
        return 0
    leased, owner = leased_and_owner_used([r.unit_id for r in rows])
    now = timezone.now()
    changed = 0
    for row in rows:
        status = derive_status(
            unit=row.unit,
            registered_now=row.registered_count,
            leased=row.unit_id in leased,
            owner_used=row.unit_id in owner,
        )
        if status != row.status:
            changed += 1
        UnitOccupancy.objects.filter(pk=row.pk).update(status=status, computed_at=now)
    return changed


def lease_changed(change: LeaseChange) -> None:
    """tenancy.hooks.lease_changed: the unit's lease decides "let"."""
    occupancy_refresh(unit_ids=[change.lease.unit_id])


def unit_changed(change: UnitChange) -> None:
    """tenancy.hooks.unit_changed: field 322 (letting code) may say "used by the owner"."""
    occupancy_refresh(unit_ids=[change.unit.pk])


def _check_owner_role(user, unit: Unit) -> None:
    if unit.organisation_id not in organisation_ids_for(user):
        raise PermissionDenied(_("Du er ikke medlem af organisationen."))
    if role_for(user=user, organisation=unit.organisation) not in OWNER_ROLES:
        raise PermissionDenied(
            _(
                "Kun en organisationsadministrator eller CPR-ansvarlig kan registrere ejerbenyttelse."
            )
        )


def owner_use_set(*, user, unit: Unit, note: str) -> OwnerUse:
    """Record that the owner uses the unit (the owner's data behind status 2)."""
    _check_owner_role(user, unit)
    note = (note or "").strip()
    if not note:
        raise DomainError({"note": [_("Skriv hvad ejeren bruger enheden til.")]})
    with transaction.atomic():
        use, _created = OwnerUse.objects.update_or_create(
            unit=unit,
            defaults={
                "organisation_id": unit.organisation_id,
                "note": note[:200],
                "recorded_by": user,
            },
        )
        occupancy_refresh(unit_ids=[unit.pk])
    return use


def owner_use_clear(*, user, unit: Unit) -> None:
    """The owner no longer uses the unit."""
    _check_owner_role(user, unit)
    with transaction.atomic():
        OwnerUse.objects.filter(unit=unit).delete()
        occupancy_refresh(unit_ids=[unit.pk])
