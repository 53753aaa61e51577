"""Reads of the sensors app, always through the actor's scope (role × area)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from zhizhi.core import clock
from zhizhi.core.errors import NotFound
from zhizhi.core.permissions import area_prefix, people_policy
from zhizhi.sensors.models import (
    Alarm,
    AlarmStatus,
    Device,
    EventKind,
    MaintenanceTicket,
    SensorEvent,
    TicketKind,
    TicketStatus,
    Watch,
)

OPEN_ALARM = (AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED)
SENSOR_DOWN = (TicketKind.SILENT, TicketKind.OFFLINE, TicketKind.BRIDGE_DOWN)
AMBER_WITHIN = dt.timedelta(hours=1)


def _scope(qs: QuerySet, actor: Any, field_name: str = "area_code") -> QuerySet:
    """Rows of the actor's area; none for roles that may not list people (residents, providers, outsiders)."""
    prefix = area_prefix(actor)
    if prefix is None or not people_policy(actor).list or people_policy(actor).own_only:
        return qs.none()
    return qs.filter(**{f"{field_name}__startswith": prefix}) if prefix else qs


def watches_for(actor: Any) -> QuerySet[Watch]:
    return _scope(Watch.objects.filter(enabled=True), actor)


def alarms_for(actor: Any) -> QuerySet[Alarm]:
    return _scope(Alarm.objects.select_related("resident", "device"), actor)


def devices_for(actor: Any) -> QuerySet[Device]:
    return _scope(Device.objects.filter(active=True).select_related("gateway", "dwelling"), actor)


def tickets_for(actor: Any) -> QuerySet[MaintenanceTicket]:
    return _scope(MaintenanceTicket.objects.select_related("device", "gateway"), actor)


def access_alarm(actor: Any, alarm_id: Any) -> Alarm:
    try:
        return alarms_for(actor).select_related("watch", "resident__home").get(pk=int(alarm_id))
    except (Alarm.DoesNotExist, TypeError, ValueError):
        raise NotFound("no such alarm") from None


@dataclass
class BoardRow:
    """One elder on the board: who, where, last activity, the state colour and the open alarms."""

    watch: Watch
    name: str
    address: str
    last_activity_at: dt.datetime | None
    colour: str  # green | amber | red | grey
    state: str
    open_alarms: list[Alarm] = field(default_factory=list)


def _colour(watch: Watch, alarms: list[Alarm], sensor_down: bool, now: dt.datetime) -> tuple[str, str]:
    if alarms:
        return "red", "alarm"
    if sensor_down:
        return "grey", "sensor"
    if watch.next_check_at is not None and watch.next_check_at - now <= AMBER_WITHIN:
        return "amber", "quiet"
    return "green", "normal"


def board(actor: Any, now: dt.datetime | None = None) -> list[BoardRow]:
    """The elders watched in the actor's area, most urgent first (a fixed number of queries)."""
    now = now or clock.now()
    watches = list(
        watches_for(actor)
        .select_related("resident", "resident__home")
        .prefetch_related(
            Prefetch("alarms", Alarm.objects.filter(status__in=OPEN_ALARM), to_attr="open_alarms")
        )
        .order_by("area_code", "id")
    )
    down = set(
        MaintenanceTicket.objects.filter(
            status=TicketStatus.OPEN, kind__in=SENSOR_DOWN, device__residents__sensor_watch__in=watches
        ).values_list("device__residents__sensor_watch", flat=True)
    )
    rows = []
    for watch in watches:
        colour, state = _colour(watch, watch.open_alarms, watch.pk in down, now)
        home = watch.resident.home
        rows.append(
            BoardRow(
                watch,
                watch.resident.name,
                home.address if home else "",
                watch.last_activity_at,
                colour,
                state,
                watch.open_alarms,
            )
        )
    order = {"red": 0, "grey": 1, "amber": 2, "green": 3}
    rows.sort(key=lambda r: (order[r.colour], r.address))
    return rows


def device_health(actor: Any) -> list[Device]:
    """Installed devices of the actor's area with their open tickets (tickets prefetched)."""
    open_tickets = Prefetch(
        "tickets", MaintenanceTicket.objects.filter(status=TicketStatus.OPEN), to_attr="open_tickets"
    )
    return list(
        devices_for(actor)
        .prefetch_related(open_tickets)
        .annotate(open_count=Count("tickets", filter=Q(tickets__status=TicketStatus.OPEN)))
        .order_by("-open_count", "area_code", "friendly_name")
    )


def timeline(alarm: Alarm, before: dt.timedelta = dt.timedelta(hours=48)) -> list[dict]:
    """The events of the alarm's home around it, for the chart: [{t, device, kind}]."""
    devices = Device.objects.filter(residents=alarm.resident_id)
    end = alarm.resolved_at or clock.now()
    start = (alarm.silence_since or alarm.raised_at) - before
    rows = (
        SensorEvent.objects.filter(device__in=devices, at__gte=start, at__lte=end)
        .exclude(kind=EventKind.HEARTBEAT)
        .order_by("at")
        .values_list("at", "device__friendly_name", "kind")[:5000]
    )
    return [{"t": at.isoformat(), "device": name, "kind": kind} for at, name, kind in rows]
