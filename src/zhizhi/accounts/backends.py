"""The authentication backend: Django's ModelBackend, with the per-request user read as one precompiled
statement.

Every authenticated request loads its user by primary key. ModelBackend does that through the ORM
(`_default_manager.get(pk=…)`: a queryset built and compiled each time). Here the statement the ORM would
send — compiled once per database connection from the same default manager, so any filter it adds is kept —
is executed directly and the row turned into a User exactly as a queryset does (the backend's converters,
`Model.from_db`). Login, passwords and permissions are ModelBackend's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router

_SENTINEL = -7_391_004_217  # a primary key no row has, to find the pk's place among the compiled parameters


class _UserRead:
    """The compiled `_default_manager.get(pk=…)` of one connection: SQL, parameters, columns, converters."""

    def __init__(self, model, alias: str):
        self.model = model
        query = model._default_manager.db_manager(alias).filter(pk=_SENTINEL).query
        compiler = query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        slots = [i for i, p in enumerate(self.params) if p == _SENTINEL]
        self.slot = slots[0] if len(slots) == 1 else None  # None: not a plain read; use the ORM
        select = compiler.select
        columns = [col for col, _, _ in select]
        fields = [getattr(col, "target", None) for col in columns]
        # A plain read: every concrete field, in order, and nothing else (no annotations, no related rows).
        self.plain = fields == list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in fields if f is not None] if self.plain else []
        self.converters = compiler.get_converters(columns)


def read_user(model, user_id: Any):
    """The user with this primary key, as `model._default_manager.get(pk=user_id)` returns it; None if none."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    plan: _UserRead | None = getattr(connection, "_zhizhi_user_read", None)
    if plan is None or plan.model is not model:
        plan = _UserRead(model, alias)
        setattr(connection, "_zhizhi_user_read", plan)  # noqa: B010 — a per-connection cache the stubs don't know
    if plan.slot is None or not plan.plain:
        try:
            return model._default_manager.get(pk=user_id)
        except model.DoesNotExist:
            return None
    params = list(plan.params)
    params[plan.slot] = model._meta.pk.get_db_prep_value(user_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if plan.converters:
        row = list(row)
        for pos, (converters, expression) in plan.converters.items():
            value = row[pos]
            for converter in converters:
                value = converter(value, expression, connection)
            row[pos] = value
    return model.from_db(alias, plan.attnames, row)


class AccountBackend(ModelBackend):
    def get_user(self, user_id):
        user = read_user(get_user_model(), user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
