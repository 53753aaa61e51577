"""Seed the case taxonomy from cases/data/categories.csv (GB/T 47678.5 classes, two cities' published limits,
street matters; every value editable afterwards). Re-running updates by code and leaves edits to other rows."""

import csv
import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "categories.csv"
STEPS = ("register", "dispatch", "sign", "handle", "verify", "close")


def seed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    with DATA.open(encoding="utf-8") as f:
        for order, row in enumerate(csv.DictReader(f), start=1):
            defaults = {
                "kind": row["kind"],
                "major_code": row["major_code"],
                "major_name": row["major_name"],
                "minor_code": row["minor_code"],
                "name": row["name"],
                "aliases": row["aliases"],
                "department": row["department"],
                "default_unit_type": row["default_unit_type"],
                "default_level": row["default_level"],
                "enforcement": row["enforcement"] == "1",
                "urgent": row["urgent"] == "1",
                "register_condition": row["register_condition"],
                "close_condition": row["close_condition"],
                "questions": json.loads(row["questions"]) if row["questions"] else [],
                "limit_source": row["limit_source"],
                "sort_order": order,
            }
            for step in STEPS:
                defaults[f"{step}_limit"] = Decimal(row[f"{step}_limit"])
                defaults[f"{step}_limit_unit"] = row[f"{step}_unit"]
            Category.objects.update_or_create(code=row["code"], defaults=defaults)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
