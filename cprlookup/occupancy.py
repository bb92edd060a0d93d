"""The occupancy picture: what CPR last said about each unit, the moves that reveals, and the
392-style status derived from it (docs/domain.md: BBR letting status, Occupancy
reconciliation).

`apply_answers` is called by `cprlookup.services` inside its transaction with the answered
searches of one ad-hoc lookup or one batch of a scan. A nightly scan applies tens of
thousands of answers, so it works set-based: a fixed handful of statements per batch
whatever its size, rows read as tuples (no model instances) and written with `bulk_insert`
(on PostgreSQL one `INSERT ... SELECT FROM unnest(...)` per table; see `cprlookup.sql`).
Leases are read only for the units that need them (a move to link, a protected resident CPR
gave no address for), and a CPR number already stored encrypted for the unit is not
encrypted again.

A unit is read as a tuple (pk, entrance_id, dar_id, floor, door, letting_code); a stored
registration as (id, unit_id, cpr_hash, cpr_encrypted, cpr_masked, name, protected, move_in,
move_out, person_id).
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from core import crypto
from tenancy import hooks
from tenancy.choices import LeaseStatus, LettingCode
from tenancy.models import Lease, Organisation, Person, Unit

from .models import (
    CprRegistration,
    EventKind,
    LookupOutcome,
    OccupancyEvent,
    OccupancyStatus,
    OwnerUse,
    UnitOccupancy,
)
from .sql import bulk_insert, execute_any, select_any, table

# --- the occupancy picture ------------------------------------------------------------------


def derive_status(
    *,
    unit: Unit | None = None,
    registered_now: int,
    letting_code=None,
    leased: bool = False,
    owner_used: bool = False,
) -> str:
    """392-style status from the data BBR's own run joins (seed 001): 1 let when the unit
    has an active lease (our own data); else 2 used by the owner when the owner's data says
    so (`OwnerUse`) or BBR field 322 is E; else 1 let when somebody is registered in CPR
    (a registered tenant); else 3 not used."""
    if unit is not None:
        letting_code = unit.letting_code
    if leased:
        return OccupancyStatus.LET
    if owner_used or letting_code == LettingCode.OWNER:
        return OccupancyStatus.OWNER
    if registered_now:
        return OccupancyStatus.LET
    return OccupancyStatus.NOT_USED


def leased_and_owner_used(unit_ids) -> tuple[set[int], set[int]]:
    """Of these units: those with an active lease, and those the owner's data says the owner
    uses. Two statements whatever the number of units."""
    leased = {
        row[0]
        for row in select_any(
            f"SELECT DISTINCT unit_id FROM {table(Lease)} WHERE status = %s AND {{any}}",  # noqa: S608
            "unit_id",
            unit_ids,
            (LeaseStatus.ACTIVE,),
        )
    }
    owner = {
        row[0]
        for row in select_any(
            f"SELECT unit_id FROM {table(OwnerUse)} WHERE {{any}}",  # noqa: S608
            "unit_id",
            unit_ids,
        )
    }
    return leased, owner


def _norm(value: str | None) -> str:
    return (value or "").strip().lower().rstrip(".")


class _Leases:
    """Leases of units, read on demand (most units of a scan never need them)."""

    def __init__(self) -> None:
        self.loaded: set[int] = set()
        self.active: dict[int, int] = {}  # unit -> active lease id (latest start)
        self.of_party: dict[tuple[int, str], int] = {}  # (unit, cpr_hash) -> lease id

    def load(self, unit_ids) -> None:
        wanted = set(unit_ids) - self.loaded
        if not wanted:
            return
        self.loaded |= wanted
        # One statement, rows as tuples: leases newest first per unit, one row per party.
        rows = select_any(
            "SELECT l.id, l.unit_id, l.status, p.cpr_hash "  # noqa: S608 - model tables
            f"FROM {table(Lease)} l "
            f"LEFT JOIN {table(Lease.parties.through)} lp ON lp.lease_id = l.id "
            f"LEFT JOIN {table(Person)} p ON p.id = lp.person_id "
            "WHERE {any} ORDER BY l.unit_id, l.start_date DESC, l.id DESC",
            "l.unit_id",
            wanted,
        )
        for pk, unit_id, status, cpr_hash in rows:
            active = status == LeaseStatus.ACTIVE
            if active:
                self.active.setdefault(unit_id, pk)
            if cpr_hash:
                key = (unit_id, cpr_hash)
                if key not in self.of_party or active:
                    self.of_party[key] = pk

    def for_event(self, unit_id: int, cpr_hash: str) -> int | None:
        return self.of_party.get((unit_id, cpr_hash)) or self.active.get(unit_id)


def apply_answers(*, organisation: Organisation, answers: list, now) -> dict:
    """Refresh registrations, record moves and recompute the status of every unit the
    answered searches covered. `answers` is [(Answer, lookup_id)]. Returns, per lookup id,
    the residents placed: [(resident, unit_id|None, person_id|None, cpr_hash, cpr_encrypted)].
    """
    ok = [(a, lk) for a, lk in answers if a.outcome == LookupOutcome.OK]
    if not ok:
        return {}
    units, scope, baseline = _covered_units(ok)
    unit_ids = {u[0] for covered in scope.values() for u in covered}
    previous, encrypted_of, persons = _registrations_before(unit_ids)
    plain = _hash_cprs(ok)
    _link_people(
        plain.values(), organisation=organisation, persons=persons, encrypted_of=encrypted_of
    )
    hashes = _with_ciphertexts(plain, encrypted_of)
    leases = _Leases()
    placed, reported = _place_residents(
        ok, scope=scope, hashes=hashes, persons=persons, leases=leases
    )
    lookup_for_unit = {u[0]: lk for _a, lk in ok for u in scope[lk]}
    leased, owner_used = leased_and_owner_used(list(reported))
    changes = _Changes(organisation_id=organisation.pk, persons=persons, now=now)
    for unit_id, registrations in reported.items():
        changes.compare_unit(
            unit_id,
            registrations,
            previous.get(unit_id, {}),
            letting_code=units[unit_id][5],
            leased=unit_id in leased,
            owner_used=unit_id in owner_used,
            known=unit_id in baseline,
            lookup=lookup_for_unit[unit_id],
        )
    _write_registrations(changes, now=now)
    _write_moves(changes.events, organisation=organisation, leases=leases, now=now)
    _write_statuses(changes.statuses)
    return placed


# --- reading what the batch covers ---------------------------------------------------------


def _covered_units(ok: list) -> tuple[dict[int, tuple], dict, set[int]]:
    """The units each answer covers (the unit, or every unit of the stairwell) by lookup id,
    every such unit by pk, and those looked up before (no moves are reported on a unit's
    first lookup)."""
    stairwells = {a.target.entrance.pk for a, _lk in ok if a.target.unit is None}
    single = {a.target.unit.pk for a, _lk in ok if a.target.unit is not None}
    t_unit, t_occ = table(Unit), table(UnitOccupancy)
    unit_sql = (
        f"SELECT u.id, u.entrance_id, u.dar_id, u.floor, u.door, u.letting_code, o.unit_id "  # noqa: S608
        f"FROM {t_unit} u LEFT JOIN {t_occ} o ON o.unit_id = u.id WHERE {{any}}"
    )
    rows = select_any(unit_sql, "u.entrance_id", stairwells) + select_any(unit_sql, "u.id", single)
    units: dict[int, tuple] = {}
    by_entrance: dict[int, list[tuple]] = defaultdict(list)
    baseline: set[int] = set()
    for pk, entrance_id, dar_id, floor, door, letting_code, occ in rows:
        if pk in units:
            continue
        if dar_id is not None and not isinstance(dar_id, uuid.UUID):
            dar_id = uuid.UUID(str(dar_id))  # SQLite stores UUIDs as text
        u = (pk, entrance_id, dar_id, floor, door, letting_code)
        units[pk] = u
        if entrance_id in stairwells:
            by_entrance[entrance_id].append(u)
        if occ is not None:
            baseline.add(pk)
    scope = {
        lk: [units[a.target.unit.pk]]
        if a.target.unit is not None and a.target.unit.pk in units
        else (by_entrance[a.target.entrance.pk] if a.target.unit is None else [])
        for a, lk in ok
    }
    return units, scope, baseline


def _registrations_before(
    unit_ids: set[int],
) -> tuple[dict[int, dict[str, tuple]], dict[str, str], dict[str, int]]:
    """What CPR said last time about these units: registrations by unit and CPR hash, the
    ciphertext stored for each CPR hash, and the person each CPR hash is linked to."""
    previous: dict[int, dict[str, tuple]] = defaultdict(dict)
    encrypted_of: dict[str, str] = {}
    reg_sql = (
        "SELECT id, unit_id, cpr_hash, cpr_encrypted, cpr_masked, name, protected, move_in, "  # noqa: S608
        f"move_out, person_id FROM {table(CprRegistration)} WHERE {{any}}"
    )
    # A person a registration is linked to stays linked (a deleted person sets it NULL):
    # only CPR numbers without one are looked for among the organisation's people.
    persons: dict[str, int] = {}
    for row in select_any(reg_sql, "unit_id", unit_ids):
        previous[row[1]][row[2]] = row
        encrypted_of[row[2]] = row[3]
        if row[9] is not None:
            persons[row[2]] = row[9]
    return previous, encrypted_of, persons


def _hash_cprs(ok: list) -> dict[str, str]:
    """CPR number -> search hash, each number hashed once."""
    plain: dict[str, str] = {}
    for a, _lk in ok:
        for r in a.residents:
            if r.cpr not in plain:
                plain[r.cpr] = crypto.search_hash(r.cpr)
    return plain


def _link_people(
    hashes, *, organisation: Organisation, persons: dict[str, int], encrypted_of: dict[str, str]
) -> None:
    """Add to `persons` the organisation's people with these CPR hashes that no registration
    links yet, and their ciphertexts to `encrypted_of`."""
    found: dict[str, int] = {}
    for cpr_hash, pk, encrypted in select_any(
        f"SELECT cpr_hash, id, cpr_encrypted FROM {table(Person)} "  # noqa: S608
        "WHERE organisation_id = %s AND {any} ORDER BY id",
        "cpr_hash",
        {h for h in hashes if h not in persons},
        (organisation.pk,),
    ):
        found.setdefault(cpr_hash, pk)
        if encrypted:
            encrypted_of.setdefault(cpr_hash, encrypted)
    persons.update(found)


def _with_ciphertexts(plain: dict[str, str], encrypted_of: dict[str, str]) -> dict:
    """CPR number -> (hash, ciphertext). Encrypts only a number neither a registration of
    these units nor a person of the organisation already holds encrypted (Fernet per
    resident was most of a first scan's CPU; a ciphertext decrypts the same wherever it is
    kept)."""
    return {cpr: (h, encrypted_of.get(h) or crypto.encrypt(cpr)) for cpr, h in plain.items()}


# --- placing residents on units ------------------------------------------------------------


def _place_residents(
    ok: list, *, scope: dict, hashes: dict, persons: dict[str, int], leases: _Leases
) -> tuple[dict, dict[int, dict[str, tuple]]]:
    """Place every resident on a unit of the answer's scope: by DAR id, floor/door, the only
    unit; a protected resident (no address from CPR) by the lease naming them.

    Returns the placed rows per lookup id (see `apply_answers`) and, per covered unit, what
    CPR reported there: {cpr_hash: (resident, cpr_encrypted)}."""
    placed, reported, unplaced = _place_by_address(ok, scope=scope, hashes=hashes, persons=persons)
    if unplaced:
        leases.load(u[0] for _row, covered in unplaced for u in covered)
        for row, covered in unplaced:
            row[1] = next((u[0] for u in covered if (u[0], row[3]) in leases.of_party), None)
    for lk, out in placed.items():
        for row in out:
            if row[1] is not None:
                reported[row[1]][row[3]] = (row[0], row[4])
        placed[lk] = [tuple(row) for row in out]
    return placed, reported


def _place_by_address(
    ok: list, *, scope: dict, hashes: dict, persons: dict[str, int]
) -> tuple[dict, dict[int, dict], list]:
    """Rows [resident, unit_id|None, person_id|None, cpr_hash, cpr_encrypted] per lookup id,
    an empty report for every covered unit, and the rows no address placed (with the units
    they may be on)."""
    placed: dict = {}
    reported: dict[int, dict] = {}
    unplaced = []
    for a, lk in ok:
        covered = scope[lk]
        by_dar = {u[2]: u[0] for u in covered}
        by_floor_door = {(_norm(u[3]), _norm(u[4])): u[0] for u in covered}
        for u in covered:
            reported[u[0]] = {}
        out = []
        for r in a.residents:
            cpr_hash, encrypted = hashes[r.cpr]
            unit_id = by_dar.get(r.dar_address_id) if r.dar_address_id else None
            if unit_id is None and (r.floor or r.door):
                unit_id = by_floor_door.get((_norm(r.floor), _norm(r.door)))
            if unit_id is None and len(covered) == 1:
                unit_id = covered[0][0]
            row = [r, unit_id, persons.get(cpr_hash), cpr_hash, encrypted]
            if unit_id is None and covered:
                unplaced.append((row, covered))
            out.append(row)
        placed[lk] = out
    return placed, reported, unplaced


# --- comparing with what CPR said before ---------------------------------------------------


class _Changes:
    """What one batch writes, collected unit by unit: registrations to create, change and
    delete, moves (events) and each unit's status."""

    def __init__(self, *, organisation_id: int, persons: dict[str, int], now) -> None:
        self.organisation_id = organisation_id
        self.persons = persons
        self.now = now
        self.creates: list[tuple] = []
        self.changed: list[tuple[int, tuple]] = []
        self.deletes: list[int] = []
        self.statuses: list[tuple] = []
        # [unit_id, cpr_hash, person_id, masked, name, protected, kind, date, lookup]
        self.events: list[list] = []

    def compare_unit(
        self,
        unit_id: int,
        registrations: dict,
        before: dict,
        *,
        letting_code,
        known,
        lookup,
        leased: bool = False,
        owner_used: bool = False,
    ) -> None:
        """Compare what CPR reported for one unit with what it said last time. `known`: the
        unit was looked up before, so a difference is a move."""
        self._reported(unit_id, registrations, before, known=known, lookup=lookup)
        self._no_longer_reported(unit_id, registrations, before, known=known, lookup=lookup)
        registered_now = sum(1 for r, _e in registrations.values() if r.move_out is None)
        self.statuses.append(
            (
                unit_id,
                self.organisation_id,
                derive_status(
                    registered_now=registered_now,
                    letting_code=letting_code,
                    leased=leased,
                    owner_used=owner_used,
                ),
                registered_now,
                self.now,
                self.now,
            )
        )

    def _reported(self, unit_id: int, registrations: dict, before: dict, *, known, lookup):
        persons, now = self.persons, self.now
        for cpr_hash, (r, encrypted) in registrations.items():
            reg = before.get(cpr_hash)
            person_id = persons.get(cpr_hash)
            name = "" if r.protected else (r.name or "")[:200]
            masked = f"{r.cpr[:6]}-xxxx"
            if reg is None:
                self.creates.append(
                    (
                        self.organisation_id,
                        unit_id,
                        encrypted,
                        cpr_hash,
                        masked,
                        name,
                        bool(r.protected),
                        r.move_in,
                        r.move_out,
                        person_id,
                        now,
                        now,
                    )
                )
                if known:  # new at a unit looked up before
                    self._moved(unit_id, cpr_hash, person_id, masked, name, r, lookup)
                continue
            _id, _u, _h, _enc, _masked, old_name, old_prot, old_in, old_out, old_person = reg
            if known and (old_out is None) != (r.move_out is None):  # moved out, or back in
                self._moved(unit_id, cpr_hash, person_id, masked, name, r, lookup)
            values = (name, bool(r.protected), r.move_in, r.move_out, person_id)
            # Most registrations are unchanged from night to night: write only real changes
            # (the unit's occupancy row records when CPR confirmed the rest).
            if values != (old_name, bool(old_prot), old_in, old_out, old_person):
                self.changed.append((_id, values))

    def _moved(self, unit_id, cpr_hash, person_id, masked, name, r, lookup) -> None:
        """The move CPR's answer shows for resident `r`: out on its move-out date if it has
        one, else in on its move-in date."""
        if r.move_out is None:
            kind, date = EventKind.MOVED_IN, r.move_in
        else:
            kind, date = EventKind.MOVED_OUT, r.move_out
        self.events.append(
            [unit_id, cpr_hash, person_id, masked, name, r.protected, kind, date, lookup]
        )

    def _no_longer_reported(
        self, unit_id: int, registrations: dict, before: dict, *, known, lookup
    ) -> None:
        for cpr_hash, reg in before.items():
            if cpr_hash in registrations:
                continue
            # No longer reported: moved out more than a year ago, or the registration was
            # corrected. A move-out not seen before is recorded without a date.
            if known and reg[8] is None:
                self.events.append(
                    [
                        unit_id,
                        cpr_hash,
                        self.persons.get(cpr_hash) or reg[9],
                        reg[4],
                        "" if reg[6] else reg[5],
                        reg[6],
                        EventKind.MOVED_OUT,
                        None,
                        lookup,
                    ]
                )
            self.deletes.append(reg[0])


# --- writing -------------------------------------------------------------------------------

_REGISTRATION_FIELDS = [
    "organisation",
    "unit",
    "cpr_encrypted",
    "cpr_hash",
    "cpr_masked",
    "name",
    "protected",
    "move_in",
    "move_out",
    "person",
    "first_seen_at",
    "changed_at",
]
_EVENT_FIELDS = [
    "organisation",
    "unit",
    "lease",
    "person",
    "cpr_hash",
    "cpr_masked",
    "name",
    "protected",
    "kind",
    "date",
    "detected_at",
    "lookup",
]
_OCCUPANCY_FIELDS = [
    "unit",
    "organisation",
    "status",
    "registered_count",
    "computed_at",
    "looked_up_at",
]


def _write_registrations(changes: _Changes, *, now) -> None:
    execute_any(f"DELETE FROM {table(CprRegistration)} WHERE {{any}}", "id", changes.deletes)  # noqa: S608
    for pk, (name, protected, move_in, move_out, person_id) in changes.changed:  # rare
        CprRegistration.objects.filter(pk=pk).update(
            name=name,
            protected=protected,
            move_in=move_in,
            move_out=move_out,
            person_id=person_id,
            changed_at=now,
        )
    bulk_insert(CprRegistration, _REGISTRATION_FIELDS, changes.creates)


def _write_moves(events: list[list], *, organisation: Organisation, leases: _Leases, now) -> None:
    """The moves, each linked to the lease of the person (else the unit's active lease)."""
    if not events:
        return
    leases.load(e[0] for e in events)
    bulk_insert(
        OccupancyEvent,
        _EVENT_FIELDS,
        [
            (
                organisation.pk,
                unit_id,
                leases.for_event(unit_id, cpr_hash),
                person_id,
                cpr_hash,
                masked,
                "" if protected else name,
                bool(protected),
                kind,
                date,
                now,
                lookup,
            )
            for unit_id, cpr_hash, person_id, masked, name, protected, kind, date, lookup in (
                events
            )
        ],
        conflict="ON CONFLICT DO NOTHING",
    )
    _tell_person_moved(events)


def _tell_person_moved(events: list[list]) -> None:
    """tenancy.hooks.person_moved with the moves of known people (the rent register makes
    the "contact UDK" task for a tenant in a temporary rehousing). A retried batch may tell
    a move twice; the reactions are idempotent."""
    moves = [
        hooks.PersonMove(person_id=person_id, unit_id=unit_id, kind=kind, date=date)
        for unit_id, _h, person_id, _m, _n, _p, kind, date, _lk in events
        if person_id is not None
    ]
    if moves and len(hooks.person_moved):
        hooks.person_moved.call(moves)


def _write_statuses(statuses: list[tuple]) -> None:
    bulk_insert(
        UnitOccupancy,
        _OCCUPANCY_FIELDS,
        statuses,
        conflict=(
            "ON CONFLICT (unit_id) DO UPDATE SET status = excluded.status, "
            "registered_count = excluded.registered_count, "
            "computed_at = excluded.computed_at, looked_up_at = excluded.looked_up_at"
        ),
    )
