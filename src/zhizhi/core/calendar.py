"""The working-day calendar loaded from the `CalendarDay` table (cached; reloaded when the table changes)."""

from __future__ import annotations

import functools

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from zhizhi.core.models import CalendarDay, DayKind
from zhizhi.core.workdays import WorkCalendar, parse_office_hours


@functools.cache
def work_calendar() -> WorkCalendar:
    overrides = {d: kind == DayKind.WORKDAY for d, kind in CalendarDay.objects.values_list("date", "kind")}
    return WorkCalendar(overrides=overrides, office_hours=parse_office_hours(settings.OFFICE_HOURS))


@receiver(post_save, sender=CalendarDay)
@receiver(post_delete, sender=CalendarDay)
def _calendar_changed(**_kwargs) -> None:
    work_calendar.cache_clear()
