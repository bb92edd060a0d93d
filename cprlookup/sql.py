"""Set-based SQL for the scan's hot path: bulk inserts and `= ANY(...)` reads and writes.

A nightly scan records tens of thousands of answers, so the recording code (`occupancy`,
`services.answers`, `services.scan_recording`) works in a fixed handful of statements per
batch whatever its size. On PostgreSQL the statements go through `raw_cursor` with binary
array parameters (`pg_array`); elsewhere (SQLite in tests and the embedded default) through
Django's cursor with the same SQL.
"""

from __future__ import annotations

import uuid

from django.db import connection


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


def table(model) -> str:
    """The model's quoted table name, for SQL written by hand."""
    return connection.ops.quote_name(model._meta.db_table)
