"""The main line of the loop: register, reject, merge, dispatch, sign, handle, verify, close, return, escalate
and send down. One transaction per use case; notifications are queued in it and sent after commit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from zhizhi.cases import routing
from zhizhi.cases.access import is_user
from zhizhi.cases.indicators.stamps import stamp_closure
from zhizhi.cases.models import (
    AttachmentKind,
    Case,
    CaseAttachment,
    EnforcementRecord,
    HandlingUnit,
    Transition,
    Verification,
    VerificationMethod,
    level_rank,
)
from zhizhi.cases.services import outbox
from zhizhi.cases.services.intake import FileInput, check_files, check_text, save_files
from zhizhi.cases.services.machine import grid_workers, locked_case, street_dispatchers, transition
from zhizhi.cases.workflow import Action, Need
from zhizhi.core import clock
from zhizhi.core.errors import InvalidInput

# ------------------------------------------------------------------------------------------- helpers


def _given(**inputs: Any) -> set[Need]:
    return {Need(name) for name, value in inputs.items() if value}


def check_reason(value: Any, field_name: str = "reason", required: bool = True) -> str:
    return check_text(value, field_name, max_length=1000, required=required)


def find_unit(unit_id: Any, field_name: str = "unit") -> HandlingUnit:
    try:
        return HandlingUnit.objects.get(pk=int(unit_id), active=True)
    except (HandlingUnit.DoesNotExist, ValueError, TypeError) as exc:
        raise InvalidInput(f"no active handling unit {unit_id}", field=field_name) from exc


def check_unit_covers(unit: HandlingUnit, case: Case, field_name: str = "unit") -> None:
    if not case.area_code.startswith(unit.area_code):
        raise InvalidInput(f"{unit} does not work in the case's area", field=field_name)


def _attachments(case: Case, ids: list[int] | None, field_name: str) -> list[CaseAttachment]:
    ids = [int(i) for i in ids or []]
    found = list(CaseAttachment.objects.filter(case=case, pk__in=ids, transition__isnull=True))
    if len(found) != len(set(ids)):
        raise InvalidInput("an attachment does not belong to this case or is already used", field=field_name)
    return found


def _link(files: list[CaseAttachment], row: Transition) -> list[int]:
    CaseAttachment.objects.filter(pk__in=[f.pk for f in files]).update(transition=row)
    return [f.pk for f in files]


def _notify_dispatched(case: Case, verb: str) -> None:
    unit = case.current_unit
    text = f"【{verb}】案件 {case.number}（{case.category.name}）已派至{unit}，请于 {_due(case)} 前签收。"
    outbox.to_unit(unit, case, "dispatched", text)


def _due(case: Case) -> str:
    return case.deadline.astimezone(clock.SHANGHAI).strftime("%m-%d %H:%M") if case.deadline else "—"


# ------------------------------------------------------------------------------------------- register


@transaction.atomic
def register_case(actor: Any, case_id: Any, *, note: str = "") -> Case:
    """立案: the dispatcher accepts the report as a case."""
    case = locked_case(actor, case_id)
    transition(actor, case, Action.REGISTER, given=set(), reason=check_reason(note, "note", required=False))
    return case


@transaction.atomic
def reject_case(actor: Any, case_id: Any, *, reason: str) -> Case:
    """不予立案, with the reason told to the reporter."""
    case = locked_case(actor, case_id)
    reason = check_reason(reason, required=False)
    transition(actor, case, Action.REJECT, given=_given(reason=reason), reason=reason)
    outbox.to_reporter(case, "rejected", f"您反映的问题（{case.number}）不予立案：{reason}")
    return case


@transaction.atomic
def merge_case(actor: Any, case_id: Any, *, into: Any, reason: str = "") -> Case:
    """合并: a duplicate is absorbed by an open case of the same street; its reporter follows the target."""
    case = locked_case(actor, case_id)
    target = Case.objects.filter(pk=_int(into, "into")).first()
    if target is None or target.pk == case.pk:
        raise InvalidInput("choose another case to merge into", field="into")
    if not target.is_open or target.merged_into_id:
        raise InvalidInput(f"case {target.number} is not open", field="into")
    if target.street_code != case.street_code:
        raise InvalidInput("a case merges only into a case of the same street", field="into")
    reason = check_reason(reason, required=False) or f"与 {target.number} 重复"
    transition(actor, case, Action.MERGE, given={Need.TARGET}, reason=reason, data={"into": target.number})
    case.merged_into = target
    case.save(update_fields=["merged_into"])
    if case.reporter_id:
        target.followers.add(case.reporter_id)
    outbox.to_reporter(
        case, "merged", f"您反映的问题（{case.number}）与 {target.number} 为同一问题，已合并办理。"
    )
    return case


def _int(value: Any, field_name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field_name} must be a number", field=field_name) from exc


# ------------------------------------------------------------------------------------------- dispatch and
# handling


@transaction.atomic
def dispatch_case(actor: Any, case_id: Any, *, unit_id: Any = None, note: str = "") -> Case:
    """派遣: to the unit the routing rules pick, or the one the dispatcher chooses."""
    case = locked_case(actor, case_id)
    if unit_id not in (None, ""):
        unit, why = find_unit(unit_id), "chosen by the dispatcher"
        check_unit_covers(unit, case)
    else:
        found = routing.route(case.category, case.area_code)
        if found.unit is None:
            raise InvalidInput("no routing rule or unit matches: choose the unit", field="unit")
        unit, why = found.unit, found.reason
    transition(
        actor,
        case,
        Action.DISPATCH,
        given={Need.UNIT},
        unit_to=unit,
        reason=check_reason(note, "note", False),
        data={"route": why},
    )
    _notify_dispatched(case, "派遣")
    return case


@transaction.atomic
def accept_case(actor: Any, case_id: Any) -> Case:
    """签收: the unit takes the case; the handling deadline starts."""
    case = locked_case(actor, case_id)
    transition(actor, case, Action.ACCEPT, given=set())
    return case


@transaction.atomic
def start_handling(actor: Any, case_id: Any, *, note: str = "") -> Case:
    case = locked_case(actor, case_id)
    transition(actor, case, Action.START, given=set(), reason=check_reason(note, "note", False))
    return case


@dataclass
class EnforcementInput:
    subject: str
    facts: str
    legal_basis: str
    outcome: str
    penalty_amount: Any = None


def check_enforcement(data: EnforcementInput | None) -> dict:
    if data is None:
        raise InvalidInput("an enforcement case needs its enforcement record", field="enforcement")
    clean: dict[str, Any] = {
        "subject": check_text(data.subject, "enforcement.subject", max_length=128, required=True),
        "facts": check_text(data.facts, "enforcement.facts", max_length=4000, required=True),
        "legal_basis": check_text(
            data.legal_basis, "enforcement.legal_basis", max_length=4000, required=True
        ),
        "outcome": check_text(data.outcome, "enforcement.outcome", max_length=4000, required=True),
        "penalty_amount": None,
    }
    if data.penalty_amount not in (None, ""):
        clean["penalty_amount"] = check_fine(data.penalty_amount)
    return clean


FINE_MAX = Decimal("9999999999.99")  # the column's 12 digits, 2 of them cents


def check_fine(raw: Any) -> Decimal:
    """A fine in yuan: a finite, non-negative amount in whole cents that the column can hold."""
    field = "enforcement.penalty_amount"
    try:
        amount = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput("fine must be an amount in yuan", field=field) from exc
    if not amount.is_finite():
        raise InvalidInput("fine must be an amount in yuan", field=field)
    if amount < 0:
        raise InvalidInput("fine cannot be negative", field=field)
    if amount > FINE_MAX:
        raise InvalidInput(f"fine cannot exceed {FINE_MAX} yuan", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput("fine is in yuan and fen: at most two decimal places", field=field)
    return amount.quantize(Decimal("0.01"))


def save_enforcement(actor: Any, case: Case, clean: dict) -> EnforcementRecord:
    record, _ = EnforcementRecord.objects.update_or_create(
        case=case,
        defaults={**clean, "recorded_by": actor if is_user(actor) else None, "recorded_at": clock.now()},
    )
    return record


@transaction.atomic
def submit_handling(
    actor: Any,
    case_id: Any,
    *,
    note: str,
    evidence: list[str] | None = None,
    photos: list[FileInput] | None = None,
    attachment_ids: list[int] | None = None,
    enforcement: EnforcementInput | None = None,
) -> Case:
    """处置反馈: what was done, with evidence (photos, documents, or a described record); enforcement cases
    with their enforcement record (违法主体, 违法事实, 处罚依据, 处理结果)."""
    case = locked_case(actor, case_id)
    note = check_text(note, "note", max_length=2000)
    items = [check_text(e, "evidence", max_length=200) for e in evidence or [] if str(e or "").strip()]
    photos = check_files(photos or [])
    uploaded = _attachments(case, attachment_ids, "attachment_ids")
    given = _given(note=note, evidence=items or photos or uploaded)
    record = None
    if case.category.enforcement and (enforcement is not None or not hasattr(case, "enforcement")):
        record = check_enforcement(enforcement)
    row = transition(actor, case, Action.SUBMIT, given=given, reason=note, data={"evidence": items})
    files = save_files(case, photos, AttachmentKind.EVIDENCE, actor, row.at, transition=row)
    ids = [f.pk for f in files] + _link(uploaded, row)
    Transition.objects.filter(pk=row.pk).update(data={"evidence": items, "attachments": ids})
    if record is not None:
        save_enforcement(actor, case, record)
    outbox.to_users(street_dispatchers(case), case, "handled", f"案件 {case.number} 已处置，待核查。")
    where = f"（{case.address}）" if case.address else ""
    text = f"案件 {case.number}{where}已处置，请到现场核查。"
    outbox.to_users(grid_workers(case), case, "verify", text)  # their task list: 待核查
    return case


@transaction.atomic
def verify_case(
    actor: Any,
    case_id: Any,
    *,
    passed: bool,
    note: str = "",
    method: str | None = None,
    photos: list[FileInput] | None = None,
    attachment_ids: list[int] | None = None,
    source_ref: str = "",
) -> Case:
    """核查: pass, or send back for rework (返工, the note is the reason). A camera re-check calls this with
    the SYSTEM actor, method="camera" and the detection id as `source_ref`."""
    case = locked_case(actor, case_id)
    note = check_text(note, "note", max_length=2000)
    method = method or (VerificationMethod.CAMERA if not is_user(actor) else VerificationMethod.GRID_WORKER)
    if method not in VerificationMethod.values:
        raise InvalidInput(f"method must be one of {', '.join(VerificationMethod.values)}", field="method")
    photos = check_files(photos or [])
    uploaded = _attachments(case, attachment_ids, "attachment_ids")
    action = Action.VERIFY if passed else Action.REWORK
    given = {Need.REASON} if note else set()
    row = transition(
        actor, case, action, given=given, reason=note, data={"method": method, "source": source_ref}
    )
    save_files(case, photos, AttachmentKind.VERIFICATION, actor, row.at, transition=row)
    _link(uploaded, row)
    Verification.objects.create(
        case=case,
        transition=row,
        method=method,
        passed=bool(passed),
        note=note,
        source_ref=source_ref[:64],
        verified_by=actor if is_user(actor) else None,
        at=row.at,
    )
    if not passed:
        outbox.to_unit(case.current_unit, case, "rework", f"【返工】案件 {case.number} 核查未通过：{note}")
    return case


@transaction.atomic
def close_case(actor: Any, case_id: Any, *, note: str = "") -> Case:
    """结案, and tell the reporter and the followers."""
    case = locked_case(actor, case_id)
    row = transition(actor, case, Action.CLOSE, given=set(), reason=check_reason(note, "note", False))
    stamp_closure(row)  # what the indicators need to know about this closure, read from the history now
    case.closed_at = row.at
    case.save(update_fields=["closed_at"])
    text = f"您反映的问题（{case.number}）已办结，欢迎评价。"
    outbox.to_reporter(case, "closed", text)
    outbox.to_users(case.followers.all(), case, "closed", text)
    return case


# ------------------------------------------------------------------------------------------- routing
# corrections


@transaction.atomic
def return_case(actor: Any, case_id: Any, *, reason: str) -> Case:
    """退回: the unit says the case is not theirs; it goes back to the dispatcher."""
    case = locked_case(actor, case_id)
    reason = check_reason(reason, required=False)
    transition(actor, case, Action.RETURN, given=_given(reason=reason), reason=reason, clear_unit=True)
    outbox.to_users(
        street_dispatchers(case), case, "returned", f"【退回】案件 {case.number}：{reason}，请重新派遣。"
    )
    return case


@transaction.atomic
def escalate_case(actor: Any, case_id: Any, *, reason: str, unit_id: Any = None) -> Case:
    """上报: one level up, to the unit the rules pick (or a chosen unit of a higher level)."""
    case = locked_case(actor, case_id)
    reason = check_reason(reason, required=False)
    do_escalate(actor, case, reason=reason, unit=find_unit(unit_id) if unit_id not in (None, "") else None)
    return case


def do_escalate(actor: Any, case: Case, *, reason: str, unit: HandlingUnit | None = None) -> Transition:
    """Escalate a locked case (used by `escalate_case` and the deadline scan)."""
    current = case.current_unit
    if current is None:
        raise InvalidInput("the case has no unit to escalate from", field="status")
    if unit is None:
        found = routing.route_up(case.category, case.area_code, current)
        if found.unit is None:
            raise InvalidInput(f"{current} is at the top level; supervise or backlog instead", field="unit")
        unit, why = found.unit, found.reason
    else:
        why = "chosen"
        check_unit_covers(unit, case)
    if level_rank(unit.level) <= level_rank(current.level):
        raise InvalidInput("escalation goes to a unit of a higher level", field="unit")
    given = _given(reason=reason)
    row = transition(
        actor, case, Action.ESCALATE, given=given, reason=reason, unit_to=unit, data={"route": why}
    )
    case.escalations += 1
    case.save(update_fields=["escalations"])
    _notify_dispatched(case, "上报")
    outbox.to_unit(current, case, "escalated", f"案件 {case.number} 已上报至{unit}：{reason}", head_only=True)
    return row


@transaction.atomic
def send_down_case(actor: Any, case_id: Any, *, unit_id: Any, reason: str = "") -> Case:
    """下派: a higher level hands the case to a unit of a lower level."""
    case = locked_case(actor, case_id)
    if unit_id in (None, ""):
        raise InvalidInput("choose the unit to send the case down to", field="unit")
    unit = find_unit(unit_id)
    check_unit_covers(unit, case)
    if case.current_level and level_rank(unit.level) >= level_rank(case.current_level):
        raise InvalidInput("sending down goes to a unit of a lower level", field="unit")
    transition(
        actor,
        case,
        Action.SEND_DOWN,
        given={Need.UNIT},
        reason=check_reason(reason, required=False),
        unit_to=unit,
    )
    _notify_dispatched(case, "下派")
    return case
