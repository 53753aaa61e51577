"""Write a new row and the rows that point to it in one go.

On PostgreSQL this is one statement — `WITH parent AS (INSERT … RETURNING id), child_1 AS (INSERT …
(SELECT id FROM parent) …) … SELECT …` — so the intake's case, first transition, audit row, photos and
outbox rows cost one round trip and, in autocommit mode, one implicit transaction with one commit, instead
of BEGIN, five INSERTs and COMMIT. The SQL of every INSERT is Django's own (SQLInsertCompiler: the same
field preparation, JSON and bytes handling as Model.save / bulk_create); only the link to the parent's id
is an expression. Elsewhere (SQLite) the rows are saved one after another in a transaction.

A read can ride along (`Also`): on PostgreSQL it is a sub-select of the same statement and sees the database
as it was before these inserts (a statement's parts share one snapshot), so the intake's duplicate check costs
no round trip of its own and never finds the case it is part of. Elsewhere `insert_together` leaves it unrun
(`Also.rows` stays None) and the caller reads after the insert as before.

No post_save signals are sent for the rows written this way (as with bulk_create).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import cast

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import AutoField, Field, Model
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery


@dataclass
class Children:
    """Rows of one model that point to the parent: `links` maps an attribute to "pk" (the parent's id) or
    "pk_text" (its id as text, for generic references such as AuditEntry.object_id)."""

    rows: Sequence[Model]
    links: dict[str, str]
    ids: list[int] = field(default_factory=list)  # filled in when `returning`
    returning: bool = False


@dataclass
class Also:
    """A read to run in the same statement on PostgreSQL: `sql` with `params`; `rows` gets its rows as dicts
    of column name → JSON value (numbers, strings, booleans, None; a timestamp as ISO-8601 text)."""

    sql: str
    params: Sequence
    rows: list[dict] | None = None


_sql_cache: dict[tuple, str] = {}

# Field types whose preparation for the database is the identity for values of these Python types (their
# pre_save reads the attribute, get_db_prep_save returns str / int / bool / float / None unchanged). Exact
# types only: a subclass (an encrypted field, say) may prepare differently and takes Django's path.
_PLAIN: dict[type, tuple[type, ...]] = {
    **dict.fromkeys((models.CharField, models.TextField, models.SlugField), (str, type(None))),
    **dict.fromkeys(
        (
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveSmallIntegerField,
            models.PositiveBigIntegerField,
            models.ForeignKey,
        ),
        (int, type(None)),
    ),
    models.BooleanField: (bool, type(None)),
    models.FloatField: (float, type(None)),
    # None is None for these too; an aware datetime goes to PostgreSQL as it is (see `_plan`).
    **dict.fromkeys(
        (models.DateField, models.DecimalField, models.UUIDField, models.DurationField), (type(None),)
    ),
    models.DateTimeField: (type(None),),
}
_plans: dict[type, list[tuple[Field, str, tuple[type, ...]]]] = {}


def _plan(model: type[Model]) -> list[tuple[Field, str, tuple[type, ...]]]:
    """The fields an INSERT of `model` writes, each with its attribute and the value types it passes as is."""
    plan = _plans.get(model)
    if plan is None:
        plan = []
        for f in model._meta.concrete_fields:
            if f.generated or isinstance(f, AutoField):
                continue
            plain = _PLAIN.get(type(f), ())
            if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add):
                plain = ()  # pre_save sets the value
            elif type(f) is models.DateTimeField and connection.vendor == "postgresql":
                plain = (type(None), dt.datetime)  # adapt_datetimefield_value: the value itself
            if isinstance(f, models.ForeignKey) and type(f.target_field) not in (
                models.AutoField,
                models.BigAutoField,
                models.IntegerField,
                models.BigIntegerField,
            ):
                plain = ()
            plan.append((f, f.attname, plain))
        _plans[model] = plan
    return plan


def _insert_sql(rows: Sequence[Model], returning: bool) -> tuple[str, tuple]:
    """Django's INSERT for the rows (RETURNING id if asked). The statement text depends only on the model,
    the number of rows and which values are expressions, so it is built by the compiler once per such shape
    and reused. Values go through the fields' own pre_save and get_db_prep_save, except a plain value (a
    str, int, bool, float or None) of a field type for which both are the identity (`_PLAIN`)."""
    model = type(rows[0])
    plan = _plan(model)
    db = connections[DEFAULT_DB_ALIAS]  # this thread's connection, not the proxy (a lookup per attribute)
    params: list = []
    expressions: list[tuple[bool, ...]] = []
    for row in rows:
        marks = []
        for f, attname, plain in plan:
            value = getattr(row, attname)
            kind = type(value)
            if kind in plain and (kind is not dt.datetime or value.tzinfo is not None):
                params.append(value)
                marks.append(False)
                continue
            value = f.pre_save(row, True)
            if hasattr(value, "resolve_expression"):
                marks.append(True)
            else:
                params.append(f.get_db_prep_save(value, connection=db))
                marks.append(False)
        expressions.append(tuple(marks))
    shape = (model, returning, tuple(expressions))
    sql = _sql_cache.get(shape)
    if sql is None:
        query = InsertQuery(model)
        fields = [f for f, _, _ in plan]
        query.insert_values(fields, cast(list[Model], rows), raw=False)  # stubs: list; any sequence will do
        compiler = query.get_compiler(connection=db)
        compiler.returning_fields = [model._meta.pk] if returning else None
        [(sql, built)] = compiler.as_sql()
        if len(built) != len(params):  # a field with its own placeholder: use the compiler's params
            return sql, tuple(built)
        _sql_cache[shape] = sql
    return sql, tuple(params)


try:  # psycopg 3's query conversion, to keep it for our long statements (see `_convert_once`)
    from psycopg._queries import PostgresQuery, _query2pg_nocache
except ImportError:  # pragma: no cover - another driver or a psycopg without these internals
    PostgresQuery = None  # type: ignore[assignment,misc]

_converted: dict[tuple[bytes, str], tuple] = {}


if PostgresQuery is not None:

    class _KeptQuery(PostgresQuery):
        """psycopg turns a statement's `%s` placeholders into `$n` by parsing it on every execution unless it
        is short and has few parameters (its cache leaves out ORM-made statements of many shapes). The
        intake's one statement is long, has ~80 parameters and only a handful of shapes, so its conversion
        is kept here, keyed by the statement; the values are still adapted on every call."""

        def convert(self, query, vars):  # noqa: A002 — psycopg's signature
            if vars is None or not isinstance(query, str):
                return super().convert(query, vars)
            key = (self._ensure_bytes(query), self._tx.encoding)
            done = _converted.get(key)
            if done is None:
                done = _converted[key] = _query2pg_nocache(*key)
            self.query, self._want_formats, self._order, self._parts = done
            self.dump(vars)
            return None


def _convert_once(cursor) -> None:
    """Have the psycopg cursor behind Django's wrapper keep the conversion of what it executes."""
    raw = getattr(cursor, "cursor", None)
    if raw is not None and PostgresQuery is not None and getattr(raw, "_query_cls", None) is PostgresQuery:
        raw._query_cls = _KeptQuery


def insert_together(parent: Model, children: Sequence[Children], also: Also | None = None) -> Model:
    """Insert `parent` (no pk yet) and its children (links set here); returns the parent with its pk. On
    PostgreSQL, `also` is read in the same statement (see the module's docstring)."""
    children = [c for c in children if c.rows]
    if connection.vendor == "postgresql":
        _insert_postgresql(parent, children, also)
    else:
        with transaction.atomic():
            parent.save(force_insert=True)
            for group in children:
                _link(group, parent.pk, parent.pk, str(parent.pk))
                model = type(group.rows[0])
                saved = model.objects.bulk_create(group.rows)  # type: ignore[attr-defined]  # has `objects`
                group.ids = [r.pk for r in saved]
    return parent


def _link(group: Children, pk_value, pk_ref, text_ref) -> None:
    for row in group.rows:
        for attname, what in group.links.items():
            setattr(row, attname, text_ref if what == "pk_text" else pk_ref)


# The children's link to the parent's id (immutable expressions, made once: each RawSQL makes a Field).
_PARENT_ID = RawSQL('(SELECT "id" FROM "zz_parent")', ())
_PARENT_ID_TEXT = RawSQL('(SELECT "id"::text FROM "zz_parent")', ())


def _insert_postgresql(parent: Model, children: list[Children], also: Also | None = None) -> None:
    parent_sql, params = _insert_sql([parent], returning=True)
    parts, all_params = [f'"zz_parent" AS ({parent_sql})'], list(params)
    pk_ref, text_ref = _PARENT_ID, _PARENT_ID_TEXT
    returned = []
    for i, group in enumerate(children):
        _link(group, None, pk_ref, text_ref)
        sql, params = _insert_sql(group.rows, returning=group.returning)
        parts.append(f'"zz_child_{i}" AS ({sql})')
        all_params += params
        if group.returning:
            returned.append((i, group))
    select = ['(SELECT "id" FROM "zz_parent")'] + [
        f'ARRAY(SELECT "id" FROM "zz_child_{i}" ORDER BY "id")'  # noqa: S608 — our own CTE names
        for i, _ in returned
    ]
    if also is not None:
        # The rows as one JSON text (loaded below), however many rows and columns the read has.
        select.append(f"(SELECT coalesce(json_agg(zz_also), '[]')::text FROM ({also.sql}) AS zz_also)")  # noqa: S608
        all_params += also.params
    statement = f"WITH {', '.join(parts)} SELECT {', '.join(select)}"  # noqa: S608 — Django-built SQL
    # In autocommit mode the single statement is its own transaction: no BEGIN/COMMIT round trips. Inside a
    # transaction, a savepoint keeps it usable after a failed insert (a repeated idempotency key).
    own = transaction.get_autocommit()
    db = connections[DEFAULT_DB_ALIAS]
    with nullcontext() if own else transaction.atomic(), db.cursor() as cursor:
        _convert_once(cursor)
        cursor.execute(statement, all_params)
        row = cursor.fetchone()
    parent.pk = row[0]
    parent._state.adding = False
    parent._state.db = db.alias
    if also is not None:
        also.rows = json.loads(row[-1])
        row = row[:-1]
    for (_, group), ids in zip(returned, row[1:], strict=True):
        group.ids = list(ids)
    for group in children:
        _link(group, None, parent.pk, str(parent.pk))
        for child in group.rows:
            child._state.adding = False
            child._state.db = db.alias
        if group.returning:
            for child, pk in zip(group.rows, group.ids, strict=True):
                child.pk = pk
