"""Changing people. Every write is validated first, runs in one transaction and leaves an audit row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from pypinyin import Style, lazy_pinyin

from zhizhi.areas.models import Dwelling
from zhizhi.core import audit, clock, pii
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput
from zhizhi.core.models import AuditAction
from zhizhi.core.permissions import in_scope, people_policy
from zhizhi.people.idnumber import IdNumberError, parse_id_number
from zhizhi.people.models import Contact, Household, Residence, Resident, Tag

PHONE_DIGITS = (7, 8, 11, 12)


def name_pinyin(name: str) -> str:
    """'张阿姨' → 'zay zhangayi': initials and full pinyin, both searchable."""
    full = lazy_pinyin(name)
    initials = lazy_pinyin(name, style=Style.FIRST_LETTER)
    return f"{''.join(initials)} {''.join(full)}".lower()


def check_phone(raw: str, field_name: str = "phone") -> str:
    phone = "".join(ch for ch in str(raw) if ch.isdigit())
    if raw and (len(phone) not in PHONE_DIGITS or (len(phone) == 11 and not phone.startswith("1"))):
        raise InvalidInput("not a valid mainland phone number (11-digit mobile or landline)", field=field_name)
    return phone


def check_name(raw: str) -> str:
    name = str(raw or "").strip()
    if not name:
        raise InvalidInput("name is required", field="name")
    if len(name) > 64:
        raise InvalidInput("name is longer than 64 characters", field="name")
    return name


@dataclass
class ResidentInput:
    name: str
    id_number: str
    phone: str = ""
    tags: list[str] = field(default_factory=list)  # tag names or codes
    home_code: str = ""  # standard dwelling code
    relation: str = Residence.Relation.FAMILY
    status: str = "active"


def check_resident_input(data: ResidentInput) -> dict:
    """Validate and normalise; raise InvalidInput naming the first bad field."""
    name = check_name(data.name)
    try:
        info = parse_id_number(data.id_number, today=clock.today())
    except IdNumberError as exc:
        raise InvalidInput(f"ID number {exc}", field="id_number") from exc
    phone = check_phone(data.phone)
    tags = resolve_tags(data.tags)
    home = None
    if data.home_code:
        home = Dwelling.objects.filter(code=data.home_code.strip()).first()
        if home is None:
            raise InvalidInput(f"no dwelling with code {data.home_code}", field="home_code")
    if data.relation not in Residence.Relation.values:
        raise InvalidInput(f"relation must be one of {', '.join(Residence.Relation.values)}", field="relation")
    return {"name": name, "info": info, "phone": phone, "tags": tags, "home": home, "relation": data.relation}


def resolve_tags(names: list[str]) -> list[Tag]:
    wanted = [n.strip() for n in names if n and n.strip()]
    if not wanted:
        return []
    found = {t.name: t for t in Tag.objects.all()} | {t.code: t for t in Tag.objects.all()}
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise InvalidInput(f"unknown tag(s): {', '.join(unknown)}", field="tags")
    return list({found[n].pk: found[n] for n in wanted}.values())


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


def _require_edit(actor: Any, area_code: str) -> None:
    if not people_policy(actor).edit:
        raise Forbidden("your role may not change the people registry")
    if area_code and not in_scope(actor, area_code):
        raise Forbidden("this dwelling is outside your area", field="home_code")


@transaction.atomic
def register_resident(actor: Any, data: ResidentInput) -> Resident:
    """Add a resident; an ID number already registered is a conflict (deduplicate, never double-register)."""
    clean = check_resident_input(data)
    home: Dwelling | None = clean["home"]
    area_code = home.area_code if home else getattr(actor, "area_code", "")
    _require_edit(actor, area_code)
    if Resident.objects.filter(id_number_hash=pii.blind_index(clean["info"].number)).exists():
        raise Conflict("a resident with this ID number is already registered", field="id_number")
    now = clock.now()
    resident = Resident(home=home, area_code=area_code, status=data.status, created_at=now, updated_at=now)
    apply_identity(resident, clean)
    resident.save()
    resident.tags.set(clean["tags"])
    if home:
        Residence.objects.create(resident=resident, dwelling=home, relation=clean["relation"], is_primary=True)
    audit.record(actor, AuditAction.CREATE, obj=resident, summary=f"registered {resident.id_number_masked}")
    return resident


@transaction.atomic
def update_resident(actor: Any, resident: Resident, data: ResidentInput) -> Resident:
    clean = check_resident_input(data)
    _require_edit(actor, resident.area_code)
    new_hash = pii.blind_index(clean["info"].number)
    if Resident.objects.filter(id_number_hash=new_hash).exclude(pk=resident.pk).exists():
        raise Conflict("another resident has this ID number", field="id_number")
    before = {"name": resident.name, "id_number": resident.id_number_masked, "phone": resident.phone_masked,
              "tags": sorted(resident.tags.values_list("name", flat=True)), "status": resident.status}
    apply_identity(resident, clean)
    resident.status = data.status
    home: Dwelling | None = clean["home"]
    if home and home != resident.home:
        _require_edit(actor, home.area_code)
        resident.home = home
        resident.area_code = home.area_code
        Residence.objects.filter(resident=resident).update(is_primary=False)
        Residence.objects.update_or_create(
            resident=resident, dwelling=home, defaults={"relation": clean["relation"], "is_primary": True}
        )
    resident.updated_at = clock.now()
    resident.save()
    resident.tags.set(clean["tags"])
    after = {"name": resident.name, "id_number": resident.id_number_masked, "phone": resident.phone_masked,
             "tags": sorted(t.name for t in clean["tags"]), "status": resident.status}
    audit.record(actor, AuditAction.UPDATE, obj=resident, changes=audit.diff(before, after))
    return resident


@transaction.atomic
def add_contact(actor: Any, resident: Resident, *, kind: str, name: str, relation: str, phone: str) -> Contact:
    _require_edit(actor, resident.area_code)
    if kind not in Contact.Kind.values:
        raise InvalidInput(f"kind must be one of {', '.join(Contact.Kind.values)}", field="kind")
    phone = check_phone(phone)
    if not phone:
        raise InvalidInput("a contact needs a phone number", field="phone")
    contact = Contact.objects.create(
        resident=resident, kind=kind, name=check_name(name), relation=relation.strip()[:16], phone=phone,
        phone_masked=pii.mask_phone(phone), priority=resident.contacts.count() + 1,
    )
    audit.record(actor, AuditAction.UPDATE, obj=resident, summary=f"added {kind} contact {contact.name}")
    return contact


@transaction.atomic
def create_household(actor: Any, number: str, dwelling: Dwelling, head: Resident | None = None,
                     kind: str = Household.Kind.FAMILY) -> Household:
    _require_edit(actor, dwelling.area_code)
    if Household.objects.filter(number=number).exists():
        raise Conflict(f"household number {number} exists", field="number")
    household = Household.objects.create(number=number, dwelling=dwelling, head=head, kind=kind,
                                         area_code=dwelling.area_code)
    if head:
        Resident.objects.filter(pk=head.pk).update(household=household, relation_to_head="户主")
    audit.record(actor, AuditAction.CREATE, obj=household)
    return household


def reveal_resident(actor: Any, resident: Resident) -> dict[str, str]:
    """The whole ID number and phone, as far as the role allows; every call is audited."""
    from zhizhi.people.queries import can_reveal, require_reveal

    require_reveal(actor)
    allowed = can_reveal(actor)
    shown = {
        "id_number": resident.id_number if allowed["id_number"] else resident.id_number_masked,
        "phone": resident.phone if allowed["phone"] else resident.phone_masked,
    }
    audit.record(actor, AuditAction.REVEAL, obj=resident,
                 summary="viewed whole " + ", ".join(k for k, v in allowed.items() if v))
    return shown
