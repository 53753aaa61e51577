"""The case workflow as one pure transition table (no Django, no ORM, no request).

The closed loop of GB/T 30428 digital city management, with the four-level joint handling of a street
(四级联办: community → street → district → city):

    received   → registered (立案) | rejected (不予立案, reason) | merged (合并, into another case)
    registered → dispatched (派遣, to a unit)
    dispatched → accepted (签收) → in_handling → handled (处置反馈, with evidence)
    handled    → verified (核查通过) → closed (结案)  |  handled → in_handling (返工, reason)
    dispatched/accepted → registered (退回, reason: wrongly routed)
    dispatched/accepted/in_handling → dispatched (上报 one level up | 下派 to a lower level)
    accepted/in_handling → backlogged (挂账, reason) → in_handling (恢复)
    closed     → dispatched (重新办理, after an unsatisfied revisit)

Besides the main line: supervision (督办), extension request and decision (延期), backlog (挂账) and
resume, the satisfaction revisit (回访) and the scanner's 80 % warning leave the status as it is but are
rows too.

Services ask `check_transition` before they change anything and write one Transition row per action.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"  # 信息收集: reported, waiting for registration (立案)
    REGISTERED = "registered"  # 已立案: waiting for dispatch (派遣)
    REJECTED = "rejected"  # 不予立案
    MERGED = "merged"  # 合并: a duplicate absorbed by another case
    DISPATCHED = "dispatched"  # 已派遣: waiting for the unit to sign for it (签收)
    ACCEPTED = "accepted"  # 已签收
    IN_HANDLING = "in_handling"  # 处置中
    HANDLED = "handled"  # 已处置: feedback with evidence, waiting for verification (核查)
    VERIFIED = "verified"  # 核查通过: waiting for closure (结案)
    CLOSED = "closed"  # 已结案
    BACKLOGGED = "backlogged"  # 挂账: cannot be solved now (funding, planning…), clock stopped


class Action(StrEnum):
    REGISTER = "register"  # 立案
    REJECT = "reject"  # 不予立案
    MERGE = "merge"  # 合并
    DISPATCH = "dispatch"  # 派遣
    ACCEPT = "accept"  # 签收
    START = "start"  # 开始处置
    SUBMIT = "submit"  # 处置反馈
    VERIFY = "verify"  # 核查通过
    REWORK = "rework"  # 返工
    CLOSE = "close"  # 结案
    RETURN = "return"  # 退回 (wrongly routed)
    ESCALATE = "escalate"  # 上报 (one level up)
    SEND_DOWN = "send_down"  # 下派
    SUPERVISE = "supervise"  # 督办
    REQUEST_EXTENSION = "request_extension"  # 申请延期
    APPROVE_EXTENSION = "approve_extension"  # 同意延期
    REFUSE_EXTENSION = "refuse_extension"  # 不同意延期
    BACKLOG = "backlog"  # 挂账
    RESUME = "resume"  # 恢复办理
    REVISIT = "revisit"  # 回访
    REOPEN = "reopen"  # 重新办理
    WARN = "warn"  # 预警 (80 % of the step's time used)


class ActorKind(StrEnum):
    """What an actor is *for this case*; services derive the kinds from role, area and unit membership."""

    DISPATCHER = "dispatcher"  # street command centre (指挥中心) in the case's area
    HANDLER = "handler"  # staff of the unit that currently holds the case
    VERIFIER = "verifier"  # grid worker or community staff of the case's area (核查员)
    SUPERVISOR = "supervisor"  # leader of the area, or staff of a unit above the current one
    REPORTER = "reporter"  # the resident who reported the case
    SYSTEM = "system"  # the deadline scanner, a camera re-check


class Step(StrEnum):
    """The step a status belongs to; each step has its own time limit per category."""

    REGISTER = "register"  # 立案时限
    DISPATCH = "dispatch"  # 派遣时限
    SIGN = "sign"  # 签收时限
    HANDLE = "handle"  # 处置时限
    VERIFY = "verify"  # 核查时限
    CLOSE = "close"  # 结案时限


class Need(StrEnum):
    """Inputs an action cannot do without."""

    REASON = "reason"
    UNIT = "unit"
    NOTE = "note"
    EVIDENCE = "evidence"
    TARGET = "target"  # the case a duplicate is merged into
    RATING = "rating"
    AMOUNT = "amount"  # extension length


STEP_OF: dict[Status, Step | None] = {
    Status.RECEIVED: Step.REGISTER,
    Status.REGISTERED: Step.DISPATCH,
    Status.DISPATCHED: Step.SIGN,
    Status.ACCEPTED: Step.HANDLE,
    Status.IN_HANDLING: Step.HANDLE,
    Status.HANDLED: Step.VERIFY,
    Status.VERIFIED: Step.CLOSE,
    Status.CLOSED: None,
    Status.REJECTED: None,
    Status.MERGED: None,
    Status.BACKLOGGED: None,
}

FINAL = frozenset({Status.REJECTED, Status.MERGED})
"""No action leaves these (a closed case can still be revisited and reopened)."""

OPEN = frozenset(s for s in Status if s not in FINAL and s is not Status.CLOSED)
"""Statuses of a case that is still being worked on."""

HELD_BY_UNIT = frozenset({Status.DISPATCHED, Status.ACCEPTED, Status.IN_HANDLING})
"""A unit holds the case: it may be escalated, sent down, supervised and escalated automatically."""

_TIMED = frozenset(s for s, step in STEP_OF.items() if step is not None)

S, A, K, N = Status, Action, ActorKind, Need


@dataclass(frozen=True)
class Rule:
    """One action: the statuses it may start from, where it leads, what it needs and who may do it.

    `target` None keeps the status. `restarts_clock` starts the deadline of the target status's step
    afresh.
    """

    action: Action
    sources: frozenset[Status]
    target: Status | None
    needs: frozenset[Need]
    actors: frozenset[ActorKind]
    restarts_clock: bool = True

    def result(self, status: Status) -> Status:
        return self.target if self.target is not None else status


def _rule(action, sources, target, needs=(), actors=(), restarts_clock=True) -> Rule:
    return Rule(action, frozenset(sources), target, frozenset(needs), frozenset(actors), restarts_clock)


TABLE: dict[Action, Rule] = {
    r.action: r
    for r in (
        _rule(A.REGISTER, {S.RECEIVED}, S.REGISTERED, (), {K.DISPATCHER, K.SYSTEM}),
        _rule(A.REJECT, {S.RECEIVED}, S.REJECTED, {N.REASON}, {K.DISPATCHER}),
        _rule(A.MERGE, {S.RECEIVED, S.REGISTERED}, S.MERGED, {N.TARGET}, {K.DISPATCHER}),
        _rule(A.DISPATCH, {S.REGISTERED}, S.DISPATCHED, {N.UNIT}, {K.DISPATCHER, K.SYSTEM}),
        _rule(A.ACCEPT, {S.DISPATCHED}, S.ACCEPTED, (), {K.HANDLER}),
        _rule(A.START, {S.ACCEPTED}, S.IN_HANDLING, (), {K.HANDLER}, restarts_clock=False),
        _rule(A.SUBMIT, {S.ACCEPTED, S.IN_HANDLING}, S.HANDLED, {N.NOTE, N.EVIDENCE}, {K.HANDLER}),
        _rule(A.VERIFY, {S.HANDLED}, S.VERIFIED, (), {K.VERIFIER, K.DISPATCHER, K.SYSTEM}),
        _rule(A.REWORK, {S.HANDLED}, S.IN_HANDLING, {N.REASON}, {K.VERIFIER, K.DISPATCHER, K.SYSTEM}),
        _rule(A.CLOSE, {S.VERIFIED}, S.CLOSED, (), {K.DISPATCHER, K.SYSTEM}),
        _rule(A.RETURN, {S.DISPATCHED, S.ACCEPTED}, S.REGISTERED, {N.REASON}, {K.HANDLER}),
        _rule(A.ESCALATE, HELD_BY_UNIT, S.DISPATCHED, {N.REASON}, {K.HANDLER, K.SYSTEM}),
        _rule(A.SEND_DOWN, HELD_BY_UNIT, S.DISPATCHED, {N.UNIT}, {K.HANDLER, K.SUPERVISOR, K.DISPATCHER}),
        _rule(
            A.SUPERVISE,
            HELD_BY_UNIT | {S.HANDLED},
            None,
            {N.REASON},
            {K.SUPERVISOR, K.DISPATCHER},
            restarts_clock=False,
        ),
        _rule(
            A.REQUEST_EXTENSION,
            {S.ACCEPTED, S.IN_HANDLING},
            None,
            {N.REASON, N.AMOUNT},
            {K.HANDLER},
            restarts_clock=False,
        ),
        _rule(
            A.APPROVE_EXTENSION,
            {S.ACCEPTED, S.IN_HANDLING},
            None,
            (),
            {K.SUPERVISOR, K.DISPATCHER},
            restarts_clock=False,
        ),
        _rule(
            A.REFUSE_EXTENSION,
            {S.ACCEPTED, S.IN_HANDLING},
            None,
            {N.REASON},
            {K.SUPERVISOR, K.DISPATCHER},
            restarts_clock=False,
        ),
        _rule(A.BACKLOG, {S.ACCEPTED, S.IN_HANDLING}, S.BACKLOGGED, {N.REASON}, {K.DISPATCHER, K.SUPERVISOR}),
        _rule(A.RESUME, {S.BACKLOGGED}, S.IN_HANDLING, (), {K.DISPATCHER, K.SUPERVISOR, K.HANDLER}),
        _rule(A.REVISIT, {S.CLOSED}, None, {N.RATING}, {K.REPORTER, K.DISPATCHER}, restarts_clock=False),
        _rule(A.REOPEN, {S.CLOSED}, S.DISPATCHED, {N.REASON}, {K.REPORTER, K.DISPATCHER}),
        _rule(A.WARN, _TIMED, None, (), {K.SYSTEM}, restarts_clock=False),
    )
}


class TransitionError(Exception):
    """Base of the workflow's refusals; `field` names the input at fault, if any."""

    field: str | None = None


class IllegalTransition(TransitionError):
    def __init__(self, action: Action, status: Status):
        self.action, self.status = action, status
        allowed = ", ".join(sorted(TABLE[action].sources))
        super().__init__(f"cannot {action.value} a case that is {status.value} (only from: {allowed})")


class ActorNotAllowed(TransitionError):
    def __init__(self, action: Action, kinds: Iterable[ActorKind]):
        self.action = action
        who = ", ".join(sorted(TABLE[action].actors))
        have = ", ".join(sorted(kinds)) or "none"
        super().__init__(f"only {who} may {action.value} this case (you are: {have})")


class MissingInput(TransitionError):
    def __init__(self, action: Action, need: Need):
        self.action, self.need, self.field = action, need, need.value
        super().__init__(f"{action.value} needs {need.value}")


def check_transition(
    action: Action | str, status: Status | str, kinds: Iterable[ActorKind], given: Iterable[Need | str] = ()
) -> Status:
    """The status the case will be in after `action`, or a TransitionError saying why not.

    Checked in this order: the status allows the action, the actor may do it, the inputs are there.
    """
    rule = TABLE[Action(action)]
    status = Status(status)
    kinds = set(kinds)
    if status not in rule.sources:
        raise IllegalTransition(rule.action, status)
    if not kinds & rule.actors:
        raise ActorNotAllowed(rule.action, kinds)
    have = {Need(g) for g in given}
    for need in sorted(rule.needs):
        if need not in have:
            raise MissingInput(rule.action, need)
    return rule.result(status)


def allowed_actions(status: Status | str, kinds: Iterable[ActorKind]) -> list[Action]:
    """Actions the actor may take on a case in `status` (the buttons a page shows), in table order."""
    status, kinds = Status(status), set(kinds)
    return [a for a, r in TABLE.items() if status in r.sources and kinds & r.actors and a is not Action.WARN]


def step_of(status: Status | str) -> Step | None:
    return STEP_OF[Status(status)]


def starts_step(action: Action | str, before: Status | str) -> Step | None:
    """The step whose deadline must be computed afresh after `action`, or None when the deadline stays."""
    rule = TABLE[Action(action)]
    if not rule.restarts_clock:
        return None
    return STEP_OF[rule.result(Status(before))]


def is_open(status: Status | str) -> bool:
    return Status(status) in OPEN
