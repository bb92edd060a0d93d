"""Rehousing. Temporary: the tenant keeps lease and rent, and the register is told a lower
rent while the temporary home costs less (0 kr. when an insurer pays a home outside the
organisation). Permanent: an ordinary move from one lease to a new one."""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy import services as tenancy_services
from tenancy.choices import LeaseStatus
from tenancy.models import Lease, Unit
from tenancy.terms import LEASE_TERMS

from ..models import FilingKind, Rehousing, RehousingKind, RehousingPlacement, RehousingStatus
from .filings import _lease_for_filing, _user, _write_filing

# A permanent rehousing carries every lease term from the old lease to the new one.
TERMS_CARRIED = LEASE_TERMS


def _money_or_error(value, field_name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError({field_name: [_("Angiv et beløb i kroner.")]}) from None
    if amount < 0 or not amount.is_finite():
        raise DomainError({field_name: [_("Beløbet må ikke være negativt.")]})
    return amount.quantize(Decimal("0.01"))


def _check_temporary_unit(*, lease: Lease, temporary_unit: Unit | None) -> None:
    if temporary_unit is None:
        return
    if temporary_unit.organisation_id != lease.organisation_id:
        raise DomainError(
            {"temporary_unit": [_("Den midlertidige bolig skal høre til organisationen.")]}
        )
    if temporary_unit.pk == lease.unit_id:
        raise DomainError(
            {"temporary_unit": [_("Den midlertidige bolig kan ikke være lejerens egen.")]}
        )


def _temporary_terms(
    *,
    lease: Lease,
    start_date: date,
    placement: str,
    temporary_unit: Unit | None,
    temporary_rent,
    end_date: date | None,
) -> tuple[Unit | None, Decimal | None, Decimal | None]:
    """Check a temporary rehousing and work out what to file: (temporary unit, temporary
    rent, rent to file). Inside the organisation the lower of the two rents is filed
    (None: the real rent, nothing to file); outside, 0 kr."""
    if lease.status != LeaseStatus.ACTIVE:
        raise DomainError(_("Kun et aktivt lejemål kan genhuses midlertidigt."))
    if placement not in RehousingPlacement.values:
        raise DomainError({"placement": [_("Vælg hvor lejeren genhuses.")]})
    if end_date and end_date < start_date:
        raise DomainError({"end_date": [_("Slutdatoen kan ikke ligge før startdatoen.")]})
    if placement != RehousingPlacement.INSIDE:
        return None, None, Decimal("0.00")
    if temporary_rent is None or temporary_rent == "":
        raise DomainError({"temporary_rent": [_("Angiv huslejen i den midlertidige bolig.")]})
    temporary_rent = _money_or_error(temporary_rent, "temporary_rent")
    _check_temporary_unit(lease=lease, temporary_unit=temporary_unit)
    filed_rent = temporary_rent if temporary_rent < lease.rent else None
    return temporary_unit, temporary_rent, filed_rent


def rehousing_start_temporary(
    *,
    lease: Lease,
    start_date: date,
    placement: str,
    temporary_unit: Unit | None = None,
    temporary_rent: Decimal | None = None,
    end_date: date | None = None,
    note: str = "",
    actor=None,
) -> Rehousing:
    """Temporary rehousing: the tenant keeps the lease and rent. Lower rent in the
    temporary home → file the lower rent; higher → file nothing; outside the organisation
    paid by an insurer → file 0 kr."""
    temporary_unit, temporary_rent, filed_rent = _temporary_terms(
        lease=lease,
        start_date=start_date,
        placement=placement,
        temporary_unit=temporary_unit,
        temporary_rent=temporary_rent,
        end_date=end_date,
    )
    with transaction.atomic():
        Lease.objects.select_for_update().filter(pk=lease.pk).first()
        if Rehousing.objects.filter(
            lease=lease, kind=RehousingKind.TEMPORARY, status=RehousingStatus.ACTIVE
        ).exists():
            raise DomainError(_("Lejemålet har allerede en igangværende midlertidig genhusning."))
        rehousing = Rehousing.objects.create(
            organisation_id=lease.organisation_id,
            lease=lease,
            kind=RehousingKind.TEMPORARY,
            placement=placement,
            temporary_unit=temporary_unit,
            temporary_rent=temporary_rent,
            filed_rent=filed_rent,
            start_date=start_date,
            end_date=end_date,
            note=note,
            created_by=_user(actor),
        )
        if filed_rent is not None:
            _write_filing(
                lease=_lease_for_filing(lease),
                kind=FilingKind.REHOUSING,
                effective_date=start_date,
                actor=actor,
            )
    return rehousing


def rehousing_end(*, rehousing: Rehousing, end_date: date, actor=None) -> Rehousing:
    """The tenant is back home: if a changed rent was filed, file the real rent again."""
    with transaction.atomic():
        rehousing = Rehousing.objects.select_for_update().get(pk=rehousing.pk)
        if rehousing.kind != RehousingKind.TEMPORARY or rehousing.status != RehousingStatus.ACTIVE:
            raise DomainError(_("Kun en igangværende midlertidig genhusning kan afsluttes."))
        if end_date < rehousing.start_date:
            raise DomainError({"end_date": [_("Slutdatoen kan ikke ligge før startdatoen.")]})
        had_filed_rent = rehousing.filed_rent is not None
        rehousing.status = RehousingStatus.ENDED
        rehousing.end_date = end_date
        rehousing.save(update_fields=["status", "end_date"])
        lease = _lease_for_filing(rehousing.lease)
        if had_filed_rent and lease.status == LeaseStatus.ACTIVE:
            _write_filing(
                lease=lease,
                kind=FilingKind.REHOUSING_END,
                effective_date=end_date + timedelta(days=1),
                actor=actor,
            )
    return rehousing


def _check_permanent(*, lease: Lease, new_unit: Unit, move_date: date) -> None:
    if lease.status != LeaseStatus.ACTIVE:
        raise DomainError(_("Kun et aktivt lejemål kan genhuses."))
    if new_unit.pk == lease.unit_id:
        raise DomainError({"new_unit": [_("Vælg en anden bolig end den nuværende.")]})
    if move_date <= lease.start_date:
        raise DomainError({"move_date": [_("Flyttedatoen skal ligge efter lejemålets start.")]})


def rehousing_permanent(
    *,
    lease: Lease,
    new_unit: Unit,
    move_date: date,
    rent: Decimal,
    actor=None,
    note: str = "",
    **terms,
) -> Rehousing:
    """Permanent rehousing is an ordinary move: the old lease ends the day before the move
    and a new lease starts on the new unit for the same tenants (both filed as usual; the
    tenant re-registers in CPR and applies for housing benefit anew)."""
    _check_permanent(lease=lease, new_unit=new_unit, move_date=move_date)
    rent = _money_or_error(rent, "rent")
    carried = {name: getattr(lease, name) for name in TERMS_CARRIED}
    carried.update(terms)
    with transaction.atomic():
        parties = list(lease.parties.all())
        old = tenancy_services.lease_end(
            lease=lease,
            end_date=move_date - timedelta(days=1),
            reason=str(_("Permanent genhusning")),
            actor=actor,
        )
        new = tenancy_services.lease_create(
            unit=new_unit,
            parties=parties,
            start_date=move_date,
            rent=rent,
            actor=actor,
            **carried,
        )
        return Rehousing.objects.create(
            organisation_id=old.organisation_id,
            lease=old,
            kind=RehousingKind.PERMANENT,
            new_lease=new,
            start_date=move_date,
            status=RehousingStatus.ENDED,
            note=note,
            created_by=_user(actor),
        )
