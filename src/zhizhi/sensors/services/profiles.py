"""Learning each watched person's profile from their stored events (a nightly job), with the prior pooled from
similar homes: the other watched people of the same community (at least MIN_SIMILAR of them), else the
built-in prior. Until a person has MIN_OWN_DAYS of history (or similar homes to pool from) the baseline is
not used and only the fixed rules watch them. Profiles are stored as JSON on the Watch."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zhizhi.core import clock
from zhizhi.sensors.detection.baseline import (
    MODES,
    PRIOR_SILENCES_PER_DAY,
    Baseline,
    BaselineSettings,
    learn,
    pool,
)
from zhizhi.sensors.detection.detector import Profile
from zhizhi.sensors.detection.events import Activity, local_seconds
from zhizhi.sensors.detection.rules import Absences, learn_absences
from zhizhi.sensors.models import Device, EventKind, SensorEvent, Watch

TZ = clock.SHANGHAI
HISTORY = dt.timedelta(weeks=8)
MIN_SIMILAR = 3
MIN_OWN_DAYS = 7


def dump(profile: Profile) -> dict:
    baseline = profile.baseline
    return {
        "door": profile.door,
        "away_mode": profile.away_mode,
        "absences": [list(t) for t in profile.absences.trips],
        "baseline": None
        if baseline is None
        else {
            "hazard": {m: list(baseline.hazard[m]) for m in MODES},
            "days": baseline.days,
            "bed": baseline.bed,
            "per_day": baseline.per_day,
        },
    }


def load(data: dict | None, door: str | None, interior: bool = True) -> Profile:
    """A stored profile; before anything was learned, no baseline (the fixed rules alone). Without interior
    sensors there is no away mode (the door alone cannot tell leaving from coming back)."""
    if not data:
        return Profile(None, Absences(), door, away_mode=interior)
    stored = data.get("baseline")
    baseline = None
    if stored:
        baseline = Baseline(
            hazard={m: tuple(stored["hazard"][m]) for m in MODES},
            days=stored.get("days", 0.0),
            settings=BaselineSettings(),
            bed=stored.get("bed"),
            per_day=stored.get("per_day", PRIOR_SILENCES_PER_DAY),
        )
    trips = tuple((int(h), float(d)) for h, d in data.get("absences", []))
    away = bool(data.get("away_mode", True)) and interior
    return Profile(baseline, Absences(trips), door or data.get("door"), away)


def activities(devices: list[Device], since: dt.datetime, until: dt.datetime) -> list[Activity]:
    names = {d.pk: d.friendly_name for d in devices}
    rows = (
        SensorEvent.objects.filter(device__in=devices, kind__in=(EventKind.OPEN, EventKind.CLOSE))
        .filter(at__gte=since, at__lt=until)
        .order_by("at", "id")
        .values_list("device_id", "kind", "at")
    )
    return [Activity(local_seconds(at, TZ), names[dev], kind == EventKind.OPEN) for dev, kind, at in rows]


def learn_profile(watch: Watch, prior: dict | None = None, now: dt.datetime | None = None) -> Profile:
    from zhizhi.sensors.services.watch import devices_of

    now = now or clock.now()
    devices = devices_of(watch)
    entrance = next((d for d in devices if d.is_entrance), None)
    door = entrance.friendly_name if entrance else None
    events = activities(devices, now - HISTORY, now)
    until = local_seconds(now, TZ)
    baseline: Baseline | None  # None below: too little history
    baseline = learn(events, door, until=until, prior=prior)
    if prior is None and baseline.days < MIN_OWN_DAYS:
        baseline = None  # too little history of their own and no similar homes to lean on yet
    interior = any(e.sensor != door for e in events)
    return Profile(baseline, learn_absences(events, door, until=until), door, away_mode=interior)


def _similar_prior(watch: Watch, learned: dict[int, dict]) -> dict | None:
    community = watch.area_code[:12]
    others = [
        load(data, None).baseline
        for pk, data in learned.items()
        if pk != watch.pk and data and data.get("community") == community
    ]
    usable = [b for b in others if b is not None and b.days >= 14]
    return pool(usable) if len(usable) >= MIN_SIMILAR else None


def learn_all(now: dt.datetime | None = None) -> int:
    """Relearn every watched person's profile (nightly) and refresh the threshold proposals from alarm
    outcomes. Returns how many profiles were learned."""
    from zhizhi.sensors.services.watch import refresh

    now = now or clock.now()
    watches = list(Watch.objects.filter(enabled=True).select_related("resident"))
    learned: dict[int, Any] = {w.pk: w.profile for w in watches}
    for watch in watches:
        profile = learn_profile(watch, _similar_prior(watch, learned), now)
        data = dump(profile) | {"community": watch.area_code[:12]}
        Watch.objects.filter(pk=watch.pk).update(profile=data, learned_at=now)
        watch.profile = learned[watch.pk] = data
        refresh(watch)
    from zhizhi.sensors.services.tuning import propose_all

    propose_all(now)  # outcomes → threshold proposals (services.tuning), with the nightly relearning
    return len(watches)
