"""Stamp the facts the indicators read (cases.indicators.stamps) on CLOSE rows written before closures were
stamped: the same aggregate over each case's earlier rows."""

from django.db import migrations
from django.db.models import Count, Max, Q

ASSIGN = ["dispatch", "escalate", "send_down", "reopen"]
HELD = ["dispatched", "accepted", "in_handling"]


def stamp(apps, schema_editor):
    Transition = apps.get_model("cases", "Transition")
    late = Q(on_time=False) | Q(action="warn", data__overdue=True)
    for row in Transition.objects.filter(action="close").exclude(data__has_key="late").iterator():
        unit = row.unit_from_id
        earlier = Transition.objects.filter(case_id=row.case_id, at__lte=row.at).exclude(pk=row.pk)
        facts = earlier.aggregate(
            registered=Max("at", filter=Q(action="register")),
            assigned=Max("at", filter=Q(action__in=ASSIGN, unit_to_id=unit)),
            closes=Count("id", filter=Q(action="close")),
            late=Count("id", filter=late),
            late_unit=Count("id", filter=late & Q(unit_from_id=unit, from_status__in=HELD)),
        )
        data = {
            **(row.data or {}),
            "first": facts["closes"] == 0,
            "registered_at": int(facts["registered"].timestamp()) if facts["registered"] else None,
            "assigned_at": int(facts["assigned"].timestamp()) if facts["assigned"] else None,
            "late": bool(facts["late"]) or row.on_time is False,
            "late_unit": bool(facts["late_unit"]) and unit is not None,
        }
        Transition.objects.filter(pk=row.pk).update(data=data)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_case_search_indexes"),
    ]
    operations = [migrations.RunPython(stamp, migrations.RunPython.noop)]
