"""The enrolment state machine (pure table) and the re-evaluation decision, exhaustively."""

from __future__ import annotations

import itertools

import pytest

from zhizhi.welfare.workflow import (
    LIVE,
    TRANSITIONS,
    Action,
    Decision,
    Status,
    TransitionError,
    check_transition,
    reevaluation_decision,
    verify_steps,
)

REASON = "checked at the door"


def test_the_main_line_draft_verified_enrolled_paused_exited():
    assert check_transition(None, Action.MATCH) == Status.DRAFT
    assert check_transition(Status.DRAFT, Action.VERIFY) == Status.VERIFIED
    assert check_transition(Status.VERIFIED, Action.ENROL) == Status.ENROLLED
    assert check_transition(Status.ENROLLED, Action.PAUSE, reason=REASON) == Status.PAUSED
    assert check_transition(Status.PAUSED, Action.RESUME) == Status.ENROLLED
    assert check_transition(Status.ENROLLED, Action.EXIT, reason=REASON) == Status.EXITED
    assert check_transition(Status.EXITED, Action.REDRAFT, reason=REASON) == Status.DRAFT


@pytest.mark.parametrize(("status", "action"), list(itertools.product([None, *Status], Action)))
def test_every_status_and_action_is_either_in_the_table_or_refused(status, action):
    allowed = (status, action) in TRANSITIONS or (
        action in (Action.CONSENT, Action.FLAG, Action.KEEP) and status in LIVE
    )
    kwargs = {"reason": REASON, "flagged": True}
    if allowed:
        result = check_transition(status, action, **kwargs)
        assert result == TRANSITIONS.get((status, action), status)
    else:
        with pytest.raises(TransitionError):
            check_transition(status, action, **kwargs)


def test_enrolling_needs_consent_when_the_programme_requires_it():
    with pytest.raises(TransitionError) as caught:
        check_transition(Status.VERIFIED, Action.ENROL, consent_required=True)
    assert caught.value.field == "consent"
    assert (
        check_transition(Status.VERIFIED, Action.ENROL, consent_required=True, consent_given=True)
        == Status.ENROLLED
    )


@pytest.mark.parametrize("action", [Action.REJECT, Action.PAUSE, Action.EXIT, Action.KEEP, Action.REDRAFT])
def test_decisions_against_a_person_need_a_reason(action):
    with pytest.raises(TransitionError) as caught:
        check_transition(Status.ENROLLED, action, reason="  ", flagged=True)
    assert caught.value.field == "reason"


def test_keep_is_only_for_flagged_enrolments():
    with pytest.raises(TransitionError, match="flagged"):
        check_transition(Status.ENROLLED, Action.KEEP, reason=REASON, flagged=False)
    assert check_transition(Status.ENROLLED, Action.KEEP, reason=REASON, flagged=True) == Status.ENROLLED


def test_verify_enrols_at_once_unless_consent_is_missing():
    assert verify_steps(consent_required=False, consent_given=False) == [Action.VERIFY, Action.ENROL]
    assert verify_steps(consent_required=True, consent_given=False) == [Action.VERIFY]
    assert verify_steps(consent_required=True, consent_given=True) == [Action.VERIFY, Action.ENROL]


def test_unknown_action_is_an_error_not_a_crash():
    with pytest.raises(TransitionError, match="unknown action"):
        check_transition(Status.DRAFT, "approve")


@pytest.mark.parametrize(
    ("status", "qualifies", "flagged", "decision"),
    [
        (None, True, False, Decision.DRAFT),
        (None, False, False, Decision.NONE),
        (Status.ENROLLED, False, False, Decision.FLAG),
        (Status.PAUSED, False, False, Decision.FLAG),
        (Status.DRAFT, False, False, Decision.FLAG),
        (Status.ENROLLED, False, True, Decision.NONE),  # already flagged: once is enough
        (Status.ENROLLED, True, False, Decision.NONE),
        (Status.EXITED, True, False, Decision.NONE),  # staff decisions stand
        (Status.REJECTED, True, False, Decision.NONE),
    ],
)
def test_reevaluation_flags_instead_of_dropping(status, qualifies, flagged, decision):
    assert reevaluation_decision(status, qualifies=qualifies, flagged=flagged) == decision
