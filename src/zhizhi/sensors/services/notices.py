"""Away notices (外出报备): a watched person is away until a declared time, so their silence is no alarm.

An elder going to their children's for the weekend, into hospital or on a trip tells the community (in
person, by phone, through family) and their advisor, community staff or grid worker files the notice here — or
files it themself on their own page, when they have an account. While
it covers the silence that began when the person went out, the detector holds its silence rules and raises
one not-back alarm if they are not back by the declared return plus their not-back margin (detector.py). Door
rules are never held: a door standing open in an empty flat is still an alarm.

A notice ends by itself when the sensors see the person home again — a firing inside the flat more than
`RETURN_GRACE` after the departure it covered (`departed_at`, recorded when the detector first found the
person's silence covered) — so an early return never leaves them unwatched on their next outing; staff may end
it too. A flat whose only sensor is the front door cannot tell a return from a
departure: there the notice holds until its declared return.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhizhi.core import audit, clock
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhizhi.core.models import AuditAction
from zhizhi.core.permissions import in_scope
from zhizhi.core.roles import Role
from zhizhi.sensors.models import AwayNotice, Device, Watch

NOTICE_ROLES = frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.ELDERCARE_ADVISOR, Role.ADMIN})
MAX_SPAN = dt.timedelta(days=31)  # longer absences: stop watching, or file again
MAX_AHEAD = dt.timedelta(days=60)  # how far ahead a departure may be announced
MAX_LATE = dt.timedelta(hours=24)  # a notice filed after the person left (family calling the next morning)
RETURN_GRACE = dt.timedelta(minutes=30)  # firings inside this soon after the departure are the leaving itself
KEEP_AFTER_RETURN = dt.timedelta(days=7)  # how long a notice past its return still shapes an open silence
REASON_MAX = 200


def may_file(actor: Any, watch: Watch) -> bool:
    """The person's grid worker, community staff, advisor (in their area) — or the person themself."""
    role = getattr(actor, "role", None)
    if role == Role.RESIDENT:
        return getattr(actor, "resident_id", None) == watch.resident_id
    return role in NOTICE_ROLES and in_scope(actor, watch.area_code)


def own_watch(actor: Any) -> Watch:
    """A resident's own watch (404 when they are not watched: nothing to notify)."""
    resident_id = getattr(actor, "resident_id", None)
    if getattr(actor, "role", None) != Role.RESIDENT or resident_id is None:
        raise NotFound(_("you are not watched by door sensors"))
    watch = Watch.objects.filter(resident_id=resident_id, enabled=True).select_related("resident").first()
    if watch is None:
        raise NotFound(_("you are not watched by door sensors"))
    return watch


def open_notices(watch: Watch, now: dt.datetime | None = None) -> list[AwayNotice]:
    """Notices not ended whose return is not long past (those the detector reads), soonest first."""
    now = now or clock.now()
    rows = AwayNotice.objects.filter(watch=watch, ended_at__isnull=True, back_by__gte=now - KEEP_AFTER_RETURN)
    return list(rows.order_by("leaves_at", "id"))


def history(watch: Watch, limit: int = 20) -> list[AwayNotice]:
    return list(watch.notices.select_related("filed_by", "ended_by").order_by("-leaves_at", "-id")[:limit])


def _aware(value: Any, name: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(_("not a date and time (YYYY-MM-DDTHH:MM)"), field=name) from None
    if not isinstance(value, dt.datetime):
        raise InvalidInput(_("required"), field=name)
    if value.tzinfo is None:  # the street's wall clock
        value = value.replace(tzinfo=clock.SHANGHAI)
    return value


def file_notice(
    actor: Any,
    watch: Watch,
    *,
    back_by: Any,
    leaves_at: Any = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> AwayNotice:
    """File a notice: away from `leaves_at` (default now) until `back_by`."""
    if not may_file(actor, watch):
        raise Forbidden(
            _("only the person, their grid worker, community staff or advisor may file an away notice")
        )
    now = now or clock.now()
    leaves = now if leaves_at in (None, "") else _aware(leaves_at, "leaves_at")
    back = _aware(back_by, "back_by")
    reason = (reason or "").strip()
    if leaves < now - MAX_LATE:
        raise InvalidInput(_("a departure more than 24 hours ago cannot be filed"), field="leaves_at")
    if leaves > now + MAX_AHEAD:
        raise InvalidInput(_("a departure at most 60 days ahead"), field="leaves_at")
    if back <= leaves:
        raise InvalidInput(_("the return must come after the departure"), field="back_by")
    if back <= now:
        raise InvalidInput(_("the return is already past"), field="back_by")
    if back - leaves > MAX_SPAN:
        raise InvalidInput(_("at most 31 days away; for longer, stop watching the person"), field="back_by")
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("at most %(n)d characters") % {"n": REASON_MAX}, field="reason")
    with transaction.atomic():
        Watch.objects.select_for_update().filter(pk=watch.pk).first()  # one filer at a time per person
        clash = (
            AwayNotice.objects.filter(
                watch=watch, ended_at__isnull=True, leaves_at__lt=back, back_by__gt=leaves
            )
            .order_by("leaves_at")
            .first()
        )
        if clash is not None:
            raise Conflict(
                _("overlaps the notice %(leaves)s–%(back)s; end that one first")
                % {
                    "leaves": f"{clash.leaves_at.astimezone(clock.SHANGHAI):%m-%d %H:%M}",
                    "back": f"{clash.back_by.astimezone(clock.SHANGHAI):%m-%d %H:%M}",
                },
                field="leaves_at",
            )
        notice = AwayNotice.objects.create(
            watch=watch, leaves_at=leaves, back_by=back, reason=reason, filed_by=actor, created_at=now
        )
        audit.record(
            actor,
            AuditAction.CREATE,
            obj=notice,
            summary=f"away notice for {watch.resident}",
            changes={"leaves_at": leaves.isoformat(), "back_by": back.isoformat(), "reason": reason},
        )
    _refresh(watch)
    return notice


def access_notice(watch: Watch, notice_id: Any) -> AwayNotice:
    try:
        return watch.notices.get(pk=int(notice_id))
    except (AwayNotice.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("no such away notice")) from None


def end_notice(actor: Any, notice: AwayNotice, note: str = "", now: dt.datetime | None = None) -> AwayNotice:
    """Staff end a notice (the person is back, or the trip was called off); from now on they are watched."""
    watch = notice.watch
    if not may_file(actor, watch):
        raise Forbidden(
            _("only the person, their grid worker, community staff or advisor may end an away notice")
        )
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise InvalidInput(_("at most %(n)d characters") % {"n": REASON_MAX}, field="note")
    now = now or clock.now()
    with transaction.atomic():
        ended = AwayNotice.objects.filter(pk=notice.pk, ended_at__isnull=True).update(
            ended_at=now, ended_by=actor, end_note=note or "ended by staff"
        )
        if not ended:
            raise Conflict(_("this away notice has already ended"), field="notice")
        audit.record(actor, AuditAction.UPDATE, obj=notice, summary=f"away notice ended for {watch.resident}")
    notice.refresh_from_db()
    _refresh(watch)
    return notice


def settle(watch: Watch, devices: list[Device], now: dt.datetime | None = None) -> list[AwayNotice]:
    """End the notices the sensors show the person back from — a firing inside the flat more than
    RETURN_GRACE after the departure the notice covered — and return the open ones (`open_notices`)."""
    current = open_notices(watch, now)
    inside = [d.last_activity_at for d in devices if not d.is_entrance and d.last_activity_at is not None]
    seen = max(inside, default=None)
    still = []
    for notice in current:
        back_home = (
            notice.departed_at is not None and seen is not None and seen > notice.departed_at + RETURN_GRACE
        )
        if back_home and AwayNotice.objects.filter(pk=notice.pk, ended_at__isnull=True).update(
            ended_at=seen, end_note="back home (sensors)"
        ):
            audit.record(
                None, AuditAction.UPDATE, obj=notice, summary=f"{watch.resident} back home: notice ended"
            )
            continue
        still.append(notice)
    return still


def mark_departures(notices: list[AwayNotice], covering: list[int], departed: dt.datetime) -> None:
    """Record when the sensors saw the person leave on the notices that cover their silence."""
    for i in covering:
        notice = notices[i]
        if notice.departed_at is None:
            notice.departed_at = departed
            AwayNotice.objects.filter(pk=notice.pk, departed_at__isnull=True).update(departed_at=departed)


def _refresh(watch: Watch) -> None:
    from zhizhi.sensors.services import watch as watching

    watching.refresh(watch)
