"""Reads of the sensors app, always through the actor's scope (role × area)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from zhizhi.areas.models import Building, Dwelling, Estate, Unit
from zhizhi.core import clock
from zhizhi.core.errors import InvalidInput, NotFound
from zhizhi.core.permissions import area_prefix, people_policy
from zhizhi.sensors.models import (
    Alarm,
    AlarmStatus,
    AwayNotice,
    Device,
    EventKind,
    Gateway,
    Installation,
    MaintenanceTicket,
    SensorEvent,
    TicketKind,
    TicketStatus,
    UnknownDevice,
    Watch,
)

OPEN_ALARM = (AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED)
SENSOR_DOWN = (TicketKind.SILENT, TicketKind.OFFLINE, TicketKind.BRIDGE_DOWN)
AMBER_WITHIN = dt.timedelta(hours=1)


def _watches_over(actor: Any) -> bool:
    """Whether the actor watches over the elders of an area (the board): roles that may list people."""
    policy = people_policy(actor)
    return area_prefix(actor) is not None and policy.list and not policy.own_only


def _scope(qs: QuerySet, actor: Any, field_name: str = "area_code") -> QuerySet:
    """Rows of the actor's area; none for roles that may not list people (residents, providers, outsiders)."""
    if not _watches_over(actor):
        return qs.none()
    prefix = area_prefix(actor)
    return qs.filter(**{f"{field_name}__startswith": prefix}) if prefix else qs


def watches_for(actor: Any) -> QuerySet[Watch]:
    return _scope(Watch.objects.filter(enabled=True), actor)


def alarms_for(actor: Any) -> QuerySet[Alarm]:
    return _scope(Alarm.objects.select_related("resident", "device"), actor)


def open_alarm_count(actor: Any) -> int | None:
    """How many door-sensor alarms of the actor's area are open or acknowledged; None for a role that does not
    watch over elders (no board)."""
    if not _watches_over(actor):
        return None
    return _scope(Alarm.objects.filter(status__in=OPEN_ALARM), actor).order_by().count()


def devices_for(actor: Any) -> QuerySet[Device]:
    return _scope(Device.objects.filter(active=True).select_related("gateway", "dwelling"), actor)


def tickets_for(actor: Any) -> QuerySet[MaintenanceTicket]:
    return _scope(MaintenanceTicket.objects.select_related("device", "gateway"), actor)


def access_alarm(actor: Any, alarm_id: Any) -> Alarm:
    try:
        return alarms_for(actor).select_related("watch", "resident__home").get(pk=int(alarm_id))
    except (Alarm.DoesNotExist, TypeError, ValueError):
        raise NotFound("no such alarm") from None


def access_watch(actor: Any, watch_id: Any) -> Watch:
    try:
        return watches_for(actor).select_related("resident", "resident__home").get(pk=int(watch_id))
    except (Watch.DoesNotExist, TypeError, ValueError):
        raise NotFound("no such watched person") from None


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
    away_until: dt.datetime | None = None  # the declared return of an away notice in force now


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
            Prefetch("alarms", Alarm.objects.filter(status__in=OPEN_ALARM), to_attr="open_alarms"),
            Prefetch(
                "notices",
                AwayNotice.objects.filter(ended_at__isnull=True, leaves_at__lte=now, back_by__gt=now),
                to_attr="away_now",
            ),
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
                max((n.back_by for n in watch.away_now), default=None),
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
    labels = dict(EventKind.choices)
    return [
        {"t": at.isoformat(), "device": name, "kind": kind, "label": str(labels.get(kind, kind))}
        for at, name, kind in rows
    ]


def timeline_marks(alarm: Alarm) -> list[dict]:
    """The alarm's own moments, drawn across the chart: quiet since, threshold reached, raised, resolved."""
    moments = [
        (alarm.silence_since, _("Quiet since")),
        (alarm.due_at, _("Threshold reached")),
        (alarm.raised_at, _("Raised")),
        (alarm.resolved_at, _("Resolved")),
    ]
    return [{"t": at.isoformat(), "label": str(label)} for at, label in moments if at is not None]


# ------------------------------------------------------------------------------------------- device management

DWELLING_CHOICES = 50


def _manager_prefix(actor: Any) -> str:
    """The area a device manager works in ("" = everywhere); NotFound for everyone else (pages read 404)."""
    from zhizhi.sensors.services.devices import MANAGING_ROLES

    prefix = area_prefix(actor)
    if prefix is None or getattr(actor, "role", None) not in MANAGING_ROLES:
        raise NotFound("no such page")
    return prefix


def may_manage_devices(actor: Any) -> bool:
    try:
        _manager_prefix(actor)
    except NotFound:
        return False
    return True


def unknown_devices_for(actor: Any) -> QuerySet[UnknownDevice]:
    """Devices seen but not registered, through gateways that serve the actor's area: a gateway without an
    area serves everywhere; one with an area serves the places inside it and is seen by managers of the
    places around it (a street's bridge by the street's grid workers)."""
    prefix = _manager_prefix(actor)
    rows = UnknownDevice.objects.filter(bound_device__isnull=True)
    if not prefix:
        return rows
    gateways = Gateway.objects.filter(
        Q(area_code="") | Q(area_code__startswith=prefix) | Q(area_code__in=_prefixes(prefix))
    ).values("name")
    known = Gateway.objects.values("name")
    return rows.filter(Q(gateway_name__in=gateways) | ~Q(gateway_name__in=known))


def _prefixes(code: str) -> list[str]:
    return [code[:n] for n in (4, 6, 9, 12, 14) if n < len(code)]


def access_unknown(actor: Any, unknown_id: Any) -> UnknownDevice:
    try:
        return unknown_devices_for(actor).get(pk=int(unknown_id))
    except (UnknownDevice.DoesNotExist, TypeError, ValueError):
        raise NotFound("no such unknown device") from None


def managed_devices_for(actor: Any) -> QuerySet[Device]:
    """Devices a manager may open: installed or removed in the actor's area (admins: also never installed)."""
    prefix = _manager_prefix(actor)
    qs = Device.objects.select_related("gateway", "dwelling")
    return qs.filter(area_code__startswith=prefix) if prefix else qs


def access_device(actor: Any, device_id: Any) -> Device:
    try:
        return managed_devices_for(actor).get(pk=int(device_id))
    except (Device.DoesNotExist, TypeError, ValueError):
        raise NotFound("no such device") from None


def installations(device: Device) -> list[Installation]:
    return list(
        Installation.objects.filter(device=device)
        .select_related("dwelling", "installed_by", "removed_by")
        .order_by("-installed_at", "-id")
    )


def dwellings_for(actor: Any) -> QuerySet[Dwelling]:
    prefix = _manager_prefix(actor)
    qs = Dwelling.objects.all()
    return qs.filter(area_code__startswith=prefix) if prefix else qs


def access_dwelling(actor: Any, code: Any) -> Dwelling:
    """A dwelling of the actor's area by its code; a wrong or foreign code names the field."""
    code = str(code or "").strip()
    if not code:
        raise InvalidInput(_("Choose a dwelling."), field="dwelling")
    dwelling = dwellings_for(actor).filter(code=code).first()
    if dwelling is None:
        raise InvalidInput(_("No such dwelling in your area."), field="dwelling")
    return dwelling


@dataclass
class DwellingChooser:
    """The standard-address drill-down (estate → building → unit → dwelling) and the address search."""

    q: str = ""
    estates: list = field(default_factory=list)
    buildings: list = field(default_factory=list)
    units: list = field(default_factory=list)
    dwellings: list = field(default_factory=list)
    estate: Any = None
    building: Any = None
    unit: Any = None
    more: bool = False


def _pick(qs: QuerySet, raw: Any):
    try:
        return qs.filter(pk=int(raw)).first() if raw else None
    except (TypeError, ValueError):
        return None


def dwelling_chooser(
    actor: Any, q: str = "", estate: Any = "", building: Any = "", unit: Any = ""
) -> DwellingChooser:
    """What the bind and install forms offer: estates of the actor's area, then the chosen estate's buildings,
    the chosen building's units and the chosen unit's dwellings; or the dwellings whose address contains `q`
    (at most DWELLING_CHOICES of them). A fixed number of queries."""
    prefix = _manager_prefix(actor)
    out = DwellingChooser(q=str(q or "").strip()[:100])
    dwellings = dwellings_for(actor)
    estates = (
        Estate.objects.filter(community__code__startswith=prefix[:12]) if prefix else Estate.objects.all()
    )
    if len(prefix) > 12:  # a grid worker: the estates with buildings in the grid
        estates = estates.filter(buildings__area_code__startswith=prefix).distinct()
    out.estates = list(estates.order_by("name", "pk")[:500])
    out.estate = _pick(estates, estate)
    if out.estate is not None:
        buildings = Building.objects.filter(estate=out.estate)
        if prefix:
            buildings = buildings.filter(area_code__startswith=prefix)
        out.buildings = list(buildings.select_related("estate").order_by("code"))
        out.building = _pick(buildings, building)
    if out.building is not None:
        units = Unit.objects.filter(building=out.building)
        out.units = list(units.select_related("building__estate").order_by("code"))
        out.unit = _pick(units, unit)
    chosen = None
    if out.q:
        chosen = dwellings.filter(address__icontains=out.q)
    elif out.unit is not None:
        chosen = dwellings.filter(unit=out.unit)
    if chosen is not None:
        rows = list(chosen.order_by("address", "code")[: DWELLING_CHOICES + 1])
        out.more = len(rows) > DWELLING_CHOICES
        out.dwellings = rows[:DWELLING_CHOICES]
    return out
