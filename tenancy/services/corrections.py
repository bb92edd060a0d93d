"""Correcting wrong data filed earlier, as one caseworker action (docs/domain.md,
"Corrections"): the changed terms and/or the rent of a period, each marked as a correction
with the caseworker's reason. The lease_changed hook carries the flag and the reason to
the rent register, whose rules decide what UDK must be told (same day: nothing; a later
day: a task; a rent corrected back before 1 June 2014: the e-mail task)."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError

from ..models import Lease
from .leases import lease_update
from .rent import correction_reason, lease_change_rent


def lease_correct(
    *,
    lease: Lease,
    reason: str,
    actor=None,
    rent: Decimal | None = None,
    rent_effective_date: date | None = None,
    confirm_large_drop: bool = False,
    **terms,
) -> Lease:
    """Correct a lease: `terms` (tenancy.terms) that were filed wrong (special payments: in
    the period in force today), and/or the rent of the period from `rent_effective_date`.
    Only what differs from the lease is changed; all of it in one transaction, or nothing."""
    reason = correction_reason(reason, required=True)
    terms = {k: v for k, v in terms.items() if getattr(lease, k, object()) != v}
    if rent is not None and rent_effective_date is None:
        raise DomainError(
            {"rent_effective_date": [_("Angiv hvilken dato rettelsen af huslejen gælder fra.")]}
        )
    if rent is None and not terms:
        raise DomainError(_("Angiv hvad der skal rettes: vilkår eller husleje fra en dato."))
    with transaction.atomic():
        if terms:
            lease = lease_update(lease=lease, actor=actor, correction=True, reason=reason, **terms)
        if rent is not None and rent_effective_date is not None:  # checked above
            lease = lease_change_rent(
                lease=lease,
                rent=rent,
                effective_date=rent_effective_date,
                actor=actor,
                correction=True,
                reason=reason,
                confirm_large_drop=confirm_large_drop,
            )
    return lease
