"""The deadline scan driven by the injectable clock: the 80 % warning, automatic escalation community → street
→ district → city, the overdue flag at the top, and idempotency when the scan runs twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from zhizhi.cases import services
from zhizhi.cases.models import Case, CaseStatus, Notification, Transition, UnitLevel


@pytest.fixture
def at_community(units, personas, report, friday_morning):
    """A 暴露垃圾 case the dispatcher sent to 竹竿巷社区居委会 on Friday at 10:00."""
    case = report()
    services.register_case(personas["li"], case.pk)
    services.dispatch_case(personas["li"], case.pk, unit_id=units["community_a"].pk)
    return Case.objects.get(pk=case.pk)


def just_after_deadline(clock, case):
    case.refresh_from_db()
    clock.current = case.deadline + dt.timedelta(minutes=1)


def test_warns_the_unit_at_80_percent_of_the_time_once(at_community, friday_morning, personas):
    assert at_community.warn_at == friday_morning.current + dt.timedelta(minutes=48)  # 80 % of one hour
    friday_morning.advance(minutes=50)
    first = services.scan_deadlines()
    again = services.scan_deadlines()
    assert first.warned == [at_community.number] and again.warned == []
    assert Transition.objects.filter(case=at_community, action="warn").count() == 1
    (notice,) = Notification.objects.filter(case=at_community, event="warning")
    assert notice.recipient == personas["chen"] and "预警" in notice.text


def test_escalates_to_street_when_community_deadline_passes(at_community, friday_morning, units):
    services.accept_case(units["community_a"].head, at_community.pk)
    just_after_deadline(friday_morning, at_community)
    report = services.scan_deadlines()
    case = Case.objects.get(pk=at_community.pk)
    assert report.escalated == [case.number]
    assert case.current_unit == units["sanitation"] and case.current_level == UnitLevel.STREET
    assert case.status == CaseStatus.DISPATCHED and case.deadline > friday_morning.current
    row = Transition.objects.get(case=case, action="escalate")
    assert (row.actor_name, row.on_time, row.unit_from) == ("system", False, units["community_a"])


def test_the_full_escalation_chain_ends_overdue_at_the_city(at_community, friday_morning, units):
    chain = [units["sanitation"], units["district_sanitation"], units["city"]]
    for expected in chain:
        just_after_deadline(friday_morning, at_community)
        services.scan_deadlines()
        case = Case.objects.get(pk=at_community.pk)
        assert case.current_unit == expected, f"expected {expected}, got {case.current_unit}"
    assert [
        lvl
        for lvl in Transition.objects.filter(case=at_community, action="escalate").values_list(
            "level_to", flat=True
        )
    ] == [UnitLevel.STREET, UnitLevel.DISTRICT, UnitLevel.CITY]
    just_after_deadline(friday_morning, at_community)
    top = services.scan_deadlines()
    case = Case.objects.get(pk=at_community.pk)
    assert top.overdue == [case.number] and case.overdue and case.current_unit == units["city"]
    assert case.escalations == 3
    rows = Transition.objects.filter(case=case).count()
    assert services.scan_deadlines().as_dict()["overdue"] == 0
    assert Transition.objects.filter(case=case).count() == rows


def test_each_escalation_tells_the_new_unit(at_community, friday_morning, units, personas):
    just_after_deadline(friday_morning, at_community)
    services.scan_deadlines()
    texts = Notification.objects.filter(case=at_community, recipient=units["zhou"]).values_list(
        "text", flat=True
    )
    assert any("上报" in t for t in texts)


def test_running_the_scan_twice_escalates_once(at_community, friday_morning, units):
    just_after_deadline(friday_morning, at_community)
    services.scan_deadlines()
    services.scan_deadlines()
    assert Transition.objects.filter(case=at_community, action="escalate").count() == 1


def test_an_overdue_registration_is_flagged_for_the_dispatchers(report, personas, friday_morning, units):
    case = report()
    friday_morning.advance(hours=2)
    assert services.scan_deadlines().overdue == [case.number]
    case.refresh_from_db()
    assert case.overdue and case.status == CaseStatus.RECEIVED
    assert Notification.objects.filter(case=case, recipient=personas["li"], event="overdue").exists()


def test_a_weekend_does_not_count_towards_a_working_hour_deadline(units, personas, report, friday_morning):
    friday_morning.current = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)  # Friday 17:00 in Shanghai
    case = report()
    friday_morning.current = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)  # Sunday 20:00
    report_ = services.scan_deadlines()
    assert report_.overdue == [] and report_.warned == []
    assert Case.objects.get(pk=case.pk).deadline == dt.datetime(
        2026, 11, 30, 1, 0, tzinfo=dt.UTC
    )  # Mon 09:00


def test_the_management_command_runs_the_scan(at_community, friday_morning, capsys):
    just_after_deadline(friday_morning, at_community)
    call_command("scan_deadlines")
    assert '"escalated": 1' in capsys.readouterr().out
