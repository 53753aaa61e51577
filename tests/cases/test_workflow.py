"""The pure transition table: every allowed and every forbidden (action, status) pair, who may act, what each
action needs. No database."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from zhizhi.cases import workflow
from zhizhi.cases.workflow import (
    Action,
    ActorKind,
    ActorNotAllowed,
    IllegalTransition,
    MissingInput,
    Need,
    Status,
    check_transition,
)

S, A, K, N = Status, Action, ActorKind, Need
HELD = {S.DISPATCHED, S.ACCEPTED, S.IN_HANDLING}
TIMED = {S.RECEIVED, S.REGISTERED, S.DISPATCHED, S.ACCEPTED, S.IN_HANDLING, S.HANDLED, S.VERIFIED}
SAME = None  # the status stays

# The specification, written out independently of the module: action → (from-states, to-state).
EXPECTED: dict[Action, tuple[set[Status], Status | None]] = {
    A.REGISTER: ({S.RECEIVED}, S.REGISTERED),
    A.REJECT: ({S.RECEIVED}, S.REJECTED),
    A.MERGE: ({S.RECEIVED, S.REGISTERED}, S.MERGED),
    A.DISPATCH: ({S.REGISTERED}, S.DISPATCHED),
    A.ACCEPT: ({S.DISPATCHED}, S.ACCEPTED),
    A.START: ({S.ACCEPTED}, S.IN_HANDLING),
    A.SUBMIT: ({S.ACCEPTED, S.IN_HANDLING}, S.HANDLED),
    A.VERIFY: ({S.HANDLED}, S.VERIFIED),
    A.REWORK: ({S.HANDLED}, S.IN_HANDLING),
    A.CLOSE: ({S.VERIFIED}, S.CLOSED),
    A.RETURN: ({S.DISPATCHED, S.ACCEPTED}, S.REGISTERED),
    A.ESCALATE: (HELD, S.DISPATCHED),
    A.SEND_DOWN: (HELD, S.DISPATCHED),
    A.SUPERVISE: (HELD | {S.HANDLED}, SAME),
    A.REQUEST_EXTENSION: ({S.ACCEPTED, S.IN_HANDLING}, SAME),
    A.APPROVE_EXTENSION: ({S.ACCEPTED, S.IN_HANDLING}, SAME),
    A.REFUSE_EXTENSION: ({S.ACCEPTED, S.IN_HANDLING}, SAME),
    A.BACKLOG: ({S.ACCEPTED, S.IN_HANDLING}, S.BACKLOGGED),
    A.RESUME: ({S.BACKLOGGED}, S.IN_HANDLING),
    A.REVISIT: ({S.CLOSED}, SAME),
    A.REOPEN: ({S.CLOSED}, S.DISPATCHED),
    A.WARN: (TIMED, SAME),
}

EXPECTED_ACTORS: dict[Action, set[ActorKind]] = {
    A.REGISTER: {K.DISPATCHER, K.SYSTEM},
    A.REJECT: {K.DISPATCHER},
    A.MERGE: {K.DISPATCHER},
    A.DISPATCH: {K.DISPATCHER, K.SYSTEM},
    A.ACCEPT: {K.HANDLER},
    A.START: {K.HANDLER},
    A.SUBMIT: {K.HANDLER},
    A.VERIFY: {K.VERIFIER, K.DISPATCHER, K.SYSTEM},
    A.REWORK: {K.VERIFIER, K.DISPATCHER, K.SYSTEM},
    A.CLOSE: {K.DISPATCHER, K.SYSTEM},
    A.RETURN: {K.HANDLER},
    A.ESCALATE: {K.HANDLER, K.SYSTEM},
    A.SEND_DOWN: {K.HANDLER, K.SUPERVISOR, K.DISPATCHER},
    A.SUPERVISE: {K.SUPERVISOR, K.DISPATCHER},
    A.REQUEST_EXTENSION: {K.HANDLER},
    A.APPROVE_EXTENSION: {K.SUPERVISOR, K.DISPATCHER},
    A.REFUSE_EXTENSION: {K.SUPERVISOR, K.DISPATCHER},
    A.BACKLOG: {K.DISPATCHER, K.SUPERVISOR},
    A.RESUME: {K.DISPATCHER, K.SUPERVISOR, K.HANDLER},
    A.REVISIT: {K.REPORTER, K.DISPATCHER},
    A.REOPEN: {K.REPORTER, K.DISPATCHER},
    A.WARN: {K.SYSTEM},
}

EXPECTED_NEEDS: dict[Action, set[Need]] = {
    A.REJECT: {N.REASON},
    A.MERGE: {N.TARGET},
    A.DISPATCH: {N.UNIT},
    A.SUBMIT: {N.NOTE, N.EVIDENCE},
    A.REWORK: {N.REASON},
    A.RETURN: {N.REASON},
    A.ESCALATE: {N.REASON},
    A.SEND_DOWN: {N.UNIT},
    A.SUPERVISE: {N.REASON},
    A.REQUEST_EXTENSION: {N.REASON, N.AMOUNT},
    A.REFUSE_EXTENSION: {N.REASON},
    A.BACKLOG: {N.REASON},
    A.REVISIT: {N.RATING},
    A.REOPEN: {N.REASON},
}

ALL_KINDS = set(ActorKind)
ALL_NEEDS = set(Need)
PAIRS = list(itertools.product(Action, Status))


def test_the_table_covers_every_action_of_the_specification():
    assert set(workflow.TABLE) == set(EXPECTED) == set(Action)


@pytest.mark.parametrize(("action", "status"), PAIRS, ids=[f"{a}-{s}" for a, s in PAIRS])
def test_each_action_is_allowed_exactly_from_its_states(action, status):
    sources, target = EXPECTED[action]
    if status in sources:
        assert check_transition(action, status, ALL_KINDS, ALL_NEEDS) == (target or status)
    else:
        with pytest.raises(IllegalTransition) as err:
            check_transition(action, status, ALL_KINDS, ALL_NEEDS)
        assert action.value in str(err.value) and status.value in str(err.value)


KIND_PAIRS = list(itertools.product(Action, ActorKind))


@pytest.mark.parametrize(("action", "kind"), KIND_PAIRS, ids=[f"{a}-{k}" for a, k in KIND_PAIRS])
def test_each_action_is_open_only_to_its_actor_kinds(action, kind):
    status = next(iter(sorted(EXPECTED[action][0])))
    if kind in EXPECTED_ACTORS[action]:
        check_transition(action, status, {kind}, ALL_NEEDS)
    else:
        with pytest.raises(ActorNotAllowed):
            check_transition(action, status, {kind}, ALL_NEEDS)


NEED_PAIRS = [(a, n) for a, needs in EXPECTED_NEEDS.items() for n in needs]


@pytest.mark.parametrize(("action", "need"), NEED_PAIRS, ids=[f"{a}-{n}" for a, n in NEED_PAIRS])
def test_a_missing_input_is_named(action, need):
    status = next(iter(sorted(EXPECTED[action][0])))
    with pytest.raises(MissingInput) as err:
        check_transition(action, status, ALL_KINDS, ALL_NEEDS - {need})
    assert err.value.field == need.value


@pytest.mark.parametrize("action", [a for a in Action if a not in EXPECTED_NEEDS])
def test_actions_without_needs_go_through_with_no_input(action):
    status = next(iter(sorted(EXPECTED[action][0])))
    check_transition(action, status, ALL_KINDS, set())


def test_the_status_is_checked_before_the_actor_and_the_actor_before_the_inputs():
    with pytest.raises(IllegalTransition):
        check_transition(A.DISPATCH, S.CLOSED, set(), set())
    with pytest.raises(ActorNotAllowed):
        check_transition(A.DISPATCH, S.REGISTERED, {K.REPORTER}, set())


def test_rejected_and_merged_cases_are_final():
    for status in (S.REJECTED, S.MERGED):
        assert workflow.allowed_actions(status, ALL_KINDS) == []
        assert not workflow.is_open(status)


def test_a_closed_case_can_only_be_revisited_or_reopened():
    assert workflow.allowed_actions(S.CLOSED, ALL_KINDS) == [A.REVISIT, A.REOPEN]


def test_allowed_actions_are_the_buttons_for_the_actor():
    assert workflow.allowed_actions(S.RECEIVED, {K.DISPATCHER}) == [A.REGISTER, A.REJECT, A.MERGE]
    assert workflow.allowed_actions(S.DISPATCHED, {K.HANDLER}) == [
        A.ACCEPT,
        A.RETURN,
        A.ESCALATE,
        A.SEND_DOWN,
    ]
    assert workflow.allowed_actions(S.HANDLED, {K.VERIFIER}) == [A.VERIFY, A.REWORK]
    assert workflow.allowed_actions(S.IN_HANDLING, {K.REPORTER}) == []


def test_every_status_is_reachable_from_received():
    reached, frontier = {S.RECEIVED}, [S.RECEIVED]
    while frontier:
        status = frontier.pop()
        for action in workflow.allowed_actions(status, ALL_KINDS):
            nxt = workflow.TABLE[action].result(status)
            if nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    assert reached == set(Status)


def test_each_timed_status_has_a_step_and_the_others_none():
    assert {s for s in Status if workflow.step_of(s)} == TIMED


@pytest.mark.parametrize(
    ("action", "before", "step"),
    [
        (A.REGISTER, S.RECEIVED, workflow.Step.DISPATCH),
        (A.DISPATCH, S.REGISTERED, workflow.Step.SIGN),
        (A.ACCEPT, S.DISPATCHED, workflow.Step.HANDLE),
        (A.START, S.ACCEPTED, None),  # the handling clock keeps running
        (A.SUBMIT, S.IN_HANDLING, workflow.Step.VERIFY),
        (A.REWORK, S.HANDLED, workflow.Step.HANDLE),
        (A.ESCALATE, S.IN_HANDLING, workflow.Step.SIGN),
        (A.SUPERVISE, S.IN_HANDLING, None),
        (A.BACKLOG, S.IN_HANDLING, None),
        (A.RESUME, S.BACKLOGGED, workflow.Step.HANDLE),
        (A.CLOSE, S.VERIFIED, None),
    ],
)
def test_the_clock_restarts_only_where_a_new_step_begins(action, before, step):
    assert workflow.starts_step(action, before) == step


def test_the_module_imports_no_django():
    tree = ast.parse(Path(workflow.__file__).read_text(encoding="utf-8"))
    modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.startswith(("django", "zhizhi")) for m in modules)
