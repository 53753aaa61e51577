"""GIN indexes for resident search on PostgreSQL (see people.expressions):

* trigram (pg_trgm) indexes for "contains" on names, standard addresses and masked phones (last four digits),
  and for the full-pinyin prefix inside name_pinyin ("zay zhangayi");
* an index on the characters of a name, string_to_array(name, NULL), for fragments of one or two characters,
  which trigrams cannot index.
Other databases need nothing here (SQLite scans), so both directions do nothing unless on PostgreSQL."""

from django.db import migrations

INDEXES = (
    ("people_resident_name_trgm", "people_resident", "name"),
    ("people_resident_pinyin_trgm", "people_resident", "name_pinyin"),
    ("people_resident_phone_masked_trgm", "people_resident", "phone_masked"),
    ("areas_dwelling_address_trgm", "areas_dwelling", "address"),
)
NAME_CHARS = (
    "CREATE INDEX IF NOT EXISTS people_resident_name_chars ON people_resident USING gin (string_to_array(name, NULL))"
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)")
    schema_editor.execute(NAME_CHARS)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP INDEX IF EXISTS people_resident_name_chars")


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
        ("people", "0003_export_job"),
    ]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
