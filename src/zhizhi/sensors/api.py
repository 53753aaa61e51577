"""/api/sensors/ — vendor gateways post device reports; staff read and act on alarms, the board and devices.

The gateway endpoint authenticates with the gateway's API key (header X-Api-Key) instead of a session; a
batch is idempotent when its items carry `last_seen` (their dedup keys repeat).
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.security import APIKeyHeader

from zhizhi.core import clock
from zhizhi.core.errors import InvalidInput
from zhizhi.core.params import Id
from zhizhi.sensors import queries
from zhizhi.sensors.models import DeviceKind, Source
from zhizhi.sensors.schemas import (
    AlarmOut,
    BoardRowOut,
    DeviceOut,
    GatewayBatch,
    IngestOut,
    NoteIn,
    NoticeIn,
    NoticeOut,
    ResolveIn,
)
from zhizhi.sensors.services import alarms, devices, notices, tuning
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
            "away_until": r.away_until,
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
def alarm_detail(request, alarm_id: Id):
    return _alarm(queries.access_alarm(request.user, alarm_id))


@router.post("/alarms/{alarm_id}/acknowledge", response=AlarmOut, url_name="sensors_alarm_acknowledge")
def acknowledge(request, alarm_id: Id, data: NoteIn):
    """Someone is on it: the ladder stops."""
    alarm = queries.access_alarm(request.user, alarm_id)
    return _alarm(alarms.acknowledge_alarm(request.user, alarm, data.note))


@router.post("/alarms/{alarm_id}/resolve", response=AlarmOut, url_name="sensors_alarm_resolve")
def resolve(request, alarm_id: Id, data: ResolveIn):
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


# ------------------------------------------------------------------------------------------- binding devices


class UnknownOut(Schema):
    id: int
    gateway: str
    identifier: str
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    messages: int


class BindIn(Schema):
    dwelling: str = Field(..., description="the dwelling's standard-address code")
    kind: str = Field("door", description="door | motion | water | smoke")
    friendly_name: str = Field("", max_length=128, description="vendor-gateway devices only")
    vendor_id: str = Field("", max_length=64, description="Zigbee2MQTT devices: the IEEE address")
    is_entrance: bool = True


class InstallIn(Schema):
    dwelling: str
    note: str = Field("", max_length=200)


class RemoveIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


class DeviceDetailOut(Schema):
    id: int
    vendor_id: str
    friendly_name: str
    kind: str
    active: bool
    dwelling: str | None
    address: str
    residents: list[int]


def _device(d) -> dict:
    return {
        "id": d.pk,
        "vendor_id": d.vendor_id,
        "friendly_name": d.friendly_name,
        "kind": d.kind,
        "active": d.active,
        "dwelling": d.dwelling.code if d.dwelling else None,
        "address": d.dwelling.address if d.dwelling else "",
        "residents": sorted(d.residents.values_list("pk", flat=True)),
    }


@router.get("/unknown-devices", response=list[UnknownOut], url_name="sensors_unknown_devices")
def unknown_devices(request):
    """Devices seen but not registered, for device managers (grid workers, community staff, admins)."""
    rows = queries.unknown_devices_for(request.user).order_by("-last_seen_at", "-id")[:200]
    return [
        {
            "id": u.pk,
            "gateway": u.gateway_name,
            "identifier": u.identifier,
            "first_seen_at": u.first_seen_at,
            "last_seen_at": u.last_seen_at,
            "messages": u.messages,
        }
        for u in rows
    ]


@router.post("/unknown-devices/{unknown_id}/bind", response=DeviceDetailOut, url_name="sensors_bind_device")
def bind_device(request, unknown_id: Id, data: BindIn):
    """Register the device at a dwelling; the residents living there are bound to it."""
    unknown = queries.access_unknown(request.user, unknown_id)
    dwelling = queries.access_dwelling(request.user, data.dwelling)
    if data.kind not in DeviceKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(DeviceKind.values)}", field="kind")
    device = devices.bind_unknown(
        request.user,
        unknown,
        vendor_id=data.vendor_id,
        friendly_name=data.friendly_name,
        kind=data.kind,
        dwelling=dwelling,
        is_entrance=data.is_entrance,
    )
    return _device(device)


@router.post("/devices/{device_id}/install", response=DeviceDetailOut, url_name="sensors_device_install")
def install_device(request, device_id: Id, data: InstallIn):
    """Install, or move, the device at a dwelling (rebinding it to the residents living there)."""
    device = queries.access_device(request.user, device_id)
    dwelling = queries.access_dwelling(request.user, data.dwelling)
    return _device(devices.install_device(request.user, device, dwelling, data.note))


@router.post("/devices/{device_id}/remove", response=DeviceDetailOut, url_name="sensors_device_remove")
def remove_device(request, device_id: Id, data: RemoveIn):
    device = queries.access_device(request.user, device_id)
    return _device(devices.remove_device(request.user, device, data.reason, reason_required=True))


# ------------------------------------------------------------------------------------------- tuning


class ProposalOut(Schema):
    id: int
    alarm_kind: str
    parameter: str
    before: float
    after: float
    reason: str
    status: str
    evidence: dict
    decided_by: str | None
    automatic: bool


def _proposal(p) -> dict:
    return {
        "id": p.pk,
        "alarm_kind": p.alarm_kind,
        "parameter": p.parameter,
        "before": p.before,
        "after": p.after,
        "reason": p.reason,
        "status": p.status,
        "evidence": p.evidence,
        "decided_by": p.decided_by.get_username() if p.decided_by_id else None,
        "automatic": p.automatic,
    }


@router.get("/watches/{watch_id}/proposals", response=list[ProposalOut], url_name="sensors_proposals")
def proposals(request, watch_id: Id):
    """Open threshold proposals of a watched person, then the decided ones (newest first)."""
    watched = queries.access_watch(request.user, watch_id)
    return [_proposal(p) for p in tuning.open_proposals(watched) + tuning.history(watched)]


@router.post(
    "/watches/{watch_id}/proposals/{proposal_id}/accept",
    response=ProposalOut,
    url_name="sensors_proposal_accept",
)
def accept_proposal(request, watch_id: Id, proposal_id: Id, data: NoteIn):
    watched = queries.access_watch(request.user, watch_id)
    return _proposal(tuning.accept(request.user, tuning.access_proposal(watched, proposal_id), data.note))


@router.post(
    "/watches/{watch_id}/proposals/{proposal_id}/dismiss",
    response=ProposalOut,
    url_name="sensors_proposal_dismiss",
)
def dismiss_proposal(request, watch_id: Id, proposal_id: Id, data: NoteIn):
    watched = queries.access_watch(request.user, watch_id)
    return _proposal(tuning.dismiss(request.user, tuning.access_proposal(watched, proposal_id), data.note))


def _notice(n) -> dict:
    return {
        "id": n.pk,
        "leaves_at": n.leaves_at,
        "back_by": n.back_by,
        "reason": n.reason,
        "filed_by": n.filed_by.get_username() if n.filed_by_id else None,
        "created_at": n.created_at,
        "departed_at": n.departed_at,
        "ended_at": n.ended_at,
        "end_note": n.end_note,
        "open": n.ended_at is None,
    }


def _file(request, watched, data: NoticeIn):
    notice = notices.file_notice(
        request.user, watched, back_by=data.back_by, leaves_at=data.leaves_at, reason=data.reason
    )
    return Status(201, _notice(notice))


def _end(request, watched, notice_id: Id, data: NoteIn) -> dict:
    return _notice(notices.end_notice(request.user, notices.access_notice(watched, notice_id), data.note))


@router.get("/watches/{watch_id}/notices", response=list[NoticeOut], url_name="sensors_notices")
def notice_list(request, watch_id: Id):
    """The person's away notices (外出报备), newest departure first."""
    watched = queries.access_watch(request.user, watch_id)
    return [_notice(n) for n in notices.history(watched)]


@router.post("/watches/{watch_id}/notices", response={201: NoticeOut}, url_name="sensors_notice_file")
def file_notice(request, watch_id: Id, data: NoticeIn):
    """File an away notice: the person's silence rules wait for the declared return (door rules do not)."""
    return _file(request, queries.access_watch(request.user, watch_id), data)


@router.post("/watches/{watch_id}/notices/{notice_id}/end", response=NoticeOut, url_name="sensors_notice_end")
def end_notice(request, watch_id: Id, notice_id: Id, data: NoteIn):
    """End an away notice early (back home, trip called off): the person is watched as usual from now."""
    return _end(request, queries.access_watch(request.user, watch_id), notice_id, data)


@router.get("/me/notices", response=list[NoticeOut], url_name="sensors_my_notices")
def my_notice_list(request):
    """A watched resident's own away notices (404 when they are not watched)."""
    return [_notice(n) for n in notices.history(notices.own_watch(request.user))]


@router.post("/me/notices", response={201: NoticeOut}, url_name="sensors_my_notice_file")
def file_my_notice(request, data: NoticeIn):
    """A watched resident tells the community they are away until `back_by`."""
    return _file(request, notices.own_watch(request.user), data)


@router.post("/me/notices/{notice_id}/end", response=NoticeOut, url_name="sensors_my_notice_end")
def end_my_notice(request, notice_id: Id, data: NoteIn):
    return _end(request, notices.own_watch(request.user), notice_id, data)
