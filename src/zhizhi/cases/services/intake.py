"""Intake (信息收集): every channel opens a case here. Validated first (errors name the field), idempotent by
key, numbered per street and day, located in its grid, and offered the open duplicates nearby."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import IntegrityError, connection, connections, router
from django.db.models import Field

from zhizhi.areas import spatial
from zhizhi.areas.models import Area
from zhizhi.cases import geo
from zhizhi.cases.access import is_system, is_user
from zhizhi.cases.models import (
    OPEN_STATUSES,
    AttachmentKind,
    Case,
    CaseAction,
    CaseAttachment,
    CaseStatus,
    Category,
    Channel,
    Transition,
    Urgency,
)
from zhizhi.cases.services import lookups, outbox, together
from zhizhi.cases.services.machine import actor_name, start_step
from zhizhi.cases.services.numbering import next_number
from zhizhi.cases.services.together import insert_together
from zhizhi.cases.workflow import Step
from zhizhi.core import audit, clock, pii
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput
from zhizhi.core.models import AuditAction
from zhizhi.core.roles import AreaLevel, Role
from zhizhi.people.services import check_phone

DUPLICATE_RADIUS_M = 100.0
DUPLICATE_WINDOW = dt.timedelta(days=7)
MAX_PHOTOS = 9
MAX_FILE_BYTES = 5 * 1024 * 1024
ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "application/pdf"}
RESIDENT_CHANNELS = {Channel.RESIDENT, Channel.ONECALL}
MACHINE_CHANNELS = {Channel.SENSOR, Channel.CAMERA, Channel.OPEN311, Channel.ONECALL}
# What a list of duplicate candidates shows (the intake answer, the report page): no joins, no other columns.
LEAN_FIELDS = ("id", "number", "title", "status", "created_at", "lat", "lon", "category_id")


@dataclass
class FileInput:
    filename: str
    content_type: str
    data: bytes


@dataclass
class CaseInput:
    """What a report carries. Give `lat`/`lon` (WGS84, or GCJ-02 with crs="gcj02") or an `area_code`."""

    category: str
    description: str
    channel: str = Channel.RESIDENT
    lat: Any = None
    lon: Any = None
    crs: str = "wgs84"
    area_code: str = ""
    address: str = ""
    title: str = ""
    urgency: str = Urgency.NORMAL
    anonymous: bool = False
    reporter_name: str = ""
    contact_phone: str = ""
    answers: dict = field(default_factory=dict)
    photos: list[FileInput] = field(default_factory=list)
    idempotency_key: str = ""
    source_ref: str = ""


@dataclass
class IntakeResult:
    case: Case
    created: bool
    duplicates: list[NearbyCase]


@dataclass(frozen=True, slots=True)
class NearbyCase:
    """An open case offered as a duplicate, with only what a list of candidates shows (LEAN_FIELDS): read
    into a plain object rather than a deferred model, which on an intake answer with ten candidates cost
    more than the query."""

    pk: int
    number: str
    title: str
    status: str
    created_at: dt.datetime
    lat: float
    lon: float
    category: Category

    @property
    def id(self) -> int:
        return self.pk


# ------------------------------------------------------------------------------------------- validation


def find_category(value: Any, field_name: str = "category") -> Category:
    """A category by code, name or one of its other names; inactive ones are refused."""
    text = str(value or "").strip()
    if not text:
        raise InvalidInput("category is required", field=field_name)
    category = lookups.category(text)
    if category is None or not category.active:
        raise InvalidInput(f"unknown category {text!r}", field=field_name)
    return category


def check_location(data: CaseInput) -> tuple[Area, float | None, float | None]:
    """(grid or area, lat, lon in WGS84); a point outside every grid of the deployment is refused."""
    has_lat, has_lon = data.lat not in (None, ""), data.lon not in (None, "")
    if has_lat != has_lon:
        raise InvalidInput("give both lat and lon", field="lon" if has_lat else "lat")
    if has_lat:
        lat, lon = spatial.check_point(data.lat, data.lon, data.crs or "wgs84")
        grid = lookups.grid_at(lat, lon)
        if grid is None:
            raise InvalidInput(
                f"the point ({lat:.6f}, {lon:.6f}) lies outside every grid of this street: "
                "check the pin, or report the area instead",
                field="location",
            )
        return grid, lat, lon
    code = str(data.area_code or "").strip()
    if not code:
        raise InvalidInput("give the location (lat and lon) or an area_code", field="location")
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise InvalidInput(f"no area with code {code}", field="area_code")
    if area.level not in (AreaLevel.GRID, AreaLevel.COMMUNITY, AreaLevel.STREET):
        raise InvalidInput("area_code must be a street, community or grid", field="area_code")
    return area, None, None


def check_text(value: Any, field_name: str, *, max_length: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field_name} is required", field=field_name)
    if len(text) > max_length:
        raise InvalidInput(f"{field_name} is longer than {max_length} characters", field=field_name)
    return text


@functools.lru_cache(maxsize=64)
def _choice_values(choices) -> frozenset:
    return frozenset(choices.values)  # the enum's `values` builds a new list on every read


def check_choice(value: Any, choices, field_name: str) -> str:
    try:
        known = value in _choice_values(choices)
    except TypeError:  # unhashable: a list or an object where a word was expected
        known = False
    if not known:
        raise InvalidInput(f"{field_name} must be one of {', '.join(choices.values)}", field=field_name)
    return str(value)


def check_answers(category: Category, answers: Any) -> dict:
    if answers in (None, ""):
        answers = {}
    if not isinstance(answers, dict):
        raise InvalidInput("answers must be an object of question keys to answers", field="answers")
    clean = {}
    for question in category.questions or []:
        key = question.get("key")
        value = answers.get(key)
        if value in (None, ""):
            if question.get("required"):
                raise InvalidInput(f"{question.get('label', key)} is required", field=f"answers.{key}")
            continue
        options = question.get("options")
        if question.get("type") == "choice" and options and value not in options:
            raise InvalidInput(f"choose one of {', '.join(options)}", field=f"answers.{key}")
        clean[key] = str(value)[:200]
    return clean


def check_files(
    files: list[FileInput], field_name: str = "photos", limit: int = MAX_PHOTOS
) -> list[FileInput]:
    files = list(files or [])
    if len(files) > limit:
        raise InvalidInput(f"at most {limit} files", field=field_name)
    for i, f in enumerate(files):
        if f.content_type not in ALLOWED_TYPES:
            raise InvalidInput(f"file {i + 1}: type {f.content_type!r} is not accepted", field=field_name)
        if not f.data:
            raise InvalidInput(f"file {i + 1} is empty", field=field_name)
        if len(f.data) > MAX_FILE_BYTES:
            raise InvalidInput(
                f"file {i + 1} is larger than {MAX_FILE_BYTES // 1024 // 1024} MB", field=field_name
            )
    return files


def check_case_input(actor: Any, data: CaseInput) -> dict:
    """Validate and normalise a report; raise InvalidInput naming the first bad field."""
    category = find_category(data.category)
    description = check_text(data.description, "description", max_length=2000, required=True)
    channel = check_choice(data.channel, Channel, "channel")
    if is_user(actor) and actor.role == Role.RESIDENT and channel not in RESIDENT_CHANNELS:
        raise InvalidInput("residents report through the resident page", field="channel")
    if is_system(actor) and channel not in MACHINE_CHANNELS:
        raise InvalidInput(
            "the platform reports only sensor, camera, Open311 or 1 Call cases", field="channel"
        )
    area, lat, lon = check_location(data)
    return {
        "category": category,
        "description": description,
        "channel": channel,
        "area": area,
        "lat": lat,
        "lon": lon,
        "address": check_text(data.address, "address", max_length=200),
        "title": check_text(data.title, "title", max_length=100) or category.name,
        "urgency": check_choice(data.urgency or Urgency.NORMAL, Urgency, "urgency"),
        "reporter_name": ""
        if data.anonymous
        else check_text(data.reporter_name, "reporter_name", max_length=64),
        "anonymous": bool(data.anonymous),
        "contact_phone": check_phone(data.contact_phone or "", "contact_phone"),
        "answers": check_answers(category, data.answers),
        "photos": check_files(data.photos),
        "idempotency_key": check_text(data.idempotency_key, "idempotency_key", max_length=128),
        "source_ref": check_text(data.source_ref, "source_ref", max_length=64),
    }


# ------------------------------------------------------------------------------------------- intake


def attachment_rows(
    case: Case, files: list[FileInput], kind: str, actor: Any, now: dt.datetime, transition=None
) -> list[CaseAttachment]:
    return [
        CaseAttachment(
            case=case,
            transition=transition,
            kind=kind,
            filename=(f.filename or "file")[:128],
            content_type=f.content_type,
            size=len(f.data),
            sha256=hashlib.sha256(f.data).hexdigest(),
            data=f.data,
            uploaded_by=actor if is_user(actor) else None,
            uploaded_at=now,
        )
        for f in files
    ]


def save_files(case: Case, files: list[FileInput], kind: str, actor: Any, now: dt.datetime, transition=None):
    return CaseAttachment.objects.bulk_create(attachment_rows(case, files, kind, actor, now, transition))


def _replay(actor: Any, key: str) -> Case | None:
    """The case first opened with this idempotency key, if the same reporter asks again."""
    existing = Case.objects.filter(idempotency_key=key).select_related("category", "current_unit").first()
    if existing is None:
        return None
    same = (is_user(actor) and existing.reporter_id == actor.pk) or (
        is_system(actor) and existing.reporter_id is None
    )
    if not same:
        raise Conflict("this idempotency key was used by another report", field="idempotency_key")
    return existing


def _create(actor: Any, clean: dict, now: dt.datetime) -> tuple[Case, list[NearbyCase] | None]:
    """The case with its first transition, photos, audit row and the reporter's notifications: written in one
    statement on PostgreSQL (together.insert_together), in one transaction elsewhere; the notifications are
    handed to the task queue after the commit. On PostgreSQL the same statement reads the duplicate
    candidates (`duplicate_summaries`, as it would find them right after: the statement's snapshot is from
    before the insert, so the new case is not among them); elsewhere they are None, to be read after."""
    street_code, number = next_number(clean["area"], now)
    phone = clean["contact_phone"]
    case = Case(
        number=number,
        street_code=street_code,
        channel=clean["channel"],
        reporter=actor if is_user(actor) else None,
        reporter_name=clean["reporter_name"]
        or ("" if clean["anonymous"] or not is_user(actor) else actor_name(actor)),
        anonymous=clean["anonymous"],
        contact_phone=phone,
        contact_phone_masked=pii.mask_phone(phone) if phone else "",
        lat=clean["lat"],
        lon=clean["lon"],
        address=clean["address"],
        area=clean["area"],
        area_code=clean["area"].code,
        category=clean["category"],
        title=clean["title"],
        description=clean["description"],
        answers=clean["answers"],
        urgency=clean["urgency"],
        status=CaseStatus.RECEIVED,
        idempotency_key=clean["idempotency_key"] or None,
        source_ref=clean["source_ref"],
        created_at=now,
        updated_at=now,
    )
    start_step(case, Step.REGISTER, now)
    opened = Transition(
        case=case,
        action=CaseAction.OPEN,
        from_status="",
        to_status=CaseStatus.RECEIVED,
        actor=actor if is_user(actor) else None,
        actor_name=actor_name(actor),
        at=now,
        deadline=case.deadline,
        data={"channel": case.channel, "photos": len(clean["photos"])},
    )
    photos = attachment_rows(case, clean["photos"], AttachmentKind.PHOTO, actor, now)
    entry = audit.entry(
        actor, AuditAction.CREATE, obj=case, summary=f"{case.number} reported via {case.channel}"
    )
    notices = outbox.reporter_rows(
        case, "received", f"您反映的问题已受理，编号 {case.number}，我们将尽快处理。"
    )
    to_send = together.Children(notices, {"case_id": "pk"}, returning=True)
    nearby = None
    lat, lon = case.lat, case.lon
    if connection.vendor == "postgresql" and lat is not None and lon is not None:
        nearby = together.Also(
            *_nearby_read(case.category, lat, lon, now, DUPLICATE_RADIUS_M, DUPLICATE_WINDOW, None, 10)
        )
    insert_together(
        case,
        [
            together.Children([opened], {"case_id": "pk"}),
            together.Children(photos, {"case_id": "pk"}),
            together.Children([entry], {"object_id": "pk_text"}),
            to_send,
        ],
        also=nearby,
    )
    outbox.send_after_commit(to_send.ids)
    if nearby is None or nearby.rows is None or lat is None or lon is None:
        return case, None
    return case, _nearest(_nearby_from_json(nearby.rows, case.category), lat, lon, DUPLICATE_RADIUS_M)


def open_case(actor: Any, data: CaseInput) -> IntakeResult:
    """Open a case from any channel. A repeated idempotency key returns the first case (created=False).

    The key is checked by the unique constraint on the case row, not by a read first: the usual report
    carries a new key, and a repeat costs one rolled-back insert (and a skipped serial number)."""
    if not (is_user(actor) or is_system(actor)):
        raise Forbidden("log in to report")
    key = str(data.idempotency_key or "").strip()
    try:
        clean = check_case_input(actor, data)
    except InvalidInput:
        # A repeat of a report whose reference data changed since (a category switched off) still returns
        # the case it opened.
        if key and (existing := _replay(actor, key)) is not None:
            return IntakeResult(existing, False, [])
        raise
    now = clock.now()
    try:
        case, nearby = _create(actor, clean, now)
    except IntegrityError:
        if key and (existing := _replay(actor, key)) is not None:
            return IntakeResult(existing, False, [])
        lookups.clear()  # a cached grid or category that is no longer there: read them again next time
        raise
    return IntakeResult(case, True, duplicate_summaries(case) if nearby is None else nearby)


def nearby_summaries(
    category: Category,
    lat: float,
    lon: float,
    *,
    now: dt.datetime | None = None,
    radius_m: float = DUPLICATE_RADIUS_M,
    window: dt.timedelta = DUPLICATE_WINDOW,
    exclude_id: int | None = None,
    limit: int = 10,
) -> list[NearbyCase]:
    """Open cases of the category within `radius_m` reported in the last `window`, nearest first, as
    NearbyCase summaries (the intake answer, the API's lists).

    One precompiled query on the partial index case_nearby_open: the bounding box of the circle, ordered by
    the squared equirectangular distance (the same order as the great-circle distance at this scale) and cut
    at `limit`; the exact distance then drops the box's corners."""
    now = now or clock.now()
    sql, params = _nearby_read(category, lat, lon, now, radius_m, window, exclude_id, limit)
    return _nearest(_lean_rows(sql, params, category), lat, lon, radius_m)


def _nearby_read(
    category: Category,
    lat: float,
    lon: float,
    now: dt.datetime,
    radius_m: float,
    window: dt.timedelta,
    exclude_id: int | None,
    limit: int,
) -> tuple[str, list]:
    """The candidates query of `nearby_summaries` with its parameters."""
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, radius_m)
    stretch = math.cos(math.radians(lat))
    params = [
        category.pk,
        min_lat,
        max_lat,
        min_lon,
        max_lon,
        connection.ops.adapt_datetimefield_value(now - window),
        exclude_id or 0,
        *(float(lat), float(lat), float(lon), float(lon), stretch, stretch),
        limit,
    ]
    return _lean_nearby_sql(connection.vendor), params


def _nearest(rows: list[NearbyCase], lat: float, lon: float, radius_m: float) -> list[NearbyCase]:
    """The candidates within the circle (the box's corners dropped), nearest first."""
    # the box in the WHERE clause leaves out cases with no lat/lon
    found = [(geo.distance_m(lat, lon, c.lat, c.lon), c) for c in rows]
    return [c for d, c in sorted(found, key=lambda p: (p[0], p[1].pk)) if d <= radius_m]


def nearby_open_cases(category: Category, lat: float, lon: float, **options: Any) -> list[Case]:
    """What `nearby_summaries` finds (same options), as whole cases with their category and unit."""
    found = nearby_summaries(category, lat, lon, **options)
    cases = Case.objects.select_related("category", "current_unit").in_bulk([c.pk for c in found])
    return [cases[c.pk] for c in found if c.pk in cases]


@functools.lru_cache(maxsize=4)
def _lean_nearby_sql(vendor: str) -> str:
    """The candidates query of `nearby_summaries`, written once: it runs on every intake, and
    building it through the ORM cost more than running it. The open statuses are written into the text (they
    are the model's own constants), so that PostgreSQL can use the partial index case_nearby_open for it
    even in a prepared statement's generic plan, where it cannot see the values of parameters."""
    q = connection.ops.quote_name
    meta = Case._meta
    col = {name: q(cast(Field, meta.get_field(name)).column) for name in _lean_fields()}
    statuses = ", ".join(f"'{s.value}'" for s in OPEN_STATUSES)  # enum values: letters and underscores
    near = (
        f"(({col['lat']} - %s) * ({col['lat']} - %s) + ({col['lon']} - %s) * ({col['lon']} - %s) * %s * %s)"
    )
    return (
        f"SELECT {', '.join(col.values())} FROM {q(meta.db_table)} "  # noqa: S608 — names from the model
        f"WHERE {col['category_id']} = %s AND {q('status')} IN ({statuses}) "
        f"AND {col['lat']} >= %s AND {col['lat']} <= %s AND {col['lon']} >= %s AND {col['lon']} <= %s "
        f"AND {col['created_at']} >= %s AND {col['id']} <> %s ORDER BY {near}, {col['id']} LIMIT %s"
    )


def _lean_fields() -> list[str]:
    """LEAN_FIELDS in the model's field order: the order a deferred row's values are given to `from_db`."""
    return [f.attname for f in Case._meta.concrete_fields if f.attname in LEAN_FIELDS]


@functools.lru_cache(maxsize=4)
def _lean_converters(alias: str) -> tuple[tuple[int, Any, tuple], ...]:
    """Per selected column that needs one, the backend's converters (as a queryset applies them)."""
    db = connections[alias]
    out = []
    for i, name in enumerate(_lean_fields()):
        col = cast(Field, Case._meta.get_field(name)).get_col(Case._meta.db_table)
        found = tuple(db.ops.get_db_converters(col) + col.get_db_converters(db))
        if found:
            out.append((i, col, found))
    return tuple(out)


def _lean_rows(sql: str, params: list, category: Category) -> list[NearbyCase]:
    """Run the candidates query; each row, through the backend's converters (as a queryset applies them),
    becomes a NearbyCase."""
    alias = router.db_for_read(Case)
    db = connections[alias]
    converters = _lean_converters(alias)
    names = _lean_fields()
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    out = []
    for values in fetched:
        if converters:
            values = list(values)
            for i, col, functions in converters:
                for convert in functions:
                    values[i] = convert(values[i], col, db)
        row = dict(zip(names, values, strict=True))
        out.append(_summary(row, category, row["created_at"]))
    return out


def _summary(row: dict, category: Category, created_at: dt.datetime) -> NearbyCase:
    return NearbyCase(
        pk=row["id"],
        number=row["number"],
        title=row["title"],
        status=row["status"],
        created_at=created_at,
        lat=float(row["lat"]),
        lon=float(row["lon"]),
        category=category,
    )


def _nearby_from_json(rows: list[dict], category: Category) -> list[NearbyCase]:
    """NearbyCase summaries from the candidates query's rows as JSON (read with the insert, together.Also)."""
    out = []
    for row in rows:
        created = dt.datetime.fromisoformat(row["created_at"])
        out.append(_summary(row, category, created if created.tzinfo else created.replace(tzinfo=dt.UTC)))
    return out


def duplicate_candidates(case: Case) -> list[Case]:
    """Open cases that look like the same problem: same category, within 100 m, reported in the last week."""
    if case.lat is None or case.lon is None:
        return []
    return nearby_open_cases(case.category, case.lat, case.lon, now=case.created_at, exclude_id=case.pk)


def duplicate_summaries(case: Case) -> list[NearbyCase]:
    """`duplicate_candidates` as NearbyCase summaries (the intake answer, GET /api/cases/{id}/duplicates)."""
    if case.lat is None or case.lon is None:
        return []
    return nearby_summaries(case.category, case.lat, case.lon, now=case.created_at, exclude_id=case.pk)
