"""The learned per-person baseline (pure).

A home's silences are modelled as a survival process. A silence is the time since the last sensor firing; it
is in one of three modes, read from the last firing (and, for the front door, from when the flat last fired):

  * ``home`` — the last firing was inside the flat, or the front door after a long quiet inside (someone
    coming back: one who leaves has just moved about inside): the person is presumed in;
  * ``bed`` — the last firing was the learned bed-time sensor (see `bed_sensor`);
  * ``away`` — the last firing was the front door shortly after an interior one: the person presumed out.

For each mode the baseline holds the *hazard of the silence ending* — how many silences of that mode end per
hour of quiet — for each of the 168 hours of the week, counted only once a silence is older than the mode's
``quiet`` offset (bursts of firings inside one activity are not silences). The chance that a silence that
began at ``s`` is still unbroken at ``t`` is ``exp(-Λ)``, Λ the hazard summed from ``s + quiet`` to ``t``; the
baseline alarm fires when that chance drops below the silence's level: ``alpha`` for a home with the prior's
number of silences a day, lower in proportion for a person with more (`Baseline.level`) — each silence is one
chance of a false alarm, so the level keeps false alarms per day alike from home to home.

Rates are shrunk, slot by slot, towards the person's own hour-of-day rate for the same kind of day (weekday or
weekend), and that towards a *prior* pooled from similar homes (or the built-in default), weighted by
pseudo-hours of exposure — so a new home starts on the prior and becomes its own over the first weeks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from zhizhi.sensors.detection.events import HOUR, Activity, hour_of_week

HOME, AWAY, BED = "home", "away", "bed"
MODES = (HOME, AWAY, BED)
SLOTS = 168


def _day_profile(values: Sequence[float]) -> list[float]:
    """24 hour-of-day values repeated over the 7 days of a week."""
    return [float(values[h % 24]) for h in range(SLOTS)]


# The built-in prior: a generic home of one older person. Hazards are silence endings per hour of quiet.
DEFAULT_PRIOR: dict[str, list[float]] = {
    HOME: _day_profile(
        [0.15, 0.12, 0.1, 0.1, 0.12, 0.25, 0.6, 1.0, 1.2, 1.2, 1.0, 1.0]
        + [1.0, 0.9, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.6, 0.3]
    ),
    BED: _day_profile(
        [0.08, 0.06, 0.05, 0.05, 0.06, 0.15, 0.5, 1.0, 1.2, 1.2, 1.0, 1.0]
        + [1.0, 0.9, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.4, 0.15]
    ),
    AWAY: _day_profile(
        [0.08, 0.05, 0.04, 0.04, 0.04, 0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3]
        + [0.3, 0.3, 0.3, 0.3, 0.35, 0.4, 0.45, 0.4, 0.35, 0.3, 0.2, 0.12]
    ),
}


# The prior's number of silences (longer than their mode's quiet offset) per day, for a home with no history.
PRIOR_SILENCES_PER_DAY = 6.0


@dataclass(frozen=True)
class BaselineSettings:
    """How silences are counted and how strongly rates are shrunk (pseudo-hours of exposure)."""

    quiet_home_s: float = 30 * 60
    quiet_away_s: float = 10 * 60
    # A front-door firing after this long without any interior firing is someone coming back, not leaving.
    return_after_h: float = 2.0
    prior_weight_h: float = 3.0  # the prior's weight at the hour-of-day level
    day_weight_h: float = 6.0  # the person's hour-of-day rate's weight at the hour-of-week level
    smooth: tuple[float, float, float] = (0.25, 0.5, 0.25)  # neighbouring hours
    bed_mode: bool = True
    prior_days: float = 3.0  # the weight, in days, of the prior's silences per day

    def quiet(self, mode: str) -> float:
        return self.quiet_away_s if mode == AWAY else self.quiet_home_s


@dataclass(frozen=True, slots=True)
class Gap:
    """One silence of the learning history: its mode, the sensor that fired last, when quiet began (after the
    mode's offset) and when it ended (``ended`` False: censored at the end of learning)."""

    mode: str
    sensor: str
    start: float
    end: float
    ended: bool


def _spread(exposure: list[float], start: float, end: float) -> None:
    """Add the hours of [start, end) to the hour-of-week slots they cover."""
    t = start
    while t < end:
        stop = min((math.floor(t / HOUR) + 1) * HOUR, end)
        exposure[hour_of_week(t)] += (stop - t) / HOUR
        t = stop


@dataclass(frozen=True)
class Baseline:
    """Learned hazards per mode and hour of week, how many days of history they rest on, and how many silences
    (longer than their mode's quiet offset) the person has per day."""

    hazard: dict[str, tuple[float, ...]]
    days: float
    settings: BaselineSettings = BaselineSettings()
    bed: str | None = None  # the bed-time sensor, whose silences have their own mode
    per_day: float = PRIOR_SILENCES_PER_DAY

    def level(self, alpha: float) -> float:
        """The survival level below which one silence is improbable. `alpha` is the level for a home with the
        prior's number of silences a day; every silence is one chance of a false alarm, so a home with more
        silences a day gets a proportionally lower level and the false alarms per day stay the same."""
        return min(0.5, alpha * PRIOR_SILENCES_PER_DAY / max(self.per_day, 1.0))

    def survival(self, mode: str, since: float, until: float) -> float:
        """Chance that a silence of `mode` that began at `since` is still unbroken at `until`."""
        return math.exp(-self.cumulative(mode, since, until))

    def cumulative(self, mode: str, since: float, until: float) -> float:
        rates = self.hazard[mode]
        t, total = since + self.settings.quiet(mode), 0.0
        while t < until:
            stop = min((math.floor(t / HOUR) + 1) * HOUR, until)
            total += rates[hour_of_week(t)] * (stop - t) / HOUR
            t = stop
        return total

    def deadline(self, mode: str, since: float, alpha: float, horizon_s: float = 8 * 86400) -> float | None:
        """The first moment the silence's survival falls below `alpha` (None beyond the horizon)."""
        target = -math.log(alpha)
        rates = self.hazard[mode]
        t, total = since + self.settings.quiet(mode), 0.0
        end = since + horizon_s
        while t < end:
            slot_end = (math.floor(t / HOUR) + 1) * HOUR
            rate = rates[hour_of_week(t)]
            step_total = rate * (slot_end - t) / HOUR
            if rate > 0 and total + step_total >= target:
                return t + (target - total) / rate * HOUR
            total += step_total
            t = slot_end
        return None


def silences(
    events: Iterable[Activity],
    door: str | None,
    settings: BaselineSettings,
    until: float | None = None,
    bed: str | None = None,
) -> tuple[list[Gap], float]:
    """The quiet stretches of a sorted event list (censored at `until`) and the days it spans."""
    gaps: list[Gap] = []
    previous: tuple[Activity, str] | None = None
    first: float | None = None
    for event, mode in tag_modes(events, door, bed, settings):
        if until is not None and event.at >= until:
            break
        first = event.at if first is None else first
        if previous is not None:
            _gap(gaps, *previous, event.at, settings, ended=True)
        previous = (event, mode)
    if previous is None or first is None:
        return gaps, 0.0
    end = until if until is not None else previous[0].at
    _gap(gaps, *previous, end, settings, ended=False)
    return gaps, (end - first) / 86400.0


def mode_of(sensor: str, door: str | None, bed: str | None, returned: bool = False) -> str:
    """The silence mode after a firing of `sensor`; `returned`: a front-door firing that followed a long
    quiet inside (someone coming back, see `is_return`)."""
    if door is not None and sensor == door:
        return HOME if returned else AWAY
    return BED if bed is not None and sensor == bed else HOME


def is_return(event: Activity, door: str | None, inside_at: float | None, settings: BaselineSettings) -> bool:
    """A front-door firing with no interior firing for `return_after_h` before it: the person came back (one
    who leaves has just moved about inside). Unknown (no interior firing yet): not a return."""
    return (
        door is not None
        and event.sensor == door
        and inside_at is not None
        and event.at - inside_at >= settings.return_after_h * HOUR
    )


def tag_modes(events: Iterable[Activity], door: str | None, bed: str | None, settings: BaselineSettings):
    """Each event with the mode of the silence that follows it."""
    inside_at: float | None = None
    for event in events:
        yield event, mode_of(event.sensor, door, bed, is_return(event, door, inside_at, settings))
        if event.sensor != door:
            inside_at = event.at


def bed_sensor(events: Sequence[Activity], door: str | None, min_nights: int = 3) -> str | None:
    """The sensor that most often fires last before the night's long silence (≥ 4 h, begun 20:00–04:00) —
    the bedroom door in most flats — when it does so on most nights; else None."""
    votes: dict[str, int] = {}
    for last, following in zip(events, events[1:], strict=False):
        hour = (last.at % 86400) / HOUR
        if last.sensor != door and following.at - last.at >= 4 * HOUR and (hour >= 20 or hour < 4):
            votes[last.sensor] = votes.get(last.sensor, 0) + 1
    if not votes:
        return None
    best = max(votes, key=lambda k: votes[k])
    return best if votes[best] >= min_nights and votes[best] * 2 > sum(votes.values()) else None


def _gap(gaps, last: Activity, mode: str, end: float, settings: BaselineSettings, ended: bool) -> None:
    start = last.at + settings.quiet(mode)
    if end > start:
        gaps.append(Gap(mode, last.sensor, start, end, ended))


def _smooth(values: Sequence[float], kernel: tuple[float, float, float]) -> list[float]:
    n = len(values)
    a, b, c = kernel
    return [a * values[(i - 1) % n] + b * values[i] + c * values[(i + 1) % n] for i in range(n)]


def _is_weekend(slot: int) -> bool:
    return slot >= 5 * 24


def _shrink(endings: list[float], exposure: list[float], prior: Sequence[float], settings: BaselineSettings):
    """Hour-of-week rates shrunk to the hour-of-day rate of the same day type, and that to the prior."""
    endings = _smooth(endings, settings.smooth)
    exposure = _smooth(exposure, settings.smooth)
    by_day: dict[tuple[bool, int], list[float]] = {}
    for slot in range(SLOTS):
        acc = by_day.setdefault((_is_weekend(slot), slot % 24), [0.0, 0.0, 0.0, 0.0])
        acc[0] += endings[slot]
        acc[1] += exposure[slot]
        acc[2] += prior[slot]
        acc[3] += 1
    rates = []
    for slot in range(SLOTS):
        n, e, prior_sum, k = by_day[(_is_weekend(slot), slot % 24)]
        day_rate = (n + settings.prior_weight_h * prior_sum / k) / (e + settings.prior_weight_h)
        rates.append(
            (endings[slot] + settings.day_weight_h * day_rate) / (exposure[slot] + settings.day_weight_h)
        )
    return tuple(rates)


def fit(
    gaps: Sequence[Gap],
    days: float,
    prior: Mapping[str, Sequence[float]] | None = None,
    settings: BaselineSettings | None = None,
) -> Baseline:
    """Hazards per mode from the silences of the learning history, shrunk (see `_shrink`)."""
    settings = settings or BaselineSettings()
    prior = prior or DEFAULT_PRIOR
    hazard: dict[str, tuple[float, ...]] = {}
    for mode in MODES:
        endings = [0.0] * SLOTS
        exposure = [0.0] * SLOTS
        for gap in gaps:
            if gap.mode != mode:
                continue
            _spread(exposure, gap.start, gap.end)
            if gap.ended:
                endings[hour_of_week(gap.end)] += 1.0
        hazard[mode] = _shrink(endings, exposure, prior[mode], settings)
    # Silences per day, shrunk towards the prior's over `prior_days` days.
    per_day = (len(gaps) + settings.prior_days * PRIOR_SILENCES_PER_DAY) / (
        max(days, 0.0) + settings.prior_days
    )
    return Baseline(hazard=hazard, days=days, settings=settings, per_day=per_day)


def learn(
    events: Sequence[Activity],
    door: str | None,
    *,
    until: float | None = None,
    prior: Mapping[str, Sequence[float]] | None = None,
    settings: BaselineSettings | None = None,
) -> Baseline:
    """Learn a home's baseline. A home whose only sensor is the front door has no away mode (a firing of the
    door cannot tell leaving from coming back): all its silences are of the home mode. The bed mode is used
    when a bed-time sensor stands out (`bed_sensor`) and `settings.bed_mode` is on."""
    settings = settings or BaselineSettings()
    inside = [e for e in events if until is None or e.at < until]
    door_only = door is not None and all(e.sensor == door for e in inside)
    if door_only:
        door = None
    # A door-only home has no bed-time sensor either: its one sensor is the way out, not the bedroom.
    bed = bed_sensor(inside, door) if settings.bed_mode and not door_only else None
    gaps, days = silences(inside, door, settings, until, bed)
    return replace(fit(gaps, days, prior, settings), bed=bed)


def pool(baselines: Iterable[Baseline]) -> dict[str, list[float]]:
    """A prior for a new home: the mean hazard of similar homes (same community and tags), slot by slot."""
    items = list(baselines)
    if not items:
        return {m: list(v) for m, v in DEFAULT_PRIOR.items()}
    return {m: [sum(b.hazard[m][s] for b in items) / len(items) for s in range(SLOTS)] for m in MODES}
