"""Ingestion's write path (sensors/README.md, "Ingestion throughput"): per event, one index fewer to keep for
the dedup key (a unique constraint has no varchar_pattern_ops twin, which nothing here queries with LIKE) and
none for device_id alone (the (device, at) index serves it); devices keep half of each page free so that the
state written after every batch is a HOT update (no new entries in the device table's eight indexes)."""

import django.db.models.deletion
from django.db import migrations, models


def device_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE sensors_device SET (fillfactor = 50)")


def device_fillfactor_reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE sensors_device RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("sensors", "0002_installation_reason_threshold_changes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sensorevent",
            name="device",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="sensors.device",
            ),
        ),
        migrations.AlterField(
            model_name="sensorevent",
            name="dedup_key",
            field=models.CharField(max_length=64),
        ),
        migrations.AddConstraint(
            model_name="sensorevent",
            constraint=models.UniqueConstraint(fields=("dedup_key",), name="sensorevent_dedup_key"),
        ),
        migrations.RunPython(device_fillfactor, device_fillfactor_reset, elidable=False),
    ]
