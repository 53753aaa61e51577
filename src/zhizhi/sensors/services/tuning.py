"""Tuning a person's thresholds from the outcomes of their resolved alarms.

Each alarm kind has one setting (a "knob") in the person's rule settings (Watch.config, see
detection.rules.RuleConfig) that makes it fire later or sooner:

    night_door_open     night_door_open_min   minutes the door may stand open at night
    door_left_open      door_left_open_min    minutes the door may stand open at any hour
    no_activity         no_activity_h         hours without any firing
    not_back            not_back_margin_h     hours added to the usual absence
    improbable_silence  alpha                 how improbable a silence must be (lower: fewer alarms)

The evidence for a knob is the person's alarms of that kind resolved since the knob was last decided on
(applied or dismissed) and within WINDOW. A "hospital" outcome is a real emergency: the knob is proposed one
step more sensitive (back to the default first, if it had been loosened). Otherwise MIN_FALSE or more false
alarms making up at least FALSE_SHARE of the outcomes propose one step less sensitive. "Safe" (the person was
fine but the alarm was warranted) counts as neither.

Never less watched than the floor: a knob is never loosened beyond its least sensitive bound — no activity
never beyond 24 h, 12 h for a person tagged 失能 — whoever accepts, and the bound is checked again on accepting.
A proposal waits for a staff user (`accept` / `dismiss`); with settings.SENSORS_AUTO_TUNE = True, a proposal
is applied at once when it stays within the narrower automatic bounds (AUTO_LIMIT) — tightening always does.
Every change is a ThresholdChange row (who, why, before, after) and an audit entry.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from zhizhi.core import audit, clock
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhizhi.core.models import AuditAction
from zhizhi.core.permissions import in_scope
from zhizhi.core.roles import Role
from zhizhi.sensors.detection.rules import AlarmKind, RuleConfig
from zhizhi.sensors.models import (
    Alarm,
    AlarmStatus,
    Outcome,
    ThresholdChange,
    TuningParameter,
    TuningStatus,
    Watch,
)

WINDOW = dt.timedelta(days=90)
MIN_FALSE = 2
FALSE_SHARE = 2 / 3
TUNING_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.ELDERCARE_ADVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Knob:
    """One setting: `step` added (or, when `factor`, multiplied) per proposal; `looser_up` says whether a
    higher value means fewer alarms; `most` / `least` the most and least sensitive values ever allowed;
    `auto` the least sensitive value an automatic change may reach."""

    parameter: str
    step: float
    most: float
    least: float
    auto: float
    looser_up: bool = True
    factor: bool = False

    def least_for(self, disabled: bool) -> float:
        if self.parameter == "no_activity_h" and disabled:
            return 12.0
        return self.least

    def auto_for(self, disabled: bool) -> float:
        least = self.least_for(disabled)
        return min(self.auto, least) if self.looser_up else max(self.auto, least)

    def clamp(self, value: float, disabled: bool) -> float:
        low, high = sorted((self.most, self.least_for(disabled)))
        return min(max(value, low), high)

    def looser(self, value: float, disabled: bool) -> float:
        if self.factor:
            moved = value / self.step if not self.looser_up else value * self.step
        else:
            moved = value + self.step if self.looser_up else value - self.step
        return self.clamp(round(moved, 4), disabled)

    def tighter(self, value: float, default: float, disabled: bool) -> float:
        if self.is_looser(value, default):
            return self.clamp(default, disabled)  # back to the default first
        if self.factor:
            moved = value * self.step if not self.looser_up else value / self.step
        else:
            moved = value - self.step if self.looser_up else value + self.step
        return self.clamp(round(moved, 4), disabled)

    def is_looser(self, value: float, than: float) -> bool:
        return value > than if self.looser_up else value < than


KNOBS: dict[str, Knob] = {
    AlarmKind.NIGHT_DOOR_OPEN: Knob("night_door_open_min", step=5, most=5, least=30, auto=20),
    AlarmKind.DOOR_LEFT_OPEN: Knob("door_left_open_min", step=15, most=15, least=120, auto=60),
    AlarmKind.NO_ACTIVITY: Knob("no_activity_h", step=2, most=6, least=24, auto=24),
    AlarmKind.NOT_BACK: Knob("not_back_margin_h", step=1, most=0.5, least=6, auto=4),
    AlarmKind.IMPROBABLE_SILENCE: Knob(
        "alpha", step=2, most=0.1, least=0.005, auto=0.01, looser_up=False, factor=True
    ),
}
PARAMETERS = {k.parameter: kind for kind, k in KNOBS.items()}


@dataclass(frozen=True)
class Suggestion:
    alarm_kind: str
    parameter: str
    before: float
    after: float
    reason: str
    evidence: dict


def suggest(
    alarm_kind: str, config: RuleConfig, outcomes: Iterable[tuple[int, str, str]], *, disabled: bool = False
) -> Suggestion | None:
    """The change the outcomes (alarm id, outcome, note) of one kind of alarm call for, if any (pure)."""
    knob = KNOBS.get(alarm_kind)
    rows = list(outcomes)
    if knob is None or not rows:
        return None
    current = float(getattr(config, knob.parameter))
    default = float(getattr(RuleConfig.for_person(disabled=disabled), knob.parameter))
    real = [r for r in rows if r[1] == Outcome.HOSPITAL]
    false = [r for r in rows if r[1] == Outcome.FALSE_ALARM]
    evidence: dict[str, Any] = {
        "alarms": [r[0] for r in rows],
        "real": len(real),
        "false": len(false),
        "safe": sum(1 for r in rows if r[1] == Outcome.SAFE),
        "notes": list(dict.fromkeys(r[2] for r in false if r[2]))[:5],
    }
    if real:
        after = knob.tighter(current, default, disabled)
        reason = f"{len(real)} real emergency(ies) (hospital) among {len(rows)} resolved alarm(s)"
    elif len(false) >= MIN_FALSE and len(false) >= FALSE_SHARE * len(rows):
        after = knob.looser(current, disabled)
        reason = (
            f"{len(false)} of {len(rows)} resolved alarm(s) were false alarms: {'; '.join(evidence['notes'])}"
        )
    else:
        return None
    if math.isclose(after, current):
        return None  # already at the bound
    return Suggestion(alarm_kind, knob.parameter, current, after, reason[:500], evidence)


# ------------------------------------------------------------------------------------------- with the database


def _disabled(watch: Watch) -> bool:
    from zhizhi.sensors.services.watch import is_disabled

    return is_disabled(watch.resident)


def _config(watch: Watch, disabled: bool) -> RuleConfig:
    return RuleConfig.from_dict(watch.config, disabled=disabled)


def _evidence(watch: Watch, alarm_kind: str, parameter: str, now: dt.datetime) -> list[tuple[int, str, str]]:
    since = now - WINDOW
    last = (
        ThresholdChange.objects.filter(watch=watch, parameter=parameter, decided_at__isnull=False)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    if last is not None and last > since:
        since = last
    return list(
        Alarm.objects.filter(watch=watch, kind=alarm_kind, status=AlarmStatus.RESOLVED, resolved_at__gt=since)
        .exclude(outcome="")
        .order_by("resolved_at", "pk")
        .values_list("pk", "outcome", "outcome_note")
    )


def propose(watch: Watch, alarm_kinds: Iterable[str] | None = None, now: dt.datetime | None = None) -> list:
    """Write the proposals the person's outcomes call for (one open proposal per setting, replaced when the
    evidence changes); applies them at once where automatic tuning is configured and safe. Returns the
    proposals written (or applied)."""
    now = now or clock.now()
    disabled = _disabled(watch)
    out = []
    for alarm_kind in alarm_kinds or KNOBS:
        knob = KNOBS.get(alarm_kind)
        if knob is None:
            continue
        with transaction.atomic():
            locked = Watch.objects.select_for_update().get(pk=watch.pk)
            found = suggest(
                alarm_kind,
                _config(locked, disabled),
                _evidence(locked, alarm_kind, knob.parameter, now),
                disabled=disabled,
            )
            open_row = ThresholdChange.objects.filter(
                watch=locked, parameter=knob.parameter, status=TuningStatus.PROPOSED
            ).first()
            if found is None:
                continue
            if open_row is not None:
                same = math.isclose(open_row.after, found.after) and open_row.evidence == found.evidence
                if same:
                    continue
                open_row.delete()  # superseded by newer evidence
            row = ThresholdChange.objects.create(
                watch=locked,
                alarm_kind=alarm_kind,
                parameter=found.parameter,
                before=found.before,
                after=found.after,
                reason=found.reason,
                evidence=found.evidence,
                proposed_at=now,
            )
            if _auto_allowed(knob, found, disabled):
                _apply(None, locked, row, now, disabled, automatic=True)
        out.append(row)
    return out


def _auto_allowed(knob: Knob, found: Suggestion, disabled: bool) -> bool:
    if not getattr(settings, "SENSORS_AUTO_TUNE", False):
        return False
    if not knob.is_looser(found.after, found.before):
        return True  # more watched is always safe
    return not knob.is_looser(found.after, knob.auto_for(disabled))


def may_tune(actor: Any, watch: Watch) -> bool:
    return getattr(actor, "role", None) in TUNING_ROLES and in_scope(actor, watch.area_code)


def _apply(
    actor: Any,
    watch: Watch,
    row: ThresholdChange,
    now: dt.datetime,
    disabled: bool,
    *,
    automatic: bool = False,
    note: str = "",
) -> None:
    knob = KNOBS[row.alarm_kind]
    current = float(getattr(_config(watch, disabled), row.parameter))
    if not math.isclose(current, row.before):
        raise Conflict(_("The setting has changed since this was proposed."), field="before")
    after = knob.clamp(row.after, disabled)  # the floor, checked again (the person may be 失能 by now)
    if math.isclose(after, current):
        raise Conflict(_("The setting is already at its bound."), field="after")
    watch.config = {**(watch.config or {}), row.parameter: after}
    watch.save(update_fields=["config"])
    row.after, row.status, row.decided_at, row.automatic = after, TuningStatus.APPLIED, now, automatic
    row.decided_by = actor if getattr(actor, "pk", None) else None
    row.decision_note = note[:500]
    row.save(update_fields=["after", "status", "decided_at", "decided_by", "automatic", "decision_note"])
    audit.record(
        actor,
        AuditAction.UPDATE,
        obj=watch,
        summary=f"threshold {row.parameter} {current:g} → {after:g}{' (automatic)' if automatic else ''}",
        changes={row.parameter: [str(current), str(after)], "reason": row.reason[:200]},
    )
    transaction.on_commit(lambda: _refresh(watch.pk))


def _refresh(watch_id: int) -> None:
    from zhizhi.sensors.services.watch import refresh

    watch = Watch.objects.select_related("resident").filter(pk=watch_id).first()
    if watch is not None:
        refresh(watch)


def _decide(actor: Any, proposal: ThresholdChange, note: str) -> tuple[Watch, ThresholdChange, str]:
    if not may_tune(actor, proposal.watch):
        raise Forbidden("you may not change this person's thresholds")
    note = str(note or "").strip()
    if len(note) > 500:
        raise InvalidInput(_("At most 500 characters."), field="note")
    watch = Watch.objects.select_for_update().select_related("resident").get(pk=proposal.watch_id)
    row = ThresholdChange.objects.select_for_update().get(pk=proposal.pk)
    if row.status != TuningStatus.PROPOSED:
        raise Conflict(_("This proposal has been decided already."), field="status")
    return watch, row, note


def accept(actor: Any, proposal: ThresholdChange, note: str = "") -> ThresholdChange:
    """A staff user applies a proposal (within the floor, checked again now)."""
    with transaction.atomic():
        watch, row, note = _decide(actor, proposal, note)
        _apply(actor, watch, row, clock.now(), _disabled(watch), note=note)
    return row


def dismiss(actor: Any, proposal: ThresholdChange, note: str = "") -> ThresholdChange:
    """A staff user declines a proposal; its outcomes are not counted again for the same setting."""
    with transaction.atomic():
        _watch, row, note = _decide(actor, proposal, note)
        row.status, row.decided_at, row.decided_by, row.decision_note = (
            TuningStatus.DISMISSED,
            clock.now(),
            actor,
            note,
        )
        row.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        audit.record(actor, AuditAction.UPDATE, obj=row, summary=f"dismissed threshold proposal {row}")
    return row


def settings_of(watch: Watch) -> list[dict]:
    """The tunable settings of a person: now, the default, the bounds (for the person's page)."""
    disabled = _disabled(watch)
    config, default = _config(watch, disabled), RuleConfig.for_person(disabled=disabled)
    labels = dict(TuningParameter.choices)
    return [
        {
            "parameter": knob.parameter,
            "label": labels.get(knob.parameter, knob.parameter),
            "value": getattr(config, knob.parameter),
            "default": getattr(default, knob.parameter),
            "least": knob.least_for(disabled),
            "most": knob.most,
            "changed": knob.parameter in (watch.config or {}),
        }
        for knob in KNOBS.values()
    ]


def open_proposals(watch: Watch) -> list[ThresholdChange]:
    return list(
        ThresholdChange.objects.filter(watch=watch, status=TuningStatus.PROPOSED).order_by("parameter")
    )


def history(watch: Watch) -> list[ThresholdChange]:
    return list(
        ThresholdChange.objects.filter(watch=watch)
        .exclude(status=TuningStatus.PROPOSED)
        .select_related("decided_by")
        .order_by("-decided_at", "-id")[:50]
    )


def access_proposal(watch: Watch, proposal_id: Any) -> ThresholdChange:
    try:
        return ThresholdChange.objects.select_related("watch").get(watch=watch, pk=int(proposal_id))
    except (ThresholdChange.DoesNotExist, TypeError, ValueError):
        raise NotFound("no such proposal") from None


def propose_all(now: dt.datetime | None = None) -> int:
    """Propose for every watched person with an outcome in the window (nightly, or on demand)."""
    now = now or clock.now()
    ids = (
        Alarm.objects.filter(status=AlarmStatus.RESOLVED, resolved_at__gt=now - WINDOW)
        .values_list("watch_id", flat=True)
        .distinct()
    )
    count = 0
    for watch in Watch.objects.filter(pk__in=list(ids), enabled=True).select_related("resident"):
        count += len(propose(watch, now=now))
    return count


__all__ = [
    "KNOBS",
    "Knob",
    "Suggestion",
    "accept",
    "dismiss",
    "history",
    "open_proposals",
    "propose",
    "propose_all",
    "settings_of",
    "suggest",
]
