"""Importing residents: check every row, then create or update by ID number in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction

from zhizhi.areas.models import Dwelling
from zhizhi.core import audit, clock, pii
from zhizhi.core.errors import InvalidInput
from zhizhi.core.models import AuditAction
from zhizhi.core.permissions import in_scope
from zhizhi.people import services
from zhizhi.people.excel.checks import (
    ImportResult,
    Lookups,
    check_dwelling,
    check_household,
    check_id,
    check_label,
    check_tags,
    check_to_head,
    id_hash,
    load_lookups,
)
from zhizhi.people.excel.columns import (
    HOME,
    HOUSEHOLD,
    ID_NUMBER,
    NAME,
    PHONE,
    RELATION,
    RELATION_LABELS,
    TAGS,
    TO_HEAD,
)
from zhizhi.people.excel.sheets import Errors, Sheet, read_sheet
from zhizhi.people.models import Household, Residence, Resident, Tag


@dataclass
class ResidentRow:
    row: int
    name: str
    info: Any
    phone: str | None  # None: the file has no phone column (keep)
    tags: list[Tag] | None  # None: no tag column (keep)
    home: Dwelling | None
    relation: str
    household_number: str
    relation_to_head: str | None
    existing: Resident | None = None


def check_resident_rows(actor: Any, sheet: Sheet) -> list[ResidentRow]:
    lookups = load_lookups(
        {r.get(HOME, "") for _, r in sheet.rows},
        {r.get(HOUSEHOLD, "") for _, r in sheet.rows},
        {id_hash(r.get(ID_NUMBER, "")) for _, r in sheet.rows},
    )
    seen: dict[str, int]  # ID number → first row
    errors, seen, clean = Errors(), {}, []
    new_households: dict[str, Dwelling | None] = {}
    for row, record in sheet.rows:
        item = _check_resident_row(actor, row, record, sheet.headers, lookups, errors)
        if item is None:
            continue
        first = seen.setdefault(item.info.number, row)
        if first != row:
            errors.add(row, ID_NUMBER, f"the same ID number is already in row {first}")
        if item.household_number and item.household_number not in lookups.households:
            dwelling = new_households.setdefault(item.household_number, item.home)
            if dwelling is None:
                errors.add(row, HOUSEHOLD, f"household {item.household_number} is new: give its {HOME}")
        clean.append(item)
    errors.raise_if_any()
    return clean


def _check_resident_row(
    actor: Any, row: int, record: dict, headers: list[str], lookups: Lookups, errors: Errors
) -> ResidentRow | None:
    before = len(errors.items)
    values: dict[str, Any] = {}
    checks = (
        (NAME, lambda: services.check_name(record.get(NAME), NAME)),
        (ID_NUMBER, lambda: check_id(record, ID_NUMBER)),
        (PHONE, lambda: services.check_phone(record.get(PHONE, ""), PHONE) if PHONE in headers else None),
        (TAGS, lambda: check_tags(record.get(TAGS, ""), lookups) if TAGS in headers else None),
        (HOME, lambda: check_dwelling(actor, record.get(HOME, ""), lookups)),
        (
            RELATION,
            lambda: check_label(record.get(RELATION, ""), RELATION_LABELS, Residence.Relation.FAMILY),
        ),
        (HOUSEHOLD, lambda: check_household(actor, record.get(HOUSEHOLD, ""), lookups)),
        (TO_HEAD, lambda: check_to_head(record.get(TO_HEAD, "")) if TO_HEAD in headers else None),
    )
    for column, check in checks:
        try:
            values[column] = check()
        except InvalidInput as exc:
            errors.add(row, column, exc.message)
    if len(errors.items) > before:
        return None
    info = values[ID_NUMBER]
    existing = lookups.residents.get(pii.blind_index(info.number))
    if existing is not None and not in_scope(actor, existing.area_code):
        errors.add(row, ID_NUMBER, "this person is registered outside your area; ask that area to move them")
        return None
    return ResidentRow(
        row, values[NAME], info, values[PHONE], values[TAGS], values[HOME], values[RELATION],
        record.get(HOUSEHOLD, ""), values[TO_HEAD], existing,
    )  # fmt: skip


def import_residents(actor: Any, file: IO[bytes] | bytes, *, filename: str = "") -> ImportResult:
    """Check every row, then create or update (by ID number) in one transaction with one audit row."""
    services.require_edit(actor)
    rows = check_resident_rows(actor, read_sheet(file, (NAME, ID_NUMBER), (ID_NUMBER,)))
    return _write_residents(actor, rows, filename)


@transaction.atomic
def _write_residents(actor: Any, rows: list[ResidentRow], filename: str) -> ImportResult:
    result, now = ImportResult(), clock.now()
    households: dict[str, Household] = {
        h.number: h for h in Household.objects.filter(number__in={r.household_number for r in rows} - {""})
    }
    tag_links: dict[int, list[Tag]] = {}
    for item in rows:
        resident = item.existing or Resident(
            area_code=item.home.area_code if item.home else actor.area_code or "", created_at=now
        )
        clean = {"name": item.name, "info": item.info, "tags": item.tags or []}
        clean["phone"] = item.phone if item.phone is not None else (resident.phone if resident.pk else "")
        services.apply_identity(resident, clean)
        resident.updated_at = now
        if item.household_number:
            household = households.get(item.household_number)
            if household is None:
                household = _new_household(item.household_number, item.home)
                households[household.number] = household
                result.households_created += 1
            resident.household = household
        if item.relation_to_head is not None:
            resident.relation_to_head = item.relation_to_head
        is_new = resident.pk is None
        if item.home and (is_new or item.home.pk != resident.home_id):
            resident.save()
            services.move_home(resident, item.home, item.relation)
        elif item.home:
            Residence.objects.filter(resident=resident, dwelling=item.home).update(relation=item.relation)
        resident.save()
        if item.household_number and resident.relation_to_head == services.HEAD_RELATION:
            assert resident.household_id is not None  # set above from the household number
            Household.objects.filter(pk=resident.household_id).update(head=resident)
        if item.tags is not None:
            tag_links[resident.pk] = item.tags
        result.created += is_new
        result.updated += not is_new
    _set_tags(tag_links)
    audit.record(
        actor,
        AuditAction.IMPORT,
        object_type=Resident._meta.label_lower,
        summary=f"imported {filename or 'residents'}: {result.created} created, {result.updated} updated",
        changes={
            "created": result.created,
            "updated": result.updated,
            "households": result.households_created,
        },
    )
    return result


def _new_household(number: str, dwelling: Dwelling | None) -> Household:
    assert dwelling is not None  # checked: a new household needs a dwelling
    return Household.objects.create(number=number, dwelling=dwelling, area_code=dwelling.area_code)


def _set_tags(links: dict[int, list[Tag]]) -> None:
    through = Resident.tags.through
    ids = list(links)
    for start in range(0, len(ids), 900):
        through.objects.filter(resident_id__in=ids[start : start + 900]).delete()
    through.objects.bulk_create(
        [through(resident_id=rid, tag_id=t.pk) for rid, tags in links.items() for t in tags], batch_size=2000
    )
