"""JSON shapes of /api/sensors/."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import StrictBool


class GatewayItem(Schema):
    """One device report from a vendor gateway (Zigbee2MQTT's keys; `device` is the vendor id)."""

    device: str = Field(..., min_length=1, max_length=64)
    # JSON true/false only, as over MQTT: "yes", 1 or "open" would be a guess at what the gateway meant.
    contact: StrictBool | None = Field(None, description="false = open (Zigbee2MQTT convention)")
    occupancy: StrictBool | None = None
    battery: int | None = Field(None, ge=0, le=100)
    battery_low: StrictBool | None = None
    voltage: int | None = None
    linkquality: int | None = None
    tamper: StrictBool | None = None
    last_seen: dt.datetime | None = Field(None, description="device time; makes the report idempotent")


class GatewayBatch(Schema):
    messages: list[GatewayItem] = Field(..., max_length=5000)


class IngestOut(Schema):
    accepted: int
    events: int
    dead_letters: int
    unknown: int


class AlarmOut(Schema):
    id: int
    kind: str
    kind_display: str
    status: str
    step: str
    resident: str
    area_code: str
    due_at: dt.datetime
    raised_at: dt.datetime
    silence_since: dt.datetime | None
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    outcome: str
    outcome_note: str
    case_number: str


class ResolveIn(Schema):
    outcome: str = Field(..., description="safe | hospital | false_alarm")
    note: str = Field("", max_length=500, description="required for a false alarm: why")


class NoteIn(Schema):
    note: str = Field("", max_length=500)


class BoardRowOut(Schema):
    watch_id: int
    name: str
    address: str
    last_activity_at: dt.datetime | None
    colour: str
    state: str
    open_alarms: list[int]
    away_until: dt.datetime | None = None  # an away notice in force: the declared return


class DeviceOut(Schema):
    id: int
    vendor_id: str
    friendly_name: str
    kind: str
    area_code: str
    battery: int | None
    battery_low: bool
    online: bool
    last_seen_at: dt.datetime | None
    last_activity_at: dt.datetime | None
    open_tickets: list[str]


class NoticeIn(Schema):
    """An away notice (外出报备): away from `leaves_at` (default: now) until `back_by`; naive times are the
    street's wall clock (Asia/Shanghai)."""

    back_by: dt.datetime
    leaves_at: dt.datetime | None = None
    reason: str = Field("", max_length=200)


class NoticeOut(Schema):
    id: int
    leaves_at: dt.datetime
    back_by: dt.datetime
    reason: str
    filed_by: str | None
    created_at: dt.datetime
    departed_at: dt.datetime | None
    ended_at: dt.datetime | None
    end_note: str
    open: bool
