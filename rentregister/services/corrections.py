"""Correcting a wrong filing: the lease or unit is changed through the tenancy services
marked as a correction, so the outbox writes the filing and the UDK rules decide whether
UDK must be told (see services.udk)."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy import services as tenancy_services
from tenancy.models import Lease, Unit


def filing_correct(
    *,
    lease: Lease,
    actor=None,
    reason: str = "",
    rent: Decimal | None = None,
    rent_effective_date: date | None = None,
    confirm_large_drop: bool = False,
    **terms,
) -> Lease:
    """Correct a wrong filing: change the lease through the tenancy services, marked as a
    correction with the caseworker's reason. Corrected the same day as the wrong filing:
    nothing more; later: a UDK task naming before and after. A rent corrected back to a
    date replaces that period only; before 1 June 2014 it always gives a task to e-mail
    UDK's housing support."""
    reason = (reason or "").strip() or _("Rettelse af fejlindberetning")
    if rent is not None and rent_effective_date is None:
        raise DomainError(
            {"rent_effective_date": [_("Angiv hvilken dato rettelsen af huslejen gælder fra.")]}
        )
    return tenancy_services.lease_correct(
        lease=lease,
        actor=actor,
        reason=reason,
        rent=rent,
        rent_effective_date=rent_effective_date,
        confirm_large_drop=confirm_large_drop,
        **terms,
    )


def unit_correct(*, unit: Unit, actor=None, reason: str = "", **fields) -> Unit:
    """Correct wrong BBR data of a unit (see filing_correct for the UDK rule)."""
    return tenancy_services.unit_update(
        unit=unit, actor=actor, correction=True, reason=reason, **fields
    )
