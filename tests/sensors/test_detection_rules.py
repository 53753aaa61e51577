"""The per-person rules, each on its own: when would it fire if nothing more happens?"""

from __future__ import annotations

import datetime as dt

import pytest

from zhizhi.sensors.detection.baseline import AWAY, BED, HOME
from zhizhi.sensors.detection.detector import Detector, Profile
from zhizhi.sensors.detection.events import HOUR, Activity, hour_of_week
from zhizhi.sensors.detection.rules import (
    Absences,
    AlarmKind,
    RuleConfig,
    door_deadlines,
    in_night,
    learn_absences,
)

DOOR = "front door"


def at(day: int, hour: int, minute: int = 0) -> float:
    """Local seconds on Monday 2 March 2026 + `day` days."""
    return dt.datetime(2026, 3, 2 + day, hour, minute, tzinfo=dt.UTC).timestamp()


def detector(config: RuleConfig | None = None, absences: Absences | None = None, baseline=None) -> Detector:
    return Detector(Profile(baseline, absences or Absences(), DOOR), config or RuleConfig(use_baseline=False))


def kinds(d: Detector) -> dict[str, float]:
    return {a.kind: a.at for a in d.deadlines()}


def test_hour_of_week_starts_on_monday_midnight():
    assert hour_of_week(at(0, 0)) == 0
    assert hour_of_week(at(0, 23, 59)) == 23
    assert hour_of_week(at(6, 23)) == 167


def test_no_activity_fires_after_24_hours_by_default():
    d = detector()
    d.observe(Activity(at(0, 9), "kitchen", True))
    assert kinds(d)[AlarmKind.NO_ACTIVITY] == at(1, 9)


def test_no_activity_limit_is_12_hours_for_a_disabled_person():
    d = detector(RuleConfig.for_person(disabled=True, use_baseline=False))
    d.observe(Activity(at(0, 9), "kitchen", False))
    assert kinds(d)[AlarmKind.NO_ACTIVITY] == at(0, 21)


def test_every_firing_restarts_the_silence():
    d = detector()
    d.observe(Activity(at(0, 9), "kitchen", True))
    d.observe(Activity(at(0, 15), "kitchen", False))
    assert kinds(d)[AlarmKind.NO_ACTIVITY] == at(1, 15)


def test_door_left_open_fires_after_y_minutes():
    d = detector(RuleConfig(door_left_open_min=30, use_baseline=False))
    d.observe(Activity(at(0, 14), DOOR, True))
    assert kinds(d)[AlarmKind.DOOR_LEFT_OPEN] == at(0, 14, 30)


def test_closing_the_door_ends_the_door_episode():
    d = detector()
    d.observe(Activity(at(0, 14), DOOR, True))
    d.observe(Activity(at(0, 14, 1), DOOR, False))
    assert AlarmKind.DOOR_LEFT_OPEN not in kinds(d)
    assert AlarmKind.NIGHT_DOOR_OPEN not in kinds(d)


def test_door_open_at_night_fires_after_x_minutes():
    d = detector(RuleConfig(night_door_open_min=10, use_baseline=False))
    d.observe(Activity(at(0, 23), DOOR, True))
    alarm = d.next_alarm()
    assert (alarm.kind, alarm.at) == (AlarmKind.NIGHT_DOOR_OPEN, at(0, 23, 10))


def test_door_opened_in_the_evening_and_left_open_fires_when_night_begins():
    config = RuleConfig(night_door_open_min=10, door_left_open_min=300, use_baseline=False)
    assert door_deadlines(at(0, 21, 30), config)[1] == (at(0, 22), AlarmKind.NIGHT_DOOR_OPEN)


def test_night_window_wraps_midnight():
    config = RuleConfig(night_start_h=22, night_end_h=6)
    assert in_night(at(0, 23), config) and in_night(at(0, 3), config)
    assert not in_night(at(0, 12), config) and not in_night(at(0, 6), config)


def test_one_door_episode_raises_one_alarm():
    d = detector(RuleConfig(night_door_open_min=10, door_left_open_min=30, use_baseline=False))
    d.observe(Activity(at(0, 23), DOOR, True))
    first = d.next_alarm()
    second = d.next_alarm(exclude={first.episode})
    assert first.kind == AlarmKind.NIGHT_DOOR_OPEN
    assert second.kind in AlarmKind.SILENCE  # the door's own later rule belongs to the same episode


def test_went_out_and_not_back_uses_the_learned_absences_plus_margin():
    trips = Absences(
        ((hour_of_week(at(0, 9)), 8.0), (hour_of_week(at(1, 9)), 9.0), (hour_of_week(at(2, 9)), 10.0))
    )
    config = RuleConfig(not_back_margin_h=2, not_back_quantile=1.0, use_baseline=False)
    d = detector(config, trips)
    d.observe(Activity(at(3, 9), "hall", False))
    d.observe(Activity(at(3, 9, 5), DOOR, False))
    assert d.mode == AWAY
    assert kinds(d)[AlarmKind.NOT_BACK] == at(3, 9, 5) + 12 * HOUR


def test_not_back_falls_back_to_the_default_without_enough_history():
    d = detector(RuleConfig(not_back_default_h=14, not_back_margin_h=2, use_baseline=False))
    d.observe(Activity(at(0, 9), DOOR, False))
    assert kinds(d)[AlarmKind.NOT_BACK] == at(0, 9) + 16 * HOUR


def test_not_back_does_not_apply_while_at_home():
    d = detector()
    d.observe(Activity(at(0, 9), "kitchen", False))
    assert d.mode == HOME and AlarmKind.NOT_BACK not in kinds(d)


def test_absences_match_departures_by_hour_and_kind_of_day():
    trips = Absences(
        ((hour_of_week(at(0, 9)), 8.0), (hour_of_week(at(1, 10)), 9.0), (hour_of_week(at(5, 9)), 40.0))
    )
    assert trips.usual_hours(at(2, 9), window_h=2, min_samples=2) == 9.0  # the Saturday trip is apart
    assert trips.usual_hours(at(2, 20), window_h=2, min_samples=2) is None
    assert trips.usual_hours(at(2, 9), window_h=2, min_samples=2, quantile=0.5) == 8.0


def test_learn_absences_counts_silences_after_the_door_only():
    events = [
        Activity(at(0, 9), DOOR, True),
        Activity(at(0, 9, 1), DOOR, False),
        Activity(at(0, 18), DOOR, True),
        Activity(at(0, 18, 5), "kitchen", True),
        Activity(at(0, 23), "kitchen", False),
    ]
    trips = learn_absences(events, DOOR)
    assert len(trips.trips) == 1
    assert trips.trips[0][1] == pytest.approx(8 + 59 / 60)


def test_a_home_with_only_a_door_sensor_has_no_away_mode():
    events = [Activity(at(d, 9), DOOR, True) for d in range(7)]
    profile = Profile.learn(events, DOOR)
    d = Detector(profile, RuleConfig())
    d.observe(Activity(at(7, 9), DOOR, False))
    assert d.mode == HOME
    assert AlarmKind.NOT_BACK not in kinds(d)


def test_config_round_trips_through_json_and_ignores_unknown_keys():
    config = RuleConfig(no_activity_h=18, alpha=0.005)
    assert RuleConfig.from_dict({**config.as_dict(), "legacy": 1}) == config
    assert RuleConfig.from_dict({}, disabled=True).no_activity_h == 12


def test_a_stored_silence_limit_never_exceeds_the_persons_ceiling():
    # 20 h was stored while the person was mobile; once tagged 失能 the 12-hour ceiling holds.
    assert RuleConfig.from_dict({"no_activity_h": 20}).no_activity_h == 20
    assert RuleConfig.from_dict({"no_activity_h": 20}, disabled=True).no_activity_h == 12
    assert RuleConfig.from_dict({"no_activity_h": 30}).no_activity_h == 24
    assert RuleConfig.from_dict({"no_activity_h": 6}, disabled=True).no_activity_h == 6


def test_bed_mode_follows_the_learned_bed_sensor():
    from zhizhi.sensors.detection.baseline import mode_of

    assert mode_of("bedroom", DOOR, "bedroom") == BED
    assert mode_of(DOOR, DOOR, "bedroom") == AWAY
    assert mode_of("fridge", DOOR, "bedroom") == HOME


# ------------------------------------------------------------------------------------------- coming back


def test_a_door_firing_after_a_long_quiet_inside_is_someone_coming_back():
    d = detector()
    d.observe(Activity(at(0, 9), "kitchen", False))
    d.observe(Activity(at(0, 9, 10), DOOR, False))  # leaves: the kitchen fired minutes before
    assert d.mode == AWAY and AlarmKind.NOT_BACK in kinds(d)
    d.observe(Activity(at(0, 18), DOOR, False))  # the door again, 9 hours after the kitchen: back home
    assert d.mode == HOME and AlarmKind.NOT_BACK not in kinds(d)


def test_a_door_firing_with_no_interior_history_counts_as_leaving():
    d = detector()
    d.observe(Activity(at(0, 18), DOOR, False))
    assert d.mode == AWAY


def test_learn_absences_does_not_count_the_silence_after_coming_back():
    events = [
        Activity(at(0, 8), "kitchen", True),
        Activity(at(0, 9), DOOR, True),
        Activity(at(0, 17), DOOR, True),  # back; then asleep in the armchair until 20:00
        Activity(at(0, 20), "kitchen", True),
    ]
    trips = learn_absences(events, DOOR)
    assert [round(h, 2) for _, h in trips.trips] == [8.0]


def test_the_live_detector_sees_a_return_from_the_devices_state(
    db, zhang_watch, door, gateway, street, personas
):
    from zhizhi.sensors.models import Device
    from zhizhi.sensors.services import devices, watch

    kitchen = devices.register_device(
        None,
        vendor_id="0x00158d0001aa0002",
        friendly_name="zhang-kitchen",
        gateway=gateway,
        dwelling=street.dwelling_a1,
        residents=[personas["zhang_record"]],
        is_entrance=False,
    )
    noon = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)
    Device.objects.filter(pk=kitchen.pk).update(last_activity_at=noon, contact_open=False)
    Device.objects.filter(pk=door.pk).update(
        last_activity_at=noon + dt.timedelta(minutes=5), contact_open=False
    )
    assert watch.detector_for(zhang_watch)[0].mode == AWAY  # went out just after the kitchen
    Device.objects.filter(pk=door.pk).update(
        last_activity_at=noon + dt.timedelta(hours=6), contact_open=False
    )
    assert watch.detector_for(zhang_watch)[0].mode == HOME  # the door six hours later: came back
