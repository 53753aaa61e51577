"""Registry facts in Python: what the rule language's facts are for given people, read with a few queries.

This is the reference the SQL compiler (welfare.sqlrules) is tested against, and what explanations use.
Only active residents count as household members; a person without a household is a household of one.
Income is unknown until a person's income is assessed (welfare profile); a household's per-capita income
is unknown until every active member's is.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Q

from zhizhi.people.models import Resident, ResidentStatus, Tag
from zhizhi.welfare.models import LocalStandard, WelfareProfile
from zhizhi.welfare.rules import Vocabulary
from zhizhi.welfare.rules.vocabulary import CONSTANTS

CHUNK = 500
ALONE_TAG = "alone"


def tag_lookup() -> dict[str, str]:
    """Tag name or code → code, for resolving the tags a rule names."""
    lookup: dict[str, str] = {}
    for code, name in Tag.objects.values_list("code", "name"):
        lookup[code] = code
        lookup[name] = code
    return lookup


def tag_names() -> dict[str, str]:
    return dict(Tag.objects.values_list("code", "name"))


def vocabulary() -> Vocabulary:
    return Vocabulary.standard(tag_lookup())


def constants(as_of: dt.date, area_code: str = "") -> dict[str, float]:
    """The local standards in force on `as_of` for the area (the longest matching area prefix wins)."""
    values: dict[str, float] = {}
    rows = (
        LocalStandard.objects.filter(code__in=list(CONSTANTS), valid_from__lte=as_of)
        .order_by("code", "-valid_from")
        .values_list("code", "area_code", "amount", "valid_from")
    )
    best: dict[str, tuple[int, dt.date]] = {}
    for code, prefix, amount, valid_from in rows:
        if not (area_code or "").startswith(prefix):
            continue
        rank = (len(prefix), valid_from)
        if code not in best or rank > best[code]:
            best[code] = rank
            values[code] = float(amount)
    for code in CONSTANTS:
        values.setdefault(code, 0.0)
    return values


def age_on(birth: dt.date, as_of: dt.date) -> int:
    return as_of.year - birth.year - ((birth.month, birth.day) > (as_of.month, as_of.day))


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _tags_of(ids: list[int]) -> dict[int, set[str]]:
    through = Resident.tags.through
    found: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(ids):
        for rid, code in through.objects.filter(resident_id__in=chunk).values_list(
            "resident_id", "tag__code"
        ):
            found[rid].add(code)
    return found


def _profiles_of(ids: list[int]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for chunk in _chunks(ids):
        for row in WelfareProfile.objects.filter(resident_id__in=chunk).values(
            "resident_id", "disability_grade", "chronic_illness", "monthly_income"
        ):
            found[row["resident_id"]] = row
    return found


def load_facts(resident_ids: Iterable[int], as_of: dt.date) -> dict[int, dict[str, Any]]:
    """{resident id: {fact: value}} for the given residents (ignoring ids that do not exist)."""
    ids = sorted(set(resident_ids))
    people = {}
    for chunk in _chunks(ids):
        for row in Resident.objects.filter(pk__in=chunk).values("id", "birth_date", "sex", "household_id"):
            people[row["id"]] = row
    household_ids = sorted({p["household_id"] for p in people.values() if p["household_id"]})
    members: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(household_ids):
        rows = Resident.objects.filter(household_id__in=chunk, status=ResidentStatus.ACTIVE)
        for rid, hid in rows.values_list("id", "household_id"):
            members[hid].append(rid)
    everyone = sorted(set(people) | {m for ms in members.values() for m in ms})
    tags = _tags_of(everyone)
    profiles = _profiles_of(everyone)

    def income(rid: int) -> Decimal | None:
        """Unknown until assessed (no welfare profile)."""
        return profiles.get(rid, {}).get("monthly_income")

    facts: dict[int, dict[str, Any]] = {}
    for rid, person in people.items():
        hid = person["household_id"]
        household = members.get(hid, []) if hid else [rid]
        size = len(household)
        incomes = [income(m) for m in household]
        known = size > 0 and all(i is not None for i in incomes)
        own_income = income(rid)
        profile = profiles.get(rid, {})
        own_tags = frozenset(tags.get(rid, set()))
        facts[rid] = {
            "age": age_on(person["birth_date"], as_of),
            "sex": person["sex"],
            "tags": own_tags,
            "disability_grade": profile.get("disability_grade") or 0,
            "chronic_illness": bool(profile.get("chronic_illness")),
            "income": None if own_income is None else float(own_income),
            "household_size": size,
            "per_capita_income": float(sum((i for i in incomes if i is not None), Decimal(0))) / size
            if known
            else None,
            "household_tags": frozenset(t for m in household for t in tags.get(m, ())) if hid else own_tags,
            "living_alone": ALONE_TAG in own_tags or (hid is not None and size == 1),
        }
    return facts


def environment(facts: dict[str, Any], standards: dict[str, float]) -> dict[str, Any]:
    return {**facts, **standards}


def active_population() -> Q:
    return Q(status=ResidentStatus.ACTIVE)
