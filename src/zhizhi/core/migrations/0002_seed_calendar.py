"""Seed the working-day calendar: 2025–2026 from the State Council notices, 2027's statutory days provisional."""

import csv
import datetime as dt
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "calendar.csv"


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    with DATA.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            CalendarDay.objects.update_or_create(
                date=dt.date.fromisoformat(row["date"]),
                defaults={"kind": row["kind"], "name": row["name"], "provisional": row["provisional"] == "1"},
            )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
