"""Oversight and after-care: supervision (督办), extension (延期), backlog (挂账) and resume, revisit (回访)
and reopen, the enforcement record, following a case, attachments and revealing a reporter's phone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from zhizhi.cases import deadlines
from zhizhi.cases.access import is_user, kinds_for, may_reveal_contact
from zhizhi.cases.models import (
    AttachmentKind,
    Case,
    CaseAttachment,
    ExtensionRequest,
    ExtensionStatus,
    LimitUnit,
    Revisit,
    Satisfaction,
    Transition,
)
from zhizhi.cases.services import outbox
from zhizhi.cases.services.actions import (
    EnforcementInput,
    _notify_dispatched,
    check_enforcement,
    check_reason,
    save_enforcement,
)
from zhizhi.cases.services.intake import FileInput, check_files, save_files
from zhizhi.cases.services.machine import (
    check_allowed,
    locked_case,
    record_in_place,
    street_dispatchers,
    transition,
)
from zhizhi.cases.workflow import Action, ActorKind, Need
from zhizhi.core import audit, clock
from zhizhi.core.calendar import work_calendar
from zhizhi.core.errors import Forbidden, InvalidInput
from zhizhi.core.models import AuditAction

# ------------------------------------------------------------------------------------------- supervision


@transaction.atomic
def supervise_case(actor: Any, case_id: Any, *, reason: str, deadline: dt.datetime | None = None) -> Case:
    """督办: flag the case, bring its deadline forward (to half the remaining time, or a chosen earlier
    moment) and tell the unit's head."""
    case = locked_case(actor, case_id)
    reason = check_reason(reason, required=False)
    check_allowed(actor, case, Action.SUPERVISE, {Need.REASON} if reason else set())
    now = clock.now()
    before = case.deadline
    if deadline is not None:
        if deadline.tzinfo is None:
            raise InvalidInput("deadline needs a time zone", field="deadline")
        if deadline <= now or (before is not None and deadline > before):
            raise InvalidInput(
                "a supervision deadline lies between now and the current deadline", field="deadline"
            )
        case.deadline = deadline
    elif before is not None:
        case.deadline = deadlines.shortened(now, before, work_calendar(), working=case.deadline_working)
    if case.deadline is not None and case.deadline != before:
        case.warn_at = deadlines.warn_at(now, case.deadline, work_calendar(), working=case.deadline_working)
        case.warned = False
    case.supervised = True
    record_in_place(actor, case, Action.SUPERVISE, reason=reason, now=now, previous_deadline=before)
    due = case.deadline.astimezone(clock.SHANGHAI).strftime("%m-%d %H:%M") if case.deadline else "—"
    text = f"【督办】案件 {case.number}（{case.category.name}）：{reason}。请于 {due} 前办结。"
    outbox.to_unit(case.current_unit, case, "supervised", text, head_only=True)
    return case


# ------------------------------------------------------------------------------------------- extension


def check_amount(amount: Any, unit: Any) -> tuple[Decimal, str]:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput("amount must be a number", field="amount") from exc
    if not value.is_finite() or value <= 0 or value > 365:
        raise InvalidInput("amount must be between 0 and 365", field="amount")
    if unit not in LimitUnit.values:
        raise InvalidInput(f"unit must be one of {', '.join(LimitUnit.values)}", field="amount_unit")
    return value, str(unit)


@transaction.atomic
def request_extension(
    actor: Any, case_id: Any, *, amount: Any, amount_unit: str, reason: str
) -> ExtensionRequest:
    """申请延期: the handling unit asks for more time; one pending request per case."""
    case = locked_case(actor, case_id)
    reason = check_reason(reason, required=False)
    given = {Need.AMOUNT} | ({Need.REASON} if reason else set())
    check_allowed(actor, case, Action.REQUEST_EXTENSION, given)
    value, unit = check_amount(amount, amount_unit)
    if case.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise InvalidInput("an extension request is already waiting for a decision", field="amount")
    now = clock.now()
    request = ExtensionRequest.objects.create(
        case=case,
        unit=case.current_unit,
        amount=value,
        amount_unit=unit,
        reason=reason,
        requested_by=actor if is_user(actor) else None,
        requested_at=now,
        old_deadline=case.deadline,
    )
    label = deadlines.Limit.of(value, unit).label()
    record_in_place(actor, case, Action.REQUEST_EXTENSION, reason=reason, now=now, data={"amount": label})
    outbox.to_users(
        street_dispatchers(case), case, "extension", f"案件 {case.number} 申请延期{label}：{reason}"
    )
    return request


@transaction.atomic
def decide_extension(actor: Any, case_id: Any, *, approve: bool, note: str = "") -> ExtensionRequest:
    """同意/不同意延期: an approval moves the deadline on by the requested time from the current deadline."""
    case = locked_case(actor, case_id)
    request = case.extensions.filter(status=ExtensionStatus.PENDING).first()
    if request is None:
        raise InvalidInput("no extension request is waiting", field="approve")
    note = check_reason(note, "note", required=False)
    action = Action.APPROVE_EXTENSION if approve else Action.REFUSE_EXTENSION
    check_allowed(actor, case, action, {Need.REASON} if note else set())
    now = clock.now()
    before = case.deadline
    if approve and before is not None:
        limit = deadlines.Limit.of(request.amount, request.amount_unit)
        case.deadline = deadlines.extended(before, limit, work_calendar())
        start = case.step_started_at or now
        case.warn_at = deadlines.warn_at(start, case.deadline, work_calendar(), working=case.deadline_working)
        case.warned = case.warn_at <= now and case.warned
        case.overdue = False
    request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    request.decided_by = actor if is_user(actor) else None
    request.decided_at = now
    request.decision_note = note
    request.new_deadline = case.deadline
    request.save()
    record_in_place(actor, case, action, reason=note, now=now, previous_deadline=before)
    verdict = "同意" if approve else "不同意"
    outbox.to_unit(case.current_unit, case, "extension", f"案件 {case.number} 延期申请：{verdict}。{note}")
    return request


# ------------------------------------------------------------------------------------------- backlog


@transaction.atomic
def backlog_case(actor: Any, case_id: Any, *, reason: str) -> Case:
    """挂账: the problem cannot be solved now (funding, planning…); the clock stops until resumed."""
    case = locked_case(actor, case_id)
    reason = check_reason(reason, required=False)
    transition(actor, case, Action.BACKLOG, given={Need.REASON} if reason else set(), reason=reason)
    return case


@transaction.atomic
def resume_case(actor: Any, case_id: Any, *, note: str = "") -> Case:
    """恢复办理: back to handling with a fresh handling deadline."""
    case = locked_case(actor, case_id)
    transition(actor, case, Action.RESUME, given=set(), reason=check_reason(note, "note", required=False))
    return case


# ------------------------------------------------------------------------------------------- after closure


def _bool(value: Any, field_name: str) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    raise InvalidInput(f"{field_name} must be true or false", field=field_name)


@transaction.atomic
def record_revisit(
    actor: Any,
    case_id: Any,
    *,
    rating: str,
    comment: str = "",
    responded: Any = None,
    resolved: Any = None,
    valid: bool = True,
) -> Revisit:
    """回访: the resident rates on their page, or staff record a phone revisit."""
    case = locked_case(actor, case_id)
    if rating not in Satisfaction.values:
        raise InvalidInput(f"rating must be one of {', '.join(Satisfaction.values)}", field="rating")
    comment = check_reason(comment, "comment", required=False)
    kinds = check_allowed(actor, case, Action.REVISIT, {Need.RATING})
    if valid and case.revisits.filter(valid=True, at__gte=case.closed_at).exists():
        raise InvalidInput("this closure has been rated already", field="rating")
    now = clock.now()
    row = record_in_place(actor, case, Action.REVISIT, reason=comment, now=now, data={"rating": rating})
    by_resident = ActorKind.REPORTER in kinds and ActorKind.DISPATCHER not in kinds
    unit = Transition.objects.filter(case=case, action=Action.SUBMIT).order_by("-at", "-id").first()
    return Revisit.objects.create(
        case=case,
        transition=row,
        rating=rating,
        comment=comment,
        responded=_bool(responded, "responded"),
        resolved=_bool(resolved, "resolved"),
        valid=bool(valid),
        by_resident=by_resident,
        unit=unit.unit_from if unit else case.current_unit,
        recorded_by=actor if is_user(actor) else None,
        at=now,
    )


@transaction.atomic
def reopen_case(actor: Any, case_id: Any, *, reason: str) -> Case:
    """重新办理: an unsatisfied case goes back to the unit that handled it, to sign for again."""
    case = locked_case(actor, case_id)
    reason = check_reason(reason, required=False)
    if case.current_unit is None:
        raise InvalidInput("the case has no unit to reopen with", field="status")
    kinds = check_allowed(actor, case, Action.REOPEN, {Need.REASON} if reason else set())
    if ActorKind.DISPATCHER not in kinds:
        unsatisfied = case.revisits.filter(
            at__gte=case.closed_at, rating=Satisfaction.UNSATISFIED, valid=True
        )
        if not unsatisfied.exists():
            raise InvalidInput("rate the case unsatisfied before reopening it", field="rating")
    transition(actor, case, Action.REOPEN, given={Need.REASON} if reason else set(), reason=reason)
    case.closed_at = None
    case.save(update_fields=["closed_at"])
    _notify_dispatched(case, "重新办理")
    return case


# ------------------------------------------------------------------------------------------- records


@transaction.atomic
def record_enforcement(actor: Any, case_id: Any, data: EnforcementInput | None):
    """综合执法记录, by the enforcement team holding the case."""
    case = locked_case(actor, case_id)
    if not case.category.enforcement:
        raise InvalidInput(f"{case.category.name} is not an enforcement category", field="category")
    if ActorKind.HANDLER not in kinds_for(actor, case):
        raise Forbidden("only the unit holding the case records its enforcement")
    record = save_enforcement(actor, case, check_enforcement(data))
    audit.record(actor, AuditAction.UPDATE, obj=case, summary=f"{case.number} enforcement record")
    return record


@transaction.atomic
def follow_case(actor: Any, case_id: Any) -> Case:
    """A resident follows a known problem instead of reporting it again (notified when it is closed)."""
    if not is_user(actor):
        raise Forbidden("log in to follow a case")
    case = Case.objects.filter(pk=_pk(case_id)).first()
    if case is None or not case.is_open:
        raise InvalidInput("only an open case can be followed", field="id")
    case.followers.add(actor)
    return case


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("id must be a number", field="id") from exc


@transaction.atomic
def add_attachment(
    actor: Any, case_id: Any, file: FileInput, kind: str = AttachmentKind.PHOTO
) -> CaseAttachment:
    """Upload a file to a case before the action that uses it (submit, verify) refers to it by id."""
    case = locked_case(actor, case_id)
    if kind not in AttachmentKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(AttachmentKind.values)}", field="kind")
    if not kinds_for(actor, case):
        raise Forbidden("you have no part in this case")
    (clean,) = check_files([file], "file", limit=1)
    (saved,) = save_files(case, [clean], kind, actor, clock.now())
    return saved


def reveal_contact(actor: Any, case_id: Any) -> str:
    """The reporter's whole phone number, for the roles that call back; every view is audited."""
    from zhizhi.cases.queries import access_case

    case = access_case(actor, case_id)
    if not may_reveal_contact(actor, case):
        raise Forbidden("your role may not see the reporter's phone", field="contact_phone")
    audit.record(actor, AuditAction.REVEAL, obj=case, summary=f"{case.number} contact phone")
    return case.contact_phone
