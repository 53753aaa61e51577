"""Compile a checked rule to a Django condition, so that a full re-evaluation runs inside the database.

The compiled condition means exactly what `rules.evaluate` means (a test checks both on random data):
  * numbers are integers or double precision (money is cast to float), division is by NULLIF(…, 0);
  * NULL plays the evaluator's *unknown*, with SQL's own three-valued and/or/not;
  * `age >= 80` against a whole number becomes a birth-date cut-off (an index range, no per-row arithmetic);
  * income is NULL until assessed; per-capita income is NULL until every member of the household is;
  * household facts are window aggregates over the active residents of the evaluated frame, partitioned by
    household (a person without one is a partition of one). Django would move plain conjuncts of a filter
    below the window, changing the counts, so a rule using them is wrapped into one boolean that is
    filtered after the windows (QUALIFY).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, ExtractDay, ExtractMonth, ExtractYear, NullIf
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    IsNull,
    LessThan,
    LessThanOrEqual,
)

from zhizhi.people.models import Resident, ResidentStatus
from zhizhi.welfare.rules import Rule
from zhizhi.welfare.rules import nodes as n
from zhizhi.welfare.rules.nodes import Type

LOOKUPS = {
    "==": Exact,
    "<": LessThan,
    "<=": LessThanOrEqual,
    ">": GreaterThan,
    ">=": GreaterThanOrEqual,
}
WINDOW_FACTS = frozenset({"household_size", "per_capita_income", "living_alone"})
INT_FACTS = frozenset({"age", "disability_grade", "household_size"})
TRUE = Q(Exact(Value(1), Value(1)))
FALSE = Q(Exact(Value(1), Value(0)))


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


HOUSEHOLD_TAGS = "welfare_household_tags_run"


class SqlCompiler:
    def __init__(
        self,
        as_of: dt.date,
        standards: dict[str, float],
        tag_ids: dict[str, int],
        *,
        household_tags_table: bool = False,
    ):
        self.as_of = as_of
        self.standards = standards
        self.tag_ids = tag_ids
        self.household_tags_table = household_tags_table  # read HOUSEHOLD_TAGS (see prepare_household_tags)

    # --- facts as SQL expressions -------------------------------------------------------------------------

    def household_key(self):
        return Coalesce(F("household_id"), Value(0) - F("pk"))

    def fact(self, name: str):
        if name == "age":
            a = self.as_of
            later_birthday = Q(GreaterThan(ExtractMonth("birth_date"), a.month)) | Q(
                Exact(ExtractMonth("birth_date"), a.month), GreaterThan(ExtractDay("birth_date"), a.day)
            )
            return ExpressionWrapper(
                Value(a.year)
                - ExtractYear("birth_date")
                - Case(When(later_birthday, then=Value(1)), default=Value(0)),
                output_field=IntegerField(),
            )
        if name == "sex":
            return F("sex")
        if name == "disability_grade":
            return Coalesce(F("welfare_profile__disability_grade"), Value(0), output_field=IntegerField())
        if name == "income":
            return self.income()
        if name == "household_size":
            return Window(Count("pk"), partition_by=[self.household_key()], output_field=IntegerField())
        if name == "per_capita_income":
            key = [self.household_key()]
            total = Window(Sum(self.income()), partition_by=key, output_field=FloatField())
            assessed = Window(
                Count("welfare_profile__monthly_income"), partition_by=key, output_field=IntegerField()
            )
            size = self.fact("household_size")
            return Case(
                When(
                    Exact(assessed, size),
                    then=ExpressionWrapper(total / Cast(size, FloatField()), output_field=FloatField()),
                ),
                default=Value(None, output_field=FloatField()),
                output_field=FloatField(),
            )
        if name in self.standards:
            return Value(float(self.standards[name]), output_field=FloatField())
        raise ValueError(f"no SQL for fact {name}")

    def income(self):
        """Unknown (NULL) until the person is assessed."""
        return Cast(F("welfare_profile__monthly_income"), FloatField())

    def has_tag(self, code: str, *, household: bool) -> Q:
        """`pk IN (SELECT resident_id …)`: uncorrelated, so the database hashes the subquery once (a
        correlated EXISTS inside an or/not would run once per person)."""
        through = Resident.tags.through
        tag_id = self.tag_ids.get(code)
        if tag_id is None:
            return FALSE
        own = Q(In(F("pk"), through.objects.filter(tag_id=tag_id).values("resident_id")))
        if not household:
            return own
        households: Any = through.objects.filter(
            tag_id=tag_id, resident__status=ResidentStatus.ACTIVE, resident__household_id__isnull=False
        ).values("resident__household_id")
        if self.household_tags_table:  # a full re-evaluation: the join is done once for every rule
            sql = f"SELECT household_id FROM {HOUSEHOLD_TAGS} WHERE tag_id = %s"  # noqa: S608
            households = RawSQL(sql, [tag_id])  # noqa: S611 - a constant table name, the tag as a parameter
        return (Q(IsNull(F("household_id"), True)) & own) | (
            Q(IsNull(F("household_id"), False)) & Q(In(F("household_id"), households))
        )

    def bool_fact(self, name: str) -> Q:
        if name == "chronic_illness":
            return Q(Exact(Coalesce(F("welfare_profile__chronic_illness"), Value(False)), Value(True)))
        if name == "living_alone":
            alone = Q(Exact(self.fact("household_size"), Value(1))) & Q(IsNull(F("household_id"), False))
            return self.has_tag("alone", household=False) | alone
        raise ValueError(f"no SQL for yes/no fact {name}")

    # --- values -------------------------------------------------------------------------------------------

    def is_float(self, node: n.Node) -> bool:
        if isinstance(node, n.Num):
            return isinstance(node.value, float)
        if isinstance(node, n.Name):
            return node.name not in INT_FACTS
        if isinstance(node, n.Arith):
            return node.op == "/" or self.is_float(node.left) or self.is_float(node.right)
        if isinstance(node, n.Neg):
            return self.is_float(node.operand)
        if isinstance(node, n.IfElse):
            return self.is_float(node.then) or self.is_float(node.otherwise)
        if isinstance(node, n.Call):
            return any(self.is_float(a) for a in node.args)
        return False

    def number_field(self, node: n.Node):
        return FloatField() if self.is_float(node) else IntegerField()

    def value(self, node: n.Node) -> Any:
        if isinstance(node, n.Num):
            return Value(node.value, output_field=self.number_field(node))
        if isinstance(node, n.Str):
            return Value(node.value)
        if isinstance(node, n.Name):
            return self.fact(node.name)
        if isinstance(node, n.Neg):
            return ExpressionWrapper(
                Value(0) - self.value(node.operand), output_field=self.number_field(node)
            )
        if isinstance(node, n.Arith):
            left, right = self.value(node.left), self.value(node.right)
            if node.op == "/":
                left = Cast(left, FloatField())
                right = NullIf(Cast(right, FloatField()), Value(0.0))
                return ExpressionWrapper(left / right, output_field=FloatField())
            combined = {"+": left + right, "-": left - right, "*": left * right}[node.op]
            return ExpressionWrapper(combined, output_field=self.number_field(node))
        if isinstance(node, n.IfElse):
            field = self.number_field(node) if not isinstance(node.then, n.Str) else None
            return Case(
                When(self.cond(node.condition), then=self.value(node.then)),
                default=self.value(node.otherwise),
                output_field=field,
            )
        if isinstance(node, n.Call):
            lookup = LessThanOrEqual if node.function == "min" else GreaterThanOrEqual
            result = self.value(node.args[0])
            for arg in node.args[1:]:
                other = self.value(arg)
                result = Case(
                    When(lookup(result, other), then=result),
                    default=other,
                    output_field=self.number_field(node),
                )
            return result
        raise TypeError(f"{type(node).__name__} is not a value")

    # --- conditions ---------------------------------------------------------------------------------------

    def cond(self, node: n.Node) -> Q:
        if isinstance(node, n.Bool):
            return TRUE if node.value else FALSE
        if isinstance(node, n.Name):
            return self.bool_fact(node.name)
        if isinstance(node, n.Not):
            return ~self.cond(node.operand)
        if isinstance(node, n.And):
            result = self.cond(node.operands[0])
            for o in node.operands[1:]:
                result &= self.cond(o)
            return result
        if isinstance(node, n.Or):
            result = self.cond(node.operands[0])
            for o in node.operands[1:]:
                result |= self.cond(o)
            return result
        if isinstance(node, n.Member):
            found = self.member(node)
            return ~found if node.negated else found
        if isinstance(node, n.Compare):
            return self.compare(node)
        raise TypeError(f"{type(node).__name__} is not a condition")

    def member(self, node: n.Member) -> Q:
        if isinstance(node.container, n.ListOf):
            values = [i.value for i in node.container.items]  # type: ignore[attr-defined]
            return Q(In(self.value(node.item), values))
        assert isinstance(node.container, n.Name) and isinstance(node.item, n.Str)
        return self.has_tag(node.item.value, household=node.container.name == "household_tags")

    def compare(self, node: n.Compare) -> Q:
        if self.is_bool(node.left):
            a, b = self.cond(node.left), self.cond(node.right)
            equal = (a & b) | (~a & ~b)
            return equal if node.op == "==" else ~equal
        fast = self.age_cutoff(node)
        if fast is not None:
            return fast
        if node.op == "!=":
            return ~Q(Exact(self.value(node.left), self.value(node.right)))
        return Q(LOOKUPS[node.op](self.value(node.left), self.value(node.right)))

    def is_bool(self, node: n.Node) -> bool:
        if isinstance(node, n.Bool | n.Not | n.And | n.Or | n.Compare | n.Member):
            return True
        return isinstance(node, n.Name) and node.name in ("chronic_illness", "living_alone")

    def age_cutoff(self, node: n.Compare) -> Q | None:
        """`age OP whole number` as a range of birth dates."""
        flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
        if isinstance(node.left, n.Name) and node.left.name == "age" and isinstance(node.right, n.Num):
            op, years = node.op, node.right.value
        elif isinstance(node.right, n.Name) and node.right.name == "age" and isinstance(node.left, n.Num):
            op, years = flip[node.op], node.left.value
        else:
            return None
        if not isinstance(years, int) or not 0 <= years <= 150:
            return None

        def at_least(y: int) -> Q:  # age >= y
            return Q(birth_date__lte=years_before(self.as_of, y))

        if op == ">=":
            return at_least(years)
        if op == ">":
            return at_least(years + 1)
        if op == "<":
            return ~at_least(years)
        if op == "<=":
            return ~at_least(years + 1)
        exactly = at_least(years) & ~at_least(years + 1)
        return exactly if op == "==" else ~exactly


def compile_rule(
    rule: Rule,
    as_of: dt.date,
    standards: dict[str, float],
    tag_ids: dict[str, int],
    *,
    household_tags_table: bool = False,
):
    """(condition, windowed): the rule as a Q over Resident, and whether it uses household windows."""
    assert rule.type == Type.BOOL
    compiler = SqlCompiler(as_of, standards, tag_ids, household_tags_table=household_tags_table)
    condition = compiler.cond(rule.tree)
    return condition, bool(rule.names & WINDOW_FACTS)


def matching(
    rule: Rule,
    as_of: dt.date,
    standards: dict[str, float],
    tag_ids: dict[str, int],
    *,
    frame: Q | None = None,
    population: Q | None = None,
) -> QuerySet[Resident]:
    """Active residents in `frame` (the residents that make up households, e.g. a street) who satisfy the
    rule and `population` (e.g. "is a household head", "inside my area")."""
    condition, windowed = compile_rule(rule, as_of, standards, tag_ids)
    if population is not None:
        condition &= population
    base = Resident.objects.filter(status=ResidentStatus.ACTIVE).order_by()
    if frame is not None:
        base = base.filter(frame)
    if not windowed:
        return base.filter(condition)
    return base.alias(w_match=ExpressionWrapper(condition, output_field=BooleanField())).filter(w_match=True)


def household_tags_used(rules: list[Rule], tag_ids: dict[str, int]) -> list[int]:
    """Ids of the tags the rules look for in `household_tags`."""
    codes = {
        node.item.value
        for rule in rules
        for node in n.walk(rule.tree)
        if isinstance(node, n.Member)
        and isinstance(node.container, n.Name)
        and node.container.name == "household_tags"
        and isinstance(node.item, n.Str)
    }
    return sorted(tag_ids[c] for c in codes if c in tag_ids)


def prepare_household_tags(tag_ids: list[int]) -> None:
    """The households holding these tags (on any active member) in a temporary table, for a full
    re-evaluation whose rules ask `"低保" in household_tags` many times: one join instead of one per rule."""
    from django.db import connection

    through = Resident.tags.through._meta.db_table
    resident = Resident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {HOUSEHOLD_TAGS}")
        cursor.execute(f"CREATE TEMPORARY TABLE {HOUSEHOLD_TAGS} (household_id bigint, tag_id bigint)")
        if not tag_ids:
            return
        marks = ", ".join(["%s"] * len(tag_ids))
        cursor.execute(
            f"INSERT INTO {HOUSEHOLD_TAGS} (household_id, tag_id) SELECT DISTINCT r.household_id, t.tag_id "  # noqa: S608
            f"FROM {through} t JOIN {resident} r ON r.id = t.resident_id "
            f"WHERE r.household_id IS NOT NULL AND r.status = %s AND t.tag_id IN ({marks})",
            [ResidentStatus.ACTIVE, *tag_ids],
        )
        cursor.execute(f"CREATE INDEX {HOUSEHOLD_TAGS}_tag ON {HOUSEHOLD_TAGS} (tag_id, household_id)")
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {HOUSEHOLD_TAGS}")


def drop_household_tags() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {HOUSEHOLD_TAGS}")


def tune_scan() -> None:
    """Inside a transaction on PostgreSQL: let this transaction's household windows sort in memory (a city's
    residents do not fit the default 4 MB work_mem) and turn JIT off — compiling the many expressions of a
    full re-evaluation with LLVM costs far more than it saves (18 s against a 3 s scan at 1M residents).
    No-op elsewhere."""
    from django.db import connection

    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '128MB'")
            cursor.execute("SET LOCAL jit = off")
