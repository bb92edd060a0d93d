"""Correcting a wrong filing: the lease or unit is changed through the tenancy services
marked as a correction, so the outbox writes the filing and the UDK rules decide whether
UDK must be told (see services.udk)."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy import services as tenancy_services
from tenancy.models import Lease, Unit


def filing_correct(
    *,
    lease: Lease,
    actor=None,
    rent: Decimal | None = None,
    rent_effective_date: date | None = None,
    **terms,
) -> Lease:
    """Correct a wrong filing: change the lease through the tenancy services, marked as a
    correction. Corrected the same day as the wrong filing: nothing more; later: a UDK task
    naming before and after. A rent corrected back before 1 June 2014 always gives a task
    to e-mail UDK's housing support."""
    if rent is None and not terms:
        raise DomainError(_("Angiv hvad der skal rettes."))
    if rent is not None and rent_effective_date is None:
        raise DomainError(
            {"rent_effective_date": [_("Angiv hvilken dato rettelsen af huslejen gælder fra.")]}
        )
    with transaction.atomic():
        if terms:
            lease = tenancy_services.lease_update(
                lease=lease, actor=actor, correction=True, **terms
            )
        if rent is not None and rent_effective_date is not None:  # checked above
            lease = tenancy_services.lease_change_rent(
                lease=lease,
                rent=rent,
                effective_date=rent_effective_date,
                actor=actor,
                correction=True,
            )
    return lease


def unit_correct(*, unit: Unit, actor=None, **fields) -> Unit:
    """Correct wrong BBR data of a unit (see filing_correct for the UDK rule)."""
    return tenancy_services.unit_update(unit=unit, actor=actor, correction=True, **fields)
