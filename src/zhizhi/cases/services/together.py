"""Write a new row and the rows that point to it in one go.

On PostgreSQL this is one statement — `WITH parent AS (INSERT … RETURNING id), child_1 AS (INSERT …
(SELECT id FROM parent) …) … SELECT …` — so the intake's case, first transition, audit row, photos and
outbox rows cost one round trip and, in autocommit mode, one implicit transaction with one commit, instead
of BEGIN, five INSERTs and COMMIT. The SQL of every INSERT is Django's own (SQLInsertCompiler: the same
field preparation, JSON and bytes handling as Model.save / bulk_create); only the link to the parent's id
is an expression. Elsewhere (SQLite) the rows are saved one after another in a transaction.

No post_save signals are sent for the rows written this way (as with bulk_create).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import cast

from django.db import connection, transaction
from django.db.models import AutoField, Model
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


_sql_cache: dict[tuple, str] = {}


def _insert_sql(rows: Sequence[Model], returning: bool) -> tuple[str, tuple]:
    """Django's INSERT for the rows (RETURNING id if asked). The statement text depends only on the model,
    the number of rows and which values are expressions, so it is built by the compiler once per such shape
    and reused; the values always go through the fields' own pre_save and get_db_prep_save."""
    model = type(rows[0])
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and not isinstance(f, AutoField)]
    values = [[f.pre_save(row, True) for f in fields] for row in rows]
    shape = (
        model,
        returning,
        tuple(tuple(hasattr(v, "resolve_expression") for v in row) for row in values),
    )
    params = tuple(
        f.get_db_prep_save(v, connection=connection)
        for row in values
        for f, v in zip(fields, row, strict=True)
        if not hasattr(v, "resolve_expression")
    )
    sql = _sql_cache.get(shape)
    if sql is None:
        query = InsertQuery(model)
        query.insert_values(fields, cast(list[Model], rows), raw=False)  # stubs: list; any sequence will do
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = [opts.pk] if returning else None
        [(sql, built)] = compiler.as_sql()
        if len(built) != len(params):  # a field with its own placeholder: use the compiler's params
            return sql, tuple(built)
        _sql_cache[shape] = sql
    return sql, params


def insert_together(parent: Model, children: Sequence[Children]) -> Model:
    """Insert `parent` (no pk yet) and its children (links set here); returns the parent with its pk."""
    children = [c for c in children if c.rows]
    if connection.vendor == "postgresql":
        _insert_postgresql(parent, children)
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


def _insert_postgresql(parent: Model, children: list[Children]) -> None:
    parent_sql, params = _insert_sql([parent], returning=True)
    parts, all_params = [f'"zz_parent" AS ({parent_sql})'], list(params)
    pk_ref = RawSQL('(SELECT "id" FROM "zz_parent")', ())
    text_ref = RawSQL('(SELECT "id"::text FROM "zz_parent")', ())
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
    statement = f"WITH {', '.join(parts)} SELECT {', '.join(select)}"  # noqa: S608 — Django-built SQL
    # In autocommit mode the single statement is its own transaction: no BEGIN/COMMIT round trips. Inside a
    # transaction, a savepoint keeps it usable after a failed insert (a repeated idempotency key).
    own = transaction.get_autocommit()
    with nullcontext() if own else transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, all_params)
        row = cursor.fetchone()
    parent.pk = row[0]
    parent._state.adding = False
    parent._state.db = connection.alias
    for (_, group), ids in zip(returned, row[1:], strict=True):
        group.ids = list(ids)
    for group in children:
        _link(group, None, parent.pk, str(parent.pk))
        for child in group.rows:
            child._state.adding = False
            child._state.db = connection.alias
        if group.returning:
            for child, pk in zip(group.rows, group.ids, strict=True):
                child.pk = pk
