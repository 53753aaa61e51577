"""JSON shapes of the cases API (filled by cases.presenters). Phones are masked; times are ISO 8601 with
their offset (UTC stored; pages show Asia/Shanghai)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from zhizhi.cases.services import EnforcementInput, FileInput
from zhizhi.core.errors import InvalidInput
from zhizhi.core.params import Id

# ------------------------------------------------------------------------------------------- input


class FileIn(Schema):
    filename: str = "photo.jpg"
    content_type: str = Field(
        "image/jpeg",
        description="image/jpeg, image/png, image/webp, image/gif, image/heic or application/pdf",
    )
    data_base64: str = Field(description="the file, base64-encoded (at most 5 MB)")


class CaseIn(Schema):
    category: str = Field(description="category code, name or other name, e.g. E06010 or 暴露垃圾")
    description: str
    channel: str = "resident"
    lat: float | None = Field(None, description="latitude; WGS84 unless crs says gcj02")
    lon: float | None = None
    crs: str = Field("wgs84", description="wgs84 or gcj02 (高德/腾讯/微信 coordinates)")
    area_code: str = Field("", description="a grid, community or street code, when there is no point")
    address: str = ""
    title: str = ""
    urgency: str = "normal"
    anonymous: bool = False
    reporter_name: str = ""
    contact_phone: str = ""
    answers: dict[str, Any] = Field(default_factory=dict)
    photos: list[FileIn] = Field(default_factory=list)
    idempotency_key: str = Field(
        "", description="or the Idempotency-Key header; a repeat returns the first case"
    )
    source_ref: str = ""


class NoteIn(Schema):
    note: str = ""


class ReasonIn(Schema):
    reason: str = ""


class MergeIn(Schema):
    into: Id = Field(description="id of the case this one duplicates")
    reason: str = ""


class DispatchIn(Schema):
    unit: Id | None = Field(None, description="unit id; empty: the routing rules choose")
    note: str = ""


class EnforcementIn(Schema):
    subject: str = Field("", description="违法主体")
    facts: str = Field("", description="违法事实")
    legal_basis: str = Field("", description="处罚依据")
    outcome: str = Field("", description="处理结果")
    penalty_amount: float | None = None


class SubmitIn(Schema):
    note: str = ""
    evidence: list[str] = Field(default_factory=list, description="described evidence, e.g. 调解协议编号")
    photos: list[FileIn] = Field(default_factory=list)
    attachment_ids: list[Id] = Field(default_factory=list, description="files uploaded to the case before")
    enforcement: EnforcementIn | None = None


class VerifyIn(Schema):
    passed: bool
    note: str = Field("", description="required when not passed (the rework reason)")
    method: str | None = None
    photos: list[FileIn] = Field(default_factory=list)
    attachment_ids: list[Id] = Field(default_factory=list)
    source_ref: str = ""


class EscalateIn(Schema):
    reason: str = ""
    unit: Id | None = None


class SendDownIn(Schema):
    unit: Id | None = None
    reason: str = ""


class SuperviseIn(Schema):
    reason: str = ""
    deadline: dt.datetime | None = Field(None, description="earlier deadline; empty: half the remaining time")


class ExtensionIn(Schema):
    amount: float
    amount_unit: str = "work_days"
    reason: str = ""


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class RevisitIn(Schema):
    rating: str = Field(description="satisfied, basically or unsatisfied")
    comment: str = ""
    responded: bool | None = None
    resolved: bool | None = None
    valid: bool = True


def files_in(items: list[FileIn], field_name: str = "photos") -> list[FileInput]:
    files = []
    for i, item in enumerate(items):
        try:
            data = base64.b64decode(item.data_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput(
                f"file {i + 1} is not valid base64", field=f"{field_name}.{i}.data_base64"
            ) from exc
        files.append(FileInput(item.filename, item.content_type, data))
    return files


def enforcement_in(item: EnforcementIn | None) -> EnforcementInput | None:
    if item is None:
        return None
    return EnforcementInput(item.subject, item.facts, item.legal_basis, item.outcome, item.penalty_amount)


# ------------------------------------------------------------------------------------------- output


class Out(BaseModel):
    """The API's answers. They are filled from the presenters' dicts (or objects), so they validate with
    pydantic alone: ninja's Schema wraps every value it validates in a DjangoGetter, which on the intake
    answer cost more than building it."""

    model_config = ConfigDict(from_attributes=True)


class Ref(Out):
    id: int
    name: str


class CaseRowOut(Out):
    id: int
    number: str
    status: str
    status_label: str
    channel: str
    urgency: str
    category: str
    category_code: str
    title: str
    address: str
    area_code: str
    lat: float | None
    lon: float | None
    unit: Ref | None
    level: str
    step: str
    deadline: dt.datetime | None
    overdue: bool
    supervised: bool
    created_at: dt.datetime


class AttachmentOut(Out):
    id: int
    kind: str
    filename: str
    content_type: str
    size: int
    transition_id: int | None
    url: str


class TransitionOut(Out):
    id: int
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor: str
    at: dt.datetime
    reason: str
    unit_from: Ref | None
    unit_to: Ref | None
    deadline: dt.datetime | None
    on_time: bool | None
    data: dict


class CaseDetailOut(CaseRowOut):
    description: str
    answers: dict
    reporter: str
    anonymous: bool
    contact_phone: str = Field(description="masked")
    merged_into: str
    escalations: int
    closed_at: dt.datetime | None
    allowed_actions: list[str]
    timeline: list[TransitionOut]
    attachments: list[AttachmentOut]
    enforcement: dict | None
    verifications: list[dict]
    revisits: list[dict]
    extensions: list[dict]


class CasePageOut(Out):
    items: list[CaseRowOut]
    next_offset: int | None


class NearbyOut(Out):
    id: int
    number: str
    category: str
    title: str
    status_label: str
    created_at: dt.datetime


class IntakeOut(Out):
    created: bool = Field(description="false when the idempotency key returned an earlier case")
    case: CaseRowOut = Field(description="the case as opened; its timeline and files: GET /api/cases/{id}")
    duplicates: list[NearbyOut] = Field(description="open cases of the same category nearby: merge or follow")


class CategoryOut(Out):
    id: int
    code: str
    kind: str
    major_name: str
    name: str
    aliases: list[str]
    department: str
    default_unit_type: str
    default_level: str
    enforcement: bool
    urgent: bool
    limits: dict[str, str]
    register_condition: str
    close_condition: str
    questions: list


class UnitOut(Out):
    id: int
    code: str
    name: str
    level: str
    unit_type: str
    area_code: str
    parent: Ref | None


class RoutePreviewOut(Out):
    category: str
    area_code: str
    area: str
    unit: UnitOut | None
    rule_id: int | None
    reason: str
    escalation: list[UnitOut]
    limits: list[dict]


class WorklistOut(Out):
    unit: UnitOut
    to_sign: int
    in_handling: int
    overdue: int
    items: list[CaseRowOut]


class NotificationOut(Out):
    id: int
    channel: str
    event: str
    text: str
    status: str
    attempts: int
    case_id: int | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    read_at: dt.datetime | None


class ExtensionOut(Out):
    id: int
    status: str
    amount: float
    amount_unit: str
    new_deadline: dt.datetime | None


class ContactOut(Out):
    contact_phone: str
