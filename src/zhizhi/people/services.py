"""Changing people. Every write is validated first, runs in one transaction and leaves an audit row.

Excel imports and exports live in people.excel (same rules); background exports run people.tasks.build_export.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from pypinyin import Style, lazy_pinyin

from zhizhi.areas.models import Dwelling
from zhizhi.core import audit, clock, pii
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput
from zhizhi.core.models import AuditAction
from zhizhi.core.permissions import in_scope, people_policy
from zhizhi.people import queries
from zhizhi.people.idnumber import IdNumberError, IdNumberInfo, parse_id_number
from zhizhi.people.models import (
    Contact,
    ExportJob,
    ExportKind,
    ExportStatus,
    Household,
    Residence,
    Resident,
    ResidentStatus,
    Tag,
)

log = logging.getLogger(__name__)
PHONE_DIGITS = (7, 8, 11, 12)
HEAD_RELATION = "户主"


def name_pinyin(name: str) -> str:
    """'张阿姨' → 'zay zhangayi': initials and full pinyin, both searchable."""
    full = lazy_pinyin(name)
    initials = lazy_pinyin(name, style=Style.FIRST_LETTER)
    return f"{''.join(initials)} {''.join(full)}".lower()[:200]


def check_phone(raw: Any, field_name: str = "phone") -> str:
    text = str(raw or "")
    phone = "".join(ch for ch in text if ch.isdigit())
    if text.strip() and (len(phone) not in PHONE_DIGITS or (len(phone) == 11 and not phone.startswith("1"))):
        raise InvalidInput(
            "not a valid mainland phone number (11-digit mobile or landline)", field=field_name
        )
    return phone


def check_name(raw: Any, field_name: str = "name") -> str:
    name = str(raw or "").strip()
    if not name:
        raise InvalidInput("name is required", field=field_name)
    if len(name) > 64:
        raise InvalidInput("name is longer than 64 characters", field=field_name)
    return name


def check_id_number(raw: Any, field_name: str = "id_number") -> IdNumberInfo:
    try:
        return parse_id_number(str(raw or ""), today=clock.today())
    except IdNumberError as exc:
        raise InvalidInput(f"ID number {exc}", field=field_name) from exc


@dataclass
class ResidentInput:
    name: str
    id_number: str  # "" on update keeps the registered number (staff who may not see it can still edit)
    phone: str = ""
    tags: list[str] = field(default_factory=list)  # tag names or codes
    home_code: str = ""  # standard dwelling code
    relation: str = Residence.Relation.FAMILY
    status: str = ResidentStatus.ACTIVE


def check_resident_input(data: ResidentInput, *, current: Resident | None = None) -> dict:
    """Validate and normalise; raise InvalidInput naming the first bad field."""
    name = check_name(data.name)
    if current is not None and not str(data.id_number or "").strip():
        info = check_id_number(current.id_number)
    else:
        info = check_id_number(data.id_number)
    phone = check_phone(data.phone)
    tags = resolve_tags(data.tags)
    home = None
    if data.home_code:
        home = Dwelling.objects.filter(code=str(data.home_code).strip()).first()
        if home is None:
            raise InvalidInput(f"no dwelling with code {data.home_code}", field="home_code")
    if data.relation not in Residence.Relation.values:
        raise InvalidInput(
            f"relation must be one of {', '.join(Residence.Relation.values)}", field="relation"
        )
    if data.status not in ResidentStatus.values:
        raise InvalidInput(f"status must be one of {', '.join(ResidentStatus.values)}", field="status")
    return {"name": name, "info": info, "phone": phone, "tags": tags, "home": home, "relation": data.relation}


def resolve_tags(names: list[str]) -> list[Tag]:
    return queries.tags_by_key(list(names or []))


def apply_identity(resident: Resident, clean: dict) -> None:
    info = clean["info"]
    resident.name = clean["name"]
    resident.name_pinyin = name_pinyin(clean["name"])
    resident.id_number = info.number
    resident.id_number_hash = pii.blind_index(info.number)
    resident.id_number_masked = pii.mask_id_number(info.number)
    resident.birth_date = info.birth_date
    resident.sex = info.sex
    resident.phone = clean["phone"]
    resident.phone_hash = pii.blind_index(clean["phone"]) if clean["phone"] else ""
    resident.phone_masked = pii.mask_phone(clean["phone"]) if clean["phone"] else ""


def require_edit(actor: Any, area_code: str = "") -> None:
    """The actor's role may change the registry, and `area_code` (when given) lies inside its area."""
    if not people_policy(actor).edit:
        raise Forbidden("your role may not change the people registry")
    if area_code and not in_scope(actor, area_code):
        raise Forbidden("this dwelling is outside your area", field="home_code")


_require_edit = require_edit  # the name older callers used


def snapshot(resident: Resident, tag_names: list[str]) -> dict:
    return {
        "name": resident.name,
        "id_number": resident.id_number_masked,
        "phone": resident.phone_masked,
        "tags": sorted(tag_names),
        "status": resident.status,
        "home": resident.home.code if resident.home_id and resident.home else "",
    }


@transaction.atomic
def register_resident(actor: Any, data: ResidentInput) -> Resident:
    """Add a resident; an ID number already registered is a conflict (deduplicate, never double-register)."""
    require_edit(actor)
    clean = check_resident_input(data)
    home: Dwelling | None = clean["home"]
    area_code = home.area_code if home else getattr(actor, "area_code", "")
    require_edit(actor, area_code)
    if Resident.objects.filter(id_number_hash=pii.blind_index(clean["info"].number)).exists():
        raise Conflict("a resident with this ID number is already registered", field="id_number")
    now = clock.now()
    resident = Resident(home=home, area_code=area_code, status=data.status, created_at=now, updated_at=now)
    apply_identity(resident, clean)
    resident.save()
    resident.tags.set(clean["tags"])
    if home:
        Residence.objects.create(
            resident=resident, dwelling=home, relation=clean["relation"], is_primary=True
        )
    audit.record(actor, AuditAction.CREATE, obj=resident, summary=f"registered {resident.id_number_masked}")
    return resident


@transaction.atomic
def update_resident(actor: Any, resident: Resident, data: ResidentInput) -> Resident:
    require_edit(actor, resident.area_code)
    clean = check_resident_input(data, current=resident)
    new_hash = pii.blind_index(clean["info"].number)
    if Resident.objects.filter(id_number_hash=new_hash).exclude(pk=resident.pk).exists():
        raise Conflict("another resident has this ID number", field="id_number")
    before = snapshot(resident, list(resident.tags.values_list("name", flat=True)))
    apply_identity(resident, clean)
    resident.status = data.status
    home: Dwelling | None = clean["home"]
    if home and home.pk != resident.home_id:
        require_edit(actor, home.area_code)
        move_home(resident, home, clean["relation"])
    elif home:
        Residence.objects.filter(resident=resident, dwelling=home).update(relation=clean["relation"])
    resident.updated_at = clock.now()
    resident.save()
    resident.tags.set(clean["tags"])
    after = snapshot(resident, [t.name for t in clean["tags"]])
    audit.record(actor, AuditAction.UPDATE, obj=resident, changes=audit.diff(before, after))
    return resident


def move_home(resident: Resident, home: Dwelling, relation: str) -> None:
    """Make `home` the primary dwelling (the resident's area follows it). Part of a caller's transaction."""
    resident.home = home
    resident.area_code = home.area_code
    Residence.objects.filter(resident=resident).update(is_primary=False)
    Residence.objects.update_or_create(
        resident=resident, dwelling=home, defaults={"relation": relation, "is_primary": True}
    )


def change_resident(actor: Any, resident: Resident, changes: dict) -> Resident:
    """Apply only the given fields (name, id_number, phone, tags, home_code, relation, status)."""
    unknown = set(changes) - {"name", "id_number", "phone", "tags", "home_code", "relation", "status"}
    if unknown:
        raise InvalidInput(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    require_edit(actor, resident.area_code)
    primary = Residence.objects.filter(resident=resident, is_primary=True).only("relation").first()
    data = ResidentInput(
        name=changes.get("name", resident.name),
        id_number=changes.get("id_number") or "",
        phone=changes.get("phone", resident.phone),
        tags=changes["tags"] if "tags" in changes else list(resident.tags.values_list("code", flat=True)),
        home_code=changes.get("home_code")
        or (resident.home.code if resident.home_id and resident.home else ""),
        relation=changes.get("relation") or (primary.relation if primary else Residence.Relation.FAMILY),
        status=changes.get("status") or resident.status,
    )
    return update_resident(actor, resident, data)


def open_resident(actor: Any, resident_id: Any) -> Resident:
    """The resident's record for its detail page or API (masked); the opening is audited as a VIEW."""
    resident = queries.access_resident(actor, resident_id)
    audit.record(actor, AuditAction.VIEW, obj=resident, summary=f"opened {resident.id_number_masked}")
    return resident


@transaction.atomic
def add_contact(
    actor: Any, resident: Resident, *, kind: str, name: str, relation: str, phone: str
) -> Contact:
    require_edit(actor, resident.area_code)
    if kind not in Contact.Kind.values:
        raise InvalidInput(f"kind must be one of {', '.join(Contact.Kind.values)}", field="kind")
    phone = check_phone(phone)
    if not phone:
        raise InvalidInput("a contact needs a phone number", field="phone")
    contact = Contact.objects.create(
        resident=resident,
        kind=kind,
        name=check_name(name),
        relation=(relation or "").strip()[:16],
        phone=phone,
        phone_masked=pii.mask_phone(phone),
        priority=resident.contacts.count() + 1,
    )
    audit.record(actor, AuditAction.UPDATE, obj=resident, summary=f"added {kind} contact {contact.name}")
    return contact


def check_household_number(raw: Any, field_name: str = "number") -> str:
    number = str(raw or "").strip()
    if not number:
        raise InvalidInput("household number is required", field=field_name)
    if len(number) > 32:
        raise InvalidInput("household number is longer than 32 characters", field=field_name)
    return number


@transaction.atomic
def create_household(
    actor: Any,
    number: str,
    dwelling: Dwelling,
    head: Resident | None = None,
    kind: str = Household.Kind.FAMILY,
) -> Household:
    require_edit(actor, dwelling.area_code)
    number = check_household_number(number)
    if kind not in Household.Kind.values:
        raise InvalidInput(f"kind must be one of {', '.join(Household.Kind.values)}", field="kind")
    if Household.objects.filter(number=number).exists():
        raise Conflict(f"household number {number} exists", field="number")
    household = Household.objects.create(
        number=number, dwelling=dwelling, head=head, kind=kind, area_code=dwelling.area_code
    )
    if head:
        Resident.objects.filter(pk=head.pk).update(household=household, relation_to_head=HEAD_RELATION)
    audit.record(actor, AuditAction.CREATE, obj=household)
    return household


@transaction.atomic
def reveal_resident(actor: Any, resident: Resident) -> dict[str, str]:
    """The whole ID number and phone, as far as the role allows; every call is audited."""
    queries.require_reveal(actor)
    allowed = queries.can_reveal(actor)
    whole = Resident.objects.only(*queries.ENCRYPTED_FIELDS).get(pk=resident.pk)
    shown = {
        "id_number": whole.id_number if allowed["id_number"] else resident.id_number_masked,
        "phone": whole.phone if allowed["phone"] else resident.phone_masked,
    }
    audit.record(
        actor,
        AuditAction.REVEAL,
        obj=resident,
        summary="viewed whole " + ", ".join(k for k, v in allowed.items() if v),
    )
    return shown


# --- background exports -------------------------------------------------------------------------------------


def check_export_params(actor: Any, kind: str, params: dict) -> dict:
    """Keep the known filters and check them the way the list does (InvalidInput naming the field)."""
    if kind not in ExportKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(ExportKind.values)}", field="kind")
    keys = ("q", "tags", "community", "grid") if kind == ExportKind.RESIDENTS else ("q", "community", "grid")
    clean = {k: params[k] for k in keys if params.get(k)}
    if "tags" in clean:
        tags = [clean["tags"]] if isinstance(clean["tags"], str) else list(clean["tags"])
        clean["tags"] = [t for t in tags if t]
        if not clean["tags"]:
            del clean["tags"]
    if kind == ExportKind.RESIDENTS:
        queries.search_residents(actor, **clean)
    else:
        queries.search_households(actor, **clean)
    return clean


@transaction.atomic
def request_export(actor: Any, kind: str, params: dict | None = None) -> ExportJob:
    """Queue an Excel export for the actor; the worker builds it (people.tasks.build_export)."""
    policy = people_policy(actor)
    if not policy.list:
        raise Forbidden("your role may not export the people registry")
    clean = check_export_params(actor, kind, params or {})
    job = ExportJob.objects.create(
        requested_by=actor, area_code=actor.area_code or "", kind=kind, params=clean, created_at=clock.now()
    )
    transaction.on_commit(lambda: enqueue_export(job.pk))
    return job


def enqueue_export(job_id: int) -> None:
    from zhizhi.people.tasks import build_export

    result = build_export.enqueue(job_id)
    ExportJob.objects.filter(pk=job_id).update(task_id=str(result.id))


@transaction.atomic
def retry_export(actor: Any, job: ExportJob) -> ExportJob:
    """Queue a failed export again from its durable record."""
    if job.status != ExportStatus.FAILED:
        raise Conflict("only a failed export can be retried", field="status")
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.QUEUED, error="", finished_at=None)
    transaction.on_commit(lambda: enqueue_export(job.pk))
    job.refresh_from_db(fields=["status", "error", "finished_at"])
    return job


def run_export(job_id: int) -> str:
    """Build the file of a queued export (the worker calls this). Claims the job with one conditional UPDATE,
    so a job runs once even with many workers; a failure is kept on the job with its reason."""
    from zhizhi.people import excel

    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING
    )
    if not claimed:
        return "skipped"
    job = ExportJob.objects.select_related("requested_by").defer("file").get(pk=job_id)
    try:
        with transaction.atomic():
            build = excel.export_residents if job.kind == ExportKind.RESIDENTS else excel.export_households
            result = build(job.requested_by, job.params)
            ExportJob.objects.filter(pk=job_id).update(
                status=ExportStatus.DONE,
                file=result.content,
                filename=result.filename,
                rows=result.rows,
                finished_at=clock.now(),
            )
    except Exception as exc:  # the reason is kept on the durable record; the job can be retried
        log.exception("export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportStatus.FAILED,
            error=str(exc)[:2000] or exc.__class__.__name__,
            finished_at=clock.now(),
        )
        return "failed"
    return "done"
