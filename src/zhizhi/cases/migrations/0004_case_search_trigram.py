"""Trigram (pg_trgm) GIN indexes for the case search's "contains" on title, address and description, over the
same expression Django's icontains filters with on PostgreSQL (UPPER(col::text) LIKE UPPER('%…%')). Other
databases need nothing here (SQLite scans), so both directions do nothing unless on PostgreSQL."""

from django.db import migrations

INDEXES = (
    ("cases_case_title_trgm", "title"),
    ("cases_case_address_trgm", "address"),
    ("cases_case_description_trgm", "description"),
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON cases_case USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_transition_step_started"),
    ]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
