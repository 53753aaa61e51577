"""Time limits of a case's steps (pure: no ORM, no request; `now` and the calendar are passed in).

A limit is an amount and a unit:
  * working hours (工作时) — office time on the working-day calendar (office hours are a setting);
  * working days (工作日) — the end of office hours on the N-th working day after the start's date (a fraction
    adds that share of an office day; less than one day is that much office time from the start);
  * clock hours (自然小时) — for urgent matters, around the clock, holidays included.

An urgent case turns working limits into clock hours: N working hours become N clock hours and N working
days become N × 8 clock hours (one working day's worth of time, without waiting for office hours).

The warning moment is when 80 % of the step's time is used, measured in the same kind of time as the limit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from zhizhi.core.workdays import WorkCalendar

WARN_FRACTION = 0.8
HOURS_PER_WORKDAY = 8
SUPERVISION_FACTOR = 0.5


class LimitUnit(StrEnum):
    WORK_HOURS = "work_hours"  # 工作时
    WORK_DAYS = "work_days"  # 工作日
    CLOCK_HOURS = "clock_hours"  # 自然小时 (urgent)


@dataclass(frozen=True)
class Limit:
    amount: float
    unit: LimitUnit

    def __post_init__(self):
        if float(self.amount) <= 0:
            raise ValueError("a time limit must be positive")
        object.__setattr__(self, "amount", float(self.amount))
        object.__setattr__(self, "unit", LimitUnit(self.unit))

    @classmethod
    def of(cls, amount: float | Decimal | int, unit: str) -> Limit:
        return cls(float(amount), LimitUnit(unit))

    def urgent(self) -> Limit:
        """The same limit for an urgent case: clock hours."""
        if self.unit is LimitUnit.WORK_DAYS:
            return Limit(self.amount * HOURS_PER_WORKDAY, LimitUnit.CLOCK_HOURS)
        return Limit(self.amount, LimitUnit.CLOCK_HOURS)

    def label(self) -> str:
        amount = f"{self.amount:g}"
        return {
            LimitUnit.WORK_HOURS: f"{amount}个工作时",
            LimitUnit.WORK_DAYS: f"{amount}个工作日",
            LimitUnit.CLOCK_HOURS: f"{amount}小时",
        }[self.unit]


def _require_aware(moment: dt.datetime, name: str) -> None:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")


def due(start: dt.datetime, limit: Limit, calendar: WorkCalendar, *, urgent: bool = False) -> dt.datetime:
    """The deadline of a step that starts at `start`."""
    _require_aware(start, "start")
    if urgent:
        limit = limit.urgent()
    if limit.unit is LimitUnit.CLOCK_HOURS:
        return start + dt.timedelta(hours=limit.amount)
    if limit.unit is LimitUnit.WORK_HOURS:
        return calendar.add_working_hours(start, limit.amount)
    office_day = _office_day(calendar)
    if limit.amount < 1:  # part of one working day: that much office time from the start
        return calendar.add_working_time(start, office_day * limit.amount)
    whole = int(limit.amount)
    deadline = calendar.workday_deadline(start, whole)
    part = limit.amount - whole
    return calendar.add_working_time(deadline, office_day * part) if part else deadline


def _office_day(calendar: WorkCalendar) -> dt.timedelta:
    """Office time in one working day (7.5 hours with the default office hours)."""
    day = dt.date(2000, 1, 3)
    return sum(
        (dt.datetime.combine(day, e) - dt.datetime.combine(day, s) for s, e in calendar.office_hours),
        dt.timedelta(),
    )


def _kind(limit: Limit, urgent: bool) -> LimitUnit:
    return limit.urgent().unit if urgent else limit.unit


def time_used(
    start: dt.datetime, now: dt.datetime, deadline: dt.datetime, calendar: WorkCalendar, *, working: bool
) -> float:
    """The fraction (0…, may exceed 1) of the step's time used at `now`."""
    if working:
        total = calendar.working_time_between(start, deadline)
        used = calendar.working_time_between(start, now)
    else:
        total, used = deadline - start, max(now - start, dt.timedelta())
    if total <= dt.timedelta():
        return 1.0 if now >= deadline else 0.0
    return used / total


def warn_at(
    start: dt.datetime,
    deadline: dt.datetime,
    calendar: WorkCalendar,
    *,
    working: bool,
    fraction: float = WARN_FRACTION,
) -> dt.datetime:
    """The moment `fraction` of the time between start and deadline is used (working or clock time)."""
    _require_aware(start, "start")
    _require_aware(deadline, "deadline")
    if deadline <= start:
        return deadline
    if working:
        total = calendar.working_time_between(start, deadline)
        return min(calendar.add_working_time(start, total * fraction), deadline)
    return start + (deadline - start) * fraction


def is_working(limit: Limit, *, urgent: bool = False) -> bool:
    return _kind(limit, urgent) is not LimitUnit.CLOCK_HOURS


@dataclass(frozen=True)
class StepTimes:
    """What a service stores when a step starts."""

    started: dt.datetime
    deadline: dt.datetime
    warn_at: dt.datetime
    working: bool


def start_step(
    start: dt.datetime, limit: Limit, calendar: WorkCalendar, *, urgent: bool = False
) -> StepTimes:
    deadline = due(start, limit, calendar, urgent=urgent)
    working = is_working(limit, urgent=urgent)
    return StepTimes(start, deadline, warn_at(start, deadline, calendar, working=working), working)


def shortened(
    now: dt.datetime,
    deadline: dt.datetime,
    calendar: WorkCalendar,
    *,
    working: bool,
    factor: float = SUPERVISION_FACTOR,
) -> dt.datetime:
    """督办: the deadline brought forward to `factor` of the time that remains (never later than before)."""
    _require_aware(now, "now")
    if deadline <= now:
        return deadline
    if working:
        remaining = calendar.working_time_between(now, deadline)
        return min(calendar.add_working_time(now, remaining * factor), deadline)
    return now + (deadline - now) * factor


def extended(deadline: dt.datetime, limit: Limit, calendar: WorkCalendar) -> dt.datetime:
    """延期: the deadline moved on by `limit` counted from the old deadline."""
    return due(deadline, limit, calendar)
