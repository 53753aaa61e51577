"""The seeded taxonomy (data, editable) and the model enums that mirror the pure workflow."""

from __future__ import annotations

import pytest

from zhizhi.cases import workflow
from zhizhi.cases.models import CaseAction, CaseStatus, Category, Step, UnitType
from zhizhi.cases.services import find_category

NAMED_IN_THE_ISSUE = [
    "暴露垃圾",
    "道路不洁",
    "垃圾满溢",
    "机动车乱停放",
    "占道经营",
    "乱堆物堆料",
    "邻里纠纷",
    "物业服务",
    "噪音扰民",
    "独居老人告警",
    "无障碍设施损坏",
]


@pytest.mark.django_db
def test_the_migration_seeds_events_components_and_street_matters():
    assert Category.objects.count() >= 150
    assert set(Category.objects.values_list("kind", flat=True)) == {"event", "component"}
    majors = set(Category.objects.values_list("major_name", flat=True))
    assert {"市容环境类", "宣传广告类", "施工管理类", "街面秩序类", "市政公用设施", "园林绿化设施"} <= majors
    assert {"社区治理类", "民生服务类"} <= majors


@pytest.mark.django_db
@pytest.mark.parametrize("name", NAMED_IN_THE_ISSUE)
def test_every_matter_named_in_the_issue_is_a_category(name):
    category = find_category(name)
    assert category.active and category.department and category.default_unit_type in UnitType.values


@pytest.mark.django_db
def test_real_limits_from_published_standards_are_kept_with_their_source():
    exposed = Category.objects.get(name="暴露垃圾")
    assert exposed.limit("handle") == (4.0, "work_hours")
    assert exposed.register_condition.startswith("主次干道")
    assert "renrendoc" in exposed.limit_source
    assert Category.objects.get(name="道路不洁").limit("handle") == (5.0, "work_hours")
    assert Category.objects.get(name="水域不洁").limit("handle") == (15.0, "work_days")


@pytest.mark.django_db
def test_urgent_matters_run_on_clock_hours_and_enforcement_matters_are_marked():
    alarm = Category.objects.get(name="独居老人告警")
    assert alarm.urgent and alarm.limit("handle") == (2.0, "clock_hours")
    assert Category.objects.get(name="占道经营").enforcement
    assert not Category.objects.get(name="邻里纠纷").enforcement


@pytest.mark.django_db
def test_every_category_has_a_positive_limit_for_every_step():
    for category in Category.objects.all():
        for step in Step.values:
            amount, unit = category.limit(step)
            assert amount > 0 and unit in ("work_hours", "work_days", "clock_hours"), (category, step)


@pytest.mark.django_db
def test_a_category_can_be_switched_off(personas):
    from zhizhi.core.errors import InvalidInput

    Category.objects.filter(name="暴露垃圾").update(active=False)
    with pytest.raises(InvalidInput) as err:
        find_category("暴露垃圾")
    assert err.value.field == "category"


def test_model_statuses_mirror_the_workflow():
    assert set(CaseStatus.values) == {s.value for s in workflow.Status}


def test_model_actions_mirror_the_workflow_plus_the_report():
    assert set(CaseAction.values) == {a.value for a in workflow.Action} | {"open"}


def test_model_steps_mirror_the_workflow():
    assert set(Step.values) == {s.value for s in workflow.Step}


def test_the_back_office_lists_the_taxonomy_units_and_cases(client, personas, units, report):
    case = report()
    client.force_login(personas["admin"])
    for url in (
        "/admin/cases/category/",
        "/admin/cases/handlingunit/",
        "/admin/cases/routingrule/",
        "/admin/cases/case/",
        f"/admin/cases/case/{case.pk}/change/",
        "/admin/cases/notification/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_back_office_never_edits_a_case(client, personas, report):
    case = report()
    client.force_login(personas["admin"])
    client.post(f"/admin/cases/case/{case.pk}/change/", {"status": "closed"})
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED
