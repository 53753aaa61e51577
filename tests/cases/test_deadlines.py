"""Step deadlines on the Chinese working-day calendar: weekends, public holidays, make-up working days (调休),
urgent clock hours, the 80 % warning, supervision and extension. No database."""

from __future__ import annotations

import datetime as dt

import pytest

from zhizhi.cases.deadlines import (
    Limit,
    LimitUnit,
    due,
    extended,
    shortened,
    start_step,
    time_used,
    warn_at,
)
from zhizhi.core.workdays import SHANGHAI, WorkCalendar

# 2026 National Day / Mid-Autumn (State Council notice): 1–7 Oct off, 25 Sep (Fri, 中秋) off,
# Sunday 20 Sep and Saturday 10 Oct are make-up working days.
OCT_2026 = {
    dt.date(2026, 9, 20): True,
    dt.date(2026, 9, 25): False,
    **{dt.date(2026, 10, d): False for d in (1, 2, 5, 6, 7)},
    dt.date(2026, 10, 10): True,
}
CAL = WorkCalendar(overrides=OCT_2026)
WH, WD, CH = LimitUnit.WORK_HOURS, LimitUnit.WORK_DAYS, LimitUnit.CLOCK_HOURS


def at(m, d, h=9, mi=0, y=2026):
    return dt.datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


def test_working_hours_skip_the_lunch_break():
    assert due(at(11, 27, 10), Limit(5, WH), CAL) == at(11, 27, 16, 30)


def test_working_hours_run_over_the_weekend_to_monday():
    # Friday 16:30 + 4 h: one hour on Friday, three on Monday from 08:30.
    assert due(at(11, 27, 16, 30), Limit(4, WH), CAL) == at(11, 30, 11, 30)


def test_a_report_after_office_hours_starts_counting_next_working_morning():
    assert due(at(11, 27, 20), Limit(2, WH), CAL) == at(11, 30, 10, 30)


def test_working_days_end_at_close_of_office_on_the_nth_working_day():
    assert due(at(11, 27, 10), Limit(3, WD), CAL) == at(12, 2, 17, 30)


def test_working_days_skip_the_national_day_holiday():
    # Wednesday 30 Sept + 1 working day: 1–7 Oct off → Thursday 8 Oct.
    assert due(at(9, 30, 10), Limit(1, WD), CAL) == at(10, 8, 17, 30)


def test_a_make_up_saturday_counts_as_a_working_day():
    # 8 (Thu), 9 (Fri), 10 (Sat, 调休).
    assert due(at(9, 30, 10), Limit(3, WD), CAL) == at(10, 10, 17, 30)


def test_working_hours_continue_on_a_make_up_saturday():
    assert due(at(10, 9, 16, 30), Limit(2, WH), CAL) == at(10, 10, 9, 30)


def test_working_hours_continue_on_a_make_up_sunday():
    assert due(at(9, 19, 10), Limit(1, WH), CAL) == at(9, 20, 9, 30)


def test_a_weekday_holiday_is_skipped_with_the_weekend_after_it():
    # Thursday 24 Sept 17:00 + 1 h: half an hour on Thursday; Fri 25 (中秋) and the weekend off.
    assert due(at(9, 24, 17), Limit(1, WH), CAL) == at(9, 28, 9)


def test_urgent_limits_are_clock_hours_through_holidays():
    assert due(at(9, 30, 22), Limit(2, CH), CAL) == at(10, 1, 0)


def test_an_urgent_case_turns_working_time_into_clock_hours():
    assert due(at(9, 30, 22), Limit(4, WH), CAL, urgent=True) == at(10, 1, 2)
    assert due(at(9, 30, 22), Limit(1, WD), CAL, urgent=True) == at(10, 1, 6)


def test_fractions_of_a_working_day():
    assert due(at(11, 27, 10), Limit(0.5, WD), CAL) == at(11, 27, 15, 15)  # 3¾ office hours from the start
    assert due(at(11, 27, 10), Limit(1.5, WD), CAL) == at(12, 1, 13, 45)  # Monday's close + 3¾ office hours


def test_the_warning_comes_at_80_percent_of_the_working_time():
    start = at(11, 27, 10)
    deadline = due(start, Limit(5, WH), CAL)
    assert warn_at(start, deadline, CAL, working=True) == at(11, 27, 15, 30)


def test_the_warning_over_a_weekend_counts_working_time_only():
    start = at(11, 27, 16, 30)
    deadline = due(start, Limit(4, WH), CAL)  # Monday 11:30
    assert warn_at(start, deadline, CAL, working=True) == at(11, 30, 10, 42)


def test_the_warning_of_an_urgent_step_counts_clock_time():
    start = at(10, 1, 0)
    assert warn_at(start, due(start, Limit(10, CH), CAL), CAL, working=False) == at(10, 1, 8)


def test_start_step_bundles_deadline_warning_and_kind():
    times = start_step(at(11, 27, 10), Limit(5, WH), CAL)
    assert (times.deadline, times.warn_at, times.working) == (at(11, 27, 16, 30), at(11, 27, 15, 30), True)
    urgent = start_step(at(11, 27, 10), Limit(5, WH), CAL, urgent=True)
    assert (urgent.deadline, urgent.working) == (at(11, 27, 15), False)


def test_time_used_is_measured_in_the_deadline_s_kind_of_time():
    start, deadline = at(11, 27, 16, 30), at(11, 30, 11, 30)
    assert time_used(start, at(11, 28, 12), deadline, CAL, working=True) == pytest.approx(0.25)  # Saturday
    assert time_used(start, at(11, 30, 11, 30), deadline, CAL, working=True) == pytest.approx(1.0)


def test_supervision_halves_the_remaining_working_time():
    # Monday 09:00 to Wednesday 17:30 is 22 office hours; half is 11 → Tuesday 14:00.
    assert shortened(at(11, 30, 9), at(12, 2, 17, 30), CAL, working=True) == at(12, 1, 14)


def test_supervision_never_moves_a_passed_deadline():
    assert shortened(at(12, 3, 9), at(12, 2, 17, 30), CAL, working=True) == at(12, 2, 17, 30)


def test_an_extension_counts_from_the_old_deadline():
    assert extended(at(11, 27, 17, 30), Limit(2, WD), CAL) == at(12, 1, 17, 30)
    assert extended(at(9, 30, 17, 30), Limit(1, WD), CAL) == at(10, 8, 17, 30)


def test_limits_must_be_positive_and_times_aware():
    with pytest.raises(ValueError):
        Limit(0, WH)
    with pytest.raises(ValueError):
        due(dt.datetime(2026, 11, 27, 10), Limit(1, WH), CAL)  # noqa: DTZ001


def test_limits_read_as_the_standards_write_them():
    assert Limit(4, WH).label() == "4个工作时"
    assert Limit(1.5, WD).label() == "1.5个工作日"
    assert Limit(2, CH).label() == "2小时"
