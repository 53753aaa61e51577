"""Query pieces for resident search that let PostgreSQL use its indexes, with portable fallbacks.

* `code_scope(field, prefix)`: "code starts with prefix" as a range (prefix ≤ code < prefix+1), which a plain
  btree serves under any collation, instead of LIKE 'prefix%'. Area codes are digits, so the two agree.
* `name_contains(text)`: on PostgreSQL a fragment of one or two characters — most Chinese name searches —
  is first narrowed by the GIN index on the name's characters (`string_to_array(name, NULL) @> ARRAY[…]`,
  see migration 0004), because trigrams cannot index a fragment that short; longer ones use the trigrams.
* `in_array(field, queryset)`: `field = ANY(ARRAY(subquery))` on PostgreSQL, which can be OR-ed with other
  index scans (BitmapOr) where `IN (subquery)` cannot; `field IN (subquery)` elsewhere.
"""

from __future__ import annotations

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, Expression, F, Q, QuerySet, Subquery
from django.db.models.expressions import BaseExpression

SHORT = 2


def next_code(prefix: str) -> str | None:
    """The smallest code of the prefix's length after it ("330105013" → "330105014"); None if not digits."""
    if not prefix.isdigit() or set(prefix) == {"9"}:
        return None
    return str(int(prefix) + 1).zfill(len(prefix))


def code_scope(field: str, prefix: str) -> Q:
    if not prefix:
        return Q()
    upper = next_code(prefix)
    if upper is None:
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


def postgres() -> bool:
    return connection.vendor == "postgresql"


class HasChars(Expression):
    """string_to_array(<field>, NULL) @> ARRAY[<chars>] — matches the GIN index people_resident_name_chars."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, field: str, chars: list[str]):
        super().__init__()
        self.target = F(field)
        self.chars = chars

    def get_source_expressions(self):
        return [self.target]

    def set_source_expressions(self, exprs):
        (self.target,) = exprs

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.target)
        return f"string_to_array({column}, NULL) @> %s::text[]", (*params, self.chars)


class EqualsAny(Expression):
    """<field> = ANY(<array expression>)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, field: str, array: BaseExpression):
        super().__init__()
        self.target = F(field)
        self.array = array

    def get_source_expressions(self):
        return [self.target, self.array]

    def set_source_expressions(self, exprs):
        self.target, self.array = exprs

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.target)
        array, array_params = compiler.compile(self.array)
        return f"{column} = ANY({array})", (*params, *array_params)


def name_contains(field: str, text: str) -> Q:
    if postgres() and len(text) <= SHORT:
        return Q(HasChars(field, list(dict.fromkeys(text)))) & Q(**{f"{field}__contains": text})
    return Q(**{f"{field}__contains": text})


def in_array(field: str, ids: QuerySet) -> Q:
    if postgres():
        return Q(EqualsAny(field, ArraySubquery(ids)))
    return Q(**{f"{field}__in": Subquery(ids)})
