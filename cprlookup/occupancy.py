"""The occupancy picture: what CPR last said about each unit, the moves that reveals, and the
392-style status derived from it (DOMAIN.md §2).

`apply_answers` is called by `cprlookup.services` inside its transaction with the answered
searches of one ad-hoc lookup or one batch of a scan. A nightly scan applies tens of
thousands of answers, so it works set-based: a fixed handful of statements per batch
whatever its size, rows read as tuples (no model instances) and written with `bulk_insert`
(on PostgreSQL one `INSERT ... SELECT FROM unnest(...)` per table). Leases are read only for
the units that need them (a move to link, a protected resident CPR gave no address for),
and a CPR number already stored encrypted for the unit is not encrypted again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from django.db import connection

from core import crypto
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

# --- set-based SQL helpers ------------------------------------------------------------------


def _pg() -> bool:
    return connection.vendor == "postgresql"


def raw_cursor():
    """A server-side-binding psycopg cursor on Django's connection (same transaction).

    Django's PostgreSQL backend uses client-side binding, which quotes every array element
    into the SQL text in Python; a plain cursor sends the arrays as binary parameters
    (%b), several times cheaper for the thousands of values a scan batch writes. Lists
    made with `pg_array` dump with their declared element type."""
    import psycopg

    connection.ensure_connection()
    cursor = psycopg.Cursor(connection.connection)
    for cls, dumper in _ARRAY_TYPES.values():
        cursor.adapters.register_dumper(cls, dumper)
    return cursor


_ARRAY_TYPES: dict[str, tuple[type, type]] = {}


def pg_array(values, type_name: str) -> list:
    """`values` as a list that psycopg sends as a binary PostgreSQL array of `type_name`
    ("bigint", "varchar", "uuid", ...) without looking at its elements first: its generic
    list dumper scans every element to choose the element type (for integers the largest
    one), which was a tenth of a scan worker's CPU. Use on a `raw_cursor`."""
    name = type_name.split("(")[0].strip()
    if name not in _ARRAY_TYPES:
        import psycopg
        from psycopg.types.array import ListBinaryDumper

        info = psycopg.adapters.types[name]
        cls = type(f"{info.name}_list", (list,), {})
        dumper = type(
            f"{info.name}_array_dumper",
            (ListBinaryDumper,),
            {"oid": info.array_oid, "element_oid": info.oid},
        )
        _ARRAY_TYPES[name] = (cls, dumper)
    return _ARRAY_TYPES[name][0](values)


def _array_of(values: list) -> list:
    """pg_array for an `= ANY(...)` list of ids, hashes or UUIDs (typed by the first)."""
    first = values[0]
    if isinstance(first, int):
        return pg_array(values, "bigint")
    if isinstance(first, uuid.UUID):
        return pg_array(values, "uuid")
    if isinstance(first, str):
        return pg_array(values, "text")
    return values


def bulk_insert(model, fields: list[str], rows: list[tuple], *, conflict: str = "") -> None:
    """Insert `rows` (tuples in `fields` order, plain Python values) in one statement.

    PostgreSQL: a binary COPY; with a `conflict` clause (COPY has none) one
    `INSERT ... SELECT * FROM unnest(%s::type[], ...)`, one array per column, so the
    statement and its parameters do not grow with the number of rows. Elsewhere (SQLite
    in tests and the embedded default) an executemany of the same INSERT. `conflict` is an
    `ON CONFLICT ...` clause both understand. Model.save is bypassed: callers pass every
    value (auto_now_add included)."""
    if not rows:
        return
    meta = model._meta
    fobjs = [meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    columns = ", ".join(qn(f.column) for f in fobjs)
    if _pg() and not conflict:
        # COPY in binary format: the rows are encoded by psycopg's C dumpers and PostgreSQL
        # parses no SQL per row (several times cheaper than unnest arrays on both sides).
        types = [f.db_type(connection).split("(")[0] for f in fobjs]
        statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
        with raw_cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        return
    if _pg():
        types = [f.db_type(connection) for f in fobjs]
        arrays = ", ".join(f"%b::{t}[]" for t in types)
        with raw_cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) {conflict}",  # noqa: S608 - names from model metadata
                [pg_array(col, t) for col, t in zip(zip(*rows, strict=True), types, strict=True)],
            )
        return
    marks = ", ".join(["%s"] * len(fobjs))
    prepared = [
        tuple(f.get_db_prep_save(v, connection) for f, v in zip(fobjs, row, strict=True))
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks}) {conflict}",  # noqa: S608 - names from model metadata
            prepared,
        )


def select_any(sql: str, column: str, values, params: tuple = ()) -> list[tuple]:
    """Run `sql` with `{any}` replaced by "column matches one of values" (PostgreSQL:
    `= ANY(%b)` with one binary array parameter; elsewhere an IN list) and return the rows."""
    values = list(values)
    if not values:
        return []
    if _pg():
        with raw_cursor() as cursor:
            cursor.execute(sql.format(any=f"{column} = ANY(%b)"), [*params, _array_of(values)])
            return cursor.fetchall()
    clause = f"{column} IN ({', '.join(['%s'] * len(values))})"
    with connection.cursor() as cursor:
        cursor.execute(sql.format(any=clause), [*params, *values])
        return cursor.fetchall()


def execute_any(sql: str, column: str, values, params: tuple = ()) -> None:
    """Like select_any for a statement without result rows (UPDATE/DELETE)."""
    values = list(values)
    if not values:
        return
    if _pg():
        with raw_cursor() as cursor:
            cursor.execute(sql.format(any=f"{column} = ANY(%b)"), [*params, _array_of(values)])
        return
    clause = f"{column} IN ({', '.join(['%s'] * len(values))})"
    with connection.cursor() as cursor:
        cursor.execute(sql.format(any=clause), [*params, *values])


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# --- the occupancy picture ------------------------------------------------------------------


def derive_status(*, unit: Unit | None = None, registered_now: int, letting_code=None) -> str:
    """392-style status: 3 when nobody is registered in CPR, 2 when BBR field 322 says the
    owner uses it, otherwise 1 (let)."""
    if unit is not None:
        letting_code = unit.letting_code
    if registered_now == 0:
        return OccupancyStatus.NOT_USED
    if letting_code == LettingCode.OWNER:
        return OccupancyStatus.OWNER
    return OccupancyStatus.LET


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
            f"FROM {_table(Lease)} l "
            f"LEFT JOIN {_table(Lease.parties.through)} lp ON lp.lease_id = l.id "
            f"LEFT JOIN {_table(Person)} p ON p.id = lp.person_id "
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
    placed: dict = {}
    if not ok:
        return placed

    # Units each answer covers (the unit, or every unit of the stairwell) and whether each
    # has been looked up before (no moves are reported on a unit's first lookup).
    # unit tuple: (pk, entrance_id, dar_id, floor, door, letting_code)
    stairwells = {a.target.entrance.pk for a, _lk in ok if a.target.unit is None}
    single = {a.target.unit.pk for a, _lk in ok if a.target.unit is not None}
    t_unit, t_occ = _table(Unit), _table(UnitOccupancy)
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
    unit_ids = {u[0] for covered in scope.values() for u in covered}

    # What CPR said last time about these units.
    previous: dict[int, dict[str, tuple]] = defaultdict(dict)
    encrypted_of: dict[str, str] = {}
    reg_sql = (
        "SELECT id, unit_id, cpr_hash, cpr_encrypted, cpr_masked, name, protected, move_in, "  # noqa: S608
        f"move_out, person_id FROM {_table(CprRegistration)} WHERE {{any}}"
    )
    # A person a registration is linked to stays linked (a deleted person sets it NULL):
    # only CPR numbers without one are looked for among the organisation's people.
    persons: dict[str, int] = {}
    for row in select_any(reg_sql, "unit_id", unit_ids):
        previous[row[1]][row[2]] = row
        encrypted_of[row[2]] = row[3]
        if row[9] is not None:
            persons[row[2]] = row[9]

    # Hash every CPR number once. Encrypt only a number neither a registration of these
    # units nor a person of the organisation already holds encrypted (Fernet per resident
    # was most of a first scan's CPU; a ciphertext decrypts the same wherever it is kept).
    plain: dict[str, str] = {}
    for a, _lk in ok:
        for r in a.residents:
            if r.cpr not in plain:
                plain[r.cpr] = crypto.search_hash(r.cpr)
    found: dict[str, int] = {}
    for cpr_hash, pk, encrypted in select_any(
        f"SELECT cpr_hash, id, cpr_encrypted FROM {_table(Person)} "  # noqa: S608
        "WHERE organisation_id = %s AND {any} ORDER BY id",
        "cpr_hash",
        {h for h in plain.values() if h not in persons},
        (organisation.pk,),
    ):
        found.setdefault(cpr_hash, pk)
        if encrypted:
            encrypted_of.setdefault(cpr_hash, encrypted)
    persons.update(found)
    hashes: dict[str, tuple[str, str]] = {
        cpr: (h, encrypted_of.get(h) or crypto.encrypt(cpr)) for cpr, h in plain.items()
    }

    # Place every resident on a unit of the answer's scope: by DAR id, floor/door, the only
    # unit; a protected resident (no address from CPR) by the lease naming them.
    leases = _Leases()
    new: dict[int, dict[str, object]] = {}
    unplaced = []
    for a, lk in ok:
        covered = scope[lk]
        by_dar = {u[2]: u[0] for u in covered}
        by_floor_door = {(_norm(u[3]), _norm(u[4])): u[0] for u in covered}
        for u in covered:
            new[u[0]] = {}
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
    if unplaced:
        leases.load(u[0] for _row, covered in unplaced for u in covered)
        for row, covered in unplaced:
            row[1] = next((u[0] for u in covered if (u[0], row[3]) in leases.of_party), None)
    for lk, out in placed.items():
        for row in out:
            if row[1] is not None:
                new[row[1]][row[3]] = (row[0], row[4])
        placed[lk] = [tuple(row) for row in out]
    lookup_for_unit = {u[0]: lk for a, lk in ok for u in scope[lk]}

    creates, changed, deletes, statuses = [], [], [], []
    events = []  # [unit_id, cpr_hash, person_id, masked, name, protected, kind, date, lookup]
    for unit_id, registrations in new.items():
        letting_code = units[unit_id][5]
        before = previous.get(unit_id, {})
        known = unit_id in baseline
        lookup = lookup_for_unit[unit_id]
        for cpr_hash, (r, encrypted) in registrations.items():
            reg = before.get(cpr_hash)
            person_id = persons.get(cpr_hash)
            name = "" if r.protected else (r.name or "")[:200]
            masked = f"{r.cpr[:6]}-xxxx"
            if reg is None:
                creates.append(
                    (
                        organisation.pk,
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
                if known:
                    kind = EventKind.MOVED_IN if r.move_out is None else EventKind.MOVED_OUT
                    date = r.move_in if r.move_out is None else r.move_out
                    events.append(
                        [
                            unit_id,
                            cpr_hash,
                            person_id,
                            masked,
                            name,
                            r.protected,
                            kind,
                            date,
                            lookup,
                        ]
                    )
                continue
            _id, _u, _h, _enc, _masked, old_name, old_prot, old_in, old_out, old_person = reg
            if known and old_out is None and r.move_out is not None:
                events.append(
                    [
                        unit_id,
                        cpr_hash,
                        person_id,
                        masked,
                        name,
                        r.protected,
                        EventKind.MOVED_OUT,
                        r.move_out,
                        lookup,
                    ]
                )
            elif known and old_out is not None and r.move_out is None:
                events.append(
                    [
                        unit_id,
                        cpr_hash,
                        person_id,
                        masked,
                        name,
                        r.protected,
                        EventKind.MOVED_IN,
                        r.move_in,
                        lookup,
                    ]
                )
            values = (name, bool(r.protected), r.move_in, r.move_out, person_id)
            # Most registrations are unchanged from night to night: write only real changes
            # (the unit's occupancy row records when CPR confirmed the rest).
            if values != (old_name, bool(old_prot), old_in, old_out, old_person):
                changed.append((_id, values))
        for cpr_hash, reg in before.items():
            if cpr_hash in registrations:
                continue
            # No longer reported: moved out more than a year ago, or the registration was
            # corrected. A move-out not seen before is recorded without a date.
            if known and reg[8] is None:
                events.append(
                    [
                        unit_id,
                        cpr_hash,
                        persons.get(cpr_hash) or reg[9],
                        reg[4],
                        "" if reg[6] else reg[5],
                        reg[6],
                        EventKind.MOVED_OUT,
                        None,
                        lookup,
                    ]
                )
            deletes.append(reg[0])
        registered_now = sum(1 for r, _e in registrations.values() if r.move_out is None)
        statuses.append(
            (
                unit_id,
                organisation.pk,
                derive_status(registered_now=registered_now, letting_code=letting_code),
                registered_now,
                now,
                now,
            )
        )

    t_reg = _table(CprRegistration)
    execute_any(f"DELETE FROM {t_reg} WHERE {{any}}", "id", deletes)  # noqa: S608
    for pk, (name, protected, move_in, move_out, person_id) in changed:  # rare: real changes
        CprRegistration.objects.filter(pk=pk).update(
            name=name,
            protected=protected,
            move_in=move_in,
            move_out=move_out,
            person_id=person_id,
            changed_at=now,
        )
    bulk_insert(
        CprRegistration,
        [
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
        ],
        creates,
    )
    if events:
        leases.load(e[0] for e in events)
        bulk_insert(
            OccupancyEvent,
            [
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
            ],
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
    bulk_insert(
        UnitOccupancy,
        ["unit", "organisation", "status", "registered_count", "computed_at", "looked_up_at"],
        statuses,
        conflict=(
            "ON CONFLICT (unit_id) DO UPDATE SET status = excluded.status, "
            "registered_count = excluded.registered_count, "
            "computed_at = excluded.computed_at, looked_up_at = excluded.looked_up_at"
        ),
    )
    return placed
