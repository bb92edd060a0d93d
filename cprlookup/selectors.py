"""Reads for CPR lookups, scoped to the user's organisations (tenancy.selectors._scope)."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from datetime import date
from functools import reduce
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.choices import LeaseStatus, LettingCode
from tenancy.models import Lease, Organisation, Person, Unit
from tenancy.selectors import _scope

from .models import (
    CprCharge,
    CprLookup,
    CprLookupResident,
    CprRegistration,
    OccupancyEvent,
    ScanItem,
    ScanItemStatus,
    ScanJob,
    ScanSetting,
    ScanStatus,
    UnitOccupancy,
)


def lookup_list(*, user, organisation: Organisation | None = None) -> QuerySet[CprLookup]:
    return CprLookup.objects.filter(organisation_id__in=_scope(user, organisation)).select_related(
        "user", "organisation"
    )


def lookup_get(*, user, pk) -> CprLookup | None:
    return lookup_list(user=user).filter(pk=pk).first()


def lookup_residents(*, lookup: CprLookup) -> QuerySet[CprLookupResident]:
    return lookup.residents.select_related("unit__entrance", "person").order_by("unit_id", "pk")


def lookups_touching_person(*, user, person: Person) -> QuerySet[CprLookup]:
    """Every lookup whose answer included the person (by CPR hash): for access requests."""
    if not person.cpr_hash:
        return CprLookup.objects.none()
    ids = CprLookupResident.objects.filter(cpr_hash=person.cpr_hash).values("lookup_id")
    return lookup_list(user=user, organisation=person.organisation).filter(pk__in=ids)


def charge_list(*, user, organisation: Organisation | None = None) -> QuerySet[CprCharge]:
    return CprCharge.objects.filter(organisation_id__in=_scope(user, organisation)).select_related(
        "user", "organisation", "lookup"
    )


def charge_summary(*, user, organisation: Organisation | None = None) -> list[Mapping[str, Any]]:
    """Searches and cost per organisation, month and user (newest month first)."""
    return list(
        charge_list(user=user, organisation=organisation)
        .values("organisation__name", "month", "user__username", "source")
        .annotate(searches=Count("pk"), amount=Sum("amount"))
        .order_by("-month", "organisation__name", "user__username", "source")
    )


def charge_month_total(*, user, organisation: Organisation | None, month: date | None = None):
    month = month or timezone.localdate().replace(day=1)
    return (
        charge_list(user=user, organisation=organisation)
        .filter(month=month)
        .aggregate(searches=Count("pk"), amount=Sum("amount"))
    )


def scan_job_list(*, user, organisation: Organisation | None = None) -> QuerySet[ScanJob]:
    return ScanJob.objects.filter(organisation_id__in=_scope(user, organisation)).select_related(
        "organisation", "started_by"
    )


def scan_failed_items(*, job: ScanJob) -> QuerySet[ScanItem]:
    return job.items.filter(status=ScanItemStatus.FAILED).select_related("entrance")


def scan_setting_for(*, organisation: Organisation) -> ScanSetting | None:
    return ScanSetting.objects.filter(organisation=organisation).first()


def event_list(*, user, organisation: Organisation | None = None) -> QuerySet[OccupancyEvent]:
    return OccupancyEvent.objects.filter(
        organisation_id__in=_scope(user, organisation)
    ).select_related("unit__entrance", "lease", "person")


def registration_list(*, unit: Unit) -> QuerySet[CprRegistration]:
    return unit.cpr_registrations.select_related("person").order_by("move_out", "move_in")


# --- reconciliation (docs/domain.md, Occupancy reconciliation) ------------------------------

NO_REGISTRATION = "no_registration"
NO_LEASE = "no_lease"
HOLDER_MOVED_OUT = "holder_moved_out"

CATEGORIES = {
    NO_REGISTRATION: gettext_lazy("Aktivt lejemål, men ingen tilmeldt i CPR"),
    NO_LEASE: gettext_lazy("Personer tilmeldt i CPR, men intet aktivt lejemål"),
    HOLDER_MOVED_OUT: gettext_lazy("Lejer fraflyttet ifølge CPR, men lejemålet løber stadig"),
}


def category_label(key: str) -> str:
    return str(CATEGORIES[key])


def reconciliation_units(*, user, organisation: Organisation | None = None) -> QuerySet[Unit]:
    """Units with a CPR picture (looked up at least once), annotated with has_lease and
    holder_moved_out. Whether anyone is registered is the occupancy row's
    `registered_count` (written with the registrations at each lookup of the unit)."""
    active = Lease.objects.filter(unit=OuterRef("pk"), status=LeaseStatus.ACTIVE)
    moved_out_hashes = CprRegistration.objects.filter(
        unit=OuterRef(OuterRef("pk")), move_out__isnull=False
    ).values("cpr_hash")
    holder_moved = Lease.objects.filter(
        unit=OuterRef("pk"),
        status=LeaseStatus.ACTIVE,
        parties__cpr_hash__in=moved_out_hashes,
    )
    return (
        Unit.objects.filter(organisation_id__in=_scope(user, organisation), occupancy__isnull=False)
        .select_related("entrance", "occupancy")
        .annotate(has_lease=Exists(active), holder_moved_out=Exists(holder_moved))
    )


def _disagreement_sets(scope: list[int]) -> dict[str, QuerySet]:
    """Per category, the ids of its units as a query (`unit_id` values) built with semi- or
    anti-joins. Whether anyone is registered is the occupancy row's `registered_count`
    (written with the registrations at each lookup of the unit)."""
    occupancy = UnitOccupancy.objects.filter(organisation_id__in=scope)
    active = Lease.objects.filter(unit_id=OuterRef("unit_id"), status=LeaseStatus.ACTIVE)
    no_registration = occupancy.filter(Exists(active), registered_count=0)
    no_lease = occupancy.filter(~Exists(active), registered_count__gt=0).exclude(
        unit__letting_code=LettingCode.OWNER
    )
    # A moved-out registration whose CPR number is a party of an active lease on its unit
    # (one filter() call: the lease and its party are the same rows).
    holder_moved = CprRegistration.objects.filter(
        organisation_id__in=scope,
        move_out__isnull=False,
        unit__leases__status=LeaseStatus.ACTIVE,
        unit__leases__parties__cpr_hash=F("cpr_hash"),
    )
    return {
        NO_REGISTRATION: no_registration.values("unit_id"),
        NO_LEASE: no_lease.values("unit_id"),
        HOLDER_MOVED_OUT: holder_moved.values("unit_id"),
    }


def disagreement_list(
    *,
    user,
    organisation: Organisation | None = None,
    category: str | None = None,
    ids: dict[str, set[int]] | None = None,
) -> QuerySet[Unit]:
    """Units where the leases and CPR disagree, optionally one category. With `ids` (from
    disagreement_ids) the units are those ids; otherwise each category is a hashed
    `IN (subquery)`, computed once per query (the per-unit EXISTS of the annotations,
    OR'd together, ran every subquery for every unit: 1.2 s for 65,000 units)."""
    units = reconciliation_units(user=user, organisation=organisation)
    keys = [category] if category in CATEGORIES else list(CATEGORIES)
    if ids is not None:
        wanted = set().union(*(ids[key] for key in keys))
        if len(wanted) <= _MAX_ID_LIST:
            return units.filter(pk__in=sorted(wanted)).order_by("search_text")
    sets = _disagreement_sets(_scope(user, organisation))
    condition = reduce(operator.or_, (Q(pk__in=sets[key]) for key in keys))
    return units.filter(condition).order_by("search_text")


# Above this many units a list is filtered by subqueries, not an id list (SQLite takes at
# most 32,766 parameters in a statement).
_MAX_ID_LIST = 20000
ANY_CATEGORY = "any"


def disagreement_ids(*, user, organisation: Organisation | None = None) -> dict[str, set[int]]:
    """The ids of the units in each disagreement category: one light query each."""
    sets = _disagreement_sets(_scope(user, organisation))
    return {key: set(query.values_list("unit_id", flat=True)) for key, query in sets.items()}


def disagreement_counts(
    *, user, organisation: Organisation | None = None, ids: dict[str, set[int]] | None = None
) -> dict[str, int]:
    """Units per disagreement category, and under ANY_CATEGORY the units in any of them
    (one unit can be in two)."""
    if ids is None:
        ids = disagreement_ids(user=user, organisation=organisation)
    counts = {key: len(found) for key, found in ids.items()}
    counts[ANY_CATEGORY] = len(set().union(*ids.values()))
    return counts


def unit_categories(unit: Any) -> list[str]:
    """The disagreement categories of a Unit annotated by reconciliation_units (has_lease,
    holder_moved_out)."""
    out = []
    registered = unit.occupancy.registered_count > 0
    if unit.has_lease and not registered:
        out.append(NO_REGISTRATION)
    if not unit.has_lease and registered and unit.letting_code != LettingCode.OWNER:
        out.append(NO_LEASE)
    if unit.holder_moved_out:
        out.append(HOLDER_MOVED_OUT)
    return out


def active_leases_by_unit(unit_ids) -> dict[int, Lease]:
    leases: dict[int, Lease] = {}
    for lease in Lease.objects.filter(unit_id__in=list(unit_ids), status=LeaseStatus.ACTIVE):
        leases.setdefault(lease.unit_id, lease)
    return leases


def _url(name: str, *args, fallback: str) -> str:
    from django.urls import NoReverseMatch

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def resolution(*, category: str, unit: Unit, lease: Lease | None) -> tuple[str, str]:
    """(label, url) of the action that resolves a disagreement."""
    if category in (NO_REGISTRATION, HOLDER_MOVED_OUT) and lease is not None:
        return (
            _("Afslut lejemålet"),
            _url(
                "tenancy:lease_end",
                lease.pk,
                fallback=reverse("admin:tenancy_lease_change", args=[lease.pk]),
            ),
        )
    if category == NO_LEASE:
        return (
            _("Opret lejemål"),
            _url(
                "tenancy:lease_create",
                unit.pk,
                fallback=reverse("admin:tenancy_lease_add"),
            ),
        )
    return (
        _("Se enheden"),
        _url(
            "tenancy:unit_detail",
            unit.pk,
            fallback=reverse("admin:tenancy_unit_change", args=[unit.pk]),
        ),
    )


# --- dashboard ------------------------------------------------------------------------------


def attention_items(*, user, organisation: Organisation | None = None) -> list[dict]:
    """Needs-attention entries for the dashboard: disagreements per category and scans
    that ended with failed entrances."""
    items = []
    counts = disagreement_counts(user=user, organisation=organisation)
    url = reverse("cprlookup:reconciliation")
    for key in CATEGORIES:
        count = counts[key]
        if count:
            items.append(
                {
                    "title": category_label(key),
                    "url": f"{url}?kategori={key}",
                    "count": count,
                    "level": "warn",
                }
            )
    failed = scan_job_list(user=user, organisation=organisation).filter(status=ScanStatus.FAILED)
    latest_failed = failed.order_by("-created_at").first()
    if latest_failed is not None:
        # Only the latest scan per organisation matters: a later clean run supersedes it.
        newer_ok = scan_job_list(user=user, organisation=organisation).filter(
            organisation=latest_failed.organisation,
            created_at__gt=latest_failed.created_at,
            status=ScanStatus.DONE,
        )
        if not newer_ok.exists():
            items.append(
                {
                    "title": _("CPR-scanning med fejlede opgange"),
                    "url": reverse("cprlookup:scan_detail", args=[latest_failed.pk]),
                    "count": latest_failed.failed,
                    "level": "danger",
                }
            )
    return items
