"""A trigram index for the person list's name filter ("contains", any part of the name).

PostgreSQL only (pg_trgm); Django's icontains compiles to UPPER(name) LIKE UPPER(%s), so the
index is on UPPER(name). On SQLite there is no equivalent and the table scan is acceptable
at the embedded default's size.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS person_name_upper_trgm ON tenancy_person "
    "USING gin (UPPER(name) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS person_name_upper_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0004_list_indexes_and_danish_constraint_messages")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
