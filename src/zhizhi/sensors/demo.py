"""Synthetic door-sensor history for the demo street (`zhizhi seed_demo_sensors`), so that the board, an
elder's page and the device pages show something real on a fresh demo.

Each elder living alone gets three contacts on the demo's Zigbee2MQTT bridge — the front door, the bedroom
door and the kitchen cupboard — and is watched. Weeks of their days are made up from a personal routine — getting up, out to the market most
mornings, sometimes again in the afternoon, to bed, a night-time trip to the toilet — and fed through the
real ingestion path (`ingest`, the same as MQTT and the vendor-gateway endpoint), then the baselines are
learned (`profiles.learn_all`). The last hours set up what a grid worker should see on the board: most
elders quiet and well, one silent for over a day (an alarm, with its ladder and case), one whose door sensor
went offline (a maintenance ticket, never an elder alarm), and one away at her daughter's with an away notice.

`routine_day` is pure: a day's firings, (local datetime, which sensor) pairs.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

DOOR, BEDROOM, KITCHEN = "door", "bedroom", "kitchen"
SENSORS = (DOOR, BEDROOM, KITCHEN)  # the front door, then the two inside


@dataclass(frozen=True)
class Habits:
    """One elder's routine, in hours of the day."""

    wake: float  # gets up
    bed: float  # goes to bed
    market: float  # the probability of a morning outing
    afternoon: float  # the probability of an afternoon outing


def habits(rng: random.Random) -> Habits:
    return Habits(
        wake=rng.uniform(5.8, 7.3),
        bed=rng.uniform(20.8, 22.3),
        market=rng.uniform(0.55, 0.9),
        afternoon=rng.uniform(0.15, 0.45),
    )


def _at(day: dt.date, hour: float, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tz) + dt.timedelta(hours=hour)


def routine_day(day: dt.date, h: Habits, rng: random.Random, tz: dt.tzinfo) -> list[tuple[dt.datetime, str]]:
    """The firings of one ordinary day (from midnight to midnight), in time order."""
    wake = h.wake + rng.gauss(0, 0.3)
    bed = h.bed + rng.gauss(0, 0.35)
    outings: list[tuple[float, float]] = []
    if rng.random() < h.market:
        leave = max(wake + 1.0, rng.uniform(8.0, 9.8))
        outings.append((leave, leave + rng.uniform(1.0, 2.6)))
    if rng.random() < h.afternoon:
        leave = rng.uniform(15.0, 16.5)
        outings.append((leave, leave + rng.uniform(0.8, 2.0)))
    out: list[tuple[float, str]] = [(hour, DOOR) for outing in outings for hour in outing]
    if rng.random() < 0.7:  # the night's trip to the toilet
        out.append((rng.uniform(1.5, 4.0), BEDROOM))
    out += [(wake, BEDROOM), (bed, BEDROOM)]
    if rng.random() < 0.6:  # a nap after lunch
        nap = rng.uniform(12.8, 13.5)
        out += [(nap, BEDROOM), (nap + rng.uniform(0.6, 1.5), BEDROOM)]
    # The kitchen: meals, a cup of tea now and then, before going out and on coming back.
    kitchen = [wake + rng.uniform(0.2, 0.6), rng.uniform(11.3, 12.2), rng.uniform(17.3, 18.4)]
    kitchen += [rng.uniform(wake + 1, bed - 0.5) for _ in range(rng.randint(1, 4))]
    kitchen += [leave - rng.uniform(0.05, 0.3) for leave, _ in outings]  # a last look round
    kitchen += [back + rng.uniform(0.05, 0.3) for _, back in outings]  # the shopping put away
    out += [(hour, KITCHEN) for hour in kitchen if not any(a <= hour <= b for a, b in outings)]
    out.sort()
    return [(_at(day, hour, tz), sensor) for hour, sensor in out if 0 <= hour < 24]
