"""A trigram index for the applicant search ("contains" on the normalised name and address).

PostgreSQL only (pg_trgm), like tenancy's person-name index; on SQLite the scan is fine at
the embedded default's size.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS wl_applicant_search_trgm ON waitlist_applicant "
    "USING gin (search_text gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS wl_applicant_search_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("waitlist", "0002_application_reminder")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
