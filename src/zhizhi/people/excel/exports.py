"""Exporting residents and households: the actor's scope, whole values only where the role may see them
(audited as REVEAL and EXPORT), and the same columns the import reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from zhizhi.core import audit, clock
from zhizhi.core.models import AuditAction
from zhizhi.people import queries
from zhizhi.people.excel.columns import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_EXPORT_COLUMNS,
    KIND_NAMES,
    RELATION_NAMES,
    RESIDENT_COLUMNS,
    RESIDENT_EXPORT_COLUMNS,
    SEX_NAMES,
)
from zhizhi.people.excel.sheets import XLSX, write_workbook
from zhizhi.people.models import Household, Residence, Resident


@dataclass
class ExportFile:
    content: bytes
    filename: str
    rows: int
    content_type: str = XLSX


def _filename(kind: str) -> str:
    return f"{kind}-{clock.local_now():%Y%m%d-%H%M%S}.xlsx"


def _audit_export(actor: Any, model, rows: int, whole: list[str], params: dict) -> None:
    label = model._meta.label_lower
    if whole:
        audit.record(
            actor, AuditAction.REVEAL, object_type=label,
            summary=f"exported whole {', '.join(whole)} of {rows} records", changes={"filters": params},
        )  # fmt: skip
    audit.record(
        actor, AuditAction.EXPORT, object_type=label,
        summary=f"exported {rows} records ({'whole ' + ', '.join(whole) if whole else 'masked'})",
        changes={"filters": params},
    )  # fmt: skip


def export_residents(actor: Any, params: dict | None = None) -> ExportFile:
    """Residents in scope matching the list filters (q, tags, community, grid), as an importable workbook."""
    params = dict(params or {})
    allowed = queries.can_reveal(actor)
    qs = queries.search_residents(actor, **params)
    fields = [
        *queries.LIST_FIELDS,
        *queries.HOME_FIELDS,
        "relation_to_head",
        "household__id",
        "household__number",
    ]
    fields += [f for f in queries.ENCRYPTED_FIELDS if allowed["id_number" if f == "id_number" else "phone"]]
    qs = (
        qs.select_related("home", "household")
        .only(*fields)
        .prefetch_related(
            Prefetch(
                "residences",
                queryset=Residence.objects.filter(is_primary=True).only("id", "resident_id", "relation"),
                to_attr="primary_residences",
            )
        )
    )
    count = 0

    def lines() -> Iterator[list]:
        nonlocal count
        for r in qs.iterator(chunk_size=2000):
            count += 1
            relation = r.primary_residences[0].relation if r.primary_residences else ""
            yield [
                r.name,
                r.id_number if allowed["id_number"] else r.id_number_masked,
                r.phone if allowed["phone"] else r.phone_masked,
                "、".join(t.name for t in r.tags.all()),
                r.home.code if r.home else "",
                RELATION_NAMES.get(relation, ""),
                r.household.number if r.household else "",
                r.relation_to_head,
                SEX_NAMES.get(r.sex, ""),
                r.birth_date.isoformat(),
                r.home.address if r.home else "",
            ]

    content = write_workbook("居民", RESIDENT_EXPORT_COLUMNS, lines(), {1, 2, 4, 6})
    whole = [k for k in ("id_number", "phone") if allowed[k]]
    _audit_export(actor, Resident, count, whole, params)
    return ExportFile(content, _filename("residents"), count)


def export_households(actor: Any, params: dict | None = None) -> ExportFile:
    params = dict(params or {})
    reveal_id = queries.can_reveal(actor)["id_number"]
    qs = queries.search_households(actor, **params)
    if reveal_id:
        qs = qs.select_related("dwelling", "head").only(
            "id", "number", "kind", "area_code", "dwelling__id", "dwelling__code", "dwelling__address",
            "head__id", "head__name", "head__id_number", "head__id_number_masked",
        )  # fmt: skip
    else:
        qs = qs.select_related("dwelling", "head").only(
            "id", "number", "kind", "area_code", "dwelling__id", "dwelling__code", "dwelling__address",
            "head__id", "head__name", "head__id_number_masked",
        )  # fmt: skip
    count = 0

    def lines() -> Iterator[list]:
        nonlocal count
        for h in qs.iterator(chunk_size=2000):
            count += 1
            head_id = ""
            if h.head is not None:
                head_id = h.head.id_number if reveal_id else h.head.id_number_masked
            yield [
                h.number,
                KIND_NAMES.get(h.kind, ""),
                h.dwelling.code if h.dwelling else "",
                head_id,
                h.head.name if h.head else "",
                h.dwelling.address if h.dwelling else "",
                h.member_count,
            ]

    content = write_workbook("户", HOUSEHOLD_EXPORT_COLUMNS, lines(), {0, 2, 3})
    _audit_export(actor, Household, count, ["id_number"] if reveal_id else [], params)
    return ExportFile(content, _filename("households"), count)


def template_workbook(kind: str) -> bytes:
    """An empty workbook with the import headers (for the import page's "download template" link)."""
    headers = RESIDENT_COLUMNS if kind == "residents" else HOUSEHOLD_COLUMNS
    return write_workbook("模板", headers, [], set())
