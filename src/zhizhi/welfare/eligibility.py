"""Evaluating programmes: who matches a rule (in the database), why (in Python), and how much they get.

One `Context` per evaluation date carries the vocabulary, the local standards and the tag ids, so that a full
re-evaluation of every programme reads them once.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet

from zhizhi.core.errors import InvalidInput
from zhizhi.people.models import Resident, ResidentStatus, Tag
from zhizhi.welfare import facts, sqlrules
from zhizhi.welfare.models import Programme, Target
from zhizhi.welfare.rules import Rule, RuleError, Step, Type, Vocabulary, check, evaluate, explain


@dataclass
class Context:
    as_of: dt.date
    vocabulary: Vocabulary
    tag_ids: dict[str, int]
    tag_names: dict[str, str]
    _standards: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def on(cls, as_of: dt.date) -> Context:
        rows = list(Tag.objects.values_list("id", "code", "name"))
        return cls(
            as_of=as_of,
            vocabulary=facts.vocabulary(),
            tag_ids={code: pk for pk, code, _ in rows},
            tag_names={code: name for _, code, name in rows},
        )

    def standards(self, area_code: str = "") -> dict[str, float]:
        if area_code not in self._standards:
            self._standards[area_code] = facts.constants(self.as_of, area_code)
        return self._standards[area_code]


def check_rule(
    source: str, vocabulary: Vocabulary, *, field_name: str = "rule", expect: Type = Type.BOOL
) -> Rule:
    """The checked rule, or InvalidInput naming the field with the position in `details`."""
    try:
        return check(source or "", vocabulary, expect)
    except RuleError as exc:
        raise RuleInvalid(exc, field_name) from exc


class RuleInvalid(InvalidInput):
    code = "invalid_rule"

    def __init__(self, error: RuleError, field_name: str):
        self.error = error
        super().__init__(error.pretty(), field=field_name)

    def as_dict(self) -> dict:
        return super().as_dict() | {"position": self.error.as_dict()}


def population(programme: Programme) -> Q | None:
    """Who a programme is read for: every active resident, or (household programmes) household heads."""
    if programme.target == Target.HOUSEHOLD:
        return Q(household__head_id=F("pk"))
    return None


def frame(programme: Programme) -> Q | None:
    return Q(area_code__startswith=programme.area_code) if programme.area_code else None


def matching(programme: Programme, rule: Rule, ctx: Context, scope: Q | None = None) -> QuerySet[Resident]:
    """Residents (household heads for household programmes) who satisfy `rule`, inside `scope`."""
    who = population(programme)
    if scope is not None:
        who = scope if who is None else who & scope
    return sqlrules.matching(
        rule,
        ctx.as_of,
        ctx.standards(programme.area_code),
        ctx.tag_ids,
        frame=frame(programme),
        population=who,
    )


def matching_many(
    programmes: list[Programme], ctx: Context, *, household_tags: bool = False
) -> QuerySet[Resident]:
    """One scan for several programmes sharing a frame: rows (w_id, w_hh, w_area, m0, m1 …) of every person
    matching at least one of them, m<i> saying whether programme i matched. What a full re-evaluation runs.
    `household_tags`: read household tags from sqlrules.HOUSEHOLD_TAGS (prepared by the caller)."""
    assert len({p.area_code for p in programmes}) == 1, "programmes of one scan share their frame"
    flags: dict[str, ExpressionWrapper] = {}
    for i, programme in enumerate(programmes):
        rule = programme_rule(programme, ctx)
        condition, _ = sqlrules.compile_rule(
            rule,
            ctx.as_of,
            ctx.standards(programme.area_code),
            ctx.tag_ids,
            household_tags_table=household_tags,
        )
        who = population(programme)
        flags[f"m{i}"] = ExpressionWrapper(condition & who if who is not None else condition, BooleanField())
    base = Resident.objects.filter(status=ResidentStatus.ACTIVE).order_by()
    where = frame(programmes[0])
    if where is not None:
        base = base.filter(where)
    any_match = functools.reduce(operator.or_, (Q(**{name: True}) for name in flags))
    return (
        base.annotate(w_id=F("pk"), w_hh=F("household_id"), w_area=F("area_code"), **flags)
        .filter(any_match)
        .values("w_id", "w_hh", "w_area", *flags)
    )


def _label(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, frozenset):
        return frozenset(names.get(v, v) for v in value)
    return value


def explanations(programme: Programme, rule: Rule, resident_ids: list[int], ctx: Context) -> dict[int, Step]:
    """Per person, the rule clause by clause with the facts it used (tags shown by name)."""
    standards = ctx.standards(programme.area_code)
    found = facts.load_facts(resident_ids, ctx.as_of)
    return {
        rid: _relabel(explain(rule, {**person, **standards}), ctx.tag_names) for rid, person in found.items()
    }


def _relabel(step: Step, names: dict[str, str]) -> Step:
    step.facts = {k: _label(v, names) for k, v in step.facts.items()}
    for child in step.children:
        _relabel(child, names)
    return step


def amount_for(programme: Programme, person_facts: dict, ctx: Context) -> Decimal:
    """The benefit of one payee for one period: the fixed amount, or the formula on their facts (≥ 0)."""
    if programme.amount is not None:
        return programme.amount
    if not programme.formula:
        return Decimal(0)
    formula = check(programme.formula, ctx.vocabulary, Type.NUMBER)
    value = evaluate(formula.tree, {**person_facts, **ctx.standards(programme.area_code)})
    if value is None or value < 0:
        return Decimal(0)
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def programme_rule(programme: Programme, ctx: Context) -> Rule:
    return check_rule(programme.rule, ctx.vocabulary)
