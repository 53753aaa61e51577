"""The authentication backend: Django's ModelBackend, with the per-request user read precompiled, and usually
already done by the session read.

Every authenticated request loads its user by primary key. ModelBackend does that through the ORM
(`_default_manager.get(pk=…)`: a queryset built and compiled each time). Here the statement the ORM would
send — compiled once per database connection from the same default manager, so any filter it adds is kept —
is executed directly and the row turned into a User exactly as a queryset does (the backend's converters,
`Model.from_db`). Login, passwords and permissions are ModelBackend's own.

Most of the time not even that statement runs: the session read (accounts.sessions) joins the session's user
row and hands the User over here, through a context variable, for the one `get_user` call that follows it in
the same request (`django.contrib.auth.get_user`: session key, then `backend.get_user(id)`, then Django's own
session-hash check and our `user_can_authenticate`, unchanged). Why that is safe:

- The hand-over holds one (primary key, User) pair. The session read always replaces it — with nothing when
  the session has no row, no user or the join could not be used — so what is there is what the latest
  session read of this thread (or task) found.
- `get_user` takes it away whatever happens (one use), and uses it only when the primary key is the one asked
  for; otherwise, or when nothing is there, it reads the user itself as before. A user is never taken for
  another user.
- The production server's WSGI threads (granian's blocking threads) run one request at a time per thread
  and reuse the thread, without a context of the request's own; a context variable set there behaves as a
  thread-local (checked: the value one request sets is the next request's on that thread). A request that
  read its session but never looked at `request.user` leaves its pair behind, so every request starts by
  clearing it (`request_started`, connected in AccountsConfig.ready; the test client sends it too). Within
  a request the session is read before the user — `get_user` asks the session for the key first — so the
  pair is at most as old as the request, the same freshness Django gives (it reads the user once per
  request and caches it).
- Outside requests (the shell, a test calling the backend directly after reading a session with the same
  user's key in the same thread) the pair may be as old as that session read; it is still that user's row.
- Async code (`aget_user`) is ModelBackend's, through the ORM; the context variable is not used there.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.db.models import QuerySet

_SENTINEL = -7_391_004_217  # a primary key no row has, to find the pk's place among the compiled parameters

# (primary key, User): the user row the session read of this request brought in; see the module docstring.
_preloaded: ContextVar[tuple[Any, Any] | None] = ContextVar("zhizhi_preloaded_user", default=None)


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
        # Bare: the default manager sends exactly what a plain QuerySet sends (no filter, join or extra
        # column of its own), so the session read may join the user table in its place.
        base_sql, base_params = (
            QuerySet(model=model, using=alias).filter(pk=_SENTINEL).query.get_compiler(using=alias).as_sql()
        )
        self.bare = (
            self.plain and self.slot is not None and (base_sql, list(base_params)) == (self.sql, self.params)
        )
        self.pk_index = list(model._meta.concrete_fields).index(model._meta.pk) if self.plain else -1


def user_read(model, alias: str) -> _UserRead:
    """The compiled user read of this connection (compiled on first use)."""
    connection = connections[alias]
    plan: _UserRead | None = getattr(connection, "_zhizhi_user_read", None)
    if plan is None or plan.model is not model:
        plan = _UserRead(model, alias)
        setattr(connection, "_zhizhi_user_read", plan)  # noqa: B010 — a per-connection cache the stubs don't know
    return plan


def user_from_row(plan: _UserRead, alias: str, row):
    """The User of a row of the plan's columns (raw, from the cursor), as a queryset makes it."""
    if plan.converters:
        connection = connections[alias]
        row = list(row)
        for pos, (converters, expression) in plan.converters.items():
            value = row[pos]
            for converter in converters:
                value = converter(value, expression, connection)
            row[pos] = value
    return plan.model.from_db(alias, plan.attnames, row)


def read_user(model, user_id: Any):
    """The user with this primary key, as `model._default_manager.get(pk=user_id)` returns it; None if none."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    plan = user_read(model, alias)
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
    return user_from_row(plan, alias, row)


def preload_user(user) -> None:
    """Called by every session read: the user row it brought in (None: none, or not read)."""
    _preloaded.set(None if user is None else (user.pk, user))


def forget_preloaded_user(**kwargs) -> None:
    """`request_started` receiver: nothing from an earlier request of this thread is handed over."""
    if _preloaded.get() is not None:
        _preloaded.set(None)


class AccountBackend(ModelBackend):
    def get_user(self, user_id):
        preloaded = _preloaded.get()
        if preloaded is not None:
            _preloaded.set(None)
        if preloaded is not None and preloaded[0] == user_id:
            user = preloaded[1]
        else:
            user = read_user(get_user_model(), user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
