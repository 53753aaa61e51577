"""Replay evaluation of the detector on a real log (pure), as issue 5 defines it.

1. The log's calendar days are split in two; the baseline and the absences are learned on the first half.
2. False alarms: the detector runs over the uncut second half; every alarm (one per episode) raised between
   the start of the second half and the log's last firing counts, divided by the person-days of that span.
3. Emergencies: `cuts` (at least 100) moments drawn uniformly (fixed seed) between the start of the second
   half and the last firing. At each the log is cut (no firing at or after it) and detection runs forward:
   the delay is the first alarm raised at or after the cut, minus the cut. The replay up to the cut raises
   alarms as the live system would, one per episode, so a cut inside an episode that has already alarmed (a
   false alarm, resolved by whoever answered it) is caught only by a later episode. No alarm within
   `horizon_h` hours: missed. The delay median and 90th percentile are over the detected emergencies;
   `missed_fraction` says how many were not, and `delay_h_median_missed_as_horizon` is the median over all
   of them with a missed one counted as the horizon.
4. `notices`: away notices (外出报备) the person filed, (leaves, back_by) in local seconds — as if declared
   before leaving (see detector.py); none by default, as the logs carry none.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from zhizhi.sensors.detection.baseline import BaselineSettings
from zhizhi.sensors.detection.detector import Detector, Profile
from zhizhi.sensors.detection.events import DAY, HOUR, Activity
from zhizhi.sensors.detection.rules import RuleConfig

DEFAULT_SEED = 20080225
SWEEP_ALPHAS = (0.3, 0.2, 0.1, 0.05, 0.04, 0.03, 0.02, 0.01, 0.005, 0.001)


@dataclass(frozen=True)
class Evaluation:
    detection_delay_h_median: float | None
    detection_delay_h_p90: float | None
    missed_fraction: float
    false_alarms_per_day: float
    emergencies: int
    false_alarms: int
    person_days: float
    alpha: float
    # Where the person was when the emergency struck (the detector's mode at the cut): median delay and count.
    by_mode: tuple[tuple[str, float | None, int], ...] = ()
    # The median over every emergency, a missed one counted as the horizon (48 h): unlike the median over
    # the detected ones, it cannot improve by missing an emergency instead of catching it late.
    delay_h_median_missed_as_horizon: float | None = None

    def as_dict(self) -> dict:
        def r(value):
            return None if value is None else round(value, 3)

        return {
            "detection_delay_h_median": r(self.detection_delay_h_median),
            "detection_delay_h_p90": r(self.detection_delay_h_p90),
            "missed_fraction": round(self.missed_fraction, 3),
            "false_alarms_per_day": round(self.false_alarms_per_day, 4),
            "emergencies": self.emergencies,
            "false_alarms": self.false_alarms,
            "person_days": round(self.person_days, 2),
            "alpha": self.alpha,
            "delay_h_median_missed_as_horizon": r(self.delay_h_median_missed_as_horizon),
            "by_mode": {
                mode: {"delay_h_median": r(median), "emergencies": n} for mode, median, n in self.by_mode
            },
        }


def split_moment(events: Sequence[Activity]) -> float:
    """Start of the second half of the log's calendar days."""
    first_day = int(events[0].at // DAY)
    days = int(events[-1].at // DAY) - first_day + 1
    return (first_day + days // 2) * DAY


def emergency_delays(
    detector: Detector,
    events: Sequence[Activity],
    cuts: Sequence[float],
    horizon_h: float,
    modes: list[str] | None = None,
) -> list[float | None]:
    """Delay in hours for each (sorted) cut; None where nothing fired within the horizon.

    The replay up to each cut raises alarms as the live system would (one per episode); an episode that
    has already alarmed before the cut raises nothing more.
    """
    delays: list[float | None] = []
    alarmed: set = set()
    queue = list(events)
    position = 0
    for cut in cuts:
        while position < len(queue) and queue[position].at < cut:
            _raise_until(detector, alarmed, queue[position].at)
            detector.observe(queue[position])
            position += 1
        _raise_until(detector, alarmed, cut)
        if modes is not None:
            modes.append(detector.mode)
        alarm = detector.next_alarm(after=cut, exclude=alarmed)
        if alarm is None or alarm.at - cut > horizon_h * HOUR:
            delays.append(None)
        else:
            delays.append((alarm.at - cut) / HOUR)
    return delays


def _raise_until(detector: Detector, alarmed: set, moment: float) -> None:
    """Record every alarm the detector raises before `moment` (one per episode)."""
    while (alarm := detector.next_alarm(exclude=alarmed)) is not None and alarm.at < moment:
        alarmed.add(alarm.episode)


def evaluate(
    events: Sequence[Activity],
    door: str | None,
    *,
    config: RuleConfig | None = None,
    settings: BaselineSettings | None = None,
    cuts: int = 200,
    seed: int = DEFAULT_SEED,
    horizon_h: float = 48.0,
    notices: Sequence[tuple[float, float]] = (),
) -> Evaluation:
    if len(events) < 2:
        raise ValueError("the log holds fewer than two firings")
    config = config or RuleConfig()
    days = int(events[-1].at // DAY) - int(events[0].at // DAY) + 1
    if days < 2:
        raise ValueError(
            "the log spans 1 calendar day: the evaluation learns on the first half of its days and cuts the"
            " second, so it needs at least 2"
        )
    split = split_moment(events)
    end = events[-1].at
    if end <= split:
        raise ValueError("the log's second half is empty")
    training = [e for e in events if e.at < split]
    testing = [e for e in events if e.at >= split]
    profile = Profile.learn(training, door, until=split, settings=settings)

    primed = Detector(profile, config, notices=tuple(notices))
    for event in training:
        primed.observe(event)
    false_alarms = _false_alarms(primed.copy(), testing, split, end)

    rng = random.Random(seed)
    moments = sorted(rng.uniform(split, end) for _ in range(max(cuts, 100)))
    modes: list[str] = []
    delays = emergency_delays(primed.copy(), testing, moments, horizon_h, modes)
    found = sorted(d for d in delays if d is not None)
    by_mode = []
    for mode in sorted(set(modes)):
        here = [d for d, m in zip(delays, modes, strict=True) if m == mode]
        caught = [d for d in here if d is not None]
        by_mode.append((mode, statistics.median(caught) if caught else None, len(here)))
    person_days = (end - split) / DAY
    return Evaluation(
        detection_delay_h_median=statistics.median(found) if found else None,
        detection_delay_h_p90=_quantile(found, 0.9) if found else None,
        missed_fraction=(len(delays) - len(found)) / len(delays),
        false_alarms_per_day=false_alarms / person_days,
        emergencies=len(delays),
        false_alarms=false_alarms,
        person_days=person_days,
        alpha=config.alpha,
        by_mode=tuple(by_mode),
        delay_h_median_missed_as_horizon=statistics.median(horizon_h if d is None else d for d in delays),
    )


def _false_alarms(detector: Detector, events: Sequence[Activity], start: float, end: float) -> int:
    alarmed: set = set()
    counted = 0
    for event in [*events, None]:
        hi = end if event is None else min(event.at, end)
        while True:
            alarm = detector.next_alarm(exclude=alarmed)
            if alarm is None or alarm.at >= hi:
                break
            alarmed.add(alarm.episode)
            counted += alarm.at >= start
        if event is not None:
            detector.observe(event)
    return counted


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of sorted values."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = q * (len(sorted_values) - 1)
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def sweep(events: Sequence[Activity], door: str | None, *, config: RuleConfig | None = None, **kwargs):
    """The trade-off at several sensitivity settings (baseline level alpha), most sensitive first."""
    config = config or RuleConfig()
    return [evaluate(events, door, config=replace(config, alpha=a), **kwargs) for a in SWEEP_ALPHAS]
