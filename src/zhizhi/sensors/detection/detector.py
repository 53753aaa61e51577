"""One person's detector (pure): feed it firings in time order, ask it when it would next raise an alarm.

    detector = Detector(Profile(baseline, absences, door="Frontdoor"), RuleConfig())
    detector.observe(Activity(at, "Frontdoor", True))
    alarm = detector.next_alarm()          # Alarm(at, kind, episode) or None

``next_alarm`` assumes no further firing arrives. One episode raises one alarm: a silence episode is keyed by
the moment the silence began, a door episode by the door and the moment it opened; the caller keeps the keys
of the episodes it has already alarmed.

Away notices (外出报备: "I am away from … until …", filed by the elder's advisor, community or grid worker) are
the detector's `notices`, (leaves, back_by) pairs. A silence is covered by a notice when it began no earlier
than `NOTICE_EARLY_H` before the declared departure and before the declared return, and began with the person
going out (the away mode; in a home that cannot tell leaving from staying in — door only, or no door sensor
— any silence). A covered silence's learned-baseline, no-activity and usual-time rules give way to one
not-back alarm at the declared return plus the person's not-back margin. Door rules still apply, and where
the flat can tell, a silence that began inside it is never covered (the person has not left).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from zhizhi.sensors.detection.baseline import (
    AWAY,
    HOME,
    Baseline,
    BaselineSettings,
    is_return,
    learn,
    mode_of,
)
from zhizhi.sensors.detection.events import HOUR, Activity
from zhizhi.sensors.detection.rules import (
    Absences,
    AlarmKind,
    RuleConfig,
    door_deadlines,
    learn_absences,
)


@dataclass(frozen=True)
class Alarm:
    at: float
    kind: str
    episode: tuple


@dataclass(frozen=True)
class Profile:
    """What was learned about one home: the baseline, the absences and which sensor is the front door."""

    baseline: Baseline | None
    absences: Absences
    door: str | None
    away_mode: bool = (
        True  # False when the door is the home's only sensor: leaving and coming back look alike
    )

    @classmethod
    def learn(
        cls,
        events: Sequence[Activity],
        door: str | None,
        *,
        until: float | None = None,
        prior=None,
        settings: BaselineSettings | None = None,
    ) -> Profile:
        settings = settings or BaselineSettings()
        baseline = learn(events, door, until=until, prior=prior, settings=settings)
        interior = any(e.sensor != door for e in events)
        absences = learn_absences(events, door, until=until, return_after_s=settings.return_after_h * HOUR)
        return cls(baseline, absences, door, away_mode=interior)


NOTICE_EARLY_H = 2.0  # a person may leave this long before the departure they declared


@dataclass
class Detector:
    profile: Profile
    config: RuleConfig = field(default_factory=RuleConfig)
    last: Activity | None = None
    open_doors: dict[str, float] = field(default_factory=dict)
    inside_at: float | None = None  # the latest interior firing
    returned: bool = False  # the last firing was the front door after a long quiet inside: someone came back
    notices: tuple[tuple[float, float], ...] = ()  # away notices: (leaves, back_by), local seconds

    def observe(self, event: Activity) -> None:
        settings = self.profile.baseline.settings if self.profile.baseline is not None else BaselineSettings()
        door = self.profile.door if self.profile.away_mode else None
        self.returned = is_return(event, door, self.inside_at, settings)
        if event.sensor != self.profile.door:
            self.inside_at = event.at
        self.last = event
        if event.sensor == self.profile.door:
            if event.opened:
                self.open_doors.setdefault(event.sensor, event.at)
            else:
                self.open_doors.pop(event.sensor, None)

    def copy(self) -> Detector:
        return Detector(
            self.profile,
            self.config,
            self.last,
            dict(self.open_doors),
            self.inside_at,
            self.returned,
            self.notices,
        )

    @property
    def mode(self) -> str:
        if self.last is None:
            return HOME
        bed = self.profile.baseline.bed if self.profile.baseline is not None else None
        door = self.profile.door if self.profile.away_mode else None
        return mode_of(self.last.sensor, door, bed, self.returned)

    def deadlines(self, horizon_s: float = 8 * 86400) -> list[Alarm]:
        """Every rule's next firing moment, assuming silence from now on."""
        out: list[Alarm] = []
        for sensor, since in self.open_doors.items():
            for at, kind in door_deadlines(since, self.config):
                out.append(Alarm(at, kind, ("door", sensor, since)))
        if self.last is None:
            return out
        since = self.last.at
        episode = ("silence", since)
        declared = self.declared_return()
        if declared is not None:
            out.append(Alarm(declared + self.config.not_back_margin_h * HOUR, AlarmKind.NOT_BACK, episode))
            return out
        out.append(Alarm(since + self.config.no_activity_h * HOUR, AlarmKind.NO_ACTIVITY, episode))
        if self.mode == AWAY:
            usual = self.profile.absences.usual_hours(
                since,
                self.config.not_back_window_h,
                self.config.not_back_min_samples,
                self.config.not_back_quantile,
            )
            hours = (
                usual if usual is not None else self.config.not_back_default_h
            ) + self.config.not_back_margin_h
            out.append(Alarm(since + hours * HOUR, AlarmKind.NOT_BACK, episode))
        baseline = self.profile.baseline
        if self.config.use_baseline and baseline is not None:
            due = baseline.deadline(self.mode, since, baseline.level(self.config.alpha), horizon_s)
            if due is not None:
                out.append(Alarm(due, AlarmKind.IMPROBABLE_SILENCE, episode))
        return out

    def covering(self) -> list[int]:
        """Indexes of the away notices that cover the current silence."""
        if self.last is None or not self.notices:
            return []
        # Where leaving can be told from staying in (a front door and interior sensors), only a departure is
        # covered; elsewhere every silence may be the person away.
        if self.profile.away_mode and self.profile.door is not None and self.mode != AWAY:
            return []
        since = self.last.at
        return [
            i
            for i, (leaves, back) in enumerate(self.notices)
            if leaves - NOTICE_EARLY_H * HOUR <= since < back
        ]

    def declared_return(self) -> float | None:
        """The latest declared return of the away notices that cover the current silence (None: none does)."""
        return max((self.notices[i][1] for i in self.covering()), default=None)

    def next_alarm(self, after: float | None = None, exclude: set | frozenset = frozenset()) -> Alarm | None:
        """The earliest alarm (at or after `after`, if given) whose episode is not in `exclude`."""
        best = None
        for alarm in self.deadlines():
            if alarm.episode in exclude or (after is not None and alarm.at < after):
                continue
            if best is None or alarm.at < best.at:
                best = alarm
        return best
