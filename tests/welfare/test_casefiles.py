"""Case files and advisors: opened for vulnerable people, risk with its factors, visits move the next due
date, advisors are assigned by load and see only their elders, whole ID numbers only where the role allows
(audited)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.welfare.helpers import resident
from zhizhi.core import clock
from zhizhi.core.errors import Forbidden, InvalidInput, NotFound
from zhizhi.core.models import AuditEntry
from zhizhi.welfare import queries
from zhizhi.welfare.models import CaseFile, Visit
from zhizhi.welfare.services import casefiles as svc

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(street, personas, family, family_b, sun, frozen_clock):
    """Case files for everyone vulnerable in the street: 张阿姨, 王大伯 (低保), 赵叔 (低保)."""
    assert svc.open_case_files(sun) == 3
    return {c.resident.name: c for c in CaseFile.objects.select_related("resident")}


def test_case_files_open_for_vulnerable_people_only_once(files, sun, family):
    assert set(files) == {"张阿姨", "王大伯", "赵叔"}  # 李阿婆 carries no vulnerable tag
    assert svc.open_case_files(sun) == 0


def test_risk_shows_its_factors_and_sets_the_visit_pace(files):
    zhang = files["张阿姨"]
    assert [f["code"] for f in zhang.risk_factors] == ["age", "alone"]
    assert (zhang.risk_score, zhang.risk_level, zhang.visit_interval_days) == (5, "medium", 14)
    assert zhang.next_visit_due == dt.date(2026, 11, 27) + dt.timedelta(days=14)


def test_advisors_are_assigned_by_community_balancing_load(files, advisors, personas, street):
    for i in range(4):
        resident(street.dwelling_a2, f"老人{i}", born=dt.date(1930 + i, 1, 1), tags=("独居",))
    svc.open_case_files(personas["chen"])
    plan = svc.assign_advisors(personas["chen"], street.community_a.code)
    assert len(plan) == 6  # 张阿姨, 王大伯 and the four elders of community A
    per_advisor = {}
    for casefile_id, advisor_id in plan.items():
        per_advisor.setdefault(advisor_id, []).append(CaseFile.objects.get(pk=casefile_id).risk_level)
    assert set(per_advisor) == {advisors["zhou"].pk, advisors["wu"].pk}
    from zhizhi.welfare.balancing import load_of

    loads = [load_of(levels) for levels in per_advisor.values()]
    assert abs(loads[0] - loads[1]) <= 4
    assert CaseFile.objects.get(resident__name="赵叔").advisor is None  # community B is not chen's


def test_an_advisor_sees_only_the_elders_assigned_to_them(files, advisors, sun):
    svc.assign_advisor(sun, files["张阿姨"].pk, "zhou")
    zhou, wu = advisors["zhou"], advisors["wu"]
    assert [c.resident.name for c in queries.register(zhou)] == ["张阿姨"]
    assert list(queries.register(wu)) == []
    queries.access_casefile(zhou, files["张阿姨"].pk)
    with pytest.raises(NotFound):
        queries.access_casefile(zhou, files["王大伯"].pk)
    with pytest.raises(NotFound):
        queries.access_casefile(wu, files["张阿姨"].pk)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("admin", {"张阿姨", "王大伯", "赵叔"}),
        ("li", {"张阿姨", "王大伯", "赵叔"}),
        ("qian", {"张阿姨", "王大伯", "赵叔"}),
        ("zhao", {"张阿姨", "王大伯", "赵叔"}),
        ("chen", {"张阿姨", "王大伯"}),
        ("xiaowang", {"张阿姨", "王大伯"}),  # grid A1
        ("outsider", {"赵叔"}),
        ("zhang", set()),  # a resident has no welfare register
    ],
)
def test_register_permission_matrix(files, personas, who, sees):
    assert {c.resident.name for c in queries.register(personas[who])} == sees


def test_a_visit_records_note_place_time_and_photos_and_moves_the_due_date(
    files, advisors, sun, frozen_clock
):
    svc.assign_advisor(sun, files["张阿姨"].pk, "zhou")
    frozen_clock.advance(days=20)  # six days overdue
    assert [c.resident.name for c in queries.overdue_visits(advisors["zhou"])] == ["张阿姨"]
    at = clock.now() - dt.timedelta(hours=1)
    visit = svc.record_visit(
        advisors["zhou"],
        files["张阿姨"].pk,
        note="精神不错，冰箱里有菜；提醒按时服药",
        at=at,
        lat=30.2712,
        lon=120.1611,
        photos=[("door.jpg", "image/jpeg", b"\xff\xd8\xff fake jpeg")],
    )
    assert visit.photos.count() == 1
    casefile = CaseFile.objects.get(pk=files["张阿姨"].pk)
    assert casefile.last_visit_at == at
    assert casefile.next_visit_due == at.astimezone(clock.SHANGHAI).date() + dt.timedelta(days=14)
    assert list(queries.overdue_visits(advisors["zhou"])) == []
    assert AuditEntry.objects.filter(
        object_type="welfare.visit", object_id=str(visit.pk), actor=advisors["zhou"]
    ).exists()


def test_a_visit_needs_a_note_and_sane_coordinates(files, sun):
    with pytest.raises(InvalidInput) as caught:
        svc.record_visit(sun, files["张阿姨"].pk, note=" ")
    assert caught.value.field == "note"
    with pytest.raises(InvalidInput) as caught:
        svc.record_visit(sun, files["张阿姨"].pk, note="ok", lat=30.2)
    assert caught.value.field == "lat"
    with pytest.raises(InvalidInput) as caught:
        svc.record_visit(
            sun, files["张阿姨"].pk, note="ok", photos=[("x.exe", "application/x-msdownload", b"MZ")]
        )
    assert caught.value.field == "photos"


def test_an_advisor_cannot_record_a_visit_to_someone_not_assigned(files, advisors):
    with pytest.raises(NotFound):
        svc.record_visit(advisors["zhou"], files["王大伯"].pk, note="顺路看看")
    assert Visit.objects.count() == 0


def test_whole_id_numbers_only_where_the_role_allows_and_always_audited(files, advisors, personas, sun):
    zhang = files["张阿姨"]
    svc.assign_advisor(sun, zhang.pk, "zhou")
    shown = svc.reveal(personas["chen"], zhang.pk)
    assert shown["id_number"] == personas["zhang_record"].id_number
    advisor_view = svc.reveal(advisors["zhou"], zhang.pk)
    assert (
        advisor_view["id_number"] == personas["zhang_record"].id_number_masked
    )  # an advisor gets the phone only
    assert advisor_view["phone"] == "13812345678"
    reveals = AuditEntry.objects.filter(action="reveal", object_id=str(personas["zhang_record"].pk))
    assert {(e.actor.username, e.summary) for e in reveals} == {
        ("chen", "viewed whole id_number, phone"),
        ("zhou", "viewed whole phone"),
    }
    with pytest.raises(Forbidden):
        svc.reveal(personas["li"], zhang.pk)  # a dispatcher never sees whole numbers


def test_assessments_plans_and_referrals_appear_on_the_timeline(files, sun, frozen_clock):
    from zhizhi.welfare.timeline import timeline

    zhang = files["张阿姨"]
    frozen_clock.advance(minutes=5)
    svc.record_assessment(
        sun, zhang.pk, needs={"daily_living": "some", "safety": "high"}, summary="独居，夜间起身不便"
    )
    frozen_clock.advance(minutes=5)
    svc.set_service_plan(
        sun, zhang.pk, goals="安全居家", services=[{"service": "助浴", "frequency": "每周一次"}]
    )
    frozen_clock.advance(minutes=5)
    svc.refer(sun, zhang.pk, to="社区卫生服务中心", reason="血压偏高")
    frozen_clock.advance(minutes=5)
    svc.record_visit(sun, zhang.pk, note="送药上门")
    kinds = [e.kind for e in timeline(CaseFile.objects.get(pk=zhang.pk))]
    assert kinds[:3] == ["visit", "referral", "plan"]
    assert set(kinds) >= {"visit", "referral", "plan", "assessment", "opened"}
    with pytest.raises(InvalidInput) as caught:
        svc.record_assessment(sun, zhang.pk, needs={"flying": "high"})
    assert caught.value.field == "needs"
