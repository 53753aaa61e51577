"""Sensor health — separate from elder alarms: problems of devices and gateways open maintenance tickets,
never an alarm about a person, and tickets close by themselves when the problem is gone.

  silent       a device sent nothing for longer than its reporting rhythm (default 25 h)
  low_battery  battery_low, or battery under LOW_BATTERY %
  offline      Zigbee2MQTT availability says offline
  bridge_down  the gateway's bridge/state is offline
  tamper       the device reports tampering
While a home's sensors are all unhealthy, its silence rules do not raise alarms (services.watch.healthy).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q

from zhizhi.core import clock
from zhizhi.sensors.models import Device, Gateway, MaintenanceTicket, TicketKind, TicketStatus

LOW_BATTERY = 15


def _open(
    now: dt.datetime,
    kind: str,
    *,
    device: Device | None = None,
    gateway: Gateway | None = None,
    detail: str = "",
) -> bool:
    area = device.area_code if device is not None else (gateway.area_code if gateway is not None else "")
    try:
        with transaction.atomic():
            MaintenanceTicket.objects.create(
                device=device, gateway=gateway, kind=kind, area_code=area, detail=detail[:200], opened_at=now
            )
    except IntegrityError:
        return False  # already open
    return True


def _close(now: dt.datetime, kind: str, **owner) -> int:
    return MaintenanceTicket.objects.filter(status=TicketStatus.OPEN, kind=kind, **owner).update(
        status=TicketStatus.CLOSED, closed_at=now
    )


def gateway_state_changed(gateway: Gateway, now: dt.datetime) -> None:
    if gateway.online:
        _close(now, TicketKind.BRIDGE_DOWN, gateway=gateway)
    else:
        _open(now, TicketKind.BRIDGE_DOWN, gateway=gateway, detail=f"{gateway.name}/bridge/state offline")


def _problems(device: Device, now: dt.datetime) -> dict[str, str]:
    """kind → detail for every health problem the device has now."""
    out: dict[str, str] = {}
    silent_for = now - device.last_seen_at if device.last_seen_at else now - device.created_at
    if silent_for > dt.timedelta(hours=device.report_interval_h):
        out[TicketKind.SILENT] = f"silent for {silent_for.total_seconds() / 3600:.0f} h"
    if device.battery_low or (device.battery is not None and device.battery < LOW_BATTERY):
        out[TicketKind.LOW_BATTERY] = f"battery {device.battery if device.battery is not None else '?'}%"
    if not device.online:
        out[TicketKind.OFFLINE] = "availability offline"
    if device.tamper:
        out[TicketKind.TAMPER] = "tamper"
    return out


def check_health(now: dt.datetime | None = None) -> dict[str, int]:
    """Open and close maintenance tickets for every installed device and every gateway."""
    now = now or clock.now()
    opened = closed = 0
    open_now: dict[int, set[str]] = {}
    tickets = MaintenanceTicket.objects.filter(status=TicketStatus.OPEN, device__isnull=False)
    for device_id, kind in tickets.values_list("device_id", "kind"):
        open_now.setdefault(device_id, set()).add(kind)
    for device in Device.objects.filter(active=True).iterator(chunk_size=2000):
        problems = _problems(device, now)
        have = open_now.get(device.pk, set())
        for kind, detail in problems.items():
            if kind not in have:
                opened += _open(now, kind, device=device, detail=detail)
        for kind in have - set(problems):
            closed += _close(now, kind, device=device)
    for gateway in Gateway.objects.filter(Q(online=False) | Q(tickets__status=TicketStatus.OPEN)).distinct():
        gateway_state_changed(gateway, now)
    # Removed devices keep no open ticket.
    closed += MaintenanceTicket.objects.filter(status=TicketStatus.OPEN, device__active=False).update(
        status=TicketStatus.CLOSED, closed_at=now
    )
    return {"opened": opened, "closed": closed}
