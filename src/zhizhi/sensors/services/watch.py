"""Live detection: each watched resident's detector, fed from the state of the devices of their home.

The detector (detection.detector) needs only the last activity and the open doors, both kept on the Device
rows by ingestion, and the person's open away notices (services.notices), so a check costs a query for the
devices and one for the notices. `next_check_at` on the Watch holds the
earliest moment one of the person's rules could fire; ingestion refreshes it whenever a door opens or closes,
and `check_due` — run every few seconds by `zhizhi ingest-mqtt` (and `zhizhi sensors tick`) — raises the
alarms whose moment has come. A door left open at night therefore raises its alarm within one check interval
(default 2 s) of its threshold.

Times: events are stored in UTC; detection reads them as Asia/Shanghai wall-clock time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, cast

from django.db import transaction
from django.db.models import Q

from zhizhi.core import audit, clock
from zhizhi.core.models import AuditAction
from zhizhi.sensors.detection.detector import Detector
from zhizhi.sensors.detection.events import Activity, from_local_seconds, local_seconds
from zhizhi.sensors.detection.rules import RuleConfig
from zhizhi.sensors.models import Alarm, AlarmStatus, AwayNotice, Device, Watch
from zhizhi.sensors.services import alarms, notices, profiles

TZ = clock.SHANGHAI
DISABLED_TAG = "失能"


def watch_resident(actor: Any, resident: Any, config: dict | None = None) -> Watch:
    """Start (or resume) watching a resident with their own rule settings."""
    check = RuleConfig.from_dict(config or {})  # validates the keys' types by constructing
    with transaction.atomic():
        watch, created = Watch.objects.get_or_create(
            resident=resident,
            defaults={"area_code": resident.area_code, "created_at": clock.now(), "config": config or {}},
        )
        if not created:
            watch.enabled, watch.area_code = True, resident.area_code
            if config is not None:
                watch.config = {k: v for k, v in check.as_dict().items() if k in config}
            watch.save(update_fields=["enabled", "area_code", "config"])
        audit.record(
            actor,
            AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=watch,
            summary=f"sensor watch for {resident}",
        )
    refresh(watch)
    return watch


def devices_of(watch: Watch) -> list[Device]:
    return list(
        Device.objects.filter(residents=watch.resident_id, active=True)
        .select_related("gateway")
        .order_by("pk")
    )


def is_disabled(resident: Any) -> bool:
    return resident.tags.filter(name=DISABLED_TAG).exists()


def config_of(watch: Watch) -> RuleConfig:
    return RuleConfig.from_dict(watch.config, disabled=is_disabled(watch.resident))


def healthy(devices: list[Device]) -> bool:
    """Silence rules need a working sensor: some device online behind an online gateway."""
    return any(d.online and (d.gateway is None or d.gateway.online) for d in devices)


def detector_for(
    watch: Watch, devices: list[Device] | None = None, away: list[AwayNotice] | None = None
) -> tuple[Detector, list[Device]]:
    """The person's detector, in the state their devices are in now, with their open away notices."""
    devices = devices_of(watch) if devices is None else devices
    away = notices.open_notices(watch) if away is None else away
    entrance = next((d for d in devices if d.is_entrance), None)
    door = entrance.friendly_name if entrance else None
    profile = profiles.load(watch.profile, door, interior=any(not d.is_entrance for d in devices))
    detector = Detector(
        profile,
        config_of(watch),
        notices=tuple((local_seconds(n.leaves_at, TZ), local_seconds(n.back_by, TZ)) for n in away),
    )
    seen = [d for d in devices if d.last_activity_at is not None]  # so each has a datetime below
    if seen:
        last = max(seen, key=lambda d: cast(dt.datetime, d.last_activity_at))
        inside = [d for d in seen if not d.is_entrance]
        # The latest interior firing first: a door firing long after it is someone coming back.
        order = [max(inside, key=lambda d: cast(dt.datetime, d.last_activity_at))] if inside else []
        for device in [d for d in order if d is not last] + [last]:
            at = local_seconds(cast(dt.datetime, device.last_activity_at), TZ)
            detector.observe(Activity(at, device.friendly_name, bool(device.contact_open)))
        for d in seen:
            if d.is_entrance and d.contact_open:
                detector.open_doors[d.friendly_name] = local_seconds(
                    cast(dt.datetime, d.last_activity_at), TZ
                )
    return detector, devices


def episode_key(watch: Watch, episode: tuple) -> str:
    digest = hashlib.sha1(repr(episode).encode(), usedforsecurity=False).hexdigest()
    return f"w{watch.pk}:{episode[0]}:{digest}"


def _alarmed(watch: Watch) -> set[str]:
    """Episode keys of the person's alarms still relevant (raised since their last activity or still open)."""
    rows = Alarm.objects.filter(watch=watch)
    if watch.last_activity_at is not None:
        since = watch.last_activity_at
        rows = rows.filter(Q(due_at__gte=since) | Q(status__in=(AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED)))
    return set(rows.values_list("episode_key", flat=True))


def _next(watch: Watch, detector: Detector, alarmed: set[str]):
    best = None
    for alarm in detector.deadlines():
        if episode_key(watch, alarm.episode) in alarmed:
            continue
        if best is None or alarm.at < best.at:
            best = alarm
    return best


def refresh(watch: Watch, devices: list[Device] | None = None) -> None:
    """Recompute the person's last activity and the moment of their next possible alarm; settle their away
    notices (ended by a return home, or marked with the departure they cover)."""
    devices = devices_of(watch) if devices is None else devices
    away = notices.settle(watch, devices)
    detector, devices = detector_for(watch, devices, away)
    covering = detector.covering()
    if covering and detector.last is not None:
        notices.mark_departures(away, covering, from_local_seconds(detector.last.at, TZ))
    last = max((d.last_activity_at for d in devices if d.last_activity_at), default=None)
    watch.last_activity_at = last
    upcoming = _next(watch, detector, _alarmed(watch)) if watch.enabled and devices else None
    watch.next_check_at = from_local_seconds(upcoming.at, TZ) if upcoming else None
    Watch.objects.filter(pk=watch.pk).update(last_activity_at=last, next_check_at=watch.next_check_at)


def devices_active(device_ids: set[int]) -> None:
    """Ingestion saw doors open or close: refresh the watches of the people bound to those devices."""
    for watch in Watch.objects.filter(resident__sensor_devices__in=device_ids, enabled=True).distinct():
        refresh(watch)


def _claim(watch_id: int, seen: dt.datetime) -> bool:
    """Take a due watch for this process (one conditional UPDATE, so several evaluators never both raise)."""
    return bool(Watch.objects.filter(pk=watch_id, next_check_at=seen).update(next_check_at=None))


def check_due(now: dt.datetime | None = None) -> list[Alarm]:
    """Raise every alarm whose moment has come; returns the alarms raised."""
    now = now or clock.now()
    raised: list[Alarm] = []
    due = Watch.objects.filter(enabled=True, next_check_at__lte=now).values_list("pk", "next_check_at")
    for pk, seen in list(due[:1000]):
        assert seen is not None  # next_check_at <= now: not NULL
        if not _claim(pk, seen):
            continue
        watch = Watch.objects.select_related("resident").get(pk=pk)
        raised.extend(_check(watch, now))
    return raised


def _check(watch: Watch, now: dt.datetime) -> list[Alarm]:
    detector, devices = detector_for(watch)
    out: list[Alarm] = []
    alarmed = _alarmed(watch)
    if healthy(devices):
        local_now = local_seconds(now, TZ)
        for alarm in sorted(detector.deadlines(), key=lambda a: a.at):
            key = episode_key(watch, alarm.episode)
            if alarm.at > local_now or key in alarmed:
                continue
            alarmed.add(key)
            raised = _raise(watch, alarm, key, devices)
            if raised is not None:
                out.append(raised)
    refresh(watch, devices)
    return out


def _raise(watch: Watch, alarm, key: str, devices: list[Device]) -> Alarm | None:
    device = next((d for d in devices if d.is_entrance), devices[0] if devices else None)
    since = from_local_seconds(alarm.episode[-1], TZ)  # when the silence began or the door opened
    home = watch.resident.home
    return alarms.raise_alarm(
        watch,
        alarm.kind,
        from_local_seconds(alarm.at, TZ),
        key,
        device=device,
        silence_since=since,
        detail={"address": home.address if home else "", "rule": alarm.kind},
    )
