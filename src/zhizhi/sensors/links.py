"""The sensors app's links to other apps, each behind one small function so it is easy to rewire.

open_alarm_case   an alarm becomes a case of category 独居老人告警 through the cases app's intake
advisors_of       the elderly-care advisors of a resident (the welfare app's, when it offers them)
grid_workers_of   the grid workers of the resident's grid
family_of         the resident's family and emergency contacts (people app)
"""

from __future__ import annotations

import logging
from typing import Any

from zhizhi.accounts.models import User
from zhizhi.core.roles import Role

log = logging.getLogger(__name__)

CASE_CATEGORY = "独居老人告警"
CASE_ALARM_ANSWER = {
    "night_door_open": "门未关闭",
    "door_left_open": "门未关闭",
    "no_activity": "长时间未开门",
    "not_back": "外出未归",
    "improbable_silence": "异常静默",
}
FALLBACK_ANSWER = "长时间未开门"  # for a taxonomy edited to offer fewer alarm types


def _alarm_answer(kind: str) -> str:
    """The category's alarm-type answer for an alarm kind, among the options the category offers now."""
    from zhizhi.cases.models import Category

    wanted = CASE_ALARM_ANSWER.get(kind, "")
    questions = Category.objects.filter(name=CASE_CATEGORY).values_list("questions", flat=True).first() or []
    for question in questions:
        if isinstance(question, dict) and question.get("key") == "alarm":
            options = question.get("options") or []
            if wanted in options:
                return wanted
            return FALLBACK_ANSWER if FALLBACK_ANSWER in options else ""
    return wanted


def open_alarm_case(alarm: Any, address: str = "") -> tuple[int, str] | None:
    """Open (idempotently) the case of an alarm; (case id, number), or None when the cases app cannot."""
    try:
        from zhizhi.cases.access import SYSTEM
        from zhizhi.cases.services import CaseInput, open_case
    except ImportError:  # pragma: no cover - the cases app is part of the project
        return None
    result = open_case(
        SYSTEM,
        CaseInput(
            category=CASE_CATEGORY,
            description=f"{alarm.get_kind_display()}：{alarm.resident.name}（{address or alarm.area_code}）",
            channel="sensor",
            area_code=alarm.area_code,
            address=address[:200],
            title=f"{CASE_CATEGORY} · {alarm.get_kind_display()}"[:100],
            urgency="urgent",
            answers={"device": str(alarm.device or "")[:200], "alarm": _alarm_answer(alarm.kind)},
            idempotency_key=f"sensor-alarm-{alarm.pk}",
            source_ref=f"sensor-alarm:{alarm.pk}",
        ),
    )
    return result.case.pk, result.case.number


def _users(role: str, area_code: str, *, exact: bool = False):
    """Active users of a role whose area contains `area_code` (or equals it)."""
    users = User.objects.filter(role=role, is_active=True).exclude(area_code="")
    if exact:
        return list(users.filter(area_code=area_code))
    return [u for u in users if area_code.startswith(u.area_code)]


def advisors_of(resident: Any) -> list[User]:
    """The advisor on the person's welfare case file (or their community's advisors when none is assigned)."""
    try:
        from zhizhi.welfare.queries import advisors_of_resident
    except ImportError:  # pragma: no cover - without the welfare app: every advisor of the area
        return _users(Role.ELDERCARE_ADVISOR, resident.area_code)
    return list(advisors_of_resident(resident))


def grid_workers_of(resident: Any) -> list[User]:
    return _users(Role.GRID_WORKER, resident.area_code)


def family_of(resident: Any) -> list:
    from zhizhi.people.queries import contacts_of

    return list(contacts_of(resident))


def alarm_source(viewer: Any, ident: str):
    """The alarm an alarm case came from (cases.sources), if the viewer may see it; None otherwise."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from zhizhi.cases.sources import SourceLink
    from zhizhi.core.errors import NotFound
    from zhizhi.sensors import queries
    from zhizhi.sensors.models import AlarmStatus

    try:
        alarm = queries.access_alarm(viewer, ident)
    except NotFound:
        return None
    status = alarm.get_status_display()
    if alarm.outcome:
        status = f"{status} · {alarm.get_outcome_display()}"
        if alarm.outcome_note:
            status = f"{status}（{alarm.outcome_note}）"
    what = _("Door-sensor alarm")
    return SourceLink(
        label=f"{what} · {alarm.get_kind_display()}",
        url=reverse("sensors:alarm_detail", args=[alarm.pk]),
        status=status,
        open=alarm.status != AlarmStatus.RESOLVED,
    )


def may_see_case(viewer: Any, case_id: int) -> bool:
    """Whether the viewer may open the case — by the case page's own rule (the alarm page links it only then)."""
    from zhizhi.cases.queries import access_case
    from zhizhi.core.errors import NotFound

    try:
        access_case(viewer, case_id)
    except NotFound:
        return False
    return True


def tell_case_handlers(alarm: Any) -> int:
    """The alarm is resolved: tell those handling its case — the street's dispatchers and the unit holding it —
    with the outcome, in their inbox (cases' outbox, in the alarm's transaction). Returns how many were told."""
    from django.utils import translation

    from zhizhi.cases.models import OPEN_STATUSES, Case
    from zhizhi.cases.services import outbox
    from zhizhi.cases.services.machine import street_dispatchers

    if alarm.case_id is None:
        return 0
    case = Case.objects.select_related("current_unit").filter(pk=alarm.case_id).first()
    if case is None or case.status not in OPEN_STATUSES:  # closed, rejected or merged: nothing to act on
        return 0
    users = list(street_dispatchers(case))
    if case.current_unit is not None:
        users += [case.current_unit.head, *case.current_unit.members.all()]
    with translation.override("zh-hans"):  # the platform's notices are written in Chinese
        outcome = str(alarm.get_outcome_display())
    outcome += f"：{alarm.outcome_note}" if alarm.outcome_note else ""
    text = f"案件 {case.number} 的门磁告警已处置（{outcome}），请据此办理。"
    return len(outbox.to_users(users, case, "alarm_resolved", text))  # once each; a missing head skipped
