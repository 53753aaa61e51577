"""Pages and /api/sensors/: the board by area, device health, the alarm page with its chart data, acting on
an alarm, and the vendor-gateway endpoint (API key, idempotent batches)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.sensors.conftest import PREFIX
from zhizhi.sensors import zigbee
from zhizhi.sensors.models import Alarm, GatewayKind, SensorEvent
from zhizhi.sensors.services import devices, watch
from zhizhi.sensors.services.ingest import Inbound, ingest

pytestmark = pytest.mark.django_db
NIGHT = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def alarm(zhang_watch, clock_at):
    fake = clock_at(NIGHT)
    ingest([Inbound(f"{PREFIX}/zhang-door", zigbee.state_payload(False, last_seen=NIGHT), NIGHT)])
    fake.advance(minutes=11)
    (raised,) = watch.check_due()
    return raised


@pytest.mark.parametrize(
    ("persona", "rows"),
    [("xiaowang", 1), ("chen", 1), ("li", 1), ("admin", 1), ("outsider", 0), ("zhang", 0)],
)
def test_the_board_shows_the_elders_of_ones_own_area_only(client, personas, zhang_watch, persona, rows):
    client.force_login(personas[persona])
    response = client.get(reverse("sensors:board"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="board-row"') == rows


def test_an_open_alarm_turns_the_row_red_and_links_to_it(client, personas, alarm):
    client.force_login(personas["xiaowang"])
    html = client.get(reverse("sensors:board")).content.decode()
    assert 'data-colour="red"' in html
    assert reverse("sensors:alarm_detail", args=[alarm.pk]) in html


def test_the_alarm_page_carries_the_timeline_and_acts(client, personas, alarm):
    client.force_login(personas["xiaowang"])
    url = reverse("sensors:alarm_detail", args=[alarm.pk])
    html = client.get(url).content.decode()
    assert 'id="timeline-data"' in html and '"kind": "open"' in html
    assert 'id="timeline-marks"' in html
    assert "vendor/echarts/echarts.min.js" in html
    client.post(reverse("sensors:alarm_ack", args=[alarm.pk]), {"note": "on my way"})
    alarm.refresh_from_db()
    assert alarm.status == "acknowledged"
    response = client.post(reverse("sensors:alarm_resolve", args=[alarm.pk]), {"outcome": "false_alarm"})
    assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.status == "acknowledged"  # a false alarm needs a reason: the page shows the error
    client.post(reverse("sensors:alarm_resolve", args=[alarm.pk]), {"outcome": "safe", "note": "she is fine"})
    alarm.refresh_from_db()
    assert (alarm.status, alarm.outcome) == ("resolved", "safe")


def test_the_timeline_marks_the_alarm_s_own_moments(alarm, personas):
    from zhizhi.sensors import queries
    from zhizhi.sensors.services import alarms

    marks = queries.timeline_marks(alarm)
    assert [m["t"] for m in marks] == [
        t.isoformat() for t in (alarm.silence_since, alarm.due_at, alarm.raised_at) if t is not None
    ]
    alarms.resolve_alarm(personas["xiaowang"], alarm, "safe")
    alarm.refresh_from_db()
    assert queries.timeline_marks(alarm)[-1]["t"] == alarm.resolved_at.isoformat()


def test_an_alarm_of_another_community_is_not_found(client, personas, alarm):
    client.force_login(personas["outsider"])
    assert client.get(reverse("sensors:alarm_detail", args=[alarm.pk])).status_code == 404
    assert client.post(reverse("sensors:alarm_ack", args=[alarm.pk])).status_code == 404


def test_device_health_page_lists_devices_with_their_tickets(client, personas, door):
    client.force_login(personas["chen"])
    html = client.get(reverse("sensors:devices")).content.decode()
    assert "zhang-door" in html


def test_api_alarms_are_scoped_and_resolve_names_the_missing_field(client, personas, alarm):
    client.force_login(personas["outsider"])
    assert client.get("/api/sensors/alarms").json() == []
    client.force_login(personas["xiaowang"])
    (row,) = client.get("/api/sensors/alarms?status=open").json()
    assert row["id"] == alarm.pk and row["kind"] == "night_door_open"
    response = client.post(
        f"/api/sensors/alarms/{alarm.pk}/resolve", {"outcome": "false_alarm"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]["field"] == "note"
    response = client.post(
        f"/api/sensors/alarms/{alarm.pk}/resolve",
        {"outcome": "hospital", "note": "fell in the hall"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["outcome"] == "hospital"


def test_api_board_and_devices(client, personas, door, zhang_watch):
    client.force_login(personas["xiaowang"])
    (row,) = client.get("/api/sensors/board").json()
    assert row["name"] == "张阿姨" and row["colour"] in ("green", "amber")
    (device,) = client.get("/api/sensors/devices").json()
    assert device["friendly_name"] == "zhang-door"


def test_a_vendor_gateway_posts_batches_with_its_key_and_repeats_are_harmless(client, personas, street, door):
    gateway, key = devices.register_gateway(personas["admin"], "vendor-x", GatewayKind.HTTP)
    body = {
        "messages": [
            {"device": door.vendor_id, "contact": False, "last_seen": "2026-03-02T12:00:00+08:00"},
            {
                "device": door.vendor_id,
                "contact": True,
                "battery": 88,
                "last_seen": "2026-03-02T12:00:05+08:00",
            },
            {"device": "0xunknown", "contact": True},
        ]
    }
    url = "/api/sensors/gateway/messages"
    assert client.post(url, body, content_type="application/json").status_code == 401
    response = client.post(url, body, content_type="application/json", headers={"X-Api-Key": key})
    assert response.status_code == 200
    assert response.json() == {"accepted": 3, "events": 3, "dead_letters": 0, "unknown": 1}
    client.post(url, body, content_type="application/json", headers={"X-Api-Key": key})
    assert sorted(SensorEvent.objects.values_list("kind", flat=True)) == ["battery", "close", "open"]


def test_a_bad_gateway_item_is_refused_naming_the_field(client, personas, door):
    _, key = devices.register_gateway(personas["admin"], "vendor-y", GatewayKind.HTTP)
    body = {"messages": [{"device": door.vendor_id, "battery": 300}]}
    response = client.post(
        "/api/sensors/gateway/messages", body, content_type="application/json", headers={"X-Api-Key": key}
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "messages.0.battery"
    assert Alarm.objects.count() == 0


def test_the_alarm_page_names_log_actions_and_chart_series_in_the_users_language(client, personas, alarm):
    client.force_login(personas["xiaowang"])
    html = client.get(reverse("sensors:alarm_detail", args=[alarm.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = html.content.decode()
    assert "<td>raised</td>" not in text and "<td>system</td>" not in text
    assert '"label": "\\u5f00\\u95e8"' in text or '"label": "开门"' in text  # "Opened", the chart's legend
    english = client.get(reverse("sensors:alarm_detail", args=[alarm.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "<td>Raised</td>" in english.content.decode()


def test_a_door_closing_and_a_closed_ticket_are_not_called_a_closed_case():
    """'Closed' is 已结案 for a case; a door that closes is 关门 and a maintenance ticket 已关闭."""
    from django.utils import translation

    from zhizhi.sensors.models import EventKind, TicketStatus

    with translation.override("zh-hans"):
        assert (str(EventKind.OPEN.label), str(EventKind.CLOSE.label)) == ("开门", "关门")
        assert str(TicketStatus.CLOSED.label) == "已关闭"
