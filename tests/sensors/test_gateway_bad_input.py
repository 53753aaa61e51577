"""A vendor gateway's batch with values of the wrong kind or beyond any column is refused (400 naming the item's
field) or kept as a dead letter with its reason — never a 500, never a half-written batch."""

from __future__ import annotations

import pytest

from zhizhi.sensors.models import DeadLetter, GatewayKind, SensorEvent
from zhizhi.sensors.services import devices

URL = "/api/sensors/gateway/messages"


@pytest.fixture
def key(personas):
    return devices.register_gateway(personas["admin"], "vendor-z", GatewayKind.HTTP)[1]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("voltage", 2**70),
        ("voltage", -5),
        ("linkquality", 2**40),
        ("battery", 2**70),
        ("contact", "perhaps"),
        ("last_seen", 10**20),
        ("last_seen", -(10**20)),
        ("last_seen", "2026-13-45T00:00:00"),
        ("device", "a\x00b"),
        ("device", "x" * 5000),
        ("tamper", 2**70),
    ],
)
def test_a_bad_item_is_refused_or_dead_lettered_never_a_500(client, door, key, field, value):
    good = {"device": door.vendor_id, "contact": True, "last_seen": "2026-03-02T12:00:00+08:00"}
    body = {"messages": [good, {**good, "last_seen": "2026-03-02T12:01:00+08:00", field: value}]}
    response = client.post(URL, body, content_type="application/json", headers={"X-Api-Key": key})
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()["error"]["field"].startswith("messages.1")
        assert not SensorEvent.objects.exists()  # nothing of a refused batch is written
    else:
        assert response.json()["dead_letters"] == 1 and DeadLetter.objects.count() == 1


@pytest.mark.parametrize("value", ["yes", "true", 1, "open"])
def test_contact_is_json_true_or_false_as_over_mqtt(client, door, key, value):
    body = {"messages": [{"device": door.vendor_id, "contact": value}]}
    response = client.post(URL, body, content_type="application/json", headers={"X-Api-Key": key})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == "messages.0.contact"
    assert not SensorEvent.objects.exists()


def test_a_device_time_far_ahead_of_the_clock_is_stamped_on_arrival(client, door, key):
    # A bridge clock in the year 9999 would have made this the elder's "last activity" for ever after,
    # holding off every silence alarm; the firing is kept, stamped when it arrived.
    body = {
        "messages": [{"device": door.vendor_id, "contact": False, "last_seen": "9999-12-31T23:59:59+08:00"}]
    }
    response = client.post(URL, body, content_type="application/json", headers={"X-Api-Key": key})
    assert response.json()["events"] == 1
    (event,) = SensorEvent.objects.all()
    assert event.at.year == event.received_at.year < 9999
    door.refresh_from_db()
    assert door.last_activity_at.year < 9999
