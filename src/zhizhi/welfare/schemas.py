"""JSON shapes of the welfare API. ID numbers are masked everywhere except the audited reveal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from zhizhi.core.params import Id


class FactOut(Schema):
    name: str
    type: str
    description: str
    aliases: list[str]


class ProgrammeOut(Schema):
    code: str
    name: str
    policy: str
    target: str
    rule: str
    benefit_kind: str
    amount: Decimal | None
    formula: str
    unit: str
    cycle: str
    partner: str | None
    requires_consent: bool
    active: bool
    evaluated_at: dt.datetime | None


class RuleIn(Schema):
    rule: str
    formula: str | None = None


class RuleCheckIn(Schema):
    source: str
    kind: str = Field("rule", description="rule (a condition) or formula (a number)")


class RuleCheckOut(Schema):
    ok: bool
    names: list[str]


class PersonExplained(Schema):
    id: int
    name: str
    id_number: str
    explanation: list[str]


class PreviewOut(Schema):
    qualify: int = Field(description="people (household heads) the draft rule selects now, in your area")
    qualify_now: int = Field(description="people the saved rule selects now")
    live: int = Field(description="live enrolments (draft, verified, enrolled, paused) in your area")
    would_start_count: int
    would_start: list[PersonExplained]
    would_stop_count: int
    would_stop: list[PersonExplained]


class ReevaluationOut(Schema):
    programme: str
    matched: int
    drafted: int
    flagged: int
    within: str = Field("", description="the area the run wrote in; empty: the whole programme")


class EnrolmentOut(Schema):
    id: int
    programme: str
    status: str
    resident_id: int
    name: str
    id_number: str
    household: str | None
    area_code: str
    flagged: bool
    flag_reason: str
    consent_at: dt.datetime | None
    explanation: list[str] | None = None


class EnrolmentPageOut(Schema):
    items: list[EnrolmentOut]
    page: int
    page_size: int
    has_next: bool
    total: int
    total_capped: bool


class EventOut(Schema):
    at: dt.datetime
    action: str
    from_status: str
    to_status: str
    reason: str
    by: str
    explanation: list[str]


class EnrolmentDetailOut(EnrolmentOut):
    events: list[EventOut]


class IdsIn(Schema):
    ids: list[Id]


class ActionIn(Schema):
    action: str = Field(description="enrol, reject, pause, resume, exit, redraft or keep")
    reason: str = ""


class ConsentIn(Schema):
    method: str = Field(description="signed, phone, app or guardian")
    given_by: str


class CycleIn(Schema):
    period: str = Field("", description="2026-11 (monthly), 2026-Q4, 2026, or once; empty: the current one")


class BatchOut(Schema):
    id: int
    reference: str
    programme: str
    partner: str
    period: str
    status: str
    line_count: int
    total: Decimal
    accepted: int
    rejected: int
    created_at: dt.datetime
    sent_at: dt.datetime | None
    push_error: str


class CycleOut(Schema):
    batch: BatchOut | None
    created: int
    held: int
    already: int


class LineOut(Schema):
    line_no: int
    reference: str
    payload: dict
    result: str
    reason: str


class BatchDetailOut(BatchOut):
    lines: list[LineOut]


class ReceiptOut(Schema):
    accepted: int
    rejected: int
    unchanged: int


class AccountIn(Schema):
    resident_id: Id
    account_number: str


class CaseFileRowOut(Schema):
    id: int
    resident_id: int
    name: str
    id_number: str
    area_code: str
    risk_score: int
    risk_level: str
    advisor: str | None
    next_visit_due: dt.date | None
    last_visit_at: dt.datetime | None


class CaseFilePageOut(Schema):
    items: list[CaseFileRowOut]
    page: int
    page_size: int
    has_next: bool
    total: int
    total_capped: bool


class TimelineOut(Schema):
    at: dt.datetime
    kind: str
    title: str
    detail: str
    by: str


class LinkItemOut(Schema):
    at: dt.datetime
    kind: str
    title: str
    number: str
    status: str
    detail: str
    url: str
    open: bool


class LinkSectionOut(Schema):
    """What another app holds about the person (welfare.links), as far as the caller may see it."""

    key: str
    heading: str
    items: list[LinkItemOut]
    more: bool
    failed: bool


class CaseFileDetailOut(CaseFileRowOut):
    risk_factors: list[dict]
    visit_interval_days: int
    tags: list[str]
    links: list[LinkSectionOut]
    timeline: list[TimelineOut]


class MapPointOut(Schema):
    building: str
    name: str
    lat: float
    lon: float
    people: int
    high: int
    medium: int
    low: int
    max_score: int
    url: str


class CaseFileMapOut(Schema):
    """The filtered register drawn on the map: one point per building, the busiest first, capped."""

    points: list[MapPointOut]
    buildings: int
    people: int
    shown_people: int
    unlocated: int
    capped: bool


class OpenIn(Schema):
    area_code: str = Field(
        "", max_length=20, description="a community or grid code; empty: the caller's area"
    )


class VisitIn(Schema):
    note: str
    at: dt.datetime | None = None
    kind: str = "home"
    lat: float | None = None
    lon: float | None = None


class VisitOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    note: str
    lat: float | None
    lon: float | None
    photos: int


class AssessmentIn(Schema):
    needs: dict[str, str]
    summary: str = ""


class PlanIn(Schema):
    goals: str
    services: list[dict] = []
    review_on: dt.date | None = None


class ReferralIn(Schema):
    to: str
    reason: str
    case_reference: str = ""


class ReferralUpdateIn(Schema):
    status: str
    outcome: str = ""


class CreatedOut(Schema):
    id: int


class RevealOut(Schema):
    id_number: str
    phone: str


class AdvisorIn(Schema):
    username: str


class AssignIn(Schema):
    community: str


class AssignOut(Schema):
    assigned: int


class WorkbenchOut(Schema):
    today: dt.date
    elders: list[CaseFileRowOut]
    overdue: list[CaseFileRowOut]
