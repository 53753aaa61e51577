"""The one mapping between Zhizhi's case workflow and Open311 (pure: no ORM, no request).

Everything Open311 says about a case comes from these tables, never from branches elsewhere:

  STATUS   workflow status → GeoReport `status` (open/closed), mySociety extended status, and the
           `status_notes` text.
  ACTIONS  workflow action → whether it is published as an update (servicerequestupdates, notes), the
           extended status it announces when it differs from its status's (上报/下派/退回 → INTERNAL_REFERRAL,
           重新办理 → REOPEN), the note text, and whether the action's reason may be shown to the public.
  DATATYPES  question type of a category → Open311 attribute datatype.

`agency_responsible` is the name of the unit holding the case, `expected_datetime` the stored deadline of
the current step (none once the case is closed or its clock is stopped).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from zhizhi.cases.workflow import Action, Status


class Open311Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ExtendedStatus(StrEnum):
    """mySociety's extended statuses (servicerequestupdates); written in capitals, read in any case."""

    OPEN = "OPEN"
    INVESTIGATING = "INVESTIGATING"
    IN_PROGRESS = "IN_PROGRESS"
    ACTION_SCHEDULED = "ACTION_SCHEDULED"
    FIXED = "FIXED"
    CLOSED = "CLOSED"
    DUPLICATE = "DUPLICATE"
    NOT_COUNCILS_RESPONSIBILITY = "NOT_COUNCILS_RESPONSIBILITY"
    NO_FURTHER_ACTION = "NO_FURTHER_ACTION"
    INTERNAL_REFERRAL = "INTERNAL_REFERRAL"
    REOPEN = "REOPEN"


EXTENDED_LABELS: dict[ExtendedStatus, str] = {
    ExtendedStatus.OPEN: "已受理",
    ExtendedStatus.INVESTIGATING: "核实中",
    ExtendedStatus.IN_PROGRESS: "处置中",
    ExtendedStatus.ACTION_SCHEDULED: "已安排处置",
    ExtendedStatus.FIXED: "已解决",
    ExtendedStatus.CLOSED: "已关闭",
    ExtendedStatus.DUPLICATE: "重复反映",
    ExtendedStatus.NOT_COUNCILS_RESPONSIBILITY: "非本街道职责",
    ExtendedStatus.NO_FURTHER_ACTION: "不予处理",
    ExtendedStatus.INTERNAL_REFERRAL: "内部转办",
    ExtendedStatus.REOPEN: "重新办理",
}
"""The short Chinese words for each extended status (the `summary` of a note)."""


@dataclass(frozen=True)
class StatusMap:
    status: Open311Status
    extended: ExtendedStatus
    note: str  # may use {unit}


S, A, OS, X = Status, Action, Open311Status, ExtendedStatus

STATUS: dict[Status, StatusMap] = {
    S.RECEIVED: StatusMap(OS.OPEN, X.OPEN, "已受理，等待立案"),
    S.REGISTERED: StatusMap(OS.OPEN, X.INVESTIGATING, "已立案，等待派遣"),
    S.REJECTED: StatusMap(OS.CLOSED, X.NO_FURTHER_ACTION, "不予立案"),
    S.MERGED: StatusMap(OS.CLOSED, X.DUPLICATE, "与另一案件为同一问题，已合并办理"),
    S.DISPATCHED: StatusMap(OS.OPEN, X.ACTION_SCHEDULED, "已派遣至{unit}，等待签收"),
    S.ACCEPTED: StatusMap(OS.OPEN, X.ACTION_SCHEDULED, "{unit}已签收"),
    S.IN_HANDLING: StatusMap(OS.OPEN, X.IN_PROGRESS, "{unit}正在处置"),
    S.HANDLED: StatusMap(OS.OPEN, X.IN_PROGRESS, "{unit}已处置，等待核查"),
    S.VERIFIED: StatusMap(OS.OPEN, X.FIXED, "已核查通过，等待结案"),
    S.CLOSED: StatusMap(OS.CLOSED, X.FIXED, "已办结"),
    S.BACKLOGGED: StatusMap(OS.OPEN, X.ACTION_SCHEDULED, "暂时无法解决，已挂账，条件具备后办理"),
}


@dataclass(frozen=True)
class ActionMap:
    note: str  # may use {unit}, {reason}, {deadline}
    extended: ExtendedStatus | None = None  # None: the extended status of the status after the action
    reason_public: bool = False  # whether the action's reason/note is shown to the public


OPENED = "open"  # the first row of every case (cases' CaseAction.OPEN; not a workflow action)

ACTIONS: dict[str, ActionMap] = {
    OPENED: ActionMap("已受理"),
    A.REGISTER: ActionMap("已立案"),
    A.REJECT: ActionMap("不予立案：{reason}", reason_public=True),
    A.MERGE: ActionMap("与另一案件为同一问题，已合并办理"),
    A.DISPATCH: ActionMap("已派遣至{unit}"),
    A.ACCEPT: ActionMap("{unit}已签收"),
    A.START: ActionMap("{unit}开始处置"),
    A.SUBMIT: ActionMap("{unit}已处置：{reason}", reason_public=True),
    A.VERIFY: ActionMap("核查通过"),
    A.REWORK: ActionMap("核查未通过，已返工", extended=X.IN_PROGRESS),
    A.CLOSE: ActionMap("已办结：{reason}", reason_public=True),
    A.RETURN: ActionMap("重新派遣中", extended=X.INTERNAL_REFERRAL),
    A.ESCALATE: ActionMap("已上报至{unit}办理", extended=X.INTERNAL_REFERRAL),
    A.SEND_DOWN: ActionMap("已交由{unit}办理", extended=X.INTERNAL_REFERRAL),
    A.APPROVE_EXTENSION: ActionMap("办理期限已延长至{deadline}"),
    A.BACKLOG: ActionMap("暂时无法解决，已挂账：{reason}", reason_public=True),
    A.RESUME: ActionMap("恢复办理"),
    A.REOPEN: ActionMap("重新办理", extended=X.REOPEN),
}
"""Published actions. The rest (督办, 预警, 延期申请/不同意, 回访) are internal and never published."""

OPEN_OPEN311 = frozenset(s for s, m in STATUS.items() if m.status is OS.OPEN)
CLOSED_OPEN311 = frozenset(s for s, m in STATUS.items() if m.status is OS.CLOSED)

# Extended statuses a client may post; REOPEN and OPEN on a closed case ask Zhizhi to reopen it.
CLIENT_STATUSES = frozenset(ExtendedStatus)
ASKS_TO_REOPEN = frozenset({X.OPEN, X.REOPEN})


def _local(moment: dt.datetime | None) -> str:
    from zhizhi.core.clock import SHANGHAI

    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


def _fill(template: str, *, unit: str, reason: str, deadline: dt.datetime | None = None) -> str:
    text = template.format(unit=unit or "处置单位", reason=reason, deadline=_local(deadline))
    return text.rstrip("：").strip()


def status_of(status: str) -> Open311Status:
    return STATUS[Status(status)].status


def extended_status(status: str, last_action: str | None = None) -> ExtendedStatus:
    """The extended status of a case: the last published action's, if it names one, else its status's."""
    action = ACTIONS.get(last_action or "")
    if action is not None and action.extended is not None:
        return action.extended
    return STATUS[Status(status)].extended


def status_notes(status: str, unit: str = "", last_action: str | None = None, reason: str = "") -> str:
    """Why the case is where it is, in words for the public (the reason only where ACTIONS allows)."""
    mapped = STATUS[Status(status)]
    action = ACTIONS.get(last_action or "")
    if action is not None and (action.extended is not None or (action.reason_public and reason)):
        return _fill(action.note, unit=unit, reason=reason if action.reason_public else "")
    return _fill(mapped.note, unit=unit, reason="")


def update_note(action: str, unit: str = "", reason: str = "", deadline: dt.datetime | None = None) -> str:
    mapped = ACTIONS[action]
    return _fill(mapped.note, unit=unit, reason=reason if mapped.reason_public else "", deadline=deadline)


def is_published(action: str) -> bool:
    return action in ACTIONS


def published_actions() -> list[str]:
    return [str(a) for a in ACTIONS]


def expected_datetime(status: str, deadline: dt.datetime | None) -> dt.datetime | None:
    """The stored deadline of the current step while the case is open and its clock runs."""
    if STATUS[Status(status)].status is OS.CLOSED or Status(status) is S.BACKLOGGED:
        return None
    return deadline


def parse_client_status(value: str) -> ExtendedStatus | None:
    """A status posted by a client (any case, spaces or underscores), or None when unknown."""
    text = "_".join(str(value or "").strip().upper().replace("-", " ").split())
    try:
        return ExtendedStatus(text)
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------- attributes


class Datatype(StrEnum):
    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"


DATATYPES: dict[str, Datatype] = {
    "text": Datatype.STRING,
    "string": Datatype.STRING,
    "textarea": Datatype.TEXT,
    "longtext": Datatype.TEXT,
    "number": Datatype.NUMBER,
    "integer": Datatype.NUMBER,
    "datetime": Datatype.DATETIME,
    "date": Datatype.DATETIME,
    "choice": Datatype.SINGLEVALUELIST,
    "select": Datatype.SINGLEVALUELIST,
    "multichoice": Datatype.MULTIVALUELIST,
    "multiselect": Datatype.MULTIVALUELIST,
}
"""A category question's `type` → Open311 datatype; an unknown type is offered as a string."""

DATATYPE_DESCRIPTIONS: dict[Datatype, str] = {
    Datatype.STRING: "不超过200字",
    Datatype.TEXT: "不超过200字，可换行",
    Datatype.NUMBER: "数字，如 3 或 2.5",
    Datatype.DATETIME: "带时区的时间，如 2026-11-27T10:00:00+08:00",
    Datatype.SINGLEVALUELIST: "从 values 中选一个 key",
    Datatype.MULTIVALUELIST: "从 values 中选一个或多个 key，用 attribute[code][] 逐个提交",
}


def datatype_of(question_type: str | None) -> Datatype:
    return DATATYPES.get(str(question_type or "").lower(), Datatype.STRING)
