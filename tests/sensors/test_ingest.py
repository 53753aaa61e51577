"""Ingestion into the database: events derived from changes, dedup on redelivery, dead letters, unknown
devices, availability and the bridge's state."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.sensors.conftest import MONDAY_NOON, PREFIX
from zhizhi.sensors import zigbee
from zhizhi.sensors.models import (
    DeadLetter,
    Device,
    EventKind,
    MaintenanceTicket,
    SensorEvent,
    TicketKind,
    UnknownDevice,
)
from zhizhi.sensors.services.ingest import Inbound, ingest

pytestmark = pytest.mark.django_db


def msg(name: str, payload: str, minutes: float | None = None, topic_suffix: str = "") -> Inbound:
    """A message received `minutes` after noon; by default an hour and a half after, when every state in
    these tests has been stamped (a last_seen far ahead of arrival is not believed: zigbee.MAX_AHEAD)."""
    received = MONDAY_NOON + dt.timedelta(minutes=90 if minutes is None else minutes)
    return Inbound(f"{PREFIX}/{name}{topic_suffix}", payload, received)


def state(contact=None, minutes: float = 0, **extra) -> str:
    return zigbee.state_payload(contact, last_seen=MONDAY_NOON + dt.timedelta(minutes=minutes), **extra)


def kinds() -> list[str]:
    return list(SensorEvent.objects.order_by("at", "id").values_list("kind", flat=True))


def test_contact_changes_become_open_and_close_and_repeats_heartbeats(door):
    ingest(
        [
            msg("zhang-door", state(False, 0)),
            msg("zhang-door", state(True, 1)),
            msg("zhang-door", state(True, 60)),
        ]
    )
    assert kinds() == [EventKind.OPEN, EventKind.CLOSE, EventKind.HEARTBEAT]
    door.refresh_from_db()
    assert door.contact_open is False
    assert door.last_activity_at == MONDAY_NOON + dt.timedelta(minutes=1)
    assert door.last_seen_at == MONDAY_NOON + dt.timedelta(minutes=60)


def test_a_redelivered_batch_adds_nothing(door):
    batch = [msg("zhang-door", state(False, 0, battery=90)), msg("zhang-door", state(True, 1))]
    ingest(batch)
    ingest(batch)  # the broker redelivers after a crash between commit and acknowledgement
    assert kinds() == [EventKind.OPEN, EventKind.BATTERY, EventKind.CLOSE]


def test_battery_and_tamper_events_only_when_they_change(door):
    ingest(
        [
            msg("zhang-door", state(True, 0, battery=80)),
            msg("zhang-door", state(True, 5, battery=80)),
            msg("zhang-door", state(True, 10, battery=79, battery_low=True)),
            msg("zhang-door", state(True, 15, tamper=True)),
            msg("zhang-door", state(True, 20, tamper=True)),
        ]
    )
    assert kinds().count(EventKind.BATTERY) == 2
    assert kinds().count(EventKind.TAMPER) == 1
    door.refresh_from_db()
    assert (door.battery, door.battery_low, door.tamper) == (79, True, True)


def test_readings_are_applied_in_device_time_whatever_the_arrival_order(door):
    ingest([msg("zhang-door", state(True, 10))])
    ingest([msg("zhang-door", state(False, 5))])  # older reading arriving late
    door.refresh_from_db()
    assert door.contact_open is False  # the newer (closed) reading stands
    assert door.state_at == MONDAY_NOON + dt.timedelta(minutes=10)
    assert EventKind.OPEN in kinds()


def test_malformed_messages_go_to_the_dead_letter_table_and_the_rest_is_stored(door):
    report = ingest(
        [msg("zhang-door", "{oops"), msg("zhang-door", '{"contact": 1}'), msg("zhang-door", state(False))]
    )
    assert report.dead_letters == 2
    reasons = sorted(DeadLetter.objects.values_list("reason", flat=True))
    assert reasons == ["contact must be true or false, not 1", "payload is not JSON"]
    assert DeadLetter.objects.get(reason="payload is not JSON").payload == "{oops"
    assert kinds() == [EventKind.OPEN]


def test_a_payload_with_a_nul_byte_is_a_dead_letter_that_postgresql_can_store(door):
    # Written raw, the NUL failed the dead letter's insert on PostgreSQL, and with it the whole batch —
    # which the broker then redelivered for ever, holding up every other home's messages.
    report = ingest([msg("zhang-door", b"{oops\x00}"), msg("zhang-door", state(False))])
    assert report.dead_letters == 1 and kinds() == [EventKind.OPEN]
    assert DeadLetter.objects.get().payload == "{oops\\x00}"


def test_a_message_the_parser_fails_on_is_a_dead_letter_not_a_stalled_batch(door, monkeypatch):
    real = zigbee.parse

    def flaky(topic, payload, *args):
        if payload == "boom":
            raise RuntimeError("a bug in the parser")
        return real(topic, payload, *args)

    monkeypatch.setattr(zigbee, "parse", flaky)
    report = ingest([msg("zhang-door", "boom"), msg("zhang-door", state(False))])
    assert report.dead_letters == 1 and kinds() == [EventKind.OPEN]
    assert DeadLetter.objects.get().reason == "unreadable (RuntimeError)"


def test_unknown_devices_are_listed_for_binding(db, gateway):
    ingest([msg("new-door", state(False, 0)), msg("new-door", state(True, 1))])
    ingest([msg("new-door", state(False, 2))])
    unknown = UnknownDevice.objects.get()
    assert (unknown.gateway_name, unknown.identifier, unknown.messages) == (PREFIX, "new-door", 3)
    assert SensorEvent.objects.count() == 0


def test_binding_an_unknown_device_makes_its_messages_count(db, gateway, personas):
    from zhizhi.sensors.services import devices

    ingest([msg("new-door", state(False, 0))])
    device = devices.bind_unknown(personas["admin"], UnknownDevice.objects.get(), vendor_id="0xabc")
    assert UnknownDevice.objects.get().bound_device == device
    ingest([msg("new-door", state(True, 1))])
    assert kinds() == [EventKind.CLOSE]


def test_availability_changes_are_events_and_retained_repeats_are_not(door):
    ingest([msg("zhang-door", "offline", 0, "/availability")])
    ingest([msg("zhang-door", "offline", 1, "/availability")])
    ingest([msg("zhang-door", '{"state": "online"}', 2, "/availability")])
    assert kinds() == [EventKind.OFFLINE, EventKind.ONLINE]
    assert Device.objects.get().online is True


def test_bridge_down_opens_a_maintenance_ticket_and_bridge_up_closes_it(door, gateway):
    ingest([msg("bridge", "offline", 0, "/state")])
    ticket = MaintenanceTicket.objects.get()
    assert (ticket.kind, ticket.gateway, ticket.status) == (TicketKind.BRIDGE_DOWN, gateway, "open")
    ingest([msg("bridge", '{"state": "online"}', 1, "/state")])
    assert MaintenanceTicket.objects.get().status == "closed"
    assert SensorEvent.objects.count() == 0


def test_http_items_name_the_device_by_vendor_id(door):
    item = Inbound(
        door.vendor_id,
        {"contact": False, "last_seen": MONDAY_NOON.isoformat()},
        MONDAY_NOON,
        source="http",
        gateway="vendor-x",
    )
    ingest([item])
    assert kinds() == [EventKind.OPEN]
