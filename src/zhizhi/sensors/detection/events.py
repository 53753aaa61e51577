"""Activity events for detection, and readers for replayable logs (pure: no Django, no ORM).

Detection works in *local seconds*: the home's wall-clock time written as if it were UTC seconds since the
epoch, so hour-of-week arithmetic is plain integer maths (Asia/Shanghai has no daylight saving; logs with
naive timestamps are read as wall-clock time).

Two log formats:
  * ``kasteren`` — the text form of van Kasteren et al. (UbiComp 2008): tab-separated rows
    ``start time, end time, sensor id, value`` where each row is an open → close pair; sensor names come
    from the header's ``[12] 'Frontdoor'`` list when present.
  * ``csv`` — ``timestamp,sensor,state`` with an ISO-8601 timestamp and state open/close or on/off (a header
    row is optional). Rows with other states (a temperature sensor's readings) can be skipped and counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

UTC = dt.UTC
HOUR = 3600.0
DAY = 86400.0
WEEK = 7 * DAY
# 1970-01-01 was a Thursday: shift so that hour-of-week 0 is Monday 00:00.
_WEEK_SHIFT = 3 * DAY

OPEN_STATES = {"open", "on", "1", "true", "opened", "active"}
CLOSE_STATES = {"close", "closed", "off", "0", "false", "inactive"}


class LogFormatError(ValueError):
    """A log line that cannot be read; the message names the line."""


@dataclass(frozen=True, slots=True)
class Activity:
    """One sensor firing: ``at`` in local seconds; ``opened`` True for open/on, False for close/off."""

    at: float
    sensor: str
    opened: bool


def local_seconds(moment: dt.datetime, tz: dt.tzinfo = UTC) -> float:
    """An aware datetime → local seconds in `tz` (its wall clock read as UTC)."""
    if moment.tzinfo is None:
        raise ValueError("local_seconds needs an aware datetime")
    wall = moment.astimezone(tz).replace(tzinfo=UTC)
    return wall.timestamp()


def from_local_seconds(value: float, tz: dt.tzinfo = UTC) -> dt.datetime:
    """Local seconds → the aware datetime in `tz` (inverse of local_seconds, up to DST folds)."""
    wall = dt.datetime.fromtimestamp(value, UTC).replace(tzinfo=tz)
    return wall.astimezone(UTC)


def hour_of_week(at: float) -> int:
    """0 = Monday 00:00–01:00 … 167 = Sunday 23:00–24:00."""
    return int(((at + _WEEK_SHIFT) % WEEK) // HOUR)


def day_index(at: float) -> int:
    return int(at // DAY)


# ----------------------------------------------------------------------------------------------- readers

_KASTEREN_TIME = "%d-%b-%Y %H:%M:%S"
_SENSOR_NAME = re.compile(r"\[\s*(\d+)\]\s*'([^']*)'")


def _kasteren_time(text: str, line_no: int) -> float:
    try:
        wall = dt.datetime.strptime(text.strip(), _KASTEREN_TIME).replace(tzinfo=UTC)
    except ValueError as exc:
        raise LogFormatError(f"line {line_no}: bad time {text.strip()!r}") from exc
    return wall.timestamp()


def read_kasteren(lines: Iterable[str]) -> list[Activity]:
    """Rows of open → close pairs become an open and a close activity, sorted by time."""
    names: dict[str, str] = {}
    events: list[Activity] = []
    for line_no, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        match = _SENSOR_NAME.search(line)
        if match:
            names[match.group(1)] = match.group(2).strip()
            continue
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) < 3 or not parts[0][:1].isdigit():
            continue  # header and separator lines
        start, end = _kasteren_time(parts[0], line_no), _kasteren_time(parts[1], line_no)
        if end < start:
            raise LogFormatError(f"line {line_no}: end time before start time")
        sensor = names.get(parts[2], parts[2])
        events.append(Activity(start, sensor, True))
        events.append(Activity(end, sensor, False))
    events.sort(key=lambda e: (e.at, not e.opened))
    return events


def _csv_state(value: str, line_no: int) -> bool:
    state = value.strip().lower()
    if state in OPEN_STATES:
        return True
    if state in CLOSE_STATES:
        return False
    raise LogFormatError(f"line {line_no}: state must be open/close or on/off, not {value!r}")


def _csv_time(value: str, line_no: int, tz: dt.tzinfo) -> float:
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise LogFormatError(f"line {line_no}: bad ISO-8601 timestamp {value!r}") from exc
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC).timestamp()  # wall-clock time as written
    return local_seconds(moment, tz)


@dataclass
class Skipped:
    """Rows of a csv log that are not firings — a temperature or light reading, a state the reader does not
    know — counted per sensor with the first such row, so that a real log's other sensors need not stop an
    evaluation and the user is told exactly what was left out."""

    rows: int = 0
    first: dict[str, tuple[int, str, int]] = field(default_factory=dict)  # sensor → (line, state, rows)

    def add(self, sensor: str, state: str, line_no: int) -> None:
        self.rows += 1
        line, example, count = self.first.get(sensor, (line_no, state, 0))
        self.first[sensor] = (line, example, count + 1)

    def summary(self, most: int = 5) -> str:
        parts = [
            f"{sensor} ({count} row{'s' if count > 1 else ''}, e.g. line {line}: {state!r})"
            for sensor, (line, state, count) in list(self.first.items())[:most]
        ]
        more = len(self.first) - most
        return (
            f"skipped {self.rows} row{'s' if self.rows > 1 else ''} whose state is not open/close or on/off: "
            + "; ".join(parts)
            + (f"; and {more} more sensor{'s' if more > 1 else ''}" if more > 0 else "")
        )


def read_csv(lines: Iterable[str], tz: dt.tzinfo = UTC, skipped: Skipped | None = None) -> list[Activity]:
    """``timestamp,sensor,state`` rows; a first row that is a header is skipped. A state other than
    open/close or on/off is an error naming its line — or, given `skipped`, a row left out and counted there
    (real logs carry temperature and light readings next to their contacts)."""
    events: list[Activity] = []
    for line_no, row in enumerate(csv.reader(lines), 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if len(row) < 3:
            raise LogFormatError(f"line {line_no}: expected timestamp,sensor,state")
        if line_no == 1 and row[0].strip().lower() in ("timestamp", "time", "ts"):
            continue
        at = _csv_time(row[0], line_no, tz)
        sensor = row[1].strip()
        try:
            opened = _csv_state(row[2], line_no)
        except LogFormatError:
            if skipped is None:
                raise
            skipped.add(sensor, row[2].strip(), line_no)
            continue
        events.append(Activity(at, sensor, opened))
    events.sort(key=lambda e: (e.at, not e.opened))
    return events


def read_log(
    path: str | Path, fmt: str, tz: dt.tzinfo | str = UTC, skipped: Skipped | None = None
) -> list[Activity]:
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    with open(path, encoding="utf-8-sig") as handle:
        if fmt == "kasteren":
            return read_kasteren(handle)
        if fmt == "csv":
            return read_csv(handle, zone, skipped)
    raise ValueError(f"unknown log format {fmt!r} (kasteren or csv)")


# Words that name the way out of a flat, then words that name any door; matched in lower case.
EXIT_WORDS = (
    "front",
    "entrance",
    "entry",
    "main door",
    "maindoor",
    "exit",
    "入户",
    "进户",
    "户门",
    "大门",
    "防盗门",
)
DOOR_WORDS = ("door", "门")


def guess_door(
    events: Iterable[Activity], door: str | None = None, *, until: float | None = None
) -> str | None:
    """The front-door sensor: the one named; else one whose name says it is the way out (front, entrance,
    入户门, 大门 …); else the only one whose name says door (门). Where several names fit — or none does —
    the sensor that behaves like the way out among them (`exit_door`, on the firings before `until`)."""
    events = list(events)
    sensors = sorted({e.sensor for e in events})
    if door:
        if door in sensors:
            return door
        raise ValueError(f"no sensor {door!r} in the log (sensors: {', '.join(sensors)})")
    for words in (EXIT_WORDS, DOOR_WORDS):
        named = [n for n in sensors if any(w in n.lower() for w in words)]
        if len(named) == 1:
            return named[0]
        if named:
            return exit_door(events, named, until) or named[0]
    return exit_door(events, sensors, until)


def exit_door(
    events: Iterable[Activity],
    candidates: Iterable[str],
    until: float | None = None,
    *,
    quiet_h: float = 1.0,
    least: int = 5,
    lead: float = 1.3,
) -> str | None:
    """Among `candidates`, the sensor that behaves like the way out of the flat: the largest share of its
    firings that begin a daytime (07:00–21:00) quiet of `quiet_h` or more — no sensor firing at all — which the
    same sensor ends: going out through it and coming back through it. None when no candidate does so at
    least `least` times, or when the best share is not `lead` times the next one's (a guess that close is
    no guess)."""
    wanted = set(candidates)
    firings: dict[str, int] = {}
    round_trips: dict[str, int] = {}
    previous: Activity | None = None
    for event in events:
        if until is not None and event.at >= until:
            break
        if event.opened and event.sensor in wanted:
            firings[event.sensor] = firings.get(event.sensor, 0) + 1
        if (
            previous is not None
            and previous.sensor == event.sensor
            and event.sensor in wanted
            and event.at - previous.at >= quiet_h * HOUR
            and 7 <= (previous.at % DAY) / HOUR < 21
        ):
            round_trips[event.sensor] = round_trips.get(event.sensor, 0) + 1
        previous = event
    shares = sorted(
        ((round_trips.get(s, 0) / n, s) for s, n in firings.items() if n), key=lambda x: (-x[0], x[1])
    )
    if not shares or round_trips.get(shares[0][1], 0) < least:
        return None
    if len(shares) > 1 and shares[0][0] < lead * shares[1][0]:
        return None
    return shares[0][1]
