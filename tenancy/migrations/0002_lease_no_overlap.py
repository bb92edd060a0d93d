"""No two leases on one unit may overlap in time (end date inclusive, open end = forever).

Django cannot express this portably, so: an exclusion constraint on PostgreSQL (btree_gist)
and BEFORE INSERT/UPDATE triggers on SQLite. The lease services check first and give a
Danish message; this is the backstop against two caseworkers acting at the same moment.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE tenancy_lease ADD CONSTRAINT lease_no_overlap EXCLUDE USING gist "
    "(unit_id WITH =, daterange(start_date, end_date, '[]') WITH &&)",
]
PG_BACKWARD = ["ALTER TABLE tenancy_lease DROP CONSTRAINT IF EXISTS lease_no_overlap"]

_SQLITE_CONDITION = """
    EXISTS (SELECT 1 FROM tenancy_lease other
            WHERE other.unit_id = NEW.unit_id AND other.id != COALESCE(NEW.id, -1)
              AND other.start_date <= COALESCE(NEW.end_date, '9999-12-31')
              AND COALESCE(other.end_date, '9999-12-31') >= NEW.start_date)
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER lease_no_overlap_insert BEFORE INSERT ON tenancy_lease "
    f"WHEN {_SQLITE_CONDITION} BEGIN SELECT RAISE(ABORT, 'lease_no_overlap'); END",
    f"CREATE TRIGGER lease_no_overlap_update BEFORE UPDATE ON tenancy_lease "
    f"WHEN {_SQLITE_CONDITION} BEGIN SELECT RAISE(ABORT, 'lease_no_overlap'); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS lease_no_overlap_insert",
    "DROP TRIGGER IF EXISTS lease_no_overlap_update",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
