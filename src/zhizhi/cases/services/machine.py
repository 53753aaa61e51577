"""The one place a case changes status: check the workflow table, set the unit and the step's deadline, write
the Transition row and the audit row. Every use case in cases.services goes through `transition`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zhizhi.cases import deadlines, workflow
from zhizhi.cases.access import is_system, kinds_for
from zhizhi.cases.models import Case, HandlingUnit, Transition, Urgency
from zhizhi.cases.workflow import Action, ActorKind, Need
from zhizhi.core import audit, clock
from zhizhi.core.calendar import work_calendar
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhizhi.core.models import AuditAction


def lock_case(case_id: int) -> Case:
    """The case row, locked until the transaction ends (SELECT … FOR UPDATE where the database has it)."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("category", "current_unit")
        .get(pk=case_id)
    )


def check_allowed(actor: Any, case: Case, action: Action, given: set[Need] | None = None) -> set[ActorKind]:
    """The actor's kinds, after checking the workflow table allows the action; workflow refusals become
    Conflict (wrong status), Forbidden (wrong actor) or InvalidInput naming the missing field."""
    kinds = kinds_for(actor, case)
    try:
        workflow.check_transition(
            action, case.status, kinds, given if given is not None else set(workflow.Need)
        )
    except workflow.IllegalTransition as exc:
        raise Conflict(str(exc), field="status") from exc
    except workflow.ActorNotAllowed as exc:
        raise Forbidden(str(exc)) from exc
    except workflow.MissingInput as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
    return kinds


def is_urgent(case: Case) -> bool:
    return case.urgency == Urgency.URGENT or case.category.urgent


def start_step(case: Case, step: str, now: dt.datetime) -> None:
    """Compute and store the deadline and 80 % warning moment of `step`, starting now."""
    amount, unit = case.category.limit(step)
    times = deadlines.start_step(
        now, deadlines.Limit.of(amount, unit), work_calendar(), urgent=is_urgent(case)
    )
    case.step = step
    case.step_started_at = now
    case.deadline = times.deadline
    case.warn_at = times.warn_at
    case.deadline_working = times.working
    case.warned = False
    case.overdue = False


def clear_step(case: Case) -> None:
    case.step = ""
    case.step_started_at = case.deadline = case.warn_at = None
    case.warned = case.overdue = False


def actor_name(actor: Any) -> str:
    if actor is None:
        return ""
    if is_system(actor):
        return actor.name
    return getattr(actor, "display_name", "") or actor.get_username()


def transition(
    actor: Any,
    case: Case,
    action: Action,
    *,
    given: set[Need],
    reason: str = "",
    unit_to: HandlingUnit | None = None,
    clear_unit: bool = False,
    data: dict | None = None,
    now: dt.datetime | None = None,
) -> Transition:
    """Apply one action to a locked case and record it. The caller has validated its inputs."""
    now = now or clock.now()
    check_allowed(actor, case, action, given)
    rule = workflow.TABLE[action]
    before, unit_before, running_deadline = case.status, case.current_unit, case.deadline
    running_started = case.step_started_at
    after = rule.result(workflow.Status(before))
    if unit_to is not None:
        case.current_unit, case.current_level = unit_to, unit_to.level
    elif clear_unit:
        case.current_unit, case.current_level = None, ""
    case.status = after.value
    step = workflow.starts_step(action, before)
    if workflow.step_of(after) is None:
        clear_step(case)
    elif step is not None:
        start_step(case, step.value, now)
    case.updated_at = now
    case.save()
    row = Transition.objects.create(
        case=case,
        action=action.value,
        from_status=before,
        to_status=after.value,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=actor_name(actor),
        at=now,
        reason=reason,
        unit_from=unit_before,
        unit_to=case.current_unit,
        level_to=case.current_level,
        step_deadline=running_deadline,
        step_started_at=running_started,
        on_time=None if running_deadline is None or not rule.restarts_clock else now <= running_deadline,
        deadline=case.deadline,
        data=data or {},
    )
    audit.record(
        actor, AuditAction.UPDATE, obj=case, summary=f"{case.number} {action.value}: {before} → {after.value}"
    )
    return row


def record_in_place(
    actor: Any,
    case: Case,
    action: Action,
    *,
    reason: str = "",
    data: dict | None = None,
    now: dt.datetime,
    previous_deadline: dt.datetime | None = None,
) -> Transition:
    """A row for an action that keeps the status (supervision, extension, revisit, warning), after the caller
    changed the case's fields itself; `previous_deadline` is the deadline before the change, if it changed."""
    case.updated_at = now
    case.save()
    row = Transition.objects.create(
        case=case,
        action=action.value,
        from_status=case.status,
        to_status=case.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=actor_name(actor),
        at=now,
        reason=reason,
        unit_from=case.current_unit,
        unit_to=case.current_unit,
        level_to=case.current_level,
        step_deadline=previous_deadline or case.deadline,
        step_started_at=case.step_started_at,
        deadline=case.deadline,
        data=data or {},
    )
    audit.record(actor, AuditAction.UPDATE, obj=case, summary=f"{case.number} {action.value}")
    return row


def locked_case(actor: Any, case_id: Any) -> Case:
    """The case the actor may see, locked for this transaction; absent or out of scope → 404."""
    from zhizhi.cases.queries import access_case

    pk = case_id if is_system(actor) else access_case(actor, case_id).pk
    try:
        return lock_case(int(pk))
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"case {case_id} not found", field="id") from exc


def _covering(case: Case, role: str) -> list:
    """Active users of a role whose area contains the case's (their area code a prefix of the case's)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(role=role, is_active=True)
    prefixes = [case.area_code[:n] for n in range(1, len(case.area_code) + 1)]
    return list(users.filter(area_code__in=prefixes))


def street_dispatchers(case: Case) -> list:
    """Active street dispatchers whose area contains the case (for notices that have no unit to go to)."""
    from zhizhi.core.roles import Role

    return _covering(case, Role.STREET_DISPATCHER)


def grid_workers(case: Case) -> list:
    """Active grid workers whose area contains the case: who checks on site that it was handled (核查)."""
    from zhizhi.core.roles import Role

    return _covering(case, Role.GRID_WORKER)
