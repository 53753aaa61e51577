"""`zhizhi seed_demo_sensors`: the demo's elders living alone get sensors, weeks of days through the real
ingestion, learned baselines, and a board with an alarm, a sensor problem and an away notice."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from zhizhi.areas.services import create_dwelling
from zhizhi.core import clock
from zhizhi.sensors import demo, queries
from zhizhi.sensors.models import Alarm, AwayNotice, Device, MaintenanceTicket, SensorEvent, Watch

pytestmark = pytest.mark.django_db
TZ = clock.SHANGHAI


def test_an_ordinary_day_fires_every_sensor_and_never_inside_an_outing():
    rng = random.Random(7)
    for n in range(60):
        day = demo.routine_day(dt.date(2026, 11, 2) + dt.timedelta(days=n), demo.habits(rng), rng, TZ)
        assert [t for t, _ in day] == sorted(t for t, _ in day)
        assert {s for _, s in day} >= {demo.BEDROOM, demo.KITCHEN}
        doors = [t for t, s in day if s == demo.DOOR]
        assert len(doors) % 2 == 0  # out and back
        for leave, back in zip(doors[::2], doors[1::2], strict=True):
            assert not [t for t, s in day if s != demo.DOOR and leave < t < back]


@pytest.fixture
def elders(street, personas):
    """张阿姨 (with her own account) and three more elders living alone on the test street."""
    unit = street.dwelling_a1.unit
    homes = [street.dwelling_a2, street.dwelling_b1, create_dwelling(unit, "102")]
    names = ["郭桂英", "朱丽华", "俞玉兰"]
    for home, name in zip(homes, names, strict=True):
        factories.make_resident(home, name, tags=("独居",), born=dt.date(1944, 1, 1))
    factories.make_resident(street.dwelling_b1, "年轻人", tags=("独居",), born=dt.date(1990, 1, 1))
    return personas


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo_sensors", "--street", "330105013", "--days", "10", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("hour", [3, 8, 14, 22])  # what the board shows depends on no time of day
def test_the_demo_street_gets_watched_elders_and_a_board_worth_looking_at(elders, clock_at, hour):
    clock_at(dt.datetime(2026, 11, 27, hour, 5, tzinfo=TZ))  # the same days every run
    text = seed("--elders", "4")
    watches = list(Watch.objects.select_related("resident").order_by("pk"))
    assert [w.resident.name for w in watches][0] == "张阿姨"  # the one with her own account first
    assert "年轻人" not in {w.resident.name for w in watches}  # under 70: not chosen
    assert len(watches) == 4 and Device.objects.count() == 12
    assert all(w.profile and w.profile.get("baseline") for w in watches)  # ten days: learned
    assert SensorEvent.objects.filter(kind="open").count() > 4 * 10 * 5
    rows = queries.board(elders["admin"])
    colours = {r.name: r.colour for r in rows}
    assert list(colours.values()).count("red") == 1 and list(colours.values()).count("grey") == 1
    assert colours["张阿姨"] in ("green", "amber")
    (alarm,) = Alarm.objects.all()
    assert alarm.case_number  # the alarm opened its case
    assert MaintenanceTicket.objects.filter(kind="offline", status="open").count() == 1
    (notice,) = AwayNotice.objects.all()
    assert notice.departed_at is not None and notice.ended_at is None
    assert [r.away_until for r in rows if r.away_until] == [notice.back_by]
    assert "Watched 4 elders" in text
    again = seed("--elders", "4")
    assert "nothing to seed" in again and Device.objects.count() == 12


def test_without_the_demo_street_it_says_what_to_run(db):
    with pytest.raises(CommandError, match="seed_demo"):
        seed()


def test_it_refuses_production(elders, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="not for production"):
        seed()
