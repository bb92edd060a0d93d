"""The occupancy picture: what CPR last said about each unit, the moves that reveals, and the
392-style status derived from it (DOMAIN.md §2).

`apply_answers` is called by `cprlookup.services.record_answers` inside its transaction with
the answered searches of one ad-hoc lookup or one batch of a scan. It works in bulk (a
handful of queries per batch, whatever its size) because a scan applies tens of thousands.
"""

from __future__ import annotations

from collections import defaultdict

from tenancy import crypto
from tenancy.choices import LeaseStatus, LettingCode
from tenancy.models import Lease, Organisation, Person, Unit

from .models import (
    CprRegistration,
    EventKind,
    LookupOutcome,
    OccupancyEvent,
    OccupancyStatus,
    UnitOccupancy,
)


def derive_status(*, unit: Unit, registered_now: int) -> str:
    """392-style status: 3 when nobody is registered in CPR, 2 when BBR field 322 says the
    owner uses it, otherwise 1 (let)."""
    if registered_now == 0:
        return OccupancyStatus.NOT_USED
    if unit.letting_code == LettingCode.OWNER:
        return OccupancyStatus.OWNER
    return OccupancyStatus.LET


def _norm(value: str | None) -> str:
    return (value or "").strip().lower().rstrip(".")


def apply_answers(*, organisation: Organisation, answers: list, now) -> dict:
    """Refresh registrations, record moves and recompute the status of every unit the
    answered searches covered. `answers` is [(Answer, CprLookup)]. Returns, per lookup pk,
    the residents placed: [(resident, unit|None, person|None, cpr_hash, cpr_encrypted)]."""
    ok = [(a, lk) for a, lk in answers if a.outcome == LookupOutcome.OK]
    placed: dict = {}
    if not ok:
        return placed

    # Units each answer covers: the unit, or every unit of the stairwell.
    stairwells = {a.target.entrance.pk for a, _lk in ok if a.target.unit is None}
    units_by_entrance: dict[int, list[Unit]] = defaultdict(list)
    if stairwells:
        for unit in Unit.objects.filter(entrance_id__in=stairwells).only(
            "pk", "entrance_id", "dar_id", "floor", "door", "letting_code", "organisation_id"
        ):
            units_by_entrance[unit.entrance_id].append(unit)
    scope = {
        lk.pk: [a.target.unit]
        if a.target.unit is not None
        else units_by_entrance[a.target.entrance.pk]
        for a, lk in ok
    }
    unit_ids = {u.pk for units in scope.values() for u in units}

    hashes: dict[str, tuple[str, str]] = {}
    for a, _lk in ok:
        for r in a.residents:
            if r.cpr not in hashes:
                hashes[r.cpr] = (crypto.search_hash(r.cpr), crypto.encrypt(r.cpr))
    all_hashes = {h for h, _e in hashes.values()}
    persons: dict[str, Person] = {}
    for person in Person.objects.filter(organisation=organisation, cpr_hash__in=all_hashes):
        persons.setdefault(person.cpr_hash, person)

    # Leases on the covered units: to place protected residents (CPR gives no address for
    # them) and to link detected moves to the lease.
    active_lease: dict[int, Lease] = {}
    lease_of_party: dict[tuple[int, str], Lease] = {}
    for lease in (
        Lease.objects.filter(unit_id__in=unit_ids)
        .order_by("unit_id", "-start_date")
        .prefetch_related("parties")
    ):
        if lease.status == LeaseStatus.ACTIVE:
            active_lease.setdefault(lease.unit_id, lease)
        for party in lease.parties.all():
            if party.cpr_hash:
                key = (lease.unit_id, party.cpr_hash)
                if key not in lease_of_party or lease.status == LeaseStatus.ACTIVE:
                    lease_of_party[key] = lease

    previous: dict[int, dict[str, CprRegistration]] = defaultdict(dict)
    for reg in CprRegistration.objects.filter(unit_id__in=unit_ids):
        previous[reg.unit_id][reg.cpr_hash] = reg
    baseline = set(
        UnitOccupancy.objects.filter(unit_id__in=unit_ids).values_list("unit_id", flat=True)
    )

    # Place every resident on a unit of the answer's scope.
    new: dict[int, dict[str, object]] = {}
    units: dict[int, Unit] = {}
    for a, lk in ok:
        covered = scope[lk.pk]
        by_dar = {u.dar_id: u for u in covered}
        by_floor_door = {(_norm(u.floor), _norm(u.door)): u for u in covered}
        for u in covered:
            units[u.pk] = u
            new[u.pk] = {}
        rows = []
        for r in a.residents:
            cpr_hash, encrypted = hashes[r.cpr]
            unit = by_dar.get(r.dar_address_id) if r.dar_address_id else None
            if unit is None and (r.floor or r.door):
                unit = by_floor_door.get((_norm(r.floor), _norm(r.door)))
            if unit is None and len(covered) == 1:
                unit = covered[0]
            if unit is None:
                unit = next((u for u in covered if (u.pk, cpr_hash) in lease_of_party), None)
            if unit is not None:
                new[unit.pk][cpr_hash] = (r, encrypted)
            rows.append((r, unit, persons.get(cpr_hash), cpr_hash, encrypted))
        placed[lk.pk] = rows
    lookup_for_unit = {u.pk: lk for a, lk in ok for u in scope[lk.pk]}

    creates, updates, deletes, events, statuses, seen = [], [], [], [], [], []
    for unit_id, registrations in new.items():
        unit = units[unit_id]
        before = previous.get(unit_id, {})
        known = unit_id in baseline
        lookup = lookup_for_unit[unit_id]

        def event(kind, cpr_hash, date, resident=None, reg=None, unit=unit, lookup=lookup):
            person = persons.get(cpr_hash)
            lease = lease_of_party.get((unit.pk, cpr_hash)) or active_lease.get(unit.pk)
            source = resident if resident is not None else reg
            events.append(
                OccupancyEvent(
                    organisation=organisation,
                    unit=unit,
                    lease=lease,
                    person=person,
                    cpr_hash=cpr_hash,
                    cpr_masked=(
                        f"{resident.cpr[:6]}-xxxx" if resident is not None else reg.cpr_masked
                    ),
                    name="" if source.protected else (source.name or "")[:200],
                    protected=bool(source.protected),
                    kind=kind,
                    date=date,
                    lookup=lookup,
                )
            )

        for cpr_hash, (r, encrypted) in registrations.items():
            reg = before.get(cpr_hash)
            person = persons.get(cpr_hash)
            if reg is None:
                creates.append(
                    CprRegistration(
                        organisation=organisation,
                        unit_id=unit_id,
                        cpr_encrypted=encrypted,
                        cpr_hash=cpr_hash,
                        cpr_masked=f"{r.cpr[:6]}-xxxx",
                        name="" if r.protected else (r.name or "")[:200],
                        protected=bool(r.protected),
                        move_in=r.move_in,
                        move_out=r.move_out,
                        person=person,
                        first_seen_at=now,
                        last_seen_at=now,
                    )
                )
                if known:
                    if r.move_out is None:
                        event(EventKind.MOVED_IN, cpr_hash, r.move_in, resident=r)
                    else:
                        event(EventKind.MOVED_OUT, cpr_hash, r.move_out, resident=r)
                continue
            if known and reg.move_out is None and r.move_out is not None:
                event(EventKind.MOVED_OUT, cpr_hash, r.move_out, resident=r)
            elif known and reg.move_out is not None and r.move_out is None:
                event(EventKind.MOVED_IN, cpr_hash, r.move_in, resident=r)
            values = {
                "name": "" if r.protected else (r.name or "")[:200],
                "protected": bool(r.protected),
                "move_in": r.move_in,
                "move_out": r.move_out,
                "person_id": person.pk if person else None,
            }
            seen.append(reg.pk)
            # Most registrations are unchanged from night to night: write only real changes.
            if any(getattr(reg, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(reg, k, v)
                reg.last_seen_at = now
                updates.append(reg)
        for cpr_hash, reg in before.items():
            if cpr_hash in registrations:
                continue
            # No longer reported: moved out more than a year ago, or the registration was
            # corrected. A move-out not seen before is recorded without a date.
            if known and reg.move_out is None:
                event(EventKind.MOVED_OUT, cpr_hash, None, reg=reg)
            deletes.append(reg.pk)
        registered_now = sum(1 for r, _e in registrations.values() if r.move_out is None)
        statuses.append(
            UnitOccupancy(
                unit_id=unit_id,
                organisation=organisation,
                status=derive_status(unit=unit, registered_now=registered_now),
                registered_count=registered_now,
                computed_at=now,
                looked_up_at=now,
            )
        )

    if deletes:
        CprRegistration.objects.filter(pk__in=deletes).delete()
    if seen:
        CprRegistration.objects.filter(pk__in=seen).update(last_seen_at=now)
    for reg in updates:
        reg.save(
            update_fields=["name", "protected", "move_in", "move_out", "person", "last_seen_at"]
        )
    CprRegistration.objects.bulk_create(creates)
    OccupancyEvent.objects.bulk_create(events)
    UnitOccupancy.objects.bulk_create(
        statuses,
        update_conflicts=True,
        unique_fields=["unit"],
        update_fields=["status", "registered_count", "computed_at", "looked_up_at"],
    )
    return placed
