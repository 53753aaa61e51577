"""The scheduled deadline scan (run every minute: `zhizhi scan_deadlines`, or the `scan_deadlines_task` task).

* At 80 % of a step's time: a warning row and a notice to the unit (or the street dispatchers).
* When a step's deadline passes while a unit holds the case: automatic escalation one level up
  (community → street → district → city), with a fresh signing deadline at the new unit.
* When it passes anywhere else (registration, dispatch, verification, closure), or at the top level:
  the case is flagged overdue, a row is written and the dispatchers are told.
* Then: notifications whose next attempt is due are sent again.

Each case is handled in its own transaction with the row locked and the condition checked again, so two
scans at once, or the same scan run twice, change nothing more than one would.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction

from zhizhi.cases.access import SYSTEM
from zhizhi.cases.models import Case, HandlingUnit
from zhizhi.cases.services import outbox
from zhizhi.cases.services.actions import do_escalate
from zhizhi.cases.services.machine import lock_case, record_in_place, street_dispatchers
from zhizhi.cases.workflow import HELD_BY_UNIT, STEP_OF, Action
from zhizhi.core import clock
from zhizhi.core.errors import DomainError

log = logging.getLogger(__name__)

TIMED = [s.value for s, step in STEP_OF.items() if step is not None]
BATCH = 500


@dataclass
class ScanReport:
    warned: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    notifications: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "warned": len(self.warned),
            "escalated": len(self.escalated),
            "overdue": len(self.overdue),
            "notifications": self.notifications,
        }


def _due(case: Case) -> str:
    return case.deadline.astimezone(clock.SHANGHAI).strftime("%m-%d %H:%M") if case.deadline else "—"


def _warn_one(case_id: int, now: dt.datetime) -> str | None:
    with transaction.atomic():
        case = lock_case(case_id)
        if case.warned or case.status not in TIMED or not case.warn_at or case.warn_at > now:
            return None
        if case.deadline is None or case.deadline <= now:
            return None
        case.warned = True
        record_in_place(SYSTEM, case, Action.WARN, reason="已用时 80%", now=now, data={"step": case.step})
        text = f"【预警】案件 {case.number}（{case.category.name}）将于 {_due(case)} 到期，请抓紧办理。"
        if case.current_unit_id and case.status in HELD_BY_UNIT:
            outbox.to_unit(case.current_unit, case, "warning", text)
        else:
            outbox.to_users(street_dispatchers(case), case, "warning", text)
        return case.number


def _breach_one(case_id: int, now: dt.datetime) -> tuple[str, str] | None:
    with transaction.atomic():
        case = lock_case(case_id)
        if case.overdue or case.status not in TIMED or case.deadline is None or case.deadline > now:
            return None
        if case.status in HELD_BY_UNIT and case.current_unit_id:
            try:
                with transaction.atomic():
                    do_escalate(SYSTEM, case, reason="处置时限已过，自动上报")
                return "escalated", case.number
            except DomainError:  # at the top level, or no unit above: flag it instead
                case = lock_case(case_id)
        case.overdue = True
        record_in_place(
            SYSTEM, case, Action.WARN, reason="已超期", now=now, data={"overdue": True, "step": case.step}
        )
        text = f"【超期】案件 {case.number}（{case.category.name}）已超过{case.get_step_display()}时限。"
        recipients = street_dispatchers(case)
        if isinstance(case.current_unit, HandlingUnit) and case.current_unit.head_id:
            recipients.append(case.current_unit.head)
        outbox.to_users(recipients, case, "overdue", text)
        return "overdue", case.number


def scan_deadlines(now: dt.datetime | None = None, *, batch: int = BATCH) -> ScanReport:
    """Warn, escalate and flag by the stored deadlines as of `now`; then retry due notifications."""
    now = now or clock.now()
    report = ScanReport()
    to_warn = Case.objects.filter(status__in=TIMED, warned=False, warn_at__lte=now, deadline__gt=now)
    for pk in list(to_warn.order_by("warn_at").values_list("pk", flat=True)[:batch]):
        try:
            if number := _warn_one(pk, now):
                report.warned.append(number)
        except Exception:  # one bad case must not stop the scan
            log.exception("deadline warning failed for case %s", pk)
    breached = Case.objects.filter(status__in=TIMED, overdue=False, deadline__lte=now)
    for pk in list(breached.order_by("deadline").values_list("pk", flat=True)[:batch]):
        try:
            outcome = _breach_one(pk, now)
        except Exception:
            log.exception("deadline escalation failed for case %s", pk)
            continue
        if outcome:
            (report.escalated if outcome[0] == "escalated" else report.overdue).append(outcome[1])
    report.notifications = outbox.retry_due(now)
    return report
