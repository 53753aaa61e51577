"""The one mapping table: every workflow status and every published action is mapped, and nothing maps to a
status Open311 does not know (pure, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from zhizhi.cases.models import CaseAction, CaseStatus
from zhizhi.cases.workflow import OPEN, Action, Status
from zhizhi.open311 import mapping
from zhizhi.open311.mapping import ExtendedStatus, Open311Status


def test_every_workflow_status_has_an_open311_status_and_notes():
    assert set(mapping.STATUS) == set(Status)
    for status, mapped in mapping.STATUS.items():
        assert mapped.note
        assert mapped.status in Open311Status
        assert mapped.extended in ExtendedStatus
        assert mapping.status_of(status) is mapped.status


def test_open_in_zhizhi_is_open_in_open311_and_finished_cases_are_closed():
    for status in Status:
        expected = Open311Status.OPEN if status in OPEN else Open311Status.CLOSED
        assert mapping.status_of(status) is expected, status


def test_published_actions_are_real_case_actions_and_internal_ones_stay_out():
    assert set(mapping.published_actions()) <= set(CaseAction.values)
    for internal in (Action.SUPERVISE, Action.WARN, Action.REQUEST_EXTENSION, Action.REVISIT):
        assert not mapping.is_published(internal)


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("dispatched", "escalate", ExtendedStatus.INTERNAL_REFERRAL),
        ("dispatched", "send_down", ExtendedStatus.INTERNAL_REFERRAL),
        ("dispatched", "reopen", ExtendedStatus.REOPEN),
        ("dispatched", "dispatch", ExtendedStatus.ACTION_SCHEDULED),
        ("in_handling", "start", ExtendedStatus.IN_PROGRESS),
        ("merged", "merge", ExtendedStatus.DUPLICATE),
        ("rejected", "reject", ExtendedStatus.NO_FURTHER_ACTION),
        ("closed", "close", ExtendedStatus.FIXED),
        ("received", None, ExtendedStatus.OPEN),
    ],
)
def test_the_extended_status_follows_the_last_action_where_it_says_more(status, action, expected):
    assert mapping.extended_status(status, action) is expected


def test_status_notes_show_a_reason_only_where_the_table_makes_it_public():
    assert (
        mapping.status_notes(CaseStatus.REJECTED, "", "reject", "不属于本街道管辖")
        == "不予立案：不属于本街道管辖"
    )
    assert "上报" in mapping.status_notes(CaseStatus.DISPATCHED, "区环卫中心", "escalate", "内部原因")
    assert "内部原因" not in mapping.status_notes(CaseStatus.DISPATCHED, "区环卫中心", "escalate", "内部原因")
    assert mapping.status_notes(CaseStatus.DISPATCHED, "环卫所") == "已派遣至环卫所，等待签收"


def test_expected_datetime_is_the_stored_deadline_while_the_clock_runs():
    deadline = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)
    assert mapping.expected_datetime(CaseStatus.IN_HANDLING, deadline) == deadline
    assert mapping.expected_datetime(CaseStatus.CLOSED, deadline) is None
    assert mapping.expected_datetime(CaseStatus.BACKLOGGED, deadline) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("fixed", "FIXED"),
        ("In Progress", "IN_PROGRESS"),
        ("not_councils_responsibility", "NOT_COUNCILS_RESPONSIBILITY"),
        ("REOPEN", "REOPEN"),
        ("nonsense", None),
    ],
)
def test_client_statuses_are_read_in_any_case(given, expected):
    found = mapping.parse_client_status(given)
    assert (found.value if found else None) == expected


def test_question_types_map_to_the_six_open311_datatypes():
    assert mapping.datatype_of("text") is mapping.Datatype.STRING
    assert mapping.datatype_of("choice") is mapping.Datatype.SINGLEVALUELIST
    assert mapping.datatype_of("multichoice") is mapping.Datatype.MULTIVALUELIST
    assert mapping.datatype_of("number") is mapping.Datatype.NUMBER
    assert mapping.datatype_of("datetime") is mapping.Datatype.DATETIME
    assert mapping.datatype_of("textarea") is mapping.Datatype.TEXT
    assert mapping.datatype_of("something new") is mapping.Datatype.STRING
    assert set(mapping.DATATYPE_DESCRIPTIONS) == set(mapping.Datatype)
