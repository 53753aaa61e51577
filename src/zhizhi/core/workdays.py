"""Chinese working-day arithmetic (pure: no ORM, no request).

A `WorkCalendar` knows the State Council's public holidays and make-up working days (调休) as a mapping
date → is_workday; any date not in the mapping is a workday on Monday–Friday and a rest day at weekends.
Office hours are a list of (start, end) periods within a day. Deadlines in working days or working hours are
computed from an aware start time; the result is aware in the start time's zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
Period = tuple[dt.time, dt.time]
DEFAULT_OFFICE_HOURS: tuple[Period, ...] = (
    (dt.time(8, 30), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)


def parse_office_hours(text: str) -> tuple[Period, ...]:
    """'08:30-12:00,13:30-17:30' → ((08:30, 12:00), (13:30, 17:30)); periods must be ordered and disjoint."""
    periods: list[Period] = []
    for chunk in text.split(","):
        start_s, _, end_s = chunk.strip().partition("-")
        start, end = dt.time.fromisoformat(start_s.strip()), dt.time.fromisoformat(end_s.strip())
        if end <= start or (periods and start < periods[-1][1]):
            raise ValueError(f"office hours period {chunk.strip()!r} is empty or overlaps the previous one")
        periods.append((start, end))
    if not periods:
        raise ValueError("office hours need at least one period")
    return tuple(periods)


@dataclass(frozen=True)
class WorkCalendar:
    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    office_hours: Sequence[Period] = DEFAULT_OFFICE_HOURS
    tz: dt.tzinfo = SHANGHAI

    # --- days -----------------------------------------------------------------------------------------
    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() < 5

    def next_workday(self, day: dt.date) -> dt.date:
        """The first workday strictly after `day`."""
        day += dt.timedelta(days=1)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """`n` workdays after `day` (n ≥ 0). Counting starts the next day: a task received on Friday with
        1 workday is due on the next workday's end."""
        if n < 0:
            raise ValueError("n must be ≥ 0")
        for _ in range(n):
            day = self.next_workday(day)
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Number of workdays d with start < d ≤ end."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count

    # --- hours ----------------------------------------------------------------------------------------
    def _periods_on(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if not self.is_workday(day):
            return []
        return [
            (dt.datetime.combine(day, s, self.tz), dt.datetime.combine(day, e, self.tz))
            for s, e in self.office_hours
        ]

    def add_working_time(self, start: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        """The moment when `delta` of office time has elapsed after `start` (aware)."""
        if start.tzinfo is None:
            raise ValueError("start must be aware")
        remaining = delta
        cursor = start.astimezone(self.tz)
        day = cursor.date()
        for _ in range(3660):  # ten years of days: a bound, never reached by real deadlines
            for p_start, p_end in self._periods_on(day):
                if cursor >= p_end:
                    continue
                begin = max(cursor, p_start)
                available = p_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
                cursor = p_end
            day += dt.timedelta(days=1)
            cursor = dt.datetime.combine(day, dt.time(0), self.tz)
        raise ValueError("deadline beyond ten years")

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        return self.add_working_time(start, dt.timedelta(hours=hours))

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Office time elapsed between two aware moments (zero if end ≤ start)."""
        total = dt.timedelta()
        if end <= start:
            return total
        a, b = start.astimezone(self.tz), end.astimezone(self.tz)
        day = a.date()
        while day <= b.date():
            for p_start, p_end in self._periods_on(day):
                lo, hi = max(a, p_start), min(b, p_end)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total

    def workday_deadline(self, start: dt.datetime, days: int) -> dt.datetime:
        """End of office hours on the `days`-th workday after the start's date (the usual 'N 个工作日' rule)."""
        due = self.add_workdays(start.astimezone(self.tz).date(), days)
        end_of_day = self.office_hours[-1][1]
        return dt.datetime.combine(due, end_of_day, self.tz).astimezone(start.tzinfo)
