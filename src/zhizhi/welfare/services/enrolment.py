"""Enrolment use cases: re-evaluate a programme (drafts for new matches, flags for those who no longer
qualify — never a silent drop), verify drafts in bulk with their explanation, move one enrolment through the
workflow, record consent. One transaction each; every change is an EnrolmentEvent and a core audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from zhizhi.core import clock
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhizhi.core.models import AuditAction
from zhizhi.core.permissions import area_prefix
from zhizhi.welfare import bulk, eligibility, permissions, queries, sqlrules
from zhizhi.welfare.models import Enrolment, EnrolmentEvent, Programme
from zhizhi.welfare.services._audit import actor_fields, record_many
from zhizhi.welfare.workflow import LIVE, Action, Status, TransitionError, check_transition, verify_steps

ENROLMENT = "welfare.enrolment"
EXPLAIN_FLAGS_UP_TO = 500
CONSENT_METHODS = ("signed", "phone", "app", "guardian")


@dataclass
class Reevaluation:
    programme: str
    matched: int
    drafted: int
    flagged: int
    within: str = ""  # the area the run wrote in ("" = the whole programme)


def _event(
    enrolment_id: int, actor: Any, action: Action, before: str, after: str, reason: str = "", explanation=None
):
    who = actor_fields(actor)
    return EnrolmentEvent(
        enrolment_id=enrolment_id,
        at=clock.now(),
        action=action,
        from_status=before or "",
        to_status=after or "",
        reason=reason[:255],
        explanation=explanation or [],
        **who,
    )


def reevaluate_programme(
    programme: Programme,
    as_of: dt.date,
    *,
    actor: Any = None,
    ctx: eligibility.Context | None = None,
    table: bulk.MatchTable | None = None,
    within: str = "",
) -> Reevaluation:
    """Run the programme's rule over the registry in the database and reconcile its enrolments: new matches
    become drafts (written set-based, see welfare.bulk), live enrolments that no longer match are flagged.
    `table` holds matches already computed by a scan shared with other programmes (reevaluate_all).
    `within`: write drafts and flags only in this area (the scan still covers the whole programme)."""
    ctx = ctx or eligibility.Context.on(as_of)
    if table is not None:
        return _reconcile(programme, table.view(programme, within), ctx, actor, as_of)
    own = _scan([programme], ctx)
    try:
        return _reconcile(programme, own.view(programme, within), ctx, actor, as_of)
    finally:
        own.drop()


def _scan(programmes: list[Programme], ctx: eligibility.Context) -> bulk.MatchTable:
    """One pass over the registry for these programmes, into a temporary table (see welfare.bulk)."""
    with transaction.atomic():
        sqlrules.tune_scan()
        rules = [eligibility.programme_rule(p, ctx) for p in programmes]
        sqlrules.prepare_household_tags(sqlrules.household_tags_used(rules, ctx.tag_ids))
        try:
            matches = eligibility.matching_many(programmes, ctx, household_tags=True)
            return bulk.MatchTable(matches, programmes).create()
        finally:
            sqlrules.drop_household_tags()


@transaction.atomic
def _reconcile(
    programme: Programme, matches: bulk.MatchView, ctx, actor: Any, as_of: dt.date
) -> Reevaluation:
    Programme.objects.select_for_update().filter(pk=programme.pk).first()  # one reconciliation at a time
    now = clock.now()
    after_id = bulk.last_enrolment_id()
    drafted = matches.insert_drafts(now)
    if drafted:
        bulk.audit_new_drafts(programme, after_id, now, actor)
        bulk.history_for_new_drafts(programme, after_id, now, actor, f"matched the rule on {as_of}")
    lapsed = matches.lapsed([s.value for s in LIVE])
    flagged = _flag_lapsed(programme, eligibility.programme_rule(programme, ctx), ctx, lapsed, actor, as_of)
    if not matches.within:  # a run over part of the programme does not count as its evaluation
        Programme.objects.filter(pk=programme.pk).update(evaluated_at=now)
    return Reevaluation(programme.code, matches.count(), drafted, flagged, matches.within)


def _flag_lapsed(programme, rule, ctx, lapsed, actor, as_of) -> int:
    if not lapsed:
        return 0
    reason = f"no longer qualifies on {as_of}"
    steps = {}
    if len(lapsed) <= EXPLAIN_FLAGS_UP_TO:
        steps = eligibility.explanations(programme, rule, [rid for _, _, rid in lapsed], ctx)
    now = clock.now()
    ids = [eid for eid, _, _ in lapsed]
    for i in range(0, len(ids), 2000):
        Enrolment.objects.filter(pk__in=ids[i : i + 2000]).update(
            flagged=True, flag_reason=reason, flagged_at=now, updated_at=now
        )
    EnrolmentEvent.objects.bulk_create(
        [
            _event(
                eid, actor, Action.FLAG, status, status, reason, steps[rid].lines() if rid in steps else None
            )
            for eid, status, rid in lapsed
        ],
        batch_size=5000,
    )
    record_many(
        actor,
        AuditAction.UPDATE,
        (
            (ENROLMENT, eid, f"{programme.code}: {reason}", {"flagged": ["False", "True"]})
            for eid, _, _ in lapsed
        ),
    )
    return len(lapsed)


def reevaluate_all(as_of: dt.date | None = None, *, actor: Any = None) -> list[Reevaluation]:
    """Every active programme over its whole frame — every area it applies to, whoever's scope that is (the
    periodic job: `zhizhi welfare_reevaluate` nightly, or `reevaluate_all_task`): one scan of the registry per
    frame (programmes applying to the same area), then one transaction per programme to reconcile its
    enrolments. New matches become drafts; live enrolments whose person no longer qualifies — moved away,
    income up, tag removed — are flagged for review with the failing clause, never dropped."""
    as_of = as_of or clock.today()
    ctx = eligibility.Context.on(as_of)
    programmes = list(Programme.objects.filter(active=True))
    results = []
    for area_code in sorted({p.area_code for p in programmes}):
        group = [p for p in programmes if p.area_code == area_code]
        table = _scan(group, ctx)
        try:
            results += [reevaluate_programme(p, as_of, actor=actor, ctx=ctx, table=table) for p in group]
        finally:
            table.drop()
    order = {p.code: i for i, p in enumerate(programmes)}
    return sorted(results, key=lambda r: order[r.programme])


@transaction.atomic
def reevaluate_for(actor: Any, programme: Programme) -> Reevaluation:
    """'Re-evaluate now' by a staff member: drafts and flags in their own area only (the programme's whole
    frame when their area holds it); the periodic job covers every area."""
    permissions.require(actor, "manage")
    prefix = area_prefix(actor)
    if prefix is None:
        raise Forbidden("your account has no area to re-evaluate")
    within = "" if programme.area_code.startswith(prefix) else prefix
    return reevaluate_programme(programme, clock.today(), actor=actor, within=within)


# --- staff decisions ----------------------------------------------------------------------------------------


def _locked(actor: Any, ids: Iterable[Any]) -> list[Enrolment]:
    try:
        wanted = sorted({int(i) for i in ids})
    except (TypeError, ValueError) as exc:
        raise InvalidInput("ids must be whole numbers", field="ids") from exc
    if not wanted:
        raise InvalidInput("choose at least one enrolment", field="ids")
    rows = list(
        queries.enrolments_for(actor)
        .filter(pk__in=wanted)
        .select_related("programme")
        .select_for_update(of=("self",))
    )
    missing = set(wanted) - {e.pk for e in rows}
    if missing:
        raise NotFound(f"enrolment {min(missing)} not found", field="ids")
    return rows


def _apply(
    actor: Any, enrolment: Enrolment, actions: list[Action], reason: str, explanation=None
) -> list[tuple]:
    """Move one locked enrolment through `actions`; returns its audit rows. TransitionError propagates."""
    audit_rows = []
    now = clock.now()
    for action in actions:
        before = enrolment.status
        after = check_transition(  # a status: every action here changes or keeps one
            before,
            action,
            consent_required=enrolment.programme.requires_consent,
            consent_given=enrolment.consent_at is not None,
            reason=reason,
            flagged=enrolment.flagged,
        )
        assert after is not None
        enrolment.status = after
        if action == Action.KEEP:
            enrolment.flagged, enrolment.flag_reason, enrolment.flagged_at = False, "", None
        enrolment.updated_at = now
        _event(enrolment.pk, actor, action, before, after, reason, explanation).save()
        changes = {"status": [before, after]} if before != after else {"flagged": ["True", "False"]}
        audit_rows.append((ENROLMENT, enrolment.pk, f"{enrolment.programme.code}: {action.value}", changes))
    enrolment.save(update_fields=["status", "flagged", "flag_reason", "flagged_at", "updated_at"])
    return audit_rows


@transaction.atomic
def verify_enrolments(actor: Any, ids: Iterable[Any], *, as_of: dt.date | None = None) -> list[Enrolment]:
    """Verify drafts in bulk; each keeps the explanation staff saw. Enrols at once when no consent is needed.
    All or nothing: one enrolment that is not a draft refuses the whole request."""
    permissions.require(actor, "verify")
    rows = _locked(actor, ids)
    not_drafts = [e.pk for e in rows if e.status != Status.DRAFT]
    if not_drafts:
        raise Conflict(f"enrolment {not_drafts[0]} is not a draft", field="ids")
    ctx = eligibility.Context.on(as_of or clock.today())
    audit_rows: list[tuple] = []
    by_programme: dict[int, list[Enrolment]] = {}
    for e in rows:
        by_programme.setdefault(e.programme_id, []).append(e)
    for group in by_programme.values():
        programme = group[0].programme
        rule = eligibility.programme_rule(programme, ctx)
        steps = eligibility.explanations(programme, rule, [e.resident_id for e in group], ctx)
        for e in group:
            actions = verify_steps(
                consent_required=programme.requires_consent, consent_given=e.consent_at is not None
            )
            lines = steps[e.resident_id].lines() if e.resident_id in steps else []
            audit_rows += _apply(actor, e, actions, "", lines)
    record_many(actor, AuditAction.UPDATE, audit_rows)
    return rows


@transaction.atomic
def transition_enrolment(actor: Any, enrolment_id: Any, action: str, reason: str = "") -> Enrolment:
    """One staff decision on one enrolment: enrol, reject, pause, resume, exit, redraft or keep (a flag)."""
    permissions.require(actor, "verify")
    (enrolment,) = _locked(actor, [enrolment_id])
    try:
        act = Action(action)
    except ValueError as exc:
        raise InvalidInput(f"unknown action {action!r}", field="action") from exc
    if act in (Action.MATCH, Action.FLAG, Action.CONSENT, Action.VERIFY):
        raise InvalidInput(f"'{act.value}' has its own request", field="action")
    try:
        rows = _apply(actor, enrolment, [act], reason)
    except TransitionError as exc:
        raise Conflict(exc.message, field=exc.field) from exc
    record_many(actor, AuditAction.UPDATE, rows)
    return enrolment


@transaction.atomic
def record_consent(actor: Any, enrolment_id: Any, *, method: str, given_by: str) -> Enrolment:
    """Record the person's (or guardian's) consent; a verified enrolment waiting for it is enrolled."""
    permissions.require(actor, "verify")
    (enrolment,) = _locked(actor, [enrolment_id])
    if method not in CONSENT_METHODS:
        raise InvalidInput(f"method must be one of {', '.join(CONSENT_METHODS)}", field="method")
    given_by = (given_by or "").strip()
    if not given_by:
        raise InvalidInput("say who gave the consent", field="given_by")
    try:
        check_transition(enrolment.status, Action.CONSENT)
    except TransitionError as exc:
        raise Conflict(exc.message, field=exc.field) from exc
    enrolment.consent_at, enrolment.consent_method, enrolment.consent_by = clock.now(), method, given_by[:64]
    enrolment.save(update_fields=["consent_at", "consent_method", "consent_by"])
    _event(
        enrolment.pk, actor, Action.CONSENT, enrolment.status, enrolment.status, f"{method}: {given_by}"
    ).save()
    rows = [(ENROLMENT, enrolment.pk, "consent recorded", {"consent": ["", f"{method}: {given_by}"]})]
    if enrolment.status == Status.VERIFIED:
        rows += _apply(actor, enrolment, [Action.ENROL], "")
    record_many(actor, AuditAction.UPDATE, rows)
    return enrolment
