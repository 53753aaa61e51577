"""Enrolment: the rule drafts, staff verify in bulk with the explanation, consent where required, periodic
re-evaluation flags (never drops) those who no longer qualify; every change is audited with before/after."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.welfare.helpers import AS_OF
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhizhi.core.models import AuditEntry
from zhizhi.welfare.models import Enrolment, EnrolmentStatus, WelfareProfile
from zhizhi.welfare.services import enrolment as svc

pytestmark = pytest.mark.django_db


def enrolment_of(programme, resident):
    return Enrolment.objects.get(programme=programme, resident=resident)


def test_reevaluation_drafts_each_new_match_once(family, programmes):
    first = svc.reevaluate_programme(programmes["aged"], AS_OF)
    again = svc.reevaluate_programme(programmes["aged"], AS_OF)
    assert (first.matched, first.drafted) == (1, 1)  # 张阿姨, 85
    assert (again.matched, again.drafted, again.flagged) == (1, 0, 0)
    assert Enrolment.objects.filter(programme=programmes["aged"]).get().status == EnrolmentStatus.DRAFT


def test_a_household_programme_enrols_the_household_through_its_head(family, family_b, programmes):
    svc.reevaluate_programme(programmes["power"], AS_OF)
    rows = Enrolment.objects.filter(programme=programmes["power"]).order_by("resident__name")
    assert [(e.resident.name, e.household.number) for e in rows] == [("王大伯", "A1-002"), ("赵叔", "B1-002")]


def test_an_unassessed_household_is_not_drafted_for_dibao(street, family, programmes):
    from tests.welfare.helpers import household, resident

    nobody_knows = resident(street.dwelling_a2, "钱某", tags=())  # no welfare profile: income unknown
    household(street.dwelling_a2, "A2-009", nobody_knows)
    svc.reevaluate_programme(programmes["dibao"], AS_OF)
    assert list(
        Enrolment.objects.filter(programme=programmes["dibao"]).values_list("resident__name", flat=True)
    ) == ["王大伯"]


def test_bulk_verify_keeps_the_explanation_and_enrols_when_no_consent_is_needed(
    family, family_b, programmes, sun
):
    svc.reevaluate_programme(programmes["power"], AS_OF)
    ids = list(Enrolment.objects.filter(programme=programmes["power"]).values_list("pk", flat=True))
    svc.verify_enrolments(sun, ids, as_of=AS_OF)
    wang = enrolment_of(programmes["power"], family["wang"])
    assert wang.status == EnrolmentStatus.ENROLLED
    events = list(wang.events.values_list("action", "from_status", "to_status"))
    assert events == [
        ("match", "", "draft"),
        ("verify", "draft", "verified"),
        ("enrol", "verified", "enrolled"),
    ]
    verify = wang.events.get(action="verify")
    assert verify.actor_name == "sun"
    assert verify.explanation[0] == '✓ "低保" in household_tags or "特困" in household_tags'
    assert '  ✓ "低保" in household_tags  (household_tags = 低保)' in verify.explanation
    changes = list(
        AuditEntry.objects.filter(object_type="welfare.enrolment", object_id=str(wang.pk), actor=sun)
        .order_by("id")
        .values_list("changes", flat=True)
    )
    assert changes == [{"status": ["draft", "verified"]}, {"status": ["verified", "enrolled"]}]


def test_a_programme_requiring_consent_waits_for_it(family, programmes, sun):
    svc.reevaluate_programme(programmes["dibao"], AS_OF)
    e = enrolment_of(programmes["dibao"], family["wang"])
    svc.verify_enrolments(sun, [e.pk], as_of=AS_OF)
    e.refresh_from_db()
    assert e.status == EnrolmentStatus.VERIFIED
    with pytest.raises(Conflict, match="consent"):
        svc.transition_enrolment(sun, e.pk, "enrol")
    svc.record_consent(sun, e.pk, method="signed", given_by="王大伯")
    e.refresh_from_db()
    assert (e.status, e.consent_method, e.consent_by) == (EnrolmentStatus.ENROLLED, "signed", "王大伯")
    assert list(e.events.values_list("action", flat=True)) == ["match", "verify", "consent", "enrol"]


def test_bulk_verify_is_all_or_nothing(family, family_b, programmes, sun):
    svc.reevaluate_programme(programmes["power"], AS_OF)
    first, second = Enrolment.objects.filter(programme=programmes["power"]).order_by("pk")
    svc.verify_enrolments(sun, [first.pk], as_of=AS_OF)
    with pytest.raises(Conflict, match="not a draft"):
        svc.verify_enrolments(sun, [first.pk, second.pk], as_of=AS_OF)
    second.refresh_from_db()
    assert second.status == EnrolmentStatus.DRAFT


def test_community_staff_verify_only_their_community(family, family_b, programmes, personas):
    svc.reevaluate_programme(programmes["power"], AS_OF)
    zhao = enrolment_of(programmes["power"], family_b["zhao"])
    with pytest.raises(NotFound):
        svc.verify_enrolments(personas["chen"], [zhao.pk], as_of=AS_OF)
    wang = enrolment_of(programmes["power"], family["wang"])
    svc.verify_enrolments(personas["chen"], [wang.pk], as_of=AS_OF)


@pytest.mark.parametrize("who", ["xiaowang", "li", "zhao", "zhang", "qian"])
def test_roles_without_the_right_cannot_verify(family, programmes, personas, who):
    svc.reevaluate_programme(programmes["power"], AS_OF)
    wang = enrolment_of(programmes["power"], family["wang"])
    with pytest.raises(Forbidden):
        svc.verify_enrolments(personas[who], [wang.pk], as_of=AS_OF)


def test_a_person_who_no_longer_qualifies_is_flagged_for_review_not_dropped(family, programmes, sun):
    svc.reevaluate_programme(programmes["dibao"], AS_OF)
    e = enrolment_of(programmes["dibao"], family["wang"])
    svc.verify_enrolments(sun, [e.pk], as_of=AS_OF)
    svc.record_consent(sun, e.pk, method="signed", given_by="王大伯")
    WelfareProfile.objects.filter(resident=family["wife"]).update(monthly_income=Decimal("3000"))
    result = svc.reevaluate_programme(programmes["dibao"], AS_OF)
    assert (result.matched, result.drafted, result.flagged) == (0, 0, 1)
    e.refresh_from_db()
    assert e.status == EnrolmentStatus.ENROLLED
    assert e.flagged and e.flag_reason == "no longer qualifies on 2026-11-27"
    flag = e.events.get(action="flag")
    assert flag.explanation == [
        "✗ per_capita_income < dibao_standard  (dibao_standard = 1245, per_capita_income = 1700)"
    ]
    assert AuditEntry.objects.filter(object_id=str(e.pk), changes={"flagged": ["False", "True"]}).exists()
    # flagged once, not again on the next run
    assert svc.reevaluate_programme(programmes["dibao"], AS_OF).flagged == 0
    # staff review: keep (with a reason) clears the flag; exit ends it
    svc.transition_enrolment(sun, e.pk, "keep", "income is temporary, checked with the family")
    e.refresh_from_db()
    assert not e.flagged and e.status == EnrolmentStatus.ENROLLED


def test_pause_and_exit_need_a_reason(family, programmes, sun):
    svc.reevaluate_programme(programmes["power"], AS_OF)
    e = enrolment_of(programmes["power"], family["wang"])
    svc.verify_enrolments(sun, [e.pk], as_of=AS_OF)
    with pytest.raises(Conflict) as caught:
        svc.transition_enrolment(sun, e.pk, "pause")
    assert caught.value.field == "reason"
    svc.transition_enrolment(sun, e.pk, "pause", "in hospital for two months")
    svc.transition_enrolment(sun, e.pk, "resume")
    svc.transition_enrolment(sun, e.pk, "exit", "moved to a care home")
    e.refresh_from_db()
    assert e.status == EnrolmentStatus.EXITED
    # an exited enrolment is not drafted again by the rule: staff decisions stand
    assert svc.reevaluate_programme(programmes["power"], AS_OF).drafted == 0


def test_bad_ids_and_actions_name_the_field(family, programmes, sun):
    with pytest.raises(InvalidInput) as caught:
        svc.verify_enrolments(sun, ["x"])
    assert caught.value.field == "ids"
    svc.reevaluate_programme(programmes["power"], AS_OF)
    e = enrolment_of(programmes["power"], family["wang"])
    with pytest.raises(InvalidInput) as caught:
        svc.transition_enrolment(sun, e.pk, "approve")
    assert caught.value.field == "action"
    with pytest.raises(InvalidInput) as caught:
        svc.record_consent(sun, e.pk, method="telepathy", given_by="王大伯")
    assert caught.value.field == "method"


def test_reevaluate_all_runs_every_programme(family, family_b, programmes):
    results = {r.programme: r for r in svc.reevaluate_all(AS_OF)}
    assert set(results) == set(programmes)
    assert results["power"].drafted == 2
    assert results["aged"].drafted == 1
    # 张阿姨 is tagged 独居; 赵叔 (66) is the only member of his household
    assert results["alone-care"].drafted == 2


def _enrol_power_and_lose_dibao(family, family_b, programmes, sun):
    """王大伯's household (community A) and 赵叔's (community B) enrolled in the power-fee reduction; then both
    lose their 低保 tag, so neither qualifies any more."""
    from zhizhi.people.models import Tag

    svc.reevaluate_programme(programmes["power"], AS_OF)
    ids = list(Enrolment.objects.filter(programme=programmes["power"]).values_list("pk", flat=True))
    svc.verify_enrolments(sun, ids, as_of=AS_OF)
    dibao = Tag.objects.get(name="低保")
    family["wang"].tags.remove(dibao)
    family_b["zhao"].tags.remove(dibao)
    return {
        "wang": enrolment_of(programmes["power"], family["wang"]),
        "zhao": enrolment_of(programmes["power"], family_b["zhao"]),
    }


def test_the_periodic_reevaluation_covers_every_area_and_flags_for_review(
    family, family_b, programmes, sun, settings
):
    rows = _enrol_power_and_lose_dibao(family, family_b, programmes, sun)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from zhizhi.welfare.tasks import reevaluate_all_task

    results = {r["programme"]: r for r in reevaluate_all_task.enqueue().return_value}
    assert (results["power"]["flagged"], results["power"]["within"]) == (2, "")  # both communities
    for e in rows.values():
        e.refresh_from_db()
        assert e.status == EnrolmentStatus.ENROLLED and e.flagged  # kept, not dropped: staff decide
        flag = e.events.get(action="flag")
        assert flag.explanation[0].startswith("✗")  # the clause that failed, for the reviewer
    assert Enrolment.objects.filter(programme=programmes["power"]).count() == 2
    assert (
        AuditEntry.objects.filter(
            object_type="welfare.enrolment", changes={"flagged": ["False", "True"]}
        ).count()
        == 2
    )
    programmes["power"].refresh_from_db()
    assert programmes["power"].evaluated_at is not None
    # the next night flags nobody twice
    assert {r.programme: r.flagged for r in svc.reevaluate_all(AS_OF)}["power"] == 0


def test_a_staff_run_flags_in_their_own_area_and_the_periodic_run_covers_the_rest(
    street, family, family_b, programmes, sun
):
    from tests import factories
    from zhizhi.core.roles import Role

    rows = _enrol_power_and_lose_dibao(family, family_b, programmes, sun)
    ma = factories.make_user("ma", Role.STREET_DEPT_STAFF, street.community_a, "马干事")
    programmes["power"].refresh_from_db()
    whole_run = programmes["power"].evaluated_at
    result = svc.reevaluate_for(ma, programmes["power"])
    assert (result.flagged, result.within) == (1, street.community_a.code)
    rows["wang"].refresh_from_db()
    rows["zhao"].refresh_from_db()
    assert rows["wang"].flagged and not rows["zhao"].flagged  # community B is not ma's to touch
    programmes["power"].refresh_from_db()
    assert programmes["power"].evaluated_at == whole_run  # a part of the programme is not its evaluation
    assert {r.programme: r.flagged for r in svc.reevaluate_all(AS_OF)}["power"] == 1
    rows["zhao"].refresh_from_db()
    assert rows["zhao"].flagged


def test_someone_who_moved_away_is_flagged_by_the_periodic_run(family, family_b, programmes, sun):
    from zhizhi.people.models import Resident, ResidentStatus

    svc.reevaluate_programme(programmes["power"], AS_OF)
    ids = list(Enrolment.objects.filter(programme=programmes["power"]).values_list("pk", flat=True))
    svc.verify_enrolments(sun, ids, as_of=AS_OF)
    Resident.objects.filter(pk=family_b["zhao"].pk).update(status=ResidentStatus.MOVED_OUT)
    results = {r.programme: r for r in svc.reevaluate_all(AS_OF)}
    assert results["power"].flagged == 1
    zhao = enrolment_of(programmes["power"], family_b["zhao"])
    assert zhao.flagged and zhao.status == EnrolmentStatus.ENROLLED
