"""Per-person alarm rules (pure). Each rule answers one question: *if no further firing arrives, when do I
fire?* That deadline is what a live evaluator waits for and what the replay evaluation measures.

  * ``night_door_open``  the front door open at night (``night_start``–``night_end``) longer than X minutes;
  * ``door_left_open``   the front door open longer than Y minutes, at any hour;
  * ``no_activity``      no firing at all for H hours (24 by default, 12 for a person tagged 失能);
  * ``not_back``         went out (the last firing was the front door) and not back by the usual time: a
                         high quantile of the absences learned after departures at that hour and kind of
                         day, plus a margin;
  * ``improbable_silence`` the learned baseline (baseline.py) finds the silence less likely than its level
                         (``alpha``, scaled to the person's number of silences a day).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from zhizhi.sensors.detection.events import DAY, HOUR, Activity, hour_of_week


class AlarmKind:
    """Alarm kinds (values shared with the sensors app's AlarmKind choices)."""

    NIGHT_DOOR_OPEN = "night_door_open"
    DOOR_LEFT_OPEN = "door_left_open"
    NO_ACTIVITY = "no_activity"
    NOT_BACK = "not_back"
    IMPROBABLE_SILENCE = "improbable_silence"

    SILENCE = (NO_ACTIVITY, NOT_BACK, IMPROBABLE_SILENCE)
    DOOR = (NIGHT_DOOR_OPEN, DOOR_LEFT_OPEN)


@dataclass(frozen=True)
class RuleConfig:
    """One person's thresholds. Stored per person as JSON (see `as_dict` / `from_dict`)."""

    night_start_h: float = 22.0
    night_end_h: float = 6.0
    night_door_open_min: float = 10.0
    door_left_open_min: float = 30.0
    no_activity_h: float = 24.0
    not_back_margin_h: float = 2.0
    not_back_default_h: float = 14.0
    not_back_window_h: float = 3.0
    not_back_min_samples: int = 2
    not_back_quantile: float = 0.9
    # The learned baseline's level: how improbable a silence must be, for a home with the prior's number of
    # silences a day (scaled to the person's own number, see `Baseline.level`).
    alpha: float = 0.03
    use_baseline: bool = True

    @classmethod
    def for_person(cls, *, disabled: bool = False, **overrides) -> RuleConfig:
        """Defaults for a person; 失能 (disabled) halves the no-activity limit to 12 hours."""
        base = cls(no_activity_h=12.0) if disabled else cls()
        return replace(base, **overrides)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict | None, *, disabled: bool = False) -> RuleConfig:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        config = cls.for_person(disabled=disabled, **known)
        # Nobody is watched less than the default silence limit, even with a value stored before they
        # were tagged 失能: the limit is a ceiling at read time, not only when tuning writes it.
        ceiling = cls.for_person(disabled=disabled).no_activity_h
        if config.no_activity_h > ceiling:
            config = replace(config, no_activity_h=ceiling)
        return config


# ------------------------------------------------------------------------------------------- absences


@dataclass(frozen=True)
class Absences:
    """Learned absences: (hour of week of departure, hours away); a censored one counts as so far."""

    trips: tuple[tuple[int, float], ...] = ()

    def usual_hours(
        self, departure: float, window_h: float, min_samples: int, quantile: float = 1.0
    ) -> float | None:
        """The `quantile` (1.0: the longest) of absences after departures at a similar hour on the same kind
        of day (None if fewer than `min_samples`)."""
        slot = hour_of_week(departure)
        weekend = slot >= 120
        hour = slot % 24 + (departure % HOUR) / HOUR
        matches = []
        for other_slot, hours in self.trips:
            if (other_slot >= 120) != weekend:
                continue
            diff = abs((other_slot % 24 + 0.5) - hour)
            if min(diff, 24 - diff) <= window_h:
                matches.append(hours)
        if len(matches) < min_samples:
            return None
        matches.sort()
        return matches[min(len(matches) - 1, max(0, math.ceil(quantile * len(matches)) - 1))]


def learn_absences(
    events: Sequence[Activity],
    door: str | None,
    *,
    until: float | None = None,
    min_s: float = 20 * 60,
    return_after_s: float = 2 * HOUR,
) -> Absences:
    """Silences after a front-door firing longer than `min_s`: the person was out. A door firing after
    `return_after_s` without any interior firing is a return, not a departure, and starts no absence."""
    if door is None:
        return Absences()
    history = [e for e in events if until is None or e.at < until]
    trips = []
    inside_at: float | None = None
    for index, last in enumerate(history):
        returned = last.sensor == door and inside_at is not None and last.at - inside_at >= return_after_s
        if last.sensor != door:
            inside_at = last.at
        if last.sensor != door or returned:
            continue
        following = history[index + 1].at if index + 1 < len(history) else until
        if following is not None and following - last.at >= min_s:
            trips.append((hour_of_week(last.at), (following - last.at) / HOUR))
    return Absences(tuple(trips))


# ------------------------------------------------------------------------------------------- door rules


def in_night(at: float, config: RuleConfig) -> bool:
    hour = (at % DAY) / HOUR
    start, end = config.night_start_h, config.night_end_h
    return (start <= hour or hour < end) if start > end else (start <= hour < end)


def next_night_moment(at: float, config: RuleConfig) -> float:
    """`at` if it is night, else the next night start."""
    if in_night(at, config):
        return at
    day_start = math.floor(at / DAY) * DAY
    start = day_start + config.night_start_h * HOUR
    return start if start > at else start + DAY


def door_deadlines(open_since: float, config: RuleConfig) -> list[tuple[float, str]]:
    """(moment, kind) at which a door opened at `open_since` and never closed raises its alarms."""
    out = [(open_since + config.door_left_open_min * 60, AlarmKind.DOOR_LEFT_OPEN)]
    due = open_since + config.night_door_open_min * 60
    # Open at least X minutes, and the moment is night: the first night moment at or after `due`.
    night_due = next_night_moment(due, config)
    out.append((night_due, AlarmKind.NIGHT_DOOR_OPEN))
    return out


def first(deadlines: Iterable[tuple[float, str]]) -> tuple[float, str] | None:
    best = None
    for item in deadlines:
        if best is None or item[0] < best[0]:
            best = item
    return best
