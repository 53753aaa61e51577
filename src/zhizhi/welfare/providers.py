"""The link sources welfare registers for apps that exist today (see welfare.links): the person's cases (cases
app) and their door-sensor alarms (sensors app). Each reads through its app's own scope (cases.queries.cases_for,
sensors.queries.alarms_for), so a viewer sees on the case file exactly what they could open in that app.

Government-affairs applications and elderly-care service orders register their own sources when those apps
exist; until then the case file shows nothing for them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from zhizhi.welfare import links


def _url(name: str, pk: int) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:  # the app's pages are not mounted: the item stays, without a link
        return ""


# --- cases ---------------------------------------------------------------------------------------------------


def concerning(resident_id: int) -> Q:
    """Cases that are the person's: they reported or follow it (through their resident account), or it was opened
    from one of their door-sensor alarms (独居老人告警)."""
    from zhizhi.cases.models import Case

    mine = Q(reporter__resident_id=resident_id) | Q(
        pk__in=Case.followers.through.objects.filter(user__resident_id=resident_id).values("case_id")
    )
    if apps.is_installed("zhizhi.sensors"):
        from zhizhi.sensors.models import Alarm

        mine |= Q(
            pk__in=Alarm.objects.filter(resident_id=resident_id, case_id__isnull=False).values("case_id")
        )
    return mine


def case_items(viewer: Any, resident: Any, limit: int) -> list[links.LinkItem]:
    from zhizhi.cases.queries import cases_for

    rows = (
        cases_for(viewer)
        .filter(concerning(resident.pk))
        .select_related("category")
        .only(
            "id",
            "number",
            "title",
            "status",
            "channel",
            "overdue",
            "created_at",
            "category__id",
            "category__name",
        )
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        links.LinkItem(
            at=c.created_at,
            kind="case",
            title=c.title or c.category.name,
            number=c.number,
            status=str(c.get_status_display()),
            detail=" · ".join(
                str(x)
                for x in (c.category.name, c.get_channel_display(), _("overdue") if c.overdue else "")
                if x
            ),
            url=_url("cases:detail", c.pk),
            open=c.is_open,
        )
        for c in rows
    ]


# --- door-sensor alarms --------------------------------------------------------------------------------------


def alarm_items(viewer: Any, resident: Any, limit: int) -> list[links.LinkItem]:
    from zhizhi.sensors.models import AlarmStatus
    from zhizhi.sensors.queries import alarms_for

    rows = (
        alarms_for(viewer)
        .select_related(None)
        .filter(resident_id=resident.pk)
        .only("id", "kind", "status", "outcome", "raised_at", "case_number", "step")
        .order_by("-raised_at", "-id")[:limit]
    )
    items = []
    for a in rows:
        detail = [str(a.get_step_display())] if a.status != AlarmStatus.RESOLVED else []
        if a.outcome:
            detail.append(str(a.get_outcome_display()))
        if a.case_number:
            detail.append(_("case %(number)s") % {"number": a.case_number})
        items.append(
            links.LinkItem(
                at=a.raised_at,
                kind="alarm",
                title=str(a.get_kind_display()),
                status=str(a.get_status_display()),
                detail=" · ".join(detail),
                url=_url("sensors:alarm_detail", a.pk),
                open=a.status != AlarmStatus.RESOLVED,
            )
        )
    return items


def recent_alarms(resident_ids: list[int], since: dt.datetime) -> dict[int, int]:
    """Door-sensor alarms raised since `since`, per person; alarms resolved as false alarms do not count."""
    from django.db.models import Count

    from zhizhi.sensors.models import Alarm, Outcome

    rows = (
        Alarm.objects.filter(resident_id__in=resident_ids, raised_at__gte=since)
        .exclude(outcome=Outcome.FALSE_ALARM)
        .values("resident_id")
        .annotate(n=Count("id"))
        .values_list("resident_id", "n")
    )
    return dict(rows)


def register_all() -> None:
    """Called from WelfareConfig.ready(): a source for each app that is installed."""
    if apps.is_installed("zhizhi.cases"):
        links.register(
            links.Source(
                "cases",
                _("Cases"),
                case_items,
                order=10,
                empty=_("No cases reported by or about this person."),
            )
        )
    if apps.is_installed("zhizhi.sensors"):
        links.register(
            links.Source(
                "alarms",
                _("Door-sensor alarms"),
                alarm_items,
                order=20,
                recent_alarms=recent_alarms,
                empty=_("No door-sensor alarms."),
            )
        )
