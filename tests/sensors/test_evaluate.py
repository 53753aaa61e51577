"""The replay evaluation: the protocol on small synthetic homes, the log readers, and the `zhizhi sensors
evaluate` command on the shared real log with floors at the figures measured when it was written."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import require_or_skip
from zhizhi.sensors.detection.evaluate import SWEEP_ALPHAS, evaluate, split_moment
from zhizhi.sensors.detection.events import (
    HOUR,
    Activity,
    LogFormatError,
    Skipped,
    exit_door,
    guess_door,
    read_csv,
    read_kasteren,
)

ROOT = Path(__file__).resolve().parents[2]
KASTEREN = ROOT.parent / "shared" / "data" / "door-sensors" / "kasteren-houseA-2008.txt"

DOOR = "front door"


def at(day: int, hour: float) -> float:
    return dt.datetime(2026, 3, 2 + day, tzinfo=dt.UTC).timestamp() + hour * HOUR


def homebody(days: int) -> list[Activity]:
    """Someone who never misses a beat: kitchen every hour from 7 to 22, bed at 23."""
    events = []
    for d in range(days):
        for hour in range(7, 23):
            events.append(Activity(at(d, hour), "kitchen", True))
            events.append(Activity(at(d, hour + 0.1), "kitchen", False))
        events.append(Activity(at(d, 23), "bedroom", True))
    return events


def run(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("sensors", "evaluate", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


# ------------------------------------------------------------------------------------------- protocol


def test_split_is_at_the_start_of_the_second_half_of_the_days():
    events = homebody(10)
    assert split_moment(events) == at(5, 0)


def test_a_regular_home_raises_no_false_alarm_and_catches_every_emergency():
    result = evaluate(homebody(28), DOOR, cuts=100)
    assert result.false_alarms == 0
    assert result.missed_fraction == 0
    assert result.emergencies == 100
    assert 0 < result.detection_delay_h_median < 12


def test_every_emergency_is_counted_once_by_where_the_person_was():
    result = evaluate(homebody(28), DOOR, cuts=100)
    counts = result.as_dict()["by_mode"]
    assert sum(v["emergencies"] for v in counts.values()) == result.emergencies
    assert set(counts) <= {"home", "bed", "away"}
    assert all(v["delay_h_median"] is not None for v in counts.values())


def test_the_median_over_every_emergency_counts_a_missed_one_as_the_horizon():
    events = homebody(28)
    caught = evaluate(events, DOOR, cuts=100)
    assert caught.delay_h_median_missed_as_horizon == caught.detection_delay_h_median  # none missed
    blind = evaluate(events, DOOR, cuts=100, horizon_h=0.5)  # almost everything "missed"
    assert blind.missed_fraction > 0.5 and blind.delay_h_median_missed_as_horizon == 0.5


def test_at_least_100_emergencies_are_drawn():
    assert evaluate(homebody(14), DOOR, cuts=10).emergencies == 100


def test_the_draw_is_fixed_by_the_seed():
    events = homebody(14)
    assert evaluate(events, DOOR, seed=1) == evaluate(events, DOOR, seed=1)


def test_a_more_sensitive_setting_detects_sooner():
    events = homebody(28)
    keen = evaluate(events, DOOR, config=_config(alpha=0.2))
    calm = evaluate(events, DOOR, config=_config(alpha=0.0001))
    assert keen.detection_delay_h_median < calm.detection_delay_h_median


def _config(**kw):
    from zhizhi.sensors.detection.rules import RuleConfig

    return RuleConfig(**kw)


# ------------------------------------------------------------------------------------------- readers


def test_csv_reader_accepts_open_close_and_on_off_with_a_header():
    events = read_csv(
        [
            "timestamp,sensor,state\n",
            "2026-03-02T08:00:00,front door,open\n",
            "2026-03-02T08:00:05+08:00,front door,close\n",
            "2026-03-02T09:00:00,pir,on\n",
        ],
        tz=dt.timezone(dt.timedelta(hours=8)),
    )
    assert [(e.sensor, e.opened) for e in events] == [
        ("front door", True),
        ("front door", False),
        ("pir", True),
    ]
    assert events[1].at - events[0].at == 5


def test_csv_reader_names_the_bad_line():
    with pytest.raises(LogFormatError, match="line 2"):
        read_csv(["2026-03-02T08:00:00,door,open\n", "2026-03-02T08:01:00,door,ajar\n"])


def test_csv_reader_can_skip_and_count_rows_that_are_not_firings():
    skipped = Skipped()
    events = read_csv(
        [
            "2026-03-02T08:00:00,T001,20.5\n",
            "2026-03-02T08:00:01,D001,OPEN\n",
            "2026-03-02T08:10:00,T001,20.7\n",
            "2026-03-02T08:11:00,D001,ajar\n",
            "2026-03-02T08:12:00,D001,CLOSE\n",
        ],
        skipped=skipped,
    )
    assert [(e.sensor, e.opened) for e in events] == [("D001", True), ("D001", False)]
    assert skipped.rows == 3
    assert skipped.first == {"T001": (1, "20.5", 2), "D001": (4, "ajar", 1)}
    summary = skipped.summary()
    assert "skipped 3 rows" in summary and "T001 (2 rows, e.g. line 1: '20.5')" in summary
    with pytest.raises(LogFormatError, match="bad ISO-8601"):  # a bad time is never skipped
        read_csv(["yesterday,D001,open\n"], skipped=Skipped())


def test_kasteren_reader_makes_an_open_and_a_close_per_row_and_names_sensors():
    lines = [
        "Sensor IDs are:\n",
        "    [12]    'Frontdoor'         \n",
        "Start time          \tEnd time            \tID\tVal\n",
        "--------------------\t--------------------\t--\t---\n",
        "25-Feb-2008 09:33:47\t25-Feb-2008 09:33:50\t12\t1\n",
    ]
    events = read_kasteren(lines)
    assert [(e.sensor, e.opened) for e in events] == [("Frontdoor", True), ("Frontdoor", False)]
    assert guess_door(events) == "Frontdoor"


def test_door_guess_prefers_front_then_door_and_checks_a_named_one():
    events = [
        Activity(0, "Hall-Toilet door", True),
        Activity(1, "Frontdoor", True),
        Activity(2, "fridge", True),
    ]
    assert guess_door(events) == "Frontdoor"
    assert guess_door(events[::2]) == "Hall-Toilet door"
    with pytest.raises(ValueError, match="no sensor"):
        guess_door(events, "garage")


def days_out(names: dict[str, str], days: int = 10, start: int = 0) -> list[Activity]:
    """`days` of a flat: up (bedroom), breakfast (kitchen), out 09:30–12:00 through the way out, lunch, bed."""
    events = []
    for d in range(start, start + days):
        base = d * 86400.0
        for hour, role in (
            (8, "bed"),
            (9, "kitchen"),
            (9.5, "out"),
            (12, "out"),
            (12.2, "kitchen"),
            (22, "bed"),
        ):
            at = base + hour * 3600
            events += [Activity(at, names[role], True), Activity(at + 5, names[role], False)]
    return events


def test_a_name_that_says_the_way_out_wins_over_other_doors():
    names = {"bed": "bedroom door", "kitchen": "kitchen door", "out": "main door"}
    assert guess_door(days_out(names)) == "main door"
    names = {"bed": "卧室门", "kitchen": "厨房门", "out": "入户门"}
    assert guess_door(days_out(names)) == "入户门"


def test_among_several_doors_the_one_used_to_go_out_and_come_back_is_the_front_door():
    names = {"bed": "bedroom door", "kitchen": "balcony door", "out": "hall door"}
    assert guess_door(days_out(names)) == "hall door"  # not the first by name


def test_sensors_named_by_number_only_are_told_apart_by_behaviour():
    names = {"bed": "24", "kitchen": "7", "out": "12"}
    events = days_out(names)
    assert exit_door(events, ["24", "7", "12"]) == "12"
    assert guess_door(events) == "12"


def test_no_guess_from_too_few_outings_or_from_a_tie():
    names = {"bed": "24", "kitchen": "7", "out": "12"}
    assert guess_door(days_out(names, days=4)) is None  # four round trips: too few to tell
    twins = days_out({"bed": "a", "kitchen": "k", "out": "b"})
    twins = [Activity(e.at + 7200, "a" if e.sensor == "b" else e.sensor, e.opened) for e in twins] + twins
    assert exit_door(sorted(twins, key=lambda e: e.at), ["a", "b"]) is None


def test_the_door_is_told_from_the_firings_before_the_cut_only():
    first = days_out({"bed": "24", "kitchen": "7", "out": "12"})  # days 0–9: out through 12
    later = days_out({"bed": "24", "kitchen": "7", "out": "99"}, start=20)  # days 20–29: through 99
    assert guess_door(first + later, until=10 * 86400.0) == "12"
    assert guess_door(first + later) is None  # over the whole log, the two tie


# ------------------------------------------------------------------------------------------- the command


def homebody_csv(path: Path, *rows_for) -> Path:
    """14 days of `homebody` as a csv log; each `rows_for(stamp, event)` gives the rows of one firing."""
    rows = ["timestamp,sensor,state"]
    for e in homebody(14):
        stamp = dt.datetime.fromtimestamp(e.at, dt.UTC).replace(tzinfo=None).isoformat()
        for row_for in rows_for:
            rows.append(row_for(stamp, e))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_evaluate_command_on_a_csv_file(tmp_path):
    path = homebody_csv(
        tmp_path / "home.csv", lambda t, e: f"{t},{e.sensor},{'open' if e.opened else 'close'}"
    )
    (result,) = run("--format", "csv", str(path), "--json", "--door", "kitchen")
    assert set(result) >= {
        "detection_delay_h_median",
        "detection_delay_h_p90",
        "missed_fraction",
        "false_alarms_per_day",
    }
    assert result["front_door"] == "kitchen"


def test_a_log_whose_front_door_cannot_be_told_is_evaluated_with_a_warning(tmp_path):
    # a home that never goes out: no door to be told from its use
    path = homebody_csv(
        tmp_path / "numbered.csv",
        lambda t, e: f"{t},{'S1' if e.sensor == 'kitchen' else 'S2'},{'open' if e.opened else 'close'}",
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("sensors", "evaluate", "--format", "csv", str(path), "--json", stdout=out, stderr=err)
    result = json.loads(out.getvalue().splitlines()[-1])
    assert "front_door" not in result and "false_alarms_per_day" in result
    assert "no front door found" in err.getvalue() and "--door" in err.getvalue()


def test_evaluate_leaves_out_a_temperature_sensor_s_readings_and_says_so(tmp_path):
    path = homebody_csv(
        tmp_path / "with-readings.csv",
        lambda t, e: f"{t},{e.sensor},{'ON' if e.opened else 'OFF'}",
        lambda t, e: f"{t},T001,21.{int(e.at) % 10}",
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("sensors", "evaluate", "--format", "csv", str(path), "--json", stdout=out, stderr=err)
    result = json.loads(out.getvalue().splitlines()[-1])
    assert result["emergencies"] >= 100 and result["false_alarms"] == 0
    assert "whose state is not open/close or on/off: T001 (" in err.getvalue()
    only_readings = tmp_path / "readings.csv"
    only_readings.write_text("2026-03-02T08:00:00,T001,20.5\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no events"):
        run("--format", "csv", str(only_readings), "--json")


def test_a_log_of_one_day_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "one-day.csv"
    path.write_text("2026-01-01T08:00:00,door,open\n2026-01-01T20:00:00,door,close\n", encoding="utf-8")
    with pytest.raises(CommandError, match="at least 2"):
        run("--format", "csv", str(path), "--json")


def test_evaluate_command_reports_a_missing_file():
    with pytest.raises(CommandError, match="no such file"):
        run("--format", "csv", "/nonexistent/home.csv", "--json")


def test_evaluate_on_the_shared_kasteren_log_holds_the_measured_figures():
    require_or_skip(KASTEREN.is_file(), f"shared log missing: {KASTEREN}")
    (result,) = run("--format", "kasteren", str(KASTEREN), "--json")
    # Measured (alpha 0.03, 200 cuts, seed 20080225): median 6.77 h, p90 16.12 h, missed 0.17, 1 false alarm
    # in 13.79 person-days (0.0725/day): "not back" at 02:24 during the 48-hour weekend away, which the 24-hour
    # rule would raise anyway. Before the return detection and the per-day level: 7.21 h, 16.32 h, 0.17, 0.0725.
    assert result["emergencies"] >= 100
    assert result["alpha"] == 0.03
    assert result["detection_delay_h_median"] <= 6.85
    assert result["detection_delay_h_p90"] <= 16.3
    assert result["missed_fraction"] <= 0.175
    assert result["false_alarms_per_day"] <= 0.073


def test_only_the_front_door_shows_what_a_door_only_flat_would_get():
    """Xiacheng's flats have a door magnet on the entrance and often nothing else: --only keeps that sensor."""
    require_or_skip(KASTEREN.is_file(), f"shared log missing: {KASTEREN}")
    (result,) = run("--format", "kasteren", str(KASTEREN), "--json", "--only", "Frontdoor")
    # Measured: median 8.32 h, 0.435 false alarms a day (6): one door cannot tell in from out, and a silence
    # is read as one at home (neither away nor in bed)
    assert list(result["by_mode"]) == ["home"] and result["emergencies"] == 200
    assert 7.5 <= result["detection_delay_h_median"] <= 9.0
    with pytest.raises(CommandError, match="no sensor 'Back door'.*Frontdoor"):
        run("--format", "kasteren", str(KASTEREN), "--json", "--only", "Frontdoor,Back door")


def test_a_notice_for_the_weekend_away_removes_its_false_alarm_and_catches_what_it_missed():
    require_or_skip(KASTEREN.is_file(), f"shared log missing: {KASTEREN}")
    notice = "2008-03-21T19:00,2008-03-23T19:30"  # Friday evening to Sunday evening, as he was away
    (result,) = run("--format", "kasteren", str(KASTEREN), "--json", "--notice", notice)
    # Measured: 0 false alarms, missed 0.05 (was 0.17), median 7.31 h (the weekend's cuts are caught, late);
    # over every cut, a missed one as 48 h: 8.12 h (was 8.48 h without the notice).
    assert result["false_alarms"] == 0
    assert result["missed_fraction"] <= 0.055
    assert result["detection_delay_h_median"] <= 7.4
    (without,) = run("--format", "kasteren", str(KASTEREN), "--json")
    assert result["delay_h_median_missed_as_horizon"] < without["delay_h_median_missed_as_horizon"] <= 8.5


@pytest.mark.parametrize("notice", ["2008-03-21", "2008-03-23T19:00,2008-03-21T19:00", "x,y"])
def test_a_bad_notice_is_refused_by_name(notice):
    with pytest.raises(CommandError, match="--notice"):
        run("--format", "csv", "/nonexistent/home.csv", "--json", "--notice", notice)


def test_sweep_prints_one_line_per_setting_then_the_chosen_one():
    require_or_skip(KASTEREN.is_file(), f"shared log missing: {KASTEREN}")
    lines = run("--format", "kasteren", str(KASTEREN), "--json", "--sweep", "--cuts", "100")
    assert len(lines) == len(SWEEP_ALPHAS) + 1
    assert [line["alpha"] for line in lines[:-1]] == list(SWEEP_ALPHAS)
    fa = [line["false_alarms_per_day"] for line in lines[:-1]]
    assert fa == sorted(fa, reverse=True)  # fewer false alarms as the level drops
