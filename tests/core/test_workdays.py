"""Working-day arithmetic across weekends, public holidays and make-up working days (调休)."""

import datetime as dt

import pytest

from zhizhi.core.workdays import SHANGHAI, WorkCalendar, parse_office_hours

# The 2026 National Day / Mid-Autumn arrangement (State Council notice): 10-01..10-07 off except the
# weekend days, 09-20 (Sunday) and 10-10 (Saturday) are make-up working days.
OCT_2026 = {
    dt.date(2026, 9, 20): True,
    dt.date(2026, 9, 25): False,
    **{dt.date(2026, 10, d): False for d in (1, 2, 5, 6, 7)},
    dt.date(2026, 10, 10): True,
}
CAL = WorkCalendar(overrides=OCT_2026)


def at(y, m, d, h=9, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


def test_weekdays_are_workdays_and_weekends_are_not():
    assert CAL.is_workday(dt.date(2026, 11, 27))  # Friday
    assert not CAL.is_workday(dt.date(2026, 11, 28))  # Saturday


def test_holiday_on_a_weekday_is_a_rest_day():
    assert not CAL.is_workday(dt.date(2026, 10, 5))  # Monday of National Day week


def test_make_up_working_day_on_a_weekend_is_a_workday():
    assert CAL.is_workday(dt.date(2026, 10, 10))  # Saturday 调休
    assert CAL.is_workday(dt.date(2026, 9, 20))  # Sunday 调休


def test_adding_workdays_skips_the_national_day_holiday():
    # Wednesday 30 Sept + 1 workday: 1–7 Oct off, 8 Oct (Thu) is the next workday.
    assert CAL.add_workdays(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    # ... + 3 workdays: 8 (Thu), 9 (Fri), 10 (Sat, 调休).
    assert CAL.add_workdays(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    # ... + 4: 11 Oct is Sunday, so Monday 12 Oct.
    assert CAL.add_workdays(dt.date(2026, 9, 30), 4) == dt.date(2026, 10, 12)


def test_adding_workdays_over_an_ordinary_weekend():
    assert CAL.add_workdays(dt.date(2026, 11, 27), 1) == dt.date(2026, 11, 30)
    assert CAL.add_workdays(dt.date(2026, 11, 27), 0) == dt.date(2026, 11, 27)


def test_workdays_between_counts_only_workdays():
    assert CAL.workdays_between(dt.date(2026, 9, 30), dt.date(2026, 10, 12)) == 4


def test_working_hours_continue_after_lunch_break():
    # 11:00 + 2 office hours: 1 h until 12:00, lunch, 1 h from 13:30 → 14:30.
    assert CAL.add_working_hours(at(2026, 11, 27, 11), 2) == at(2026, 11, 27, 14, 30)


def test_working_hours_roll_over_a_holiday_to_the_make_up_day():
    # Friday 9 Oct 16:30 + 2 office hours: 1 h that day, then Saturday 10 Oct is 调休 → 09:30.
    assert CAL.add_working_hours(at(2026, 10, 9, 16, 30), 2) == at(2026, 10, 10, 9, 30)
    # Wednesday 30 Sept 17:00 + 1 h: 0.5 h that day, next workday 8 Oct → 09:00.
    assert CAL.add_working_hours(at(2026, 9, 30, 17), 1) == at(2026, 10, 8, 9, 0)


def test_work_started_outside_office_hours_counts_from_opening():
    assert CAL.add_working_hours(at(2026, 11, 28, 10), 1) == at(2026, 11, 30, 9, 30)  # Saturday → Monday
    assert CAL.add_working_hours(at(2026, 11, 27, 12, 30), 0.5) == at(2026, 11, 27, 14, 0)  # in lunch


def test_working_time_between_is_the_inverse_of_adding():
    start = at(2026, 9, 29, 15, 10)
    end = CAL.add_working_hours(start, 13.25)
    assert CAL.working_time_between(start, end) == dt.timedelta(hours=13.25)
    assert CAL.working_time_between(end, start) == dt.timedelta(0)


def test_workday_deadline_ends_at_close_of_office_hours():
    due = CAL.workday_deadline(at(2026, 9, 30, 10), 2)
    assert due == at(2026, 10, 9, 17, 30)


def test_deadline_keeps_the_callers_timezone():
    start = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai
    due = CAL.add_working_hours(start, 1.5)  # 1 h to noon, lunch, 0.5 h from 13:30 → 14:00 local
    assert due.tzinfo == dt.UTC and due == dt.datetime(2026, 11, 27, 6, 0, tzinfo=dt.UTC)


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        CAL.add_working_hours(dt.datetime(2026, 11, 27, 9), 1)  # noqa: DTZ001


def test_office_hours_parse_and_reject_overlap():
    assert parse_office_hours("09:00-12:00, 13:00-18:00") == (
        (dt.time(9), dt.time(12)),
        (dt.time(13), dt.time(18)),
    )
    with pytest.raises(ValueError):
        parse_office_hours("09:00-12:00,11:00-13:00")
    with pytest.raises(ValueError):
        parse_office_hours("12:00-09:00")


@pytest.mark.django_db
def test_seeded_calendar_knows_2025_2026_and_provisional_2027():
    from zhizhi.core.calendar import work_calendar
    from zhizhi.core.models import CalendarDay

    work_calendar.cache_clear()
    cal = work_calendar()
    assert not cal.is_workday(dt.date(2026, 2, 17))  # Spring Festival
    assert cal.is_workday(dt.date(2026, 2, 14))  # Saturday 调休
    assert cal.is_workday(dt.date(2025, 1, 26))  # Sunday 调休 for the 2025 Spring Festival
    assert not cal.is_workday(dt.date(2027, 2, 8))
    assert CalendarDay.objects.filter(date__year=2027, provisional=False).count() == 0


@pytest.mark.django_db
def test_editing_the_calendar_takes_effect_at_once():
    from zhizhi.core.calendar import work_calendar
    from zhizhi.core.models import CalendarDay, DayKind

    assert work_calendar().is_workday(dt.date(2026, 12, 1))
    CalendarDay.objects.create(date=dt.date(2026, 12, 1), kind=DayKind.HOLIDAY, name="test closure")
    assert not work_calendar().is_workday(dt.date(2026, 12, 1))
