"""Seed the programmes of a Hangzhou street (data, editable afterwards), their delivery partners and the
local 低保 standard. Figures are examples to check against the current local notices."""

import datetime as dt
import secrets
from decimal import Decimal

from django.db import migrations

PARTNERS = [
    # code, name, delivery, fields, id_mode
    (
        "bank",
        "社会保障卡代发银行",
        "xlsx",
        ["reference", "account_number", "holder_name", "id_masked", "amount", "period"],
        "masked",
    ),
    (
        "state-grid",
        "国网杭州供电公司",
        "xlsx",
        ["reference", "account_number", "holder_name", "id_hash", "quantity", "unit", "period"],
        "hashed",
    ),
    (
        "water",
        "杭州水务集团",
        "csv",
        ["reference", "account_number", "holder_name", "id_masked", "quantity", "unit", "period"],
        "masked",
    ),
    (
        "eldercare-platform",
        "居家养老服务平台",
        "http",
        ["reference", "holder_name", "id_masked", "quantity", "unit", "period"],
        "masked",
    ),
]

LOW = '"低保" in household_tags or "特困" in household_tags'
PROGRAMMES = [
    # code, name, target, rule, benefit, amount, formula, unit, cycle, partner, consent, policy
    (
        "dibao",
        "最低生活保障（低保）",
        "household",
        "per_capita_income < dibao_standard",
        "cash",
        None,
        "(dibao_standard - per_capita_income) * household_size",
        "yuan",
        "monthly",
        "bank",
        True,
        "家庭月人均收入低于当地低保标准的，按差额发放低保金；需家庭授权经济状况核对。",
    ),
    (
        "dibian",
        "低保边缘（低边）",
        "household",
        'per_capita_income >= dibao_standard and per_capita_income < dibian_standard\nand "低保" not in household_tags',
        "in_kind",
        None,
        "",
        "yuan",
        "yearly",
        None,
        True,
        "家庭月人均收入在低保标准 1.5 倍以内的，纳入医疗、教育、住房等专项救助。",
    ),
    (
        "tekun",
        "特困人员供养",
        "person",
        "(age >= 60 or disability_grade in [1, 2]) and household_size == 1 and income < dibao_standard",
        "cash",
        None,
        "dibao_standard * 1.3",
        "yuan",
        "monthly",
        "bank",
        True,
        "无劳动能力、无生活来源、无法定赡养抚养扶养义务人的老年人、残疾人，基本生活标准为低保标准的 1.3 倍。",
    ),
    (
        "disability",
        "残疾人两项补贴",
        "person",
        'disability_grade in [1, 2]\nor (disability_grade > 0 and ("低保" in household_tags or "低边" in household_tags))',
        "cash",
        None,
        '(if disability_grade in [1, 2] then 300 else 0)\n+ (if "低保" in household_tags or "低边" in household_tags then 200 else 0)',
        "yuan",
        "monthly",
        "bank",
        False,
        "重度残疾人护理补贴（一、二级）与困难残疾人生活补贴（低保、低边家庭中的残疾人）。",
    ),
    (
        "aged",
        "高龄津贴",
        "person",
        "age >= 80",
        "cash",
        None,
        "if age >= 100 then 500 else if age >= 90 then 200 else 100",
        "yuan",
        "monthly",
        "bank",
        False,
        "80 周岁及以上老年人按月发放高龄津贴，90、100 周岁以上提高标准。",
    ),
    (
        "alone-care",
        "独居老人关爱",
        "person",
        "age >= 60 and living_alone",
        "in_kind",
        Decimal("4"),
        "",
        "visits",
        "monthly",
        None,
        False,
        "60 周岁以上独居老人每月至少 4 次探访关爱（养老顾问、网格员、志愿者）。",
    ),
    (
        "home-care",
        "居家养老服务补贴",
        "person",
        'age >= 60 and ("低保" in household_tags or "低边" in household_tags or "特困" in tags\nor ("失能" in tags and age >= 80))',
        "voucher",
        Decimal("300"),
        "",
        "points",
        "monthly",
        "eldercare-platform",
        True,
        "困难老年人和 80 周岁以上失能老年人每月发放居家养老服务补贴，以服务积分形式在服务平台使用。",
    ),
    (
        "power",
        "电费减免",
        "household",
        LOW,
        "fee_reduction",
        Decimal("15"),
        "",
        "kwh",
        "monthly",
        "state-grid",
        False,
        "低保、特困家庭每户每月免费用电 15 千瓦时，直接在电费中抵扣。",
    ),
    (
        "water",
        "水费减免",
        "household",
        LOW,
        "fee_reduction",
        Decimal("5"),
        "",
        "m3",
        "monthly",
        "water",
        False,
        "低保、特困家庭每户每月减免 5 立方米水费，直接在水费中抵扣。",
    ),
    (
        "temporary",
        "临时救助",
        "household",
        "chronic_illness and per_capita_income < dibian_standard",
        "cash",
        None,
        "dibao_standard * 3",
        "yuan",
        "once",
        "bank",
        True,
        "因病等原因导致基本生活暂时困难的家庭，给予一次性临时救助，一般不超过低保标准的 3 倍。",
    ),
]


def seed(apps, schema_editor):
    Partner = apps.get_model("welfare", "Partner")
    Programme = apps.get_model("welfare", "Programme")
    LocalStandard = apps.get_model("welfare", "LocalStandard")
    partners = {}
    for code, name, delivery, fields, id_mode in PARTNERS:
        partners[code], _ = Partner.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "delivery": delivery,
                "fields": fields,
                "id_mode": id_mode,
                "hash_salt": secrets.token_hex(16) if id_mode == "hashed" else "",
            },
        )
    for position, row in enumerate(PROGRAMMES, start=1):
        code, name, target, rule, benefit, amount, formula, unit, cycle, partner, consent, policy = row
        Programme.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "target": target,
                "rule": rule,
                "benefit_kind": benefit,
                "amount": amount,
                "formula": formula,
                "unit": unit,
                "cycle": cycle,
                "partner": partners.get(partner),
                "requires_consent": consent,
                "policy": policy,
                "position": position,
            },
        )
    for code, amount in (("dibao_standard", Decimal("1245")), ("dibian_standard", Decimal("1867.50"))):
        LocalStandard.objects.update_or_create(
            code=code,
            area_code="",
            valid_from=dt.date(2025, 1, 1),
            defaults={"amount": amount, "note": "杭州市区（示例，以当年公布标准为准）"},
        )


class Migration(migrations.Migration):
    dependencies = [("welfare", "0001_initial"), ("people", "0002_seed_tags")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
