"""JSON shapes of the people API. ID numbers and phones are masked unless a field says otherwise."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class ResidentRowOut(Schema):
    id: int
    name: str
    id_number: str = Field(description="masked, e.g. 330105********1234")
    phone: str = Field(description="masked, e.g. 138****5678")
    sex: str
    birth_date: dt.date
    status: str
    area_code: str
    home_code: str
    address: str
    tags: list[str]


class PageOut(Schema):
    page: int
    page_size: int
    has_next: bool
    total: int = Field(description="number of matches, counted up to 1000")
    total_capped: bool = Field(description="true when there are more than `total` matches")


class ResidentPageOut(PageOut):
    items: list[ResidentRowOut]


class ResidenceOut(Schema):
    dwelling_code: str
    address: str
    relation: str
    is_primary: bool
    since: dt.date | None = None


class ContactOut(Schema):
    id: int
    kind: str
    name: str
    relation: str
    phone: str = Field(description="masked")
    priority: int


class HouseholdBriefOut(Schema):
    id: int
    number: str


class RevealRightsOut(Schema):
    id_number: bool
    phone: bool


class ResidentDetailOut(ResidentRowOut):
    household: HouseholdBriefOut | None
    relation_to_head: str
    residences: list[ResidenceOut]
    contacts: list[ContactOut]
    may_reveal: RevealRightsOut
    may_edit: bool


class RevealOut(Schema):
    id: int
    id_number: str = Field(description="whole when `revealed.id_number`, else masked")
    phone: str = Field(description="whole when `revealed.phone`, else masked")
    revealed: RevealRightsOut


class ResidentIn(Schema):
    name: str
    id_number: str
    phone: str = ""
    tags: list[str] = Field(default_factory=list, description="tag codes or names")
    home_code: str = Field("", description="standard dwelling code")
    relation: str = Field("family", description="owner, tenant, family or collective")
    status: str = "active"


class ResidentPatchIn(Schema):
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    tags: list[str] | None = None
    home_code: str | None = None
    relation: str | None = None
    status: str | None = None


class ContactIn(Schema):
    kind: str = Field(description="family or emergency")
    name: str
    relation: str = ""
    phone: str


class HouseholdRowOut(Schema):
    id: int
    number: str
    kind: str
    area_code: str
    dwelling_code: str
    address: str
    head_name: str
    member_count: int


class HouseholdPageOut(PageOut):
    items: list[HouseholdRowOut]


class HouseholdDetailOut(HouseholdRowOut):
    members: list[ResidentRowOut]


class ImportOut(Schema):
    created: int
    updated: int
    households_created: int = 0


class ExportIn(Schema):
    kind: str = Field("residents", description="residents or households")
    q: str = ""
    tags: list[str] = Field(default_factory=list)
    community: str = ""
    grid: str = ""


class ExportJobOut(Schema):
    id: int
    kind: str
    status: str
    params: dict
    rows: int
    error: str
    filename: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    download_url: str | None
