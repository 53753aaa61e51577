"""The SQL compiler means what the Python evaluator means: random rules over a random registry select exactly
the same people in the database as in Python."""

from __future__ import annotations

import random

import pytest

from tests.welfare.helpers import AS_OF, random_registry
from zhizhi.people.models import Household, Resident, ResidentStatus, Tag
from zhizhi.welfare import facts, sqlrules
from zhizhi.welfare.rules import check, evaluate

pytestmark = pytest.mark.django_db

STANDARDS = {"dibao_standard": 1245.0, "dibian_standard": 1867.5}


class RuleMaker:
    """Random rule texts from the whole grammar (facts, constants, arithmetic, if, min/max, in, not …)."""

    def __init__(self, rng: random.Random, tag_names: list[str]):
        self.rng = rng
        self.tags = tag_names

    def number(self, depth: int) -> str:
        r = self.rng
        options = ["lit", "fact", "const"] + (["arith", "arith", "if", "call", "neg"] if depth > 0 else [])
        kind = r.choice(options)
        if kind == "lit":
            return r.choice(["0", "1", "2", "3", "60", "80", "1245", "1.5", "0.5", "2400", "90"])
        if kind == "fact":
            return r.choice(
                ["age", "disability_grade", "income", "household_size", "per_capita_income", "年龄"]
            )
        if kind == "const":
            return r.choice(["dibao_standard", "dibian_standard", "低保标准"])
        if kind == "arith":
            op = r.choice("+-*/")
            right = self.number(depth - 1)
            if op == "/" and right == "0":
                right = "(household_size - 1)"  # zero for people alone: unknown, in both worlds
            return f"({self.number(depth - 1)} {op} {right})"
        if kind == "if":
            then, otherwise = self.number(depth - 1), self.number(depth - 1)
            return f"(if {self.condition(depth - 1)} then {then} else {otherwise})"
        if kind == "call":
            return f"{r.choice(['min', 'max'])}({self.number(depth - 1)}, {self.number(depth - 1)})"
        return f"-{self.number(depth - 1)}"

    def condition(self, depth: int) -> str:
        r = self.rng
        options = ["cmp", "cmp", "tag", "list", "fact", "sex"] + (
            ["and", "or", "not", "booleq"] if depth > 0 else []
        )
        kind = r.choice(options)
        if kind == "cmp":
            return f"{self.number(depth)} {r.choice(['==', '!=', '<', '<=', '>', '>='])} {self.number(depth)}"
        if kind == "tag":
            negated = r.choice(["", "not "])
            return f'"{r.choice(self.tags)}" {negated}in {r.choice(["tags", "household_tags"])}'
        if kind == "list":
            values = ", ".join(str(v) for v in r.sample(range(0, 5), r.randint(1, 3)))
            return (
                f"{r.choice(['disability_grade', 'household_size'])} {r.choice(['in', 'not in'])} [{values}]"
            )
        if kind == "fact":
            return r.choice(["chronic_illness", "living_alone", "true", "false"])
        if kind == "sex":
            return f'sex == "{r.choice("MF")}"'
        if kind == "not":
            return f"not ({self.condition(depth - 1)})"
        if kind == "booleq":
            return f"({self.condition(depth - 1)}) {r.choice(['==', '!='])} ({self.condition(depth - 1)})"
        joiner = f" {kind} "
        return "(" + joiner.join(self.condition(depth - 1) for _ in range(r.randint(2, 3))) + ")"


@pytest.fixture
def registry(street):
    rng = random.Random(20261127)
    return random_registry(street, rng, size=70)


def python_matches(rule, population_ids, all_facts) -> set[int]:
    return {rid for rid in population_ids if evaluate(rule.tree, {**all_facts[rid], **STANDARDS}) is True}


def test_sql_and_python_select_the_same_people_for_random_rules(registry):
    vocabulary = facts.vocabulary()
    tag_ids = dict(Tag.objects.values_list("code", "id"))
    active = list(Resident.objects.filter(status=ResidentStatus.ACTIVE).values_list("pk", flat=True))
    all_facts = facts.load_facts(active, AS_OF)
    maker = RuleMaker(random.Random(7), list(Tag.objects.values_list("name", flat=True)))
    checked = 0
    for _ in range(160):
        source = maker.condition(3)
        rule = check(source, vocabulary)
        in_sql = set(sqlrules.matching(rule, AS_OF, STANDARDS, tag_ids).values_list("pk", flat=True))
        assert in_sql == python_matches(rule, active, all_facts), source
        checked += 1
    assert checked == 160


def test_household_heads_population_agrees_too(registry):
    vocabulary = facts.vocabulary()
    tag_ids = dict(Tag.objects.values_list("code", "id"))
    heads = set(Household.objects.exclude(head=None).values_list("head_id", flat=True))
    active = set(Resident.objects.filter(status=ResidentStatus.ACTIVE).values_list("pk", flat=True))
    all_facts = facts.load_facts(active, AS_OF)
    from django.db.models import F, Q

    population = Q(household__head_id=F("pk"))
    for source in [
        "per_capita_income < dibao_standard",
        '"低保" in household_tags or "特困" in household_tags',
        "household_size >= 2 and age >= 60",
        "living_alone or household_size == 3",
    ]:
        rule = check(source, vocabulary)
        got = set(
            sqlrules.matching(rule, AS_OF, STANDARDS, tag_ids, population=population).values_list(
                "pk", flat=True
            )
        )
        assert got == python_matches(rule, heads & active, all_facts), source


def test_one_scan_for_many_programmes_agrees_too(registry):
    """The full re-evaluation's single scan (every programme as a column, household tags from a temporary
    table) selects what the evaluator selects, programme by programme — the seeded ones and random ones."""
    from django.db import transaction

    from zhizhi.welfare import eligibility
    from zhizhi.welfare.models import Programme

    ctx = eligibility.Context.on(AS_OF)
    ctx._standards[""] = STANDARDS
    maker = RuleMaker(random.Random(11), list(Tag.objects.values_list("name", flat=True)))
    programmes = list(Programme.objects.all()) + [
        Programme(
            code=f"random-{i}",
            rule=maker.condition(3),
            target=random.Random(i).choice(["person", "household"]),
        )
        for i in range(30)
    ]
    with transaction.atomic():
        sqlrules.prepare_household_tags(list(Tag.objects.values_list("id", flat=True)))
        rows = list(eligibility.matching_many(programmes, ctx, household_tags=True))
    active = set(Resident.objects.filter(status=ResidentStatus.ACTIVE).values_list("pk", flat=True))
    heads = set(Household.objects.exclude(head=None).values_list("head_id", flat=True))
    all_facts = facts.load_facts(active, AS_OF)
    for i, programme in enumerate(programmes):
        rule = check(programme.rule, ctx.vocabulary)
        population = active & heads if programme.target == "household" else active
        in_sql = {row["w_id"] for row in rows if row[f"m{i}"]}
        assert in_sql == python_matches(rule, population, all_facts), programme.rule
