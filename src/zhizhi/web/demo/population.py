"""The demo street's people (pure): households of an old city centre, with many elders.

Household types and their weights give about 27 % of residents aged 60 or over and about 4 % elders
living alone, the profile of Hangzhou's old centre. Ages are counted at `REFERENCE_DATE` so that two runs
on different days still give the same data. Tags are tag codes from people's seeded tag table.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from zhizhi.people.idnumber import make_id_number
from zhizhi.web.demo.layout import DwellingPlan
from zhizhi.web.demo.names import NameMaker

REFERENCE_DATE = dt.date(2026, 1, 1)
RESIDENTS_AT_FULL_SCALE = 20_000
HEAD = "户主"
# The resident persona 张阿姨 (her account is `zhangayi`); her record is found again by this ID number.
ZHANG_NAME = "张桂芳"
ZHANG_BIRTH = dt.date(1943, 8, 16)
ZHANG_ID_NUMBER = make_id_number("330103", ZHANG_BIRTH, 286, "F")


@dataclass
class ContactPlan:
    kind: str  # family | emergency
    name: str
    relation: str
    phone: str


@dataclass
class PersonPlan:
    name: str
    sex: str
    birth: dt.date
    id_number: str
    phone: str
    relation_to_head: str
    residence: str  # owner | tenant | family | collective
    tags: set[str] = field(default_factory=set)
    contacts: list[ContactPlan] = field(default_factory=list)

    @property
    def age(self) -> int:
        return age_on(self.birth, REFERENCE_DATE)


@dataclass
class HouseholdPlan:
    number: str
    dwelling: int  # index into StreetLayout.dwellings()
    grid_code: str
    kind: str  # family | collective
    since: dt.date
    members: list[PersonPlan]  # the head first


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class _Maker:
    """Builds the members of one household type at a time."""

    def __init__(self, rng: random.Random, names: NameMaker):
        self.rng, self.names = rng, names

    def person(
        self, age: int, sex: str, relation: str, surname: str | None = None, residence: str = "family"
    ):
        birth = REFERENCE_DATE - dt.timedelta(days=int(age * 365.2425) + self.rng.randint(1, 364))
        has_phone = age >= 16 and self.rng.random() < (0.7 if age >= 80 else 0.97)
        return PersonPlan(
            name=self.names.name(birth, sex, surname),
            sex=sex,
            birth=birth,
            id_number=self.names.id_number(birth, sex),
            phone=self.names.phone() if has_phone else "",
            relation_to_head=relation,
            residence=residence,
        )

    def sex(self, female_share: float = 0.5) -> str:
        return "F" if self.rng.random() < female_share else "M"

    def children(self, surname: str, mother_age: int, most: int, max_age: int = 24) -> list[PersonPlan]:
        kids = []
        for _ in range(most):
            sex = self.sex()
            age = self.rng.randint(0, max(0, min(max_age, mother_age - 22)))
            kids.append(self.person(age, sex, "女" if sex == "F" else "子", surname))
        return kids

    # --- household types ---------------------------------------------------------------------------
    def alone_elder(self) -> list[PersonPlan]:
        return [self.person(int(self.rng.triangular(62, 98, 80)), self.sex(0.7), HEAD, residence="owner")]

    def elder_couple(self) -> list[PersonPlan]:
        h = int(self.rng.triangular(60, 96, 74))
        husband = self.person(h, "M", HEAD, residence="owner")
        wife = self.person(max(58, h - self.rng.randint(0, 5)), "F", "配偶")
        if self.rng.random() < 0.25:
            husband.relation_to_head, wife.relation_to_head = "配偶", HEAD
            husband.residence, wife.residence = "family", "owner"
            return [wife, husband]
        return [husband, wife]

    def single_young(self) -> list[PersonPlan]:
        tenure = "tenant" if self.rng.random() < 0.6 else "owner"
        return [self.person(self.rng.randint(20, 45), self.sex(), HEAD, residence=tenure)]

    def middle_single(self) -> list[PersonPlan]:
        return [self.person(self.rng.randint(40, 59), self.sex(0.55), HEAD, residence="owner")]

    def couple(self) -> list[PersonPlan]:
        h = self.rng.randint(24, 58)
        tenure = "tenant" if h < 35 and self.rng.random() < 0.5 else "owner"
        husband = self.person(h, "M", HEAD, residence=tenure)
        wife = self.person(max(22, h - self.rng.randint(0, 4)), "F", "配偶", residence=_follow(tenure))
        return [husband, wife]

    def family_with_children(self) -> list[PersonPlan]:
        h = self.rng.randint(28, 52)
        w = max(24, h - self.rng.randint(0, 4))
        tenure = "tenant" if self.rng.random() < 0.15 else "owner"
        father = self.person(h, "M", HEAD, residence=tenure)
        mother = self.person(w, "F", "配偶", residence=_follow(tenure))
        surname = father.name[0] if self.rng.random() < 0.9 else mother.name[0]
        kids = self.children(surname, w, 1 if self.rng.random() < 0.75 else 2)
        for kid in kids:
            kid.residence = _follow(tenure)
        return [father, mother, *kids]

    def three_generations(self) -> list[PersonPlan]:
        h = self.rng.randint(32, 58)
        w = max(28, h - self.rng.randint(0, 4))
        father = self.person(h, "M", HEAD, residence="owner")
        mother = self.person(w, "F", "配偶")
        kids = self.children(father.name[0], w, 1, max_age=30)
        elders = []
        grandpa_age = min(96, h + self.rng.randint(24, 32))
        if self.rng.random() < 0.6:
            elders.append(self.person(grandpa_age, "M", "父亲", father.name[0]))
        elders.append(self.person(min(96, grandpa_age - self.rng.randint(0, 4)), "F", "母亲"))
        return [father, mother, *kids, *elders]

    def parents_with_adult_child(self) -> list[PersonPlan]:
        h = self.rng.randint(48, 66)
        father = self.person(h, "M", HEAD, residence="owner")
        mother = self.person(max(46, h - self.rng.randint(0, 4)), "F", "配偶")
        child_sex = self.sex()
        child = self.person(
            self.rng.randint(20, min(36, h - 24)),
            child_sex,
            "女" if child_sex == "F" else "子",
            father.name[0],
        )
        return [father, mother, child]

    def collective(self) -> list[PersonPlan]:
        members = [self.person(self.rng.randint(19, 40), self.sex(), HEAD, residence="collective")]
        for _ in range(self.rng.randint(2, 4)):
            members.append(
                self.person(self.rng.randint(19, 40), self.sex(), "集体户成员", residence="collective")
            )
        return members


def _follow(tenure: str) -> str:
    return "tenant" if tenure == "tenant" else "family"


HOUSEHOLD_TYPES: tuple[tuple[str, float], ...] = (
    ("alone_elder", 0.10),
    ("elder_couple", 0.17),
    ("single_young", 0.10),
    ("middle_single", 0.03),
    ("couple", 0.10),
    ("family_with_children", 0.28),
    ("three_generations", 0.13),
    ("parents_with_adult_child", 0.08),
    ("collective", 0.01),
)


def _tag(household: list[PersonPlan], rng: random.Random) -> None:
    alone = len(household) == 1
    for p in household:
        age = p.age
        if age >= 60:
            p.tags.add("elderly")
        if age >= 80:
            p.tags.add("aged")
        if alone and age >= 60:
            p.tags.add("alone")
        if rng.random() < (0.06 if age >= 60 else 0.02):
            p.tags.add("disabled")
        if age >= 70 and rng.random() < (0.12 if age >= 80 else 0.04):
            p.tags.add("incapacitated")
        if age >= 18 and rng.random() < (0.12 if age >= 60 else 0.07):
            p.tags.add("party")
        if 18 <= age <= 75 and rng.random() < 0.05:
            p.tags.add("volunteer")
    roll = rng.random()
    welfare = None
    if alone and household[0].age >= 60 and roll < 0.04:
        welfare = "tekun"
    elif roll < 0.012:
        welfare = "dibao"
    elif roll < 0.022:
        welfare = "dibian"
    if welfare:
        for p in household:
            p.tags.add(welfare)


def _contacts(household: list[PersonPlan], m: _Maker) -> None:
    """Family and emergency contacts for elders who live without younger family."""
    if any(p.age < 60 for p in household):
        return
    elder = household[0]
    child_sex = m.sex()
    child_birth = elder.birth + dt.timedelta(days=365 * m.rng.randint(24, 34))
    surname = elder.name[0] if elder.sex == "M" or m.rng.random() < 0.3 else None
    family = ContactPlan(
        "family",
        m.names.name(child_birth, child_sex, surname),
        "女儿" if child_sex == "F" else "儿子",
        m.names.phone(),
    )
    for p in household:
        p.contacts.append(family)
    if len(household) == 1:
        neighbour_birth = REFERENCE_DATE - dt.timedelta(days=365 * m.rng.randint(35, 60))
        elder.contacts.append(
            ContactPlan("emergency", m.names.name(neighbour_birth, m.sex()), "邻居", m.names.phone())
        )


def zhang_household(m: _Maker) -> list[PersonPlan]:
    """张阿姨: 82, a widow living alone on the second floor, the demo's resident persona."""
    m.names.used_ids.add(ZHANG_ID_NUMBER)
    zhang = PersonPlan(
        ZHANG_NAME,
        "F",
        ZHANG_BIRTH,
        ZHANG_ID_NUMBER,
        m.names.phone(),
        HEAD,
        "owner",
        tags={"elderly", "aged", "alone"},
    )
    zhang.contacts = [
        ContactPlan("family", "李建华", "儿子", m.names.phone()),
        ContactPlan("emergency", "王丽萍", "邻居", m.names.phone()),
    ]
    return [zhang]


def plan_population(
    dwellings: list[DwellingPlan], rng: random.Random, residents: int = RESIDENTS_AT_FULL_SCALE
) -> list[HouseholdPlan]:
    """Households until `residents` people live in the street (or every dwelling is taken), the first being
    张阿姨's in the first grid."""
    m = _Maker(rng, NameMaker(rng))
    order = list(range(len(dwellings)))
    zhang_at = next((i for i in order if dwellings[i].floor == 2), 0)
    order.remove(zhang_at)
    rng.shuffle(order)
    order.insert(0, zhang_at)
    kinds, weights = zip(*HOUSEHOLD_TYPES, strict=True)
    per_grid: Counter = Counter()
    households: list[HouseholdPlan] = []
    placed = 0
    for index in order:
        if placed >= residents:
            break
        if households:
            kind = rng.choices(kinds, weights)[0]
            members = getattr(m, kind)()
            _tag(members, rng)
            _contacts(members, m)
        else:
            kind, members = "alone_elder", zhang_household(m)
        grid_code = dwellings[index].grid_code
        per_grid[grid_code] += 1
        since = dt.date(rng.randint(1985, 2025), rng.randint(1, 12), 1)
        households.append(
            HouseholdPlan(
                f"{grid_code}{per_grid[grid_code]:05d}",
                index,
                grid_code,
                "collective" if kind == "collective" else "family",
                since,
                members,
            )
        )
        placed += len(members)
    return households


def summarise(households: list[HouseholdPlan]) -> dict[str, int]:
    people = [p for h in households for p in h.members]
    tags: Counter = Counter(t for p in people for t in p.tags)
    return {
        "households": len(households),
        "residents": len(people),
        **{f"tag_{k}": v for k, v in tags.items()},
    }
