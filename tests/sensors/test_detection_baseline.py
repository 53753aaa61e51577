"""The learned baseline: hazards from silences, shrinkage to the prior, survival and its deadline."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from zhizhi.sensors.detection.baseline import (
    AWAY,
    BED,
    DEFAULT_PRIOR,
    HOME,
    SLOTS,
    Baseline,
    BaselineSettings,
    bed_sensor,
    learn,
    pool,
    silences,
)
from zhizhi.sensors.detection.events import HOUR, Activity, hour_of_week

DOOR = "front door"


def at(day: int, hour: float) -> float:
    return dt.datetime(2026, 3, 2 + day, tzinfo=dt.UTC).timestamp() + hour * HOUR


def routine(days: int) -> list[Activity]:
    """Up at 7, out 9–17 through the front door, kitchen in the evening, to bed at 23 (bedroom door)."""
    events = []
    for d in range(days):
        for hour, sensor in (
            (7, "bedroom"),
            (7.5, "kitchen"),
            (9, DOOR),
            (17, DOOR),
            (18, "kitchen"),
            (19, "kitchen"),
            (20, "kitchen"),
            (21, "kitchen"),
            (22, "bathroom"),
            (23, "bedroom"),
        ):
            events.append(Activity(at(d, hour), sensor, True))
    return events


def flat(rate: float) -> Baseline:
    return Baseline(hazard={m: tuple([rate] * SLOTS) for m in (HOME, AWAY, BED)}, days=0.0)


def test_survival_of_a_constant_hazard_is_exponential():
    b = flat(0.5)
    quiet = b.settings.quiet_home_s / HOUR
    assert b.survival(HOME, at(0, 8), at(0, 8 + quiet + 2)) == pytest.approx(math.exp(-1.0))


def test_deadline_is_where_survival_crosses_the_level():
    b = flat(1.0)
    due = b.deadline(HOME, at(0, 8), alpha=0.01)
    assert b.survival(HOME, at(0, 8), due) == pytest.approx(0.01)
    assert due == pytest.approx(at(0, 8) + b.settings.quiet_home_s + math.log(100) * HOUR)


def test_a_zero_hazard_never_alarms_within_the_horizon():
    assert flat(0.0).deadline(HOME, at(0, 8), alpha=0.01, horizon_s=48 * HOUR) is None


def test_silences_are_split_by_mode_and_censored_at_the_end():
    events = [
        Activity(at(0, 8), "kitchen", True),
        Activity(at(0, 9), DOOR, False),
        Activity(at(0, 17), DOOR, True),
    ]
    gaps, days = silences(events, DOOR, BaselineSettings(), until=at(0, 20))
    # Out at 9 (the kitchen had just fired); back at 17 (the door after 8 hours of quiet inside): home.
    assert [(g.mode, g.ended) for g in gaps] == [(HOME, True), (AWAY, True), (HOME, False)]
    assert gaps[1].start == at(0, 9) + BaselineSettings().quiet_away_s
    assert days == pytest.approx(0.5)


def test_short_gaps_inside_an_activity_are_not_silences():
    events = [Activity(at(0, 8), "kitchen", True), Activity(at(0, 8.2), "kitchen", False)]
    gaps, _ = silences(events, DOOR, BaselineSettings())
    assert gaps == []


def test_learning_raises_the_hazard_where_silences_end_and_lowers_it_where_they_do_not():
    b = learn(routine(28), DOOR)
    evening = b.hazard[HOME][hour_of_week(at(0, 20))]
    night = b.hazard[BED][hour_of_week(at(0, 3))]
    assert evening > 0.5 > night


def test_a_new_home_starts_on_the_prior_and_moves_towards_its_own_rates():
    empty = learn([], DOOR)
    slot = hour_of_week(at(0, 3))
    assert empty.hazard[HOME][slot] == pytest.approx(DEFAULT_PRIOR[HOME][slot], rel=0.2)
    weeks = learn(routine(28), DOOR)
    assert abs(weeks.hazard[AWAY][hour_of_week(at(0, 13))] - DEFAULT_PRIOR[AWAY][13]) > 0.1


def test_the_prior_pools_similar_homes():
    prior = pool([flat(1.0), flat(3.0)])
    assert prior[HOME][0] == pytest.approx(2.0)
    assert pool([]) == {m: list(v) for m, v in DEFAULT_PRIOR.items()}
    assert learn([], DOOR, prior=prior).hazard[HOME][5] == pytest.approx(2.0, rel=0.05)


def test_bed_sensor_is_what_fires_last_before_most_nights():
    assert bed_sensor(routine(7), DOOR) == "bedroom"
    assert bed_sensor(routine(2), DOOR) is None  # too few nights


def test_a_door_only_home_has_neither_an_away_nor_a_bed_mode():
    """Its one sensor fires last before every night, but it is the way out, not the bedroom: every silence is
    of the home mode (it used to be taken for a bed-time sensor, and every silence for sleep)."""
    # out 9–17, and for an evening walk 20:00–21:30: the door fires last before every night
    door_only = [Activity(at(d, h), DOOR, True) for d in range(14) for h in (9, 17, 20, 21.5)]
    learned = learn(door_only, DOOR)
    assert learned.bed is None
    gaps, _ = silences(door_only, None, BaselineSettings(), bed=learned.bed)
    assert gaps and {g.mode for g in gaps} == {HOME}


def test_a_silence_after_bedtime_is_normal_until_the_usual_wake_up_time():
    b = learn(routine(28), DOOR)
    due = b.deadline(BED, at(28, 23), alpha=0.02)
    assert at(29, 7) < due < at(29, 12)


def test_silence_in_the_evening_at_home_alarms_within_hours():
    b = learn(routine(28), DOOR)
    due = b.deadline(HOME, at(28, 19), alpha=0.02)
    assert due < at(28, 19) + 5 * HOUR


def test_the_level_is_shared_among_the_silences_of_a_day():
    from zhizhi.sensors.detection.baseline import PRIOR_SILENCES_PER_DAY

    typical = Baseline(hazard=flat(1.0).hazard, days=28, per_day=PRIOR_SILENCES_PER_DAY)
    busy = Baseline(hazard=flat(1.0).hazard, days=28, per_day=2 * PRIOR_SILENCES_PER_DAY)
    assert typical.level(0.03) == pytest.approx(0.03)
    assert busy.level(0.03) == pytest.approx(0.015)  # twice the silences, each held to half the level
    assert busy.deadline(HOME, at(0, 8), busy.level(0.03)) > typical.deadline(
        HOME, at(0, 8), typical.level(0.03)
    )


def test_silences_per_day_are_learned_and_shrunk_to_the_prior():
    from zhizhi.sensors.detection.baseline import PRIOR_SILENCES_PER_DAY

    assert learn([], DOOR).per_day == pytest.approx(PRIOR_SILENCES_PER_DAY)
    learned = learn(routine(28), DOOR)
    gaps, days = silences(routine(28), DOOR, BaselineSettings(), bed=learned.bed)
    own = len(gaps) / days  # nine a day: this routine is busier than the prior's six
    assert PRIOR_SILENCES_PER_DAY < learned.per_day < own
    assert learned.per_day == pytest.approx(own, rel=0.1)  # four weeks outweigh the prior
