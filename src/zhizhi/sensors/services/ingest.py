"""Ingestion: a batch of raw messages → normalised events, in one transaction.

Events are derived from changes against each device's last known state (kept on the Device row, locked for
the batch): a contact reading that differs from the state is an ``open``/``close``, one that does not is a
``heartbeat``; battery and tamper events only when they change; ``online``/``offline`` only when availability
changes. Every event has a dedup key made from its message, so a message delivered twice (after a consumer
crash between commit and acknowledgement) adds nothing. Readings are applied in device time (``last_seen``);
a reading older than the state still records its own transition but does not overwrite the newer state.
Malformed messages become dead letters with the reason; devices that are not registered, unknown devices.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.db.models import F

from zhizhi.core import clock
from zhizhi.sensors import zigbee
from zhizhi.sensors.models import DeadLetter, EventKind, Gateway, GatewayKind, Source, UnknownDevice
from zhizhi.sensors.services import store

logger = logging.getLogger(__name__)


class Inbound(NamedTuple):
    """One message as it arrived: MQTT topic + payload, or an HTTP gateway's item (already a dict). (A named
    tuple: built per message on the consumer's hot path, where a frozen dataclass costs several times more.)"""

    topic: str
    payload: bytes | str | dict
    received_at: dt.datetime
    source: str = Source.MQTT
    gateway: str = ""  # HTTP: the gateway's name; the device is then named by its vendor id


@dataclass
class IngestReport:
    messages: int = 0
    events: int = 0
    dead_letters: int = 0
    unknown: int = 0
    ignored: int = 0
    activity_devices: set[int] = field(default_factory=set)
    bridges: list[Gateway] = field(default_factory=list)


def _read(item: Inbound, prefixes: tuple[str, ...]) -> zigbee.Reading | None:
    if isinstance(item.payload, dict):
        return zigbee.reading_from_dict(item.gateway, item.topic, item.payload, item.received_at)
    return zigbee.parse(item.topic, item.payload, item.received_at, prefixes)


def _payload_text(payload) -> str:
    """The payload as text a column can hold: PostgreSQL text cannot take U+0000, so it is written as \\x00
    (a dead letter that cannot be written would fail its whole batch, redelivered for ever)."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    return text[:4000].replace("\x00", "\\x00")


def _dead_letter(item: Inbound, reason: str) -> DeadLetter:
    return DeadLetter(
        received_at=item.received_at,
        source=item.source,
        topic=_payload_text(item.topic)[:255],
        payload=_payload_text(item.payload),
        reason=_payload_text(reason)[:255],
    )


def ingest_mqtt(
    messages: Sequence[tuple[str, bytes]], prefixes: Iterable[str] = ("zigbee2mqtt",)
) -> IngestReport:
    """A consumer's batch of (topic, payload), received now."""
    now = clock.now()
    return ingest([Inbound(topic, payload, now) for topic, payload in messages], prefixes)


def ingest(batch: Sequence[Inbound], prefixes: Iterable[str] = ("zigbee2mqtt",)) -> IngestReport:
    """Store one batch; returns what happened. Raises only on database errors (then nothing is stored)."""
    prefixes = tuple(prefixes)
    report = IngestReport(messages=len(batch))
    readings: list[tuple[Inbound, zigbee.Reading]] = []
    dead: list[DeadLetter] = []
    for item in batch:
        try:
            reading = _read(item, prefixes)
        except zigbee.Malformed as exc:
            dead.append(_dead_letter(item, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 — one unreadable message must never hold up the batch
            logger.exception("unreadable message on %s", item.topic)
            dead.append(_dead_letter(item, f"unreadable ({type(exc).__name__})"))
            continue
        if reading is None:
            report.ignored += 1
        else:
            readings.append((item, reading))
    readings.sort(key=lambda pair: pair[1].at)
    with transaction.atomic():
        if dead:
            DeadLetter.objects.bulk_create(dead)
            report.dead_letters = len(dead)
        _store(readings, report)
        from zhizhi.sensors.services import health, watch

        for gateway in report.bridges:
            health.gateway_state_changed(gateway, clock.now())
        if report.activity_devices:
            watch.devices_active(report.activity_devices)
    return report


def _store(readings: list[tuple[Inbound, zigbee.Reading]], report: IngestReport) -> None:
    if not readings:
        return
    now = clock.now()
    names = {(r.gateway, r.name) for i, r in readings if i.source != Source.HTTP and r.kind != zigbee.BRIDGE}
    vendor_ids = {r.name for i, r in readings if i.source == Source.HTTP}
    states = store.lock_devices(names, vendor_ids)
    by_name = {(d.gateway, d.name): d for d in states}
    by_vendor = {d.vendor_id: d for d in states}
    events: list[tuple] = []
    touched: dict[int, store.DeviceState] = {}
    unknown: dict[tuple[str, str], tuple[Inbound, int]] = {}
    for item, reading in readings:
        if reading.kind == zigbee.BRIDGE:
            _bridge(reading, report)
            continue
        if item.source == Source.HTTP:
            device = by_vendor.get(reading.name)
        else:
            device = by_name.get((reading.gateway, reading.name))
        if device is None:
            previous = unknown.get((reading.gateway, reading.name), (item, 0))[1]
            unknown[(reading.gateway, reading.name)] = (item, previous + 1)
            continue
        events.extend(derive(device, reading, item.source, now))
        touched[device.id] = device
    store.insert_events(events)
    store.save_states(list(touched.values()))
    report.events = len(events)
    report.activity_devices = {e[0] for e in events if e[1] in (EventKind.OPEN, EventKind.CLOSE)}
    _remember_unknown(unknown, now)
    report.unknown = sum(count for _, count in unknown.values())


def _event(device, kind: str, reading: zigbee.Reading, source: str, now, slot: str, data=None) -> tuple:
    """An event row (see store.insert_events)."""
    return (device.id, kind, reading.at, now, zigbee.message_key(reading.key, slot), source, data or {})


def derive(device: store.DeviceState, reading: zigbee.Reading, source: str, now: dt.datetime) -> list[tuple]:
    """The events one reading means for a device, updating the device's state in memory."""
    if reading.kind == zigbee.AVAILABILITY:
        return _availability(device, reading, source, now)
    out = []
    newer = device.state_at is None or reading.at >= device.state_at
    opened = reading.opened
    kind = EventKind.HEARTBEAT
    if opened is not None and opened != device.contact_open:
        kind = EventKind.OPEN if opened else EventKind.CLOSE
    data = {"linkquality": reading.linkquality} if reading.linkquality is not None else {}
    out.append(_event(device, kind, reading, source, now, "contact", data))
    if opened is not None and newer:
        device.contact_open = opened
        device.state_at = reading.at
    if kind != EventKind.HEARTBEAT and (
        device.last_activity_at is None or reading.at >= device.last_activity_at
    ):
        device.last_activity_at = reading.at
    out.extend(_battery(device, reading, source, now))
    if reading.tamper and not device.tamper:
        out.append(_event(device, EventKind.TAMPER, reading, source, now, "tamper"))
    if reading.tamper is not None and newer:
        device.tamper = reading.tamper
    if reading.linkquality is not None:
        device.linkquality = reading.linkquality
    if device.last_seen_at is None or reading.at > device.last_seen_at:
        device.last_seen_at = reading.at
    return out


def _battery(device, reading: zigbee.Reading, source: str, now) -> list[tuple]:
    changed = (reading.battery is not None and reading.battery != device.battery) or (
        reading.battery_low is not None and reading.battery_low != device.battery_low
    )
    if reading.voltage is not None:
        device.voltage = reading.voltage
    if not changed:
        return []
    if reading.battery is not None:
        device.battery = reading.battery
    if reading.battery_low is not None:
        device.battery_low = reading.battery_low
    data = {"battery": device.battery, "battery_low": device.battery_low, "voltage": device.voltage}
    return [_event(device, EventKind.BATTERY, reading, source, now, "battery", data)]


def _availability(device, reading: zigbee.Reading, source: str, now) -> list[tuple]:
    if reading.online == device.online:
        return []
    device.online = bool(reading.online)
    device.availability_changed_at = reading.at
    kind = EventKind.ONLINE if reading.online else EventKind.OFFLINE
    key = zigbee.message_key(device.vendor_id, kind, reading.at.isoformat())
    return [(device.id, kind, reading.at, now, key, source, {})]


def _bridge(reading: zigbee.Reading, report: IngestReport) -> Gateway:
    gateway, _ = Gateway.objects.get_or_create(
        name=reading.gateway, defaults={"kind": GatewayKind.ZIGBEE2MQTT}
    )
    gateway.last_seen_at = reading.at
    if gateway.online != reading.online:
        gateway.online = bool(reading.online)
        gateway.state_changed_at = reading.at
        report.bridges.append(gateway)
    gateway.save(update_fields=["online", "state_changed_at", "last_seen_at"])
    return gateway


def _remember_unknown(unknown: dict[tuple[str, str], tuple[Inbound, int]], now: dt.datetime) -> None:
    for (gateway, name), (item, count) in sorted(unknown.items()):
        payload = _payload_text(item.payload)
        updated = UnknownDevice.objects.filter(gateway_name=gateway, identifier=name[:128]).update(
            last_seen_at=now, messages=F("messages") + count, last_payload=payload
        )
        if not updated:
            UnknownDevice.objects.create(
                gateway_name=gateway,
                identifier=name[:128],
                first_seen_at=now,
                last_seen_at=now,
                messages=count,
                last_payload=payload,
            )
