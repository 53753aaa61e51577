"""/api/sensors/ — vendor gateways post device reports; staff read and act on alarms, the board and devices.

The gateway endpoint authenticates with the gateway's API key (header X-Api-Key) instead of a session; a
batch is idempotent when its items carry `last_seen` (their dedup keys repeat).
"""

from __future__ import annotations

from ninja import Router
from ninja.security import APIKeyHeader

from zhizhi.core import clock
from zhizhi.core.errors import InvalidInput
from zhizhi.sensors import queries
from zhizhi.sensors.models import Source
from zhizhi.sensors.schemas import (
    AlarmOut,
    BoardRowOut,
    DeviceOut,
    GatewayBatch,
    IngestOut,
    NoteIn,
    ResolveIn,
)
from zhizhi.sensors.services import alarms, devices
from zhizhi.sensors.services.ingest import Inbound, ingest

router = Router(tags=["sensors"])


class GatewayKey(APIKeyHeader):
    param_name = "X-Api-Key"

    def authenticate(self, request, key):
        return devices.gateway_for_key(key)


def _alarm(a) -> dict:
    return {
        "id": a.pk,
        "kind": a.kind,
        "kind_display": str(a.get_kind_display()),
        "status": a.status,
        "step": a.step,
        "resident": a.resident.name,
        "area_code": a.area_code,
        "due_at": a.due_at,
        "raised_at": a.raised_at,
        "silence_since": a.silence_since,
        "acknowledged_at": a.acknowledged_at,
        "resolved_at": a.resolved_at,
        "outcome": a.outcome,
        "outcome_note": a.outcome_note,
        "case_number": a.case_number,
    }


@router.post("/gateway/messages", response=IngestOut, auth=GatewayKey(), url_name="sensors_gateway_messages")
def gateway_messages(request, payload: GatewayBatch):
    """A vendor gateway's batch of device reports (at most 5,000), stored in one transaction."""
    gateway = request.auth
    now = clock.now()
    items = [
        Inbound(
            item.device,
            item.model_dump(exclude_none=True, mode="json", exclude={"device"}),
            now,
            source=Source.HTTP,
            gateway=gateway.name,
        )
        for item in payload.messages
    ]
    report = ingest(items)
    return {
        "accepted": report.messages,
        "events": report.events,
        "dead_letters": report.dead_letters,
        "unknown": report.unknown,
    }


@router.get("/board", response=list[BoardRowOut], url_name="sensors_board")
def board(request):
    """The elders watched in the caller's area: last activity, state colour, open alarms."""
    return [
        {
            "watch_id": r.watch.pk,
            "name": r.name,
            "address": r.address,
            "last_activity_at": r.last_activity_at,
            "colour": r.colour,
            "state": r.state,
            "open_alarms": [a.pk for a in r.open_alarms],
        }
        for r in queries.board(request.user)
    ]


@router.get("/alarms", response=list[AlarmOut], url_name="sensors_alarms")
def alarm_list(request, status: str = ""):
    """Alarms of the caller's area, newest first (at most 200); `status` open | acknowledged | resolved."""
    rows = queries.alarms_for(request.user)
    if status:
        if status not in ("open", "acknowledged", "resolved"):
            raise InvalidInput("status must be open, acknowledged or resolved", field="status")
        rows = rows.filter(status=status)
    return [_alarm(a) for a in rows[:200]]


@router.get("/alarms/{alarm_id}", response=AlarmOut, url_name="sensors_alarm")
def alarm_detail(request, alarm_id: int):
    return _alarm(queries.access_alarm(request.user, alarm_id))


@router.post("/alarms/{alarm_id}/acknowledge", response=AlarmOut, url_name="sensors_alarm_acknowledge")
def acknowledge(request, alarm_id: int, data: NoteIn):
    """Someone is on it: the ladder stops."""
    alarm = queries.access_alarm(request.user, alarm_id)
    return _alarm(alarms.acknowledge_alarm(request.user, alarm, data.note))


@router.post("/alarms/{alarm_id}/resolve", response=AlarmOut, url_name="sensors_alarm_resolve")
def resolve(request, alarm_id: int, data: ResolveIn):
    """Close with the outcome (safe, hospital, false_alarm — and why)."""
    alarm = queries.access_alarm(request.user, alarm_id)
    return _alarm(alarms.resolve_alarm(request.user, alarm, data.outcome, data.note))


@router.get("/devices", response=list[DeviceOut], url_name="sensors_devices")
def device_list(request):
    """Installed devices of the caller's area with their open maintenance tickets."""
    return [
        {
            "id": d.pk,
            "vendor_id": d.vendor_id,
            "friendly_name": d.friendly_name,
            "kind": d.kind,
            "area_code": d.area_code,
            "battery": d.battery,
            "battery_low": d.battery_low,
            "online": d.online,
            "last_seen_at": d.last_seen_at,
            "last_activity_at": d.last_activity_at,
            "open_tickets": [t.kind for t in d.open_tickets],
        }
        for d in queries.device_health(request.user)
    ]
