"""Importing households: check every row, then create or update by household number in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction

from zhizhi.areas.models import Dwelling
from zhizhi.core import audit
from zhizhi.core.errors import InvalidInput
from zhizhi.core.models import AuditAction
from zhizhi.people import services
from zhizhi.people.excel.checks import (
    ImportResult,
    check_dwelling,
    check_head,
    check_household,
    check_label,
    id_hash,
    load_lookups,
    required,
)
from zhizhi.people.excel.columns import HEAD_ID, HOME, HOUSEHOLD, KIND, KIND_LABELS
from zhizhi.people.excel.sheets import Errors, Sheet, read_sheet
from zhizhi.people.models import Household, Resident


@dataclass
class HouseholdRow:
    row: int
    number: str
    kind: str
    dwelling: Dwelling
    head: Resident | None
    existing: Household | None


def check_household_rows(actor: Any, sheet: Sheet) -> list[HouseholdRow]:
    lookups = load_lookups(
        {r.get(HOME, "") for _, r in sheet.rows},
        {r.get(HOUSEHOLD, "") for _, r in sheet.rows},
        {id_hash(r.get(HEAD_ID, "")) for _, r in sheet.rows},
    )
    seen: dict[str, int]  # household number → first row
    errors, seen, clean = Errors(), {}, []
    for row, record in sheet.rows:
        before = len(errors.items)
        values: dict[str, Any] = {}
        checks = (
            (
                HOUSEHOLD,
                lambda r=record: check_household(actor, r.get(HOUSEHOLD, ""), lookups) or required(),
            ),
            (KIND, lambda r=record: check_label(r.get(KIND, ""), KIND_LABELS, Household.Kind.FAMILY)),
            (HOME, lambda r=record: check_dwelling(actor, r.get(HOME, ""), lookups) or required()),
            (HEAD_ID, lambda r=record: check_head(actor, r, lookups)),
        )
        for column, check in checks:
            try:
                values[column] = check()
            except InvalidInput as exc:
                errors.add(row, column, exc.message)
        if len(errors.items) > before:
            continue
        first = seen.setdefault(values[HOUSEHOLD], row)
        if first != row:
            errors.add(row, HOUSEHOLD, f"the same household number is already in row {first}")
        number = values[HOUSEHOLD]
        clean.append(
            HouseholdRow(
                row, number, values[KIND], values[HOME], values[HEAD_ID], lookups.households.get(number)
            )
        )
    errors.raise_if_any()
    return clean


def import_households(actor: Any, file: IO[bytes] | bytes, *, filename: str = "") -> ImportResult:
    services.require_edit(actor)
    rows = check_household_rows(actor, read_sheet(file, (HOUSEHOLD, HOME), (HEAD_ID,)))
    return _write_households(actor, rows, filename)


@transaction.atomic
def _write_households(actor: Any, rows: list[HouseholdRow], filename: str) -> ImportResult:
    result = ImportResult()
    for item in rows:
        household = item.existing or Household(number=item.number)
        household.kind, household.dwelling, household.area_code = (
            item.kind,
            item.dwelling,
            item.dwelling.area_code,
        )
        if item.head is not None:
            household.head = item.head
        is_new = household.pk is None
        household.save()
        if item.head is not None:
            Resident.objects.filter(pk=item.head.pk).update(
                household=household, relation_to_head=services.HEAD_RELATION
            )
        result.created += is_new
        result.updated += not is_new
    audit.record(
        actor,
        AuditAction.IMPORT,
        object_type=Household._meta.label_lower,
        summary=f"imported {filename or 'households'}: {result.created} created, {result.updated} updated",
        changes={"created": result.created, "updated": result.updated},
    )
    return result
