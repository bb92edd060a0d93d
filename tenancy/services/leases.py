"""Leases: create, change the terms, end, reinstate, change the rent. Each change calls
tenancy.hooks.lease_changed inside its transaction (the rent register files it)."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from .. import hooks
from ..choices import LeaseStatus
from ..errors import TenantChangeError
from ..history import record_change, snapshot
from ..models import Lease, Person, Unit
from ..terms import LEASE_TERMS
from .common import full_clean
from .rent import (
    correction_reason,
    first_period_create,
    lease_change_rent,
    lease_status_on,
    special_payments_apply,
)

__all__ = [
    "FAR_FUTURE",
    "lease_change_rent",
    "lease_create",
    "lease_end",
    "lease_reinstate",
    "lease_update",
]

FAR_FUTURE = date(9999, 12, 31)


def _overlapping(*, unit: Unit, start: date, end: date | None, exclude_pk=None):
    qs = Lease.objects.filter(unit=unit, start_date__lte=end or FAR_FUTURE).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("start_date").first()


def _overlap_error(other: Lease) -> DomainError:
    if other.end_date:
        period = _("%(start)s–%(end)s") % {
            "start": f"{other.start_date:%d.%m.%Y}",
            "end": f"{other.end_date:%d.%m.%Y}",
        }
    else:
        period = _("fra %(start)s uden slutdato") % {"start": f"{other.start_date:%d.%m.%Y}"}
    return DomainError(
        {
            "start_date": [
                _(
                    "Enheden har allerede lejemål %(number)s i perioden %(period)s. Afslut det først; "
                    "to lejemål på samme enhed må ikke overlappe."
                )
                % {"number": other.number, "period": period}
            ]
        }
    )


def _save_checked(lease: Lease, **kwargs) -> None:
    """Save; the database constraint against overlaps backs up the service check when two
    caseworkers act at the same moment."""
    try:
        with transaction.atomic():
            lease.save(**kwargs)
    except IntegrityError as exc:
        other = _overlapping(
            unit=lease.unit, start=lease.start_date, end=lease.end_date, exclude_pk=lease.pk
        )
        if other:
            raise _overlap_error(other) from exc
        raise


def _next_lease_number(unit: Unit) -> str:
    count = Lease.objects.filter(unit=unit).count()
    return f"{unit.pk:07d}-{count + 1:02d}"


def lease_create(
    *,
    unit: Unit,
    parties: Iterable[Person],
    start_date: date,
    rent: Decimal,
    actor=None,
    **terms,
) -> Lease:
    """Create a lease on a unit for one or more people of the same organisation."""
    parties = list(parties)
    unknown = set(terms).difference(LEASE_TERMS)
    if unknown:
        raise DomainError(_("Ukendte lejemålsfelter: %s") % ", ".join(sorted(unknown)))
    if not parties:
        raise DomainError({"parties": [_("Et lejemål skal have mindst én lejer.")]})
    if any(p.organisation_id != unit.organisation_id for p in parties):
        raise DomainError({"parties": [_("Lejerne skal høre til samme organisation som enheden.")]})
    lease = Lease(
        unit=unit,
        organisation_id=unit.organisation_id,
        start_date=start_date,
        rent=rent,
        status=lease_status_on(start_date=start_date, end_date=None, day=timezone.localdate()),
        **terms,
    )
    lease.number = "pending"
    full_clean(lease, exclude=["number"])
    with transaction.atomic():
        # Lock the unit so two simultaneous creations cannot both pass the overlap check.
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        other = _overlapping(unit=unit, start=start_date, end=None)
        if other:
            raise _overlap_error(other)
        lease.number = _next_lease_number(unit)
        _save_checked(lease)
        lease.parties.set(parties)
        first_period_create(lease=lease, actor=actor)
        record = record_change(
            instance=lease,
            action="create",
            actor=actor,
            before=None,
            after=snapshot(lease),
            people=parties,
        )
        hooks.lease_changed.call(hooks.LeaseChange(record=record, lease=lease))
    return lease


def lease_update(
    *, lease: Lease, actor=None, correction: bool = False, reason: str = "", **fields
) -> Lease:
    """Change the terms of a lease (tenancy.terms). The tenant (parties) and start date are
    not terms: a tenant change is always end + new lease, so housing benefit follows the
    right person (docs/domain.md, rent register). `correction` (with a `reason`): the
    change corrects wrong data filed earlier (docs/domain.md, "Corrections")."""
    reason = correction_reason(reason, required=correction)
    if "parties" in fields:
        new = {p.pk for p in fields.pop("parties")}
        if new != set(lease.parties.values_list("pk", flat=True)):
            raise TenantChangeError(
                {
                    "parties": [
                        _(
                            "Lejeren på et eksisterende lejemål kan ikke ændres. Et lejerskifte er altid: "
                            "afslut det gamle lejemål og opret et nyt. Ellers går boligstøtten til den "
                            "forkerte person."
                        )
                    ]
                }
            )
    if "start_date" in fields and fields.pop("start_date") != lease.start_date:
        raise TenantChangeError(
            {
                "start_date": [
                    _(
                        "Startdatoen på et eksisterende lejemål kan ikke ændres. Er det en ny lejer, "
                        "så afslut lejemålet og opret et nyt lejemål med den nye startdato."
                    )
                ]
            }
        )
    if "rent" in fields:
        raise DomainError({"rent": [_("Brug 'Ændr husleje' til at ændre huslejen.")]})
    unknown = set(fields).difference(LEASE_TERMS)
    if unknown:
        raise DomainError(_("Disse felter kan ikke ændres her: %s") % ", ".join(sorted(unknown)))
    if lease.status == LeaseStatus.ENDED:
        raise DomainError(_("Et ophørt lejemål kan ikke ændres. Genoptag det først."))
    before = snapshot(lease)
    special_before = lease.special_payments
    for key, value in fields.items():
        setattr(lease, key, value)
    full_clean(lease)
    if correction and snapshot(lease) == before:
        raise DomainError(_("Rettelsen ændrer ingenting: angiv de rigtige oplysninger."))
    with transaction.atomic():
        lease.save()
        if lease.special_payments != special_before:  # a money term: kept by period
            special_payments_apply(
                lease=lease, value=lease.special_payments, correction=correction, actor=actor
            )
        record = record_change(
            instance=lease,
            action="update",
            actor=actor,
            before=before,
            after=snapshot(lease),
            people=lease.parties.all(),
            correction=correction,
            reason=reason,
        )
        hooks.lease_changed.call(
            hooks.LeaseChange(record=record, lease=lease, correction=correction, reason=reason)
        )
    return lease


def lease_end(*, lease: Lease, end_date: date, reason: str = "", actor=None) -> Lease:
    """End a lease on a date (the last day of the tenancy)."""
    if lease.end_date is not None:
        raise DomainError(
            _(
                "Lejemålet er allerede afsluttet pr. %s. Skal slutdatoen ændres, så genoptag "
                "lejemålet først."
            )
            % f"{lease.end_date:%d.%m.%Y}"
        )
    if end_date < lease.start_date:
        raise DomainError(
            {
                "end_date": [
                    _("Slutdatoen kan ikke ligge før startdatoen %s.")
                    % f"{lease.start_date:%d.%m.%Y}"
                ]
            }
        )
    before = snapshot(lease)
    lease.end_date = end_date
    lease.end_reason = reason
    lease.status = lease_status_on(
        start_date=lease.start_date, end_date=end_date, day=timezone.localdate()
    )
    _save_recorded(lease, action="end", actor=actor, before=before)
    return lease


def _save_recorded(lease: Lease, *, action: str, actor, before: dict) -> None:
    """Save a changed lease, record the change for its parties and let the other apps
    react (the rent-register filing), all in one transaction."""
    with transaction.atomic():
        _save_checked(lease)
        record = record_change(
            instance=lease,
            action=action,
            actor=actor,
            before=before,
            after=snapshot(lease),
            people=lease.parties.all(),
        )
        hooks.lease_changed.call(hooks.LeaseChange(record=record, lease=lease))


def lease_reinstate(*, lease: Lease, actor=None) -> Lease:
    """Undo a mistaken end: the lease runs on without an end date."""
    if lease.end_date is None:
        raise DomainError(_("Kun et afsluttet lejemål kan genoptages."))
    other = _overlapping(unit=lease.unit, start=lease.start_date, end=None, exclude_pk=lease.pk)
    if other:
        raise DomainError(
            _(
                "Lejemålet kan ikke genoptages, fordi enheden har lejemål %(number)s fra "
                "%(start)s. Afslut eller ret det først."
            )
            % {"number": other.number, "start": f"{other.start_date:%d.%m.%Y}"}
        )
    before = snapshot(lease)
    lease.end_date = None
    lease.end_reason = ""
    lease.status = lease_status_on(
        start_date=lease.start_date, end_date=None, day=timezone.localdate()
    )
    _save_recorded(lease, action="reinstate", actor=actor, before=before)
    return lease
