"""The working-day calendar loaded from the `CalendarDay` table.

Cached per process; an edit in this process clears the cache at once (signal), and other processes (workers,
other web servers) reload within `RELOAD_SECONDS`.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from zhizhi.core.models import CalendarDay, DayKind
from zhizhi.core.workdays import WorkCalendar, parse_office_hours

RELOAD_SECONDS = 300
_cached: tuple[float, WorkCalendar] | None = None


def work_calendar() -> WorkCalendar:
    global _cached
    if _cached is None or time.monotonic() - _cached[0] > RELOAD_SECONDS:
        overrides = {
            d: kind == DayKind.WORKDAY for d, kind in CalendarDay.objects.values_list("date", "kind")
        }
        calendar = WorkCalendar(overrides=overrides, office_hours=parse_office_hours(settings.OFFICE_HOURS))
        _cached = (time.monotonic(), calendar)
    return _cached[1]


def _clear() -> None:
    global _cached
    _cached = None


work_calendar.cache_clear = _clear  # type: ignore[attr-defined]


@receiver(post_save, sender=CalendarDay)
@receiver(post_delete, sender=CalendarDay)
def _calendar_changed(**_kwargs) -> None:
    _clear()
