"""Device installation history and binding, learning profiles from stored events, and the replay command."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command

from tests.conftest import require_or_skip
from tests.sensors.conftest import PREFIX, broker_up
from zhizhi.core.errors import Forbidden, InvalidInput
from zhizhi.sensors import zigbee
from zhizhi.sensors.detection.baseline import HOME
from zhizhi.sensors.models import Installation, Watch
from zhizhi.sensors.services import devices, profiles
from zhizhi.sensors.services.ingest import Inbound, ingest

pytestmark = pytest.mark.django_db


def test_moving_a_device_keeps_its_installation_history(door, street, personas):
    devices.install_device(personas["admin"], door, street.dwelling_a2)
    history = list(Installation.objects.filter(device=door).order_by("installed_at", "id"))
    assert [h.dwelling for h in history] == [street.dwelling_a1, street.dwelling_a2]
    assert history[0].removed_at is not None and history[1].removed_at is None
    devices.remove_device(personas["admin"], door, "resident moved out")
    door.refresh_from_db()
    assert not door.active and door.residents.count() == 0
    assert Installation.objects.filter(device=door, removed_at__isnull=True).count() == 0


def test_only_staff_of_the_area_manage_devices(door, personas, street):
    with pytest.raises(Forbidden):
        devices.install_device(personas["outsider"], door, street.dwelling_a2)
    with pytest.raises(Forbidden):
        devices.register_device(personas["zhang"], vendor_id="0x1", dwelling=street.dwelling_a1)
    with pytest.raises(InvalidInput) as err:
        devices.register_device(personas["admin"], vendor_id="")
    assert err.value.field == "vendor_id"


def test_binding_refuses_a_resident_of_another_community(door, personas, street):
    from tests.factories import make_resident

    stranger = make_resident(street.dwelling_b1, "外人")
    with pytest.raises(InvalidInput):
        devices.bind_residents(personas["admin"], door, [stranger])


def test_a_profile_is_learned_from_stored_events_after_a_week(zhang_watch, clock_at):
    start = dt.datetime(2026, 3, 1, 22, 0, tzinfo=dt.UTC)  # 06:00 in Shanghai
    batch = []
    for day in range(10):
        for hour in (0, 2, 4, 10, 12):
            at = start + dt.timedelta(days=day, hours=hour)
            batch.append(
                Inbound(f"{PREFIX}/zhang-door", zigbee.state_payload(hour % 4 == 0, last_seen=at), at)
            )
    ingest(batch)
    clock_at(start + dt.timedelta(days=10))
    assert profiles.learn_all() == 1
    zhang_watch.refresh_from_db()
    data = zhang_watch.profile
    assert data["baseline"]["days"] > 7 and data["away_mode"] is False and data["door"] == "zhang-door"
    profile = profiles.load(data, "zhang-door", interior=False)
    assert len(profile.baseline.hazard[HOME]) == 168


def test_too_short_a_history_learns_no_baseline_yet(zhang_watch, clock_at):
    at = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    ingest([Inbound(f"{PREFIX}/zhang-door", zigbee.state_payload(False, last_seen=at), at)])
    clock_at(at + dt.timedelta(days=2))
    profiles.learn_all()
    assert Watch.objects.get(pk=zhang_watch.pk).profile["baseline"] is None


def test_replay_publishes_a_log_as_zigbee2mqtt_messages(tmp_path):
    require_or_skip(broker_up(), "Mosquitto is not running on 127.0.0.1:1883")
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    path = tmp_path / "home.csv"
    path.write_text(
        "timestamp,sensor,state\n2026-03-02T08:00:00,Front Door,open\n2026-03-02T08:00:02,Front Door,close\n"
    )
    got: list = []
    ready = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2)
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe("replaytest/#", qos=1)
    sub.on_subscribe = lambda c, u, mid, rc, p: ready.set()
    sub.on_message = lambda c, u, m: got.append(
        (m.topic, zigbee.parse(m.topic, m.payload, dt.datetime.now(dt.UTC), ("replaytest",)))
    )
    sub.connect("127.0.0.1", 1883)
    sub.loop_start()
    try:
        assert ready.wait(5)
        out = io.StringIO()
        call_command(
            "sensors",
            "replay",
            "--format",
            "csv",
            str(path),
            "--speed",
            "0",
            "--prefix",
            "replaytest",
            stdout=out,
        )
        for _ in range(50):
            if len(got) == 2:
                break
            threading.Event().wait(0.1)
    finally:
        sub.loop_stop()
    assert "published 2 message(s)" in out.getvalue()
    assert [t for t, _ in got] == ["replaytest/front-door", "replaytest/front-door"]
    assert [r.opened for _, r in got] == [True, False]
    assert (got[1][1].at - got[0][1].at).total_seconds() == 2
