"""Reading Zigbee2MQTT topics and payloads."""

from __future__ import annotations

import datetime as dt

import pytest

from zhizhi.sensors import zigbee

NOW = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)


def parse(topic, payload):
    return zigbee.parse(topic, payload, NOW, ("zigbee2mqtt",))


def test_a_door_report_is_a_state_reading_with_contact_false_meaning_open():
    r = parse("zigbee2mqtt/zhang-door", '{"contact": false, "battery": 91, "linkquality": 120}')
    assert (r.gateway, r.name, r.kind) == ("zigbee2mqtt", "zhang-door", zigbee.STATE)
    assert r.opened is True and r.battery == 91 and r.linkquality == 120
    assert r.at == NOW and not r.has_last_seen


def test_last_seen_gives_the_device_time_in_iso_or_epoch_ms():
    iso = parse("zigbee2mqtt/d", '{"contact": true, "last_seen": "2026-03-02T11:59:58+08:00"}')
    assert iso.at == dt.datetime(2026, 3, 2, 3, 59, 58, tzinfo=dt.UTC) and iso.opened is False
    epoch = parse("zigbee2mqtt/d", '{"contact": true, "last_seen": 1772423998000}')
    assert epoch.at == dt.datetime.fromtimestamp(1772423998, dt.UTC)


def test_friendly_names_may_hold_slashes():
    assert parse("zigbee2mqtt/floor3/room2/door", "{}").name == "floor3/room2/door"


def test_availability_in_both_payload_styles():
    assert parse("zigbee2mqtt/zhang-door/availability", "offline").online is False
    r = parse("zigbee2mqtt/zhang-door/availability", '{"state": "online"}')
    assert (r.kind, r.name, r.online) == (zigbee.AVAILABILITY, "zhang-door", True)


def test_bridge_state_is_the_gateway_reading():
    r = parse("zigbee2mqtt/bridge/state", '{"state": "offline"}')
    assert (r.kind, r.online) == (zigbee.BRIDGE, False)


@pytest.mark.parametrize(
    "topic",
    [
        "zigbee2mqtt/bridge/devices",
        "zigbee2mqtt/bridge/logging",
        "zigbee2mqtt/zhang-door/set",
        "other/zhang-door",
    ],
)
def test_commands_and_bridge_chatter_are_ignored(topic):
    assert parse(topic, "{}") is None


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"contact": "open"}', "contact must be true or false"),
        ('{"battery": 180}', "battery must be a number from 0 to 100"),
        ('{"last_seen": "yesterday"}', "last_seen is not a time"),
        # epoch milliseconds beyond any calendar: an OSError before, which stopped the consumer's batch
        ('{"contact": true, "last_seen": 100000000000000000000}', "last_seen is not a time"),
        ('{"contact": true, "last_seen": -1e30}', "last_seen is not a time"),
    ],
)
def test_malformed_payloads_say_why(payload, reason):
    with pytest.raises(zigbee.Malformed, match=reason):
        parse("zigbee2mqtt/zhang-door", payload)


def test_a_last_seen_far_ahead_of_the_clock_is_read_as_the_time_of_arrival():
    ahead = parse("zigbee2mqtt/zhang-door", '{"contact": false, "last_seen": "2030-01-01T00:00:00Z"}')
    assert ahead.at == NOW
    near = NOW + dt.timedelta(minutes=9)
    drift = parse("zigbee2mqtt/zhang-door", f'{{"contact": false, "last_seen": "{near.isoformat()}"}}')
    assert drift.at == near  # a clock a little ahead is believed


def test_bad_availability_is_malformed():
    with pytest.raises(zigbee.Malformed, match="online"):
        parse("zigbee2mqtt/zhang-door/availability", "maybe")


def test_the_same_message_has_the_same_key_and_another_time_another_key():
    a = parse("zigbee2mqtt/d", '{"contact": true, "last_seen": "2026-03-02T12:00:00+08:00"}')
    b = zigbee.parse(  # the same bytes, redelivered five minutes later
        "zigbee2mqtt/d",
        '{"contact": true, "last_seen": "2026-03-02T12:00:00+08:00"}',
        NOW + dt.timedelta(minutes=5),
        ("zigbee2mqtt",),
    )
    c = parse("zigbee2mqtt/d", '{"contact": true, "last_seen": "2026-03-02T12:00:01+08:00"}')
    assert a.key == b.key != c.key


def test_state_payload_round_trips():
    text = zigbee.state_payload(False, last_seen=NOW, battery=80)
    r = parse("zigbee2mqtt/d", text)
    assert r.opened is True and r.battery == 80 and r.at == NOW
