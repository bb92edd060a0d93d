"""Rent by period (tenancy.periods.LeaseRentPeriod): changing the rent from a date,
correcting the rent of a past period, and the daily task that makes waiting periods and
lease statuses follow the calendar (docs/domain.md, "Leases").

- A change from a future date waits: the lease's `rent` stays the amount in force today
  until that day comes (leases_apply_dates, run daily by beat, moves it on).
- A new rent goes at the end of the timeline. A change back inside the history (before
  the latest period, or replacing a period already in force) is a **correction** with a
  reason: it replaces that one period (or starts one on that date) and leaves the later
  periods as they are.
- A drop of more than settings.RENT_DROP_CONFIRM_PERCENT needs `confirm_large_drop`: a
  mistaken cut stops the tenant's housing benefit.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from .. import hooks
from ..choices import LeaseStatus
from ..history import record_change, snapshot
from ..models import Lease, LeaseRentPeriod

REASON_MAX_LENGTH = 300
APPLY_CHUNK = 1000


def lease_status_on(*, start_date: date, end_date: date | None, day: date) -> str:
    """The status a lease has on `day`: upcoming before its start, ended after its end
    date (the last day of the tenancy), otherwise active."""
    if end_date is not None and end_date < day:
        return LeaseStatus.ENDED
    if start_date > day:
        return LeaseStatus.UPCOMING
    return LeaseStatus.ACTIVE


def _reference_day(lease: Lease, today: date) -> date:
    """The day whose amounts the lease row shows: today, or the start of an upcoming lease."""
    return max(today, lease.start_date)


def _ensure_periods(lease: Lease, actor=None) -> None:
    """A lease from before rent periods (or a bulk-loaded one) gets its first period."""
    if not lease.rent_periods.exists():
        LeaseRentPeriod.objects.create(
            organisation_id=lease.organisation_id,
            lease=lease,
            valid_from=lease.start_date,
            rent=lease.rent,
            special_payments=lease.special_payments,
            created_by=_user(actor),
        )


def first_period_create(*, lease: Lease, actor=None) -> LeaseRentPeriod:
    """The rent from the start of a new lease (called by lease_create)."""
    return LeaseRentPeriod.objects.create(
        organisation_id=lease.organisation_id,
        lease=lease,
        valid_from=lease.start_date,
        rent=lease.rent,
        special_payments=lease.special_payments,
        created_by=_user(actor),
    )


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _sync_current(lease: Lease, today: date) -> bool:
    """Set the lease's rent and special payments to the period in force; True if changed."""
    period = lease.period_at(_reference_day(lease, today))
    if period is None:
        return False
    changed = (lease.rent, lease.special_payments) != (period.rent, period.special_payments)
    lease.rent, lease.special_payments = period.rent, period.special_payments
    return changed


def _amount(value, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise DomainError({field: [_("%s skal være et beløb på 0 kr. eller mere.") % label]})
    return amount.quantize(Decimal("0.01"))


def correction_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise DomainError(
            {"reason": [_("Skriv hvad rettelsen retter, fx hvilken fejl der blev indberettet.")]}
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(
            {"reason": [_("Begrundelsen må højst være %d tegn.") % REASON_MAX_LENGTH]}
        )
    return reason


def _check_dates(lease: Lease, effective_date: date) -> None:
    if effective_date < lease.start_date:
        raise DomainError(
            {
                "effective_date": [
                    _("Ændringen kan ikke gælde fra før lejemålets start %s.")
                    % f"{lease.start_date:%d.%m.%Y}"
                ]
            }
        )
    if lease.end_date and effective_date > lease.end_date:
        raise DomainError(
            {
                "effective_date": [
                    _("Ændringen kan ikke gælde fra efter lejemålets slutdato %s.")
                    % f"{lease.end_date:%d.%m.%Y}"
                ]
            }
        )


def _check_not_inside_history(
    periods: list[LeaseRentPeriod], effective_date: date, today: date
) -> None:
    """A new rent (not a correction) goes after the latest period; it may replace only a
    period that is still waiting for its date."""
    latest = periods[-1]
    if effective_date < latest.valid_from or (
        effective_date == latest.valid_from and latest.valid_from <= today
    ):
        raise DomainError(
            {
                "effective_date": [
                    _(
                        "Der er allerede registreret en husleje fra %(date)s. En ændring, der "
                        "gælder fra den dato eller før, retter en tidligere indberetning: brug "
                        "'Ret fejlindberetning' og skriv hvad der rettes."
                    )
                    % {"date": f"{latest.valid_from:%d.%m.%Y}"}
                ]
            }
        )


def _kr(amount: Decimal) -> str:
    """6.500,00 (Danish thousands and decimal separators)."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def drop_percent(old: Decimal, new: Decimal) -> Decimal:
    """How many per cent the rent falls (0 when it rises or the old rent is 0)."""
    if old <= 0 or new >= old:
        return Decimal(0)
    return ((old - new) * 100 / old).quantize(Decimal("0.1"))


def _check_drop(old: Decimal, new: Decimal, confirmed: bool) -> None:
    percent = drop_percent(old, new)
    if confirmed or percent <= Decimal(str(settings.RENT_DROP_CONFIRM_PERCENT)):
        return
    raise DomainError(
        {
            "confirm_large_drop": [
                _(
                    "Huslejen falder med %(percent)s %% (fra %(old)s kr. til %(new)s kr.). En "
                    "fejlagtig nedsættelse stopper eller sænker lejerens boligstøtte. Kontrollér "
                    "beløbet, og bekræft nedsættelsen, hvis den er rigtig."
                )
                % {
                    "percent": f"{percent}".replace(".", ","),
                    "old": _kr(old),
                    "new": _kr(new),
                }
            ]
        }
    )


def lease_change_rent(
    *,
    lease: Lease,
    rent: Decimal,
    effective_date: date,
    actor=None,
    correction: bool = False,
    reason: str = "",
    special_payments: Decimal | None = None,
    confirm_large_drop: bool = False,
) -> Lease:
    """Change the monthly rent (and optionally the special payments) from a date.

    Not a correction: a new period after the latest one (a future date waits; the lease's
    rent changes on that day). A correction (with a reason): replaces the period in force
    from `effective_date` (or starts one there) and leaves later periods alone. The filing
    carries the amounts of that period with `effective_date`."""
    if lease.status == LeaseStatus.ENDED and not correction:
        raise DomainError(_("Huslejen kan kun ændres på et lejemål, der ikke er ophørt."))
    rent = _amount(rent, "rent", _("Huslejen"))
    special = (
        None
        if special_payments is None
        else _amount(special_payments, "special_payments", _("Særlige ydelser"))
    )
    reason = correction_reason(reason, required=correction)
    _check_dates(lease, effective_date)
    today = timezone.localdate()
    with transaction.atomic():
        lease = Lease.objects.select_for_update().get(pk=lease.pk)
        _ensure_periods(lease, actor)
        periods = list(lease.rent_periods.order_by("valid_from"))
        if not correction:
            _check_not_inside_history(periods, effective_date, today)
        in_force = [p for p in periods if p.valid_from <= effective_date][-1]
        special = in_force.special_payments if special is None else special
        if (rent, special) == (in_force.rent, in_force.special_payments):
            raise DomainError(
                {
                    "rent": [
                        _("Huslejen fra %(date)s er allerede %(rent)s kr.; der er intet at ændre.")
                        % {
                            "date": f"{effective_date:%d.%m.%Y}",
                            "rent": _kr(rent),
                        }
                    ]
                }
            )
        _check_drop(in_force.rent, rent, confirm_large_drop)
        before = snapshot(lease)
        before.update(rent=str(in_force.rent), special_payments=str(in_force.special_payments))
        _save_period(lease, in_force, effective_date, rent, special, correction, reason, actor)
        _sync_current(lease, today)
        lease.save(update_fields=["rent", "special_payments"])
        after = snapshot(lease)
        after.update(
            rent=str(rent),
            special_payments=str(special),
            rent_effective_date=effective_date.isoformat(),
        )
        record = record_change(
            instance=lease,
            action="rent_change",
            actor=actor,
            before=before,
            after=after,
            people=lease.parties.all(),
            correction=correction,
            reason=reason,
        )
        hooks.lease_changed.call(
            hooks.LeaseChange(record=record, lease=lease, correction=correction, reason=reason)
        )
    return lease


def _save_period(lease, in_force, effective_date, rent, special, correction, reason, actor):
    today = timezone.localdate()
    if in_force.valid_from == effective_date:
        in_force.rent, in_force.special_payments = rent, special
        in_force.correction, in_force.reason = correction, reason
        in_force.created_by = _user(actor) or in_force.created_by
        in_force.save()
        return in_force
    return LeaseRentPeriod.objects.create(
        organisation_id=lease.organisation_id,
        lease=lease,
        valid_from=effective_date,
        rent=rent,
        special_payments=special,
        correction=correction,
        reason=reason,
        applied=effective_date <= _reference_day(lease, today),
        created_by=_user(actor),
    )


def special_payments_apply(*, lease: Lease, value: Decimal, correction: bool, actor=None) -> None:
    """Special payments changed with the terms (lease_update), from today: a new period
    from today (a correction: the period in force today), and the periods already planned
    after today carry the new amount too. Called inside lease_update's transaction."""
    today = timezone.localdate()
    day = _reference_day(lease, today)
    _ensure_periods(lease, actor)
    periods = list(lease.rent_periods.order_by("valid_from"))
    in_force = [p for p in periods if p.valid_from <= day][-1]
    if correction or in_force.valid_from == day:
        in_force.special_payments = value
        in_force.save(update_fields=["special_payments", "updated_at"])
    else:
        LeaseRentPeriod.objects.create(
            organisation_id=lease.organisation_id,
            lease=lease,
            valid_from=day,
            rent=in_force.rent,
            special_payments=value,
            created_by=_user(actor),
        )
    lease.rent_periods.filter(valid_from__gt=day).update(special_payments=value)


def leases_apply_dates(*, day: date | None = None) -> dict[str, int]:
    """Make the stored statuses and current amounts follow the calendar: ended after the
    end date, active from the start, upcoming before it; a waiting rent period becomes the
    lease's rent on its first day. Set-based and idempotent (a second run changes
    nothing); run daily by beat and safe to run at any time. Nothing is filed: the register
    was told each change with its date when it was made."""
    day = day or timezone.localdate()
    leases = Lease.objects.all()
    counts = {
        "ended": leases.filter(end_date__lt=day)
        .exclude(status=LeaseStatus.ENDED)
        .update(status=LeaseStatus.ENDED),
        "upcoming": leases.filter(start_date__gt=day)
        .exclude(status=LeaseStatus.UPCOMING)
        .update(status=LeaseStatus.UPCOMING),
        "active": leases.filter(start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .exclude(status=LeaseStatus.ACTIVE)
        .update(status=LeaseStatus.ACTIVE),
        "rent": 0,
    }
    waiting = LeaseRentPeriod.objects.filter(applied=False, valid_from__lte=day)
    while True:  # each pass marks its periods applied, so the next finds the rest
        lease_ids = list(waiting.values_list("lease_id", flat=True).distinct()[:APPLY_CHUNK])
        if not lease_ids:
            break
        counts["rent"] += _apply_periods(lease_ids, day)
    return counts


def _apply_periods(lease_ids: list[int], day: date) -> int:
    """One chunk, set-based: each lease's rent and special payments become those of its
    period in force on `day` (an upcoming lease: on its start), in one UPDATE."""
    in_force = LeaseRentPeriod.objects.filter(
        lease_id=OuterRef("pk"),
        valid_from__lte=Greatest(Value(day), OuterRef("start_date")),
    ).order_by("-valid_from")
    with transaction.atomic():
        updated = Lease.objects.filter(pk__in=lease_ids).update(
            rent=Subquery(in_force.values("rent")[:1]),
            special_payments=Subquery(in_force.values("special_payments")[:1]),
        )
        LeaseRentPeriod.objects.filter(
            lease_id__in=lease_ids, applied=False, valid_from__lte=day
        ).update(applied=True)
    return updated
