"""Builders for welfare tests: quick residents with welfare facts, households and random registries."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal

from zhizhi.areas.models import Dwelling
from zhizhi.core import clock, pii
from zhizhi.people.idnumber import make_id_number
from zhizhi.people.models import Household, Resident, ResidentStatus, Tag
from zhizhi.welfare.models import WelfareProfile

_seq = itertools.count(500, 2)  # even steps: the sex digit adjusts parity without collisions
AS_OF = dt.date(2026, 11, 27)


def resident(
    dwelling: Dwelling,
    name: str = "",
    *,
    born: dt.date = dt.date(1950, 3, 1),
    sex: str = "F",
    tags: tuple[str, ...] = (),
    household: Household | None = None,
    status: str = ResidentStatus.ACTIVE,
    income: int | str | None = None,
    grade: int = 0,
    ill: bool = False,
    sequence: int | None = None,
) -> Resident:
    """A resident written straight to the table (fast; no audit), with an optional welfare profile.
    `sequence` fixes the ID number (golden files need it)."""
    n = next(_seq) if sequence is None else sequence
    number = make_id_number("330105", born, n, sex)
    now = clock.now()
    person = Resident.objects.create(
        name=name or f"居民{n}",
        id_number=number,
        id_number_hash=pii.blind_index(number),
        id_number_masked=pii.mask_id_number(number),
        birth_date=born,
        sex=sex,
        phone="13800000000",
        phone_masked="138****0000",
        status=status,
        household=household,
        home=dwelling,
        area_code=dwelling.area_code,
        created_at=now,
        updated_at=now,
    )
    if tags:
        person.tags.set(Tag.objects.filter(name__in=tags) | Tag.objects.filter(code__in=tags))
    if income is not None or grade or ill:
        WelfareProfile.objects.create(
            resident=person,
            monthly_income=None if income is None else Decimal(str(income)),
            disability_grade=grade,
            chronic_illness=ill,
            updated_at=now,
        )
    return person


def household(dwelling: Dwelling, number: str, head: Resident | None = None) -> Household:
    h = Household.objects.create(number=number, dwelling=dwelling, area_code=dwelling.area_code, head=head)
    if head is not None:
        Resident.objects.filter(pk=head.pk).update(household=h)
        head.household = h
    return h


def random_registry(street, rng: random.Random, size: int = 60) -> list[Resident]:
    """Residents of every kind: alone or in households of 1–4, some moved out, with and without profiles."""
    dwellings = [street.dwelling_a1, street.dwelling_a2, street.dwelling_b1]
    tag_names = list(Tag.objects.values_list("name", flat=True))
    people: list[Resident] = []
    house_no = itertools.count(1)
    while len(people) < size:
        dwelling = rng.choice(dwellings)
        home = household(dwelling, f"R{next(house_no):04d}") if rng.random() < 0.7 else None
        for _ in range(rng.choice([1, 1, 2, 3, 4]) if home else 1):
            born = dt.date(rng.randint(1920, 2010), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.1:
                born = AS_OF.replace(year=rng.randint(1930, 1990))  # a birthday on the evaluation date
            profile = rng.random() < 0.7
            people.append(
                resident(
                    dwelling,
                    born=born,
                    sex=rng.choice("MF"),
                    tags=tuple(rng.sample(tag_names, rng.randint(0, 3))),
                    household=home,
                    status=ResidentStatus.ACTIVE if rng.random() < 0.9 else ResidentStatus.MOVED_OUT,
                    income=rng.choice([None, 0, 300, 800, 1245, 1500, 2400, 5000]) if profile else None,
                    grade=rng.choice([0, 0, 0, 1, 2, 3, 4]) if profile else 0,
                    ill=profile and rng.random() < 0.3,
                )
            )
        if home is not None:
            first = Resident.objects.filter(household=home).order_by("pk").first()
            Household.objects.filter(pk=home.pk).update(head=first)
    return people
