from django.db import migrations

TAGS = [
    ("alone", "独居", "独居老人或独自居住"),
    ("aged", "高龄", "80 周岁及以上"),
    ("dibao", "低保", "最低生活保障对象"),
    ("dibian", "低边", "低保边缘对象"),
    ("tekun", "特困", "特困供养人员"),
    ("disabled", "残疾", "持有残疾人证"),
    ("incapacitated", "失能", "失能或半失能"),
    ("party", "党员", "中共党员"),
    ("volunteer", "志愿者", "注册志愿者"),
    ("elderly", "老年人", "60 周岁及以上"),
]


def seed(apps, schema_editor):
    Tag = apps.get_model("people", "Tag")
    for code, name, description in TAGS:
        Tag.objects.update_or_create(code=code, defaults={"name": name, "description": description})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
