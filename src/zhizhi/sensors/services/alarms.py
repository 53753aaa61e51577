"""Alarms: raise (one per episode), climb the ladder, acknowledge, resolve with the outcome.

The ladder, with the time each step waits for someone to acknowledge before the next one starts:
    ELDER  (10 min)  an automatic call or message to the elder
    FAMILY (20 min)  the elderly-care advisor(s) and the family / emergency contacts
    VISIT            the grid worker goes to the door (the step stays until someone acknowledges)
A step with nobody to reach — an elder with no phone number on record, no advisor and no family number — is
passed at once rather than waited out: its calls are kept with the status "no phone number", never sent.
Contact attempts are rows written in the alarm's transaction and sent after commit by the contact adapter
(contact.py: by default the platform's outbox — a text message to a phone, a notice in a staff member's
inbox); `send_contacts` retries what is still queued or failed. The alarm's case (cases app, category
独居老人告警) is opened after commit too, before the contacts go out, and `open_missing_cases` retries
alarms still without one.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zhizhi.core import audit, clock, pii
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput
from zhizhi.core.models import AuditAction
from zhizhi.core.permissions import in_scope
from zhizhi.core.roles import Role
from zhizhi.sensors import contact, links
from zhizhi.sensors.models import (
    Alarm,
    AlarmAction,
    AlarmLog,
    AlarmStatus,
    ContactAttempt,
    ContactStatus,
    Device,
    LadderStep,
    Outcome,
    Watch,
)

log = logging.getLogger(__name__)

LADDER = (LadderStep.ELDER, LadderStep.FAMILY, LadderStep.VISIT)
STEP_TIMEOUT = {LadderStep.ELDER: dt.timedelta(minutes=10), LadderStep.FAMILY: dt.timedelta(minutes=20)}
MAX_SEND_ATTEMPTS = 5
ACTING_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.ELDERCARE_ADVISOR,
        Role.STREET_DISPATCHER,
        Role.ADMIN,
    }
)


def _name(actor: Any) -> str:
    return getattr(actor, "display_name", "") or actor.get_username() if actor is not None else "system"


def _log(alarm: Alarm, action: str, now: dt.datetime, *, actor: Any = None, note: str = "") -> None:
    AlarmLog.objects.create(
        alarm=alarm,
        at=now,
        action=action,
        step=alarm.step,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=_name(actor) if actor is not None else "system",
        note=note[:500],
    )


def raise_alarm(
    watch: Watch,
    kind: str,
    due_at: dt.datetime,
    episode_key: str,
    *,
    device: Device | None = None,
    silence_since: dt.datetime | None = None,
    detail: dict | None = None,
) -> Alarm | None:
    """Raise the alarm of an episode; None when the episode has already raised one."""
    now = clock.now()
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                watch=watch,
                resident=watch.resident,
                device=device,
                kind=kind,
                episode_key=episode_key,
                area_code=watch.area_code,
                due_at=due_at,
                raised_at=now,
                silence_since=silence_since,
                step=LadderStep.ELDER,
                next_step_at=now + STEP_TIMEOUT[LadderStep.ELDER],
                detail=detail or {},
            )
            _log(alarm, AlarmAction.RAISED, now, note=alarm.get_kind_display())
            _contact_or_climb(alarm, now)
            audit.record(
                None, AuditAction.CREATE, obj=alarm, summary=f"sensor alarm {kind} for {watch.resident}"
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: after_commit(alarm.pk))
    return alarm


def after_commit(alarm_id: int) -> None:
    """Side effects of a raised or escalated alarm: open its case, then send its queued contacts (whose
    notices link the case)."""
    open_missing_cases(Alarm.objects.filter(pk=alarm_id))
    send_contacts(Alarm.objects.filter(pk=alarm_id))


def _targets(alarm: Alarm, step: str) -> list[tuple[str, str, str, Any]]:
    """(role, name, phone, user) to reach at a step of the ladder."""
    resident = alarm.resident
    if step == LadderStep.ELDER:
        return [("elder", resident.name, resident.phone or "", None)]
    if step == LadderStep.FAMILY:
        out: list[tuple[str, str, str, Any]] = [
            ("advisor", _name(u), "", u) for u in links.advisors_of(resident)
        ]
        out += [(c.kind, c.name, c.phone or "", None) for c in links.family_of(resident)]
        return out
    return [("grid_worker", _name(u), "", u) for u in links.grid_workers_of(resident)]


def _enter_step(alarm: Alarm, step: LadderStep, now: dt.datetime, note: str = "") -> None:
    alarm.step = step
    alarm.next_step_at = now + STEP_TIMEOUT[step] if step in STEP_TIMEOUT else None
    alarm.save(update_fields=["step", "next_step_at"])
    _log(alarm, AlarmAction.ESCALATED, now, note=note or alarm.get_step_display())


def _contact_or_climb(alarm: Alarm, now: dt.datetime) -> None:
    """Queue the contacts of the alarm's step; while a step has nobody to reach, go on to the next one now."""
    while not _queue_contacts(alarm, alarm.step, now) and alarm.step != LADDER[-1]:
        passed = alarm.get_step_display()
        step = LADDER[LADDER.index(alarm.step) + 1]
        note = _("%(step)s (nobody to reach at “%(passed)s”)") % {
            "step": LadderStep(step).label,
            "passed": passed,
        }
        _enter_step(alarm, step, now, note)


def _queue_contacts(alarm: Alarm, step: str, now: dt.datetime) -> int:
    """Write the step's contact attempts; returns how many can be sent (a call needs a phone number)."""
    where = alarm.detail.get("address", "")
    names = {"name": alarm.resident.name, "kind": alarm.get_kind_display(), "where": where}
    texts: dict[str, str] = {
        LadderStep.ELDER: _(
            "Zhizhi: your door sensor shows something unusual. Please call back to say you are safe."
        ),
        LadderStep.FAMILY: _("Door-sensor alarm for %(name)s (%(kind)s): please get in touch and confirm.")
        % names,
        LadderStep.VISIT: _("Please visit %(name)s at %(where)s: door-sensor alarm (%(kind)s).") % names,
    }
    text = texts[step]
    rows = []
    for role, name, phone, user in _targets(alarm, step):
        call = role in ("elder", "family", "emergency")
        rows.append(
            ContactAttempt(
                alarm=alarm,
                step=step,
                channel="call" if call else "notice",
                target_role=role,
                target_name=name[:64],
                phone=phone,
                phone_masked=pii.mask_phone(phone) if phone else "",
                user=user,
                message=text[:300],
                created_at=now,
                status=ContactStatus.NO_PHONE if call and not phone else ContactStatus.QUEUED,
            )
        )
    ContactAttempt.objects.bulk_create(rows)
    return sum(1 for row in rows if row.status == ContactStatus.QUEUED)


def send_contacts(alarms=None) -> int:
    """Send queued (and retry failed) contact attempts; returns how many were sent.

    Each attempt is sent in a transaction of its own with its row locked (skipped when another scheduler
    holds it), and its new status is saved in that transaction: an adapter that writes (the platform's
    outbox) hands the attempt over exactly once, and two schedulers never send the same attempt together."""
    sender = contact.adapter()
    due = dict(status__in=[ContactStatus.QUEUED, ContactStatus.FAILED], attempts__lt=MAX_SEND_ATTEMPTS)
    rows = ContactAttempt.objects.filter(**due)
    if alarms is not None:
        rows = rows.filter(alarm__in=alarms)
    sent = 0
    for pk in rows.order_by("pk").values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            attempt = ContactAttempt.objects.select_for_update(skip_locked=True).filter(pk=pk, **due).first()
            if attempt is None:  # sent meanwhile, or being sent by another scheduler
                continue
            attempt.attempts += 1
            attempt.adapter = sender.name
            try:
                with transaction.atomic():  # a failed send leaves nothing of itself behind
                    sender.send(attempt)
            except Exception as exc:  # noqa: BLE001 - any adapter failure is recorded and retried
                attempt.status, attempt.error = ContactStatus.FAILED, str(exc)[:255]
            else:
                attempt.status, attempt.sent_at, attempt.error = ContactStatus.SENT, clock.now(), ""
                sent += 1
            attempt.save(update_fields=["attempts", "adapter", "status", "sent_at", "error"])
    return sent


def open_missing_cases(alarms=None) -> int:
    """Open the case of every alarm that has none yet (idempotent on the cases side)."""
    rows = Alarm.objects.filter(case_id__isnull=True).select_related("resident", "device")
    if alarms is not None:
        rows = rows.filter(pk__in=alarms.values("pk"))
    opened = 0
    for alarm in rows.order_by("pk")[:200]:
        try:
            linked = links.open_alarm_case(alarm, alarm.detail.get("address", ""))
        except Exception:  # noqa: BLE001 - retried on the next tick; the alarm itself stands
            log.exception("could not open the case of sensor alarm %s", alarm.pk)
            continue
        if linked is None:
            continue
        with transaction.atomic():
            Alarm.objects.filter(pk=alarm.pk).update(case_id=linked[0], case_number=linked[1])
            alarm.case_number = linked[1]
            _log(alarm, AlarmAction.CASE_OPENED, clock.now(), note=linked[1])
        opened += 1
    return opened


def advance_ladders(now: dt.datetime | None = None) -> int:
    """Move every open, unacknowledged alarm whose step timed out to the next step."""
    now = now or clock.now()
    moved = 0
    due = Alarm.objects.filter(status=AlarmStatus.OPEN, next_step_at__lte=now).values_list("pk", flat=True)
    for pk in list(due[:500]):
        with transaction.atomic():
            alarm = Alarm.objects.select_for_update().select_related("resident").get(pk=pk)
            if alarm.status != AlarmStatus.OPEN or alarm.next_step_at is None or alarm.next_step_at > now:
                continue
            _enter_step(alarm, LADDER[min(LADDER.index(alarm.step) + 1, len(LADDER) - 1)], now)
            _contact_or_climb(alarm, now)
            # the default argument binds this iteration's pk; mypy cannot infer such a lambda's type
            transaction.on_commit(lambda pk=pk: send_contacts(Alarm.objects.filter(pk=pk)))  # type: ignore[misc]
        moved += 1
    return moved


def _require_actor(actor: Any, alarm: Alarm) -> None:
    if getattr(actor, "role", None) not in ACTING_ROLES or not in_scope(actor, alarm.area_code):
        raise Forbidden("you may not act on this alarm")


def acknowledge_alarm(actor: Any, alarm: Alarm, note: str = "") -> Alarm:
    """Someone is on it: the ladder stops climbing."""
    _require_actor(actor, alarm)
    now = clock.now()
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update().get(pk=alarm.pk)
        if alarm.status != AlarmStatus.OPEN:
            raise Conflict("the alarm is not open", field="status")
        alarm.status, alarm.acknowledged_at, alarm.acknowledged_by = AlarmStatus.ACKNOWLEDGED, now, actor
        alarm.next_step_at = None
        alarm.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "next_step_at"])
        _log(alarm, AlarmAction.ACKNOWLEDGED, now, actor=actor, note=note)
        audit.record(actor, AuditAction.UPDATE, obj=alarm, summary="acknowledged sensor alarm")
    return alarm


def resolve_alarm(actor: Any, alarm: Alarm, outcome: str, note: str = "") -> Alarm:
    """Close the alarm with its outcome; a false alarm must say why (kept to tune the thresholds)."""
    _require_actor(actor, alarm)
    if outcome not in Outcome.values:
        raise InvalidInput(_("Choose the outcome."), field="outcome")
    note = str(note or "").strip()
    if outcome == Outcome.FALSE_ALARM and not note:
        raise InvalidInput(_("Say why it was a false alarm."), field="note")
    if len(note) > 500:
        raise InvalidInput(_("At most 500 characters."), field="note")
    now = clock.now()
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update().get(pk=alarm.pk)
        if alarm.status == AlarmStatus.RESOLVED:
            raise Conflict("the alarm is already resolved", field="status")
        if alarm.acknowledged_at is None:
            alarm.acknowledged_at, alarm.acknowledged_by = now, actor
        alarm.status, alarm.resolved_at, alarm.resolved_by = AlarmStatus.RESOLVED, now, actor
        alarm.outcome, alarm.outcome_note, alarm.next_step_at = outcome, note, None
        alarm.save()
        _log(
            alarm,
            AlarmAction.RESOLVED,
            now,
            actor=actor,
            note=f"{Outcome(outcome).label}: {note}" if note else str(Outcome(outcome).label),
        )
        audit.record(actor, AuditAction.UPDATE, obj=alarm, summary=f"resolved sensor alarm: {outcome}")
        _tell_case(alarm)
    _propose_tuning(alarm)
    return alarm


def _tell_case(alarm: Alarm) -> None:
    """Tell those handling the alarm's case how it ended (links.tell_case_handlers); a failure there never
    undoes the resolution."""
    try:
        with transaction.atomic():
            links.tell_case_handlers(alarm)
    except Exception:  # noqa: BLE001 - the resolution stands; the case page shows the outcome anyway
        log.exception("could not tell the case handlers of sensor alarm %s", alarm.pk)


def _propose_tuning(alarm: Alarm) -> None:
    """The outcome is evidence for the person's thresholds (services.tuning); a failure there never undoes
    the resolution."""
    from zhizhi.sensors.services import tuning

    try:
        tuning.propose(Watch.objects.select_related("resident").get(pk=alarm.watch_id), [alarm.kind])
    except Exception:  # noqa: BLE001 - the proposal is retried by tuning.propose_all
        log.exception("could not propose thresholds after sensor alarm %s", alarm.pk)
