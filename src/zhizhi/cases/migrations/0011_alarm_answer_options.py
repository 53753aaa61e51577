"""独居老人告警: the alarm-type question also offers 外出未归 (went out, not back) and 异常静默 (an unusually long
silence), the door-sensor alarms that used to be filed as 长时间未开门. Added to an existing taxonomy only
where the question is still there; a district's other edits stay."""

from django.db import migrations

CODE = "S02001"
NEW = ["外出未归", "异常静默"]


def add_options(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    for category in Category.objects.filter(code=CODE):
        questions = list(category.questions or [])
        changed = False
        for question in questions:
            if isinstance(question, dict) and question.get("key") == "alarm" and question.get("type") == "choice":
                options = list(question.get("options") or [])
                missing = [o for o in NEW if o not in options]
                if missing:
                    question["options"] = options + missing
                    changed = True
        if changed:
            category.questions = questions
            category.save(update_fields=["questions"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_lean_case_indexes")]
    operations = [migrations.RunPython(add_options, migrations.RunPython.noop)]
