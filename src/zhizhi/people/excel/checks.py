"""Checking rows against the registry: lookups loaded once per file, one check per cell kind.

Each check returns the clean value or raises InvalidInput; the callers collect every error of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from zhizhi.areas.models import Dwelling
from zhizhi.core import pii
from zhizhi.core.errors import InvalidInput
from zhizhi.core.permissions import in_scope
from zhizhi.people import queries, services
from zhizhi.people.excel.columns import HEAD_ID, HOME, HOUSEHOLD, TAGS, TO_HEAD, split_tags
from zhizhi.people.excel.sheets import NUMERIC_TEXT
from zhizhi.people.models import Household, Resident, Tag


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    households_created: int = 0

    @property
    def rows(self) -> int:
        return self.created + self.updated


@dataclass
class Lookups:
    """What the rows refer to, loaded in a few queries for the whole file."""

    dwellings: dict[str, Dwelling] = field(default_factory=dict)
    households: dict[str, Household] = field(default_factory=dict)
    residents: dict[str, Resident] = field(default_factory=dict)  # by ID-number blind index
    tags: dict[str, Tag] = field(default_factory=dict)


def load_lookups(dwelling_codes: set[str], household_numbers: set[str], id_hashes: set[str]) -> Lookups:
    tags = list(Tag.objects.all())
    return Lookups(
        dwellings={
            d.code: d
            for d in in_chunks(Dwelling.objects.only("id", "code", "area_code"), "code", dwelling_codes)
        },
        households={h.number: h for h in in_chunks(Household.objects.all(), "number", household_numbers)},
        residents={
            r.id_number_hash: r
            for r in in_chunks(
                Resident.objects.select_related("home").defer(*queries.ENCRYPTED_FIELDS),
                "id_number_hash",
                id_hashes,
            )
        },
        tags={t.code: t for t in tags} | {t.name: t for t in tags},
    )


def in_chunks(qs, field_name: str, values: set[str], size: int = 900) -> Iterator:
    items = sorted(v for v in values if v)
    for start in range(0, len(items), size):
        yield from qs.filter(**{f"{field_name}__in": items[start : start + size]})


def id_hash(text: str) -> str:
    return pii.blind_index(text) if text else ""


def check_id(record: dict, column: str):
    if column in (record.get(NUMERIC_TEXT) or "").split(","):
        raise InvalidInput("store ID numbers as text: Excel keeps only 15 digits of a number", field=column)
    if not record.get(column):
        raise InvalidInput("ID number is required", field=column)
    return services.check_id_number(record[column], column)


def check_tags(text: str, lookups: Lookups) -> list[Tag]:
    names = split_tags(text)
    unknown = [n for n in names if n not in lookups.tags]
    if unknown:
        raise InvalidInput(f"unknown tag(s): {', '.join(unknown)}", field=TAGS)
    return list({lookups.tags[n].pk: lookups.tags[n] for n in names}.values())


def check_dwelling(actor: Any, code: str, lookups: Lookups) -> Dwelling | None:
    if not code:
        return None
    dwelling = lookups.dwellings.get(code)
    if dwelling is None or not in_scope(actor, dwelling.area_code):
        raise InvalidInput(f"no dwelling with code {code} in your area", field=HOME)
    return dwelling


def check_label(text: str, labels: dict[str, str], default: str) -> str:
    if not text:
        return default
    if text in labels:
        return labels[text]
    if text in labels.values():
        return text
    raise InvalidInput(f"must be one of {'/'.join(labels)}", field="label")


def check_household(actor: Any, number: str, lookups: Lookups) -> str:
    if not number:
        return ""
    number = services.check_household_number(number, HOUSEHOLD)
    household = lookups.households.get(number)
    if household is not None and not in_scope(actor, household.area_code):
        raise InvalidInput(f"household {number} is registered outside your area", field=HOUSEHOLD)
    return number


def check_to_head(text: str) -> str:
    if len(text) > 16:
        raise InvalidInput("at most 16 characters", field=TO_HEAD)
    return text


def required():
    raise InvalidInput("required", field="value")


def check_head(actor: Any, record: dict, lookups: Lookups) -> Resident | None:
    if not record.get(HEAD_ID):
        return None
    info = check_id(record, HEAD_ID)
    head = lookups.residents.get(pii.blind_index(info.number))
    if head is None or not in_scope(actor, head.area_code):
        raise InvalidInput("no resident with this ID number in your area", field=HEAD_ID)
    return head
