"""The loop through the services: each use case changes the status as the table says, records who/when/why,
routes to the right unit, and refuses the wrong actor or the wrong status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhizhi.cases import services
from zhizhi.cases.access import SYSTEM
from zhizhi.cases.models import (
    Case,
    CaseStatus,
    EnforcementRecord,
    ExtensionStatus,
    Revisit,
    Transition,
    UnitLevel,
    Verification,
)
from zhizhi.cases.services import EnforcementInput, FileInput
from zhizhi.cases.services.actions import FINE_MAX, check_fine
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound

JPEG = b"\xff\xd8\xff\xe0" + b"1" * 64


def history(case):
    return [
        (t.action, t.from_status, t.to_status) for t in Transition.objects.filter(case=case).order_by("id")
    ]


def dispatched(report, personas, **kw):
    case = report(**kw)
    services.register_case(personas["li"], case.pk)
    return services.dispatch_case(personas["li"], case.pk)


def handled(report, personas, units):
    case = dispatched(report, personas)
    zhou = units["zhou"]
    services.accept_case(zhou, case.pk)
    services.start_handling(zhou, case.pk)
    return services.submit_handling(
        zhou, case.pk, note="已清运", photos=[FileInput("after.jpg", "image/jpeg", JPEG)]
    )


def test_the_whole_loop_from_report_to_rating_leaves_one_row_per_step(
    units, personas, report, friday_morning
):
    li, zhou, wang, zhang = personas["li"], units["zhou"], personas["xiaowang"], personas["zhang"]
    case = report()
    services.register_case(li, case.pk)
    services.dispatch_case(li, case.pk)
    services.accept_case(zhou, case.pk)
    services.start_handling(zhou, case.pk)
    services.submit_handling(zhou, case.pk, note="已清运", evidence=["清运单 0042"])
    services.verify_case(wang, case.pk, passed=True, note="现场已干净")
    services.close_case(li, case.pk)
    services.record_revisit(zhang, case.pk, rating="satisfied", comment="很快")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    assert history(case) == [
        ("open", "", "received"),
        ("register", "received", "registered"),
        ("dispatch", "registered", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("start", "accepted", "in_handling"),
        ("submit", "in_handling", "handled"),
        ("verify", "handled", "verified"),
        ("close", "verified", "closed"),
        ("revisit", "closed", "closed"),
    ]
    actors = [t.actor_name for t in Transition.objects.filter(case=case).order_by("id")]
    assert actors == ["张阿姨", "李主任", "李主任", "老周", "老周", "老周", "小王", "李主任", "张阿姨"]
    revisit = Revisit.objects.get(case=case)
    assert revisit.by_resident and revisit.unit == units["sanitation"]


def test_dispatch_follows_the_category_s_default_unit_type(units, personas, report):
    case = dispatched(report, personas)
    assert case.current_unit == units["sanitation"] and case.current_level == UnitLevel.STREET
    assert Transition.objects.get(case=case, action="dispatch").data["route"]


def test_a_street_matter_goes_to_the_community_committee(units, personas, report):
    case = dispatched(report, personas, category="邻里纠纷")
    assert case.current_unit == units["community_a"]


def test_a_routing_rule_beats_the_default_and_the_highest_priority_wins(units, personas, report, street):
    category = services.find_category("暴露垃圾")
    services.add_rule(category, street.community_a.code, units["community_a"], priority=1)
    services.add_rule(category, street.street.code, units["enforcement"], priority=5)
    assert dispatched(report, personas).current_unit == units["enforcement"]


def test_the_longest_area_prefix_wins_at_equal_priority(units, personas, report, street):
    category = services.find_category("暴露垃圾")
    services.add_rule(category, street.street.code, units["enforcement"])
    services.add_rule(category, street.grid_a1.code, units["community_a"])
    assert dispatched(report, personas).current_unit == units["community_a"]


def test_the_dispatcher_may_choose_another_unit(units, personas, report):
    case = report()
    services.register_case(personas["li"], case.pk)
    services.dispatch_case(personas["li"], case.pk, unit_id=units["community_a"].pk)
    assert Case.objects.get(pk=case.pk).current_unit == units["community_a"]


def test_a_unit_outside_the_case_s_area_cannot_be_chosen(units, personas, report):
    case = report()
    services.register_case(personas["li"], case.pk)
    with pytest.raises(InvalidInput) as err:
        services.dispatch_case(personas["li"], case.pk, unit_id=units["community_b"].pk)
    assert err.value.field == "unit"


def test_a_wrongly_routed_case_is_returned_to_the_dispatcher(units, personas, report):
    case = dispatched(report, personas)
    with pytest.raises(InvalidInput) as err:
        services.return_case(units["zhou"], case.pk, reason="")
    assert err.value.field == "reason"
    services.return_case(units["zhou"], case.pk, reason="不是环卫的事")
    case.refresh_from_db()
    assert case.status == CaseStatus.REGISTERED and case.current_unit is None
    row = Transition.objects.get(case=case, action="return")
    assert row.unit_from == units["sanitation"] and row.reason == "不是环卫的事"


def test_rejecting_needs_a_reason_and_ends_the_case(personas, report):
    case = report()
    with pytest.raises(InvalidInput) as err:
        services.reject_case(personas["li"], case.pk, reason=" ")
    assert err.value.field == "reason"
    services.reject_case(personas["li"], case.pk, reason="不属于受理范围")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REJECTED
    with pytest.raises(Conflict):
        services.register_case(personas["li"], case.pk)


def test_a_duplicate_is_merged_and_its_reporter_follows_the_original(personas, report):
    original = report(personas["xiaowang"], channel="patrol")
    duplicate = report()
    services.merge_case(personas["li"], duplicate.pk, into=original.pk)
    duplicate.refresh_from_db()
    assert duplicate.status == CaseStatus.MERGED and duplicate.merged_into == original
    assert personas["zhang"] in original.followers.all()
    with pytest.raises(InvalidInput) as err:
        services.merge_case(personas["li"], report().pk, into=duplicate.pk)
    assert err.value.field == "into"


def test_rework_sends_a_handled_case_back_with_a_fresh_handling_deadline(
    units, personas, report, friday_morning
):
    case = handled(report, personas, units)
    friday_morning.advance(hours=1)
    with pytest.raises(InvalidInput) as err:
        services.verify_case(personas["xiaowang"], case.pk, passed=False)
    assert err.value.field == "reason"
    services.verify_case(personas["xiaowang"], case.pk, passed=False, note="还有残留")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_HANDLING and case.step_started_at == friday_morning.current
    assert Verification.objects.get(case=case).passed is False


def test_a_camera_re_check_verifies_as_the_platform(units, personas, report):
    case = handled(report, personas, units)
    services.verify_case(SYSTEM, case.pk, passed=True, method="camera", source_ref="det-991")
    v = Verification.objects.get(case=case)
    assert (v.method, v.source_ref, v.verified_by) == ("camera", "det-991", None)
    assert Transition.objects.get(case=case, action="verify").actor_name == "system"


def test_handling_feedback_needs_a_note_and_evidence(units, personas, report):
    case = dispatched(report, personas)
    services.accept_case(units["zhou"], case.pk)
    with pytest.raises(InvalidInput) as err:
        services.submit_handling(units["zhou"], case.pk, note="已清运")
    assert err.value.field == "evidence"
    with pytest.raises(InvalidInput) as err:
        services.submit_handling(units["zhou"], case.pk, note="", evidence=["照片"])
    assert err.value.field == "note"


def test_an_enforcement_case_is_handled_with_its_enforcement_record(units, personas, report):
    case = dispatched(report, personas, category="占道经营")
    liu = units["liu"]
    assert case.current_unit == units["enforcement"]
    services.accept_case(liu, case.pk)
    with pytest.raises(InvalidInput) as err:
        services.submit_handling(liu, case.pk, note="已劝离", evidence=["执法记录仪"])
    assert err.value.field == "enforcement"
    with pytest.raises(InvalidInput) as err:
        services.submit_handling(
            liu,
            case.pk,
            note="已劝离",
            evidence=["执法记录仪"],
            enforcement=EnforcementInput("某水果店", "", "条例第X条", "警告"),
        )
    assert err.value.field == "enforcement.facts"
    services.submit_handling(
        liu,
        case.pk,
        note="已劝离",
        evidence=["执法记录仪"],
        enforcement=EnforcementInput(
            "某水果店", "店外占道摆卖", "《城市市容和环境卫生管理条例》", "责令改正", 200
        ),
    )
    record = EnforcementRecord.objects.get(case=case)
    assert (record.subject, record.penalty_amount) == ("某水果店", 200)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (2**70, "cannot exceed"),
        (float("nan"), "amount in yuan"),
        (float("inf"), "amount in yuan"),
        ("二百", "amount in yuan"),
        (-1, "negative"),
        (30.275, "two decimal places"),
    ],
)
def test_a_fine_the_record_cannot_hold_is_refused_by_name(amount, message):
    # Before, 2**70 was stored on SQLite and the case could no longer be read (a 500 on every view of it).
    with pytest.raises(InvalidInput, match=message) as err:
        check_fine(amount)
    assert err.value.field == "enforcement.penalty_amount"
    assert check_fine(30.27) == Decimal("30.27") and check_fine("9999999999.99") == FINE_MAX


def test_a_unit_escalates_to_the_level_above(units, personas, report):
    case = dispatched(report, personas)
    services.accept_case(units["zhou"], case.pk)
    services.escalate_case(units["zhou"], case.pk, reason="需区级环卫车辆")
    case.refresh_from_db()
    assert case.current_unit == units["district_sanitation"] and case.status == CaseStatus.DISPATCHED
    assert case.escalations == 1


def test_a_higher_level_sends_a_case_down(units, personas, report):
    case = dispatched(report, personas)
    services.escalate_case(units["zhou"], case.pk, reason="需区级协调")
    zhao = personas["zhao"]
    with pytest.raises(InvalidInput) as err:
        services.send_down_case(zhao, case.pk, unit_id=units["city"].pk)
    assert err.value.field == "unit"
    services.send_down_case(zhao, case.pk, unit_id=units["community_a"].pk, reason="属地处置")
    case.refresh_from_db()
    assert case.current_unit == units["community_a"] and case.current_level == UnitLevel.COMMUNITY


def test_supervision_flags_the_case_and_shortens_its_deadline(units, personas, report, friday_morning):
    case = dispatched(report, personas)
    services.accept_case(units["zhou"], case.pk)
    before = Case.objects.get(pk=case.pk).deadline
    services.supervise_case(personas["qian"], case.pk, reason="群众反映强烈")
    case.refresh_from_db()
    assert case.supervised and friday_morning.current < case.deadline < before
    row = Transition.objects.get(case=case, action="supervise")
    assert (row.step_deadline, row.deadline) == (before, case.deadline)


def test_an_approved_extension_moves_the_deadline_and_a_refused_one_does_not(units, personas, report):
    case = dispatched(report, personas)
    zhou, li = units["zhou"], personas["li"]
    services.accept_case(zhou, case.pk)
    before = Case.objects.get(pk=case.pk).deadline
    services.request_extension(zhou, case.pk, amount=1, amount_unit="work_days", reason="等待清运车")
    with pytest.raises(InvalidInput):
        services.request_extension(zhou, case.pk, amount=1, amount_unit="work_days", reason="再等等")
    refused = services.decide_extension(li, case.pk, approve=False, note="可以当天完成")
    assert refused.status == ExtensionStatus.REFUSED and Case.objects.get(pk=case.pk).deadline == before
    services.request_extension(zhou, case.pk, amount=1, amount_unit="work_days", reason="等待清运车")
    approved = services.decide_extension(li, case.pk, approve=True)
    assert approved.status == ExtensionStatus.APPROVED and approved.new_deadline > before
    assert Case.objects.get(pk=case.pk).deadline == approved.new_deadline


def test_the_handler_cannot_approve_its_own_extension(units, personas, report):
    case = dispatched(report, personas)
    services.accept_case(units["zhou"], case.pk)
    services.request_extension(units["zhou"], case.pk, amount=2, amount_unit="work_hours", reason="等车")
    with pytest.raises(Forbidden):
        services.decide_extension(units["zhou"], case.pk, approve=True)


def test_a_backlogged_case_has_no_deadline_until_resumed(units, personas, report):
    case = dispatched(report, personas)
    services.accept_case(units["zhou"], case.pk)
    services.backlog_case(personas["li"], case.pk, reason="需专项资金")
    case.refresh_from_db()
    assert case.status == CaseStatus.BACKLOGGED and case.deadline is None
    services.resume_case(units["zhou"], case.pk)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_HANDLING and case.deadline is not None


def test_an_unsatisfied_resident_reopens_the_case_to_the_same_unit(units, personas, report):
    case = handled(report, personas, units)
    services.verify_case(personas["xiaowang"], case.pk, passed=True)
    services.close_case(personas["li"], case.pk)
    services.record_revisit(personas["zhang"], case.pk, rating="unsatisfied", comment="又堆起来了")
    services.reopen_case(personas["zhang"], case.pk, reason="问题反复")
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED and case.current_unit == units["sanitation"]
    assert case.closed_at is None


def test_the_wrong_actor_is_forbidden_and_the_wrong_status_conflicts(units, personas, report):
    case = report()
    with pytest.raises(Forbidden):
        services.register_case(personas["zhang"], case.pk)  # the reporter is not the dispatcher
    with pytest.raises(Conflict) as err:
        services.accept_case(personas["li"], case.pk)  # the status is checked before the actor
    assert err.value.field == "status"
    services.register_case(personas["li"], case.pk)
    services.dispatch_case(personas["li"], case.pk)
    with pytest.raises(Forbidden):
        services.accept_case(personas["chen"], case.pk)  # 陈社工's committee does not hold it


def test_a_case_outside_the_actor_s_scope_reads_as_absent(personas, report, street):
    case = report()
    with pytest.raises(NotFound):
        services.register_case(personas["outsider"], case.pk)


def test_a_rating_must_be_one_of_the_three(units, personas, report):
    case = handled(report, personas, units)
    services.verify_case(personas["xiaowang"], case.pk, passed=True)
    services.close_case(personas["li"], case.pk)
    with pytest.raises(InvalidInput) as err:
        services.record_revisit(personas["zhang"], case.pk, rating="great")
    assert err.value.field == "rating"


def test_on_time_is_recorded_against_the_deadline_in_force(units, personas, report, friday_morning):
    case = report()
    friday_morning.advance(hours=2)  # 12:00: the 1 working hour registration limit has passed
    services.register_case(personas["li"], case.pk)
    services.dispatch_case(personas["li"], case.pk)
    rows = {t.action: t for t in Transition.objects.filter(case=case)}
    assert rows["register"].on_time is False and rows["dispatch"].on_time is True
    # The dispatch hour started at noon and runs after lunch: 13:30–14:30.
    assert rows["dispatch"].step_deadline == friday_morning.current + dt.timedelta(hours=2, minutes=30)


def test_a_resident_reopens_only_after_rating_unsatisfied(units, personas, report):
    case = handled(report, personas, units)
    services.verify_case(personas["xiaowang"], case.pk, passed=True)
    services.close_case(personas["li"], case.pk)
    with pytest.raises(InvalidInput) as err:
        services.reopen_case(personas["zhang"], case.pk, reason="还是不行")
    assert err.value.field == "rating"
    services.reopen_case(personas["li"], case.pk, reason="复查发现反弹")  # the dispatcher may
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DISPATCHED


def test_the_city_cannot_escalate_any_higher(units, personas, report):
    case = dispatched(report, personas)
    services.send_down_case(
        personas["li"], case.pk, unit_id=units["community_a"].pk
    )  # the dispatcher re-routes
    services.escalate_case(personas["chen"], case.pk, reason="社区无法处置")
    services.escalate_case(units["zhou"], case.pk, reason="需区级车辆")
    services.escalate_case(personas["zhao"], case.pk, reason="需市级协调")
    assert Case.objects.get(pk=case.pk).current_unit == units["city"]
    with pytest.raises(InvalidInput) as err:
        services.escalate_case(units["sun"], case.pk, reason="再上报")
    assert err.value.field == "unit"
