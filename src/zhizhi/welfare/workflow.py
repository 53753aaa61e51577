"""The enrolment state machine as one pure table (no Django, no ORM, no request).

    (rule match) → draft → verified (staff, in bulk, explanation shown) → enrolled → paused ⇄ enrolled
    draft/verified → rejected      enrolled/paused/verified → exited      rejected/exited → draft (redraft)

`verified → enrolled` needs the person's consent when the programme requires it; without that requirement
verifying enrols at once (two rows: verify, enrol). Flagging (re-evaluation found the person no longer
qualifies) and keeping (staff reviewed the flag) leave the status as it is but are rows too.
Periodic re-evaluation never drops anyone: see `reevaluation_decision`.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"  # 待核实: matched by the rule
    VERIFIED = "verified"  # 已核实: waiting for consent
    ENROLLED = "enrolled"  # 已纳入
    PAUSED = "paused"  # 暂停
    EXITED = "exited"  # 已退出
    REJECTED = "rejected"  # 不予纳入


class Action(StrEnum):
    MATCH = "match"
    VERIFY = "verify"
    ENROL = "enrol"
    REJECT = "reject"
    PAUSE = "pause"
    RESUME = "resume"
    EXIT = "exit"
    REDRAFT = "redraft"
    CONSENT = "consent"
    FLAG = "flag"
    KEEP = "keep"


TRANSITIONS: dict[tuple[Status | None, Action], Status] = {
    (None, Action.MATCH): Status.DRAFT,
    (Status.DRAFT, Action.VERIFY): Status.VERIFIED,
    (Status.DRAFT, Action.REJECT): Status.REJECTED,
    (Status.VERIFIED, Action.ENROL): Status.ENROLLED,
    (Status.VERIFIED, Action.REJECT): Status.REJECTED,
    (Status.VERIFIED, Action.EXIT): Status.EXITED,
    (Status.ENROLLED, Action.PAUSE): Status.PAUSED,
    (Status.ENROLLED, Action.EXIT): Status.EXITED,
    (Status.PAUSED, Action.RESUME): Status.ENROLLED,
    (Status.PAUSED, Action.EXIT): Status.EXITED,
    (Status.REJECTED, Action.REDRAFT): Status.DRAFT,
    (Status.EXITED, Action.REDRAFT): Status.DRAFT,
}
# Actions that keep the status: consent may be recorded before or after enrolling; flags on live enrolments.
LIVE = frozenset({Status.DRAFT, Status.VERIFIED, Status.ENROLLED, Status.PAUSED})
NOTES: dict[Action, frozenset[Status]] = {
    Action.CONSENT: frozenset({Status.DRAFT, Status.VERIFIED, Status.ENROLLED, Status.PAUSED}),
    Action.FLAG: LIVE,
    Action.KEEP: LIVE,
}
NEEDS_REASON = frozenset({Action.REJECT, Action.PAUSE, Action.EXIT, Action.KEEP, Action.FLAG, Action.REDRAFT})
STAFF_ACTIONS = frozenset(Action) - {Action.MATCH, Action.FLAG}


class TransitionError(Exception):
    """The action is not allowed from this status (or a guard failed); the message says why."""

    def __init__(self, message: str, *, field: str = "action"):
        super().__init__(message)
        self.message = message
        self.field = field


def check_transition(
    status: Status | str | None,
    action: Action | str,
    *,
    consent_required: bool = False,
    consent_given: bool = False,
    reason: str = "",
    flagged: bool = False,
) -> Status | None:
    """The status after `action`, or TransitionError. Note actions return the status unchanged."""
    current = Status(status) if status else None
    try:
        act = Action(action)
    except ValueError as exc:
        raise TransitionError(f"unknown action {action!r}") from exc
    if act in NEEDS_REASON and not reason.strip():
        raise TransitionError(f"'{act.value}' needs a reason", field="reason")
    if act in NOTES:
        if current not in NOTES[act]:
            raise TransitionError(f"cannot {act.value} an enrolment that is {current or 'new'}")
        if act == Action.KEEP and not flagged:
            raise TransitionError("only a flagged enrolment can be kept after review")
        return current
    target = TRANSITIONS.get((current, act))
    if target is None:
        raise TransitionError(
            f"cannot {act.value} an enrolment that is {current.value if current else 'new'}"
        )
    if act == Action.ENROL and consent_required and not consent_given:
        raise TransitionError("this programme needs the person's consent before enrolling", field="consent")
    return target


def verify_steps(*, consent_required: bool, consent_given: bool) -> list[Action]:
    """What 'verify' does to a draft: verify, and enrol at once unless consent is still missing."""
    if consent_required and not consent_given:
        return [Action.VERIFY]
    return [Action.VERIFY, Action.ENROL]


class Decision(StrEnum):
    NONE = "none"
    DRAFT = "draft"  # a new match: create a draft for staff to verify
    FLAG = "flag"  # a live enrolment whose person no longer qualifies: flag for review, never drop


def reevaluation_decision(status: Status | str | None, *, qualifies: bool, flagged: bool) -> Decision:
    """What a periodic re-evaluation does with one person. Staff decisions (rejected, exited) stand."""
    current = Status(status) if status else None
    if current is None:
        return Decision.DRAFT if qualifies else Decision.NONE
    if current in LIVE and not qualifies and not flagged:
        return Decision.FLAG
    return Decision.NONE
