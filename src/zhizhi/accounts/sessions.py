"""The session engine: Django's database sessions, whose per-request read is one precompiled statement that
also brings the session's user.

Every authenticated request reads its session row and then its user row. Django's `SessionStore.load` builds
the first read through the ORM (a queryset cloned, filtered and compiled each time) and ModelBackend the second,
each costing several times the statement itself, and together two round trips. Here the session table is
`accounts.Session` (Django's columns and a `user_id` that mirrors the session's `_auth_user_id`, written with the
row), and the read is written once per connection and executed directly:

    SELECT s.session_data, u.<every column of the user>
      FROM accounts_session s LEFT JOIN accounts_user u ON u.id = s.user_id
     WHERE s.session_key = %s AND s.expire_date > %s

The user columns and their converters are those of the user's default-manager read (accounts.backends), so the
User is made exactly as `read_user` makes it; it is handed to `AccountBackend.get_user` for this request only
(how, and why that is safe: accounts.backends). Django's own `get_user` then checks the session hash and the
backend `user_can_authenticate`, unchanged. When the join cannot stand in for the user read — the default
manager filters or adds to its query, or the user table lives in another database — the read is the session
row alone and the backend reads the user itself (two statements, as before).

The session data is signed; checking the signature (an HMAC), unpacking and parsing it cost a quarter of the
read. A process keeps, for each session data it has checked, the data as JSON text (`_checked`), so the next
request of the session parses that text only. Only data whose signature was good is kept, keyed by the whole
signed text, so no other text can find an entry; each request still gets its own dict.

Writes, expiry, `cycle_key`, `flush`, `clearsessions` and logout are Django's own, unchanged, so a logout in one
process ends the session for every process (the row is gone). The `user_id` column is not a database foreign
key: a session saved for a user deleted meanwhile (a login racing the deletion) must not fail its insert, which
Django's `create` would retry forever; the ORM still deletes a user's sessions with the user, and a row whose
user is gone joins no user (the backend then finds none either: anonymous).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sessions.backends import db
from django.core.exceptions import FieldDoesNotExist
from django.core.signing import JSONSerializer
from django.db import connections, router
from django.utils import timezone

from zhizhi.accounts.backends import _UserRead, preload_user, user_from_row, user_read


class _SessionRead:
    """The session read of one connection: the statement, and the user read whose columns it joins (or None)."""

    def __init__(self, model, alias: str):
        self.model = model
        self.user_model = get_user_model()
        connection = connections[alias]
        qn = connection.ops.quote_name
        meta = model._meta
        data, key, expiry = (
            qn(meta.get_field(f).column) for f in ("session_data", "session_key", "expire_date")
        )
        plan = user_read(self.user_model, alias)
        joinable = plan.bare and router.db_for_read(self.user_model) == alias
        try:
            user_field = meta.get_field("user")
        except FieldDoesNotExist:  # a session model without the user column
            joinable = False
        self.user: _UserRead | None = None
        if joinable and user_field.related_model is self.user_model:
            self.user = plan
            umeta = self.user_model._meta
            columns = ", ".join(f"u.{qn(f.column)}" for f in umeta.concrete_fields)
            # Identifiers from the models, quoted; the values are parameters.
            self.sql = (
                f"SELECT s.{data}, {columns} FROM {qn(meta.db_table)} s"  # noqa: S608
                f" LEFT JOIN {qn(umeta.db_table)} u ON u.{qn(umeta.pk.column)} = s.{qn(user_field.column)}"
                f" WHERE s.{key} = %s AND s.{expiry} > %s"
            )
        else:
            self.sql = f"SELECT {data} FROM {qn(meta.db_table)} WHERE {key} = %s AND {expiry} > %s"  # noqa: S608


# Signed session data already checked by this process → the same data as JSON text (see the module docstring).
_checked: dict[str, str] = {}
CHECKED_LIMIT = 10_000  # entries; the map is emptied when full (a session is checked again, nothing else)


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        from zhizhi.accounts.models import Session

        return Session

    def create_model_instance(self, data):
        obj = super().create_model_instance(data)
        obj.user_id = _user_id(data)
        return obj

    async def acreate_model_instance(self, data):
        obj = await super().acreate_model_instance(data)
        obj.user_id = _user_id(data)
        return obj

    def load(self) -> dict[str, Any]:
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        plan: _SessionRead | None = getattr(connection, "_zhizhi_session_read", None)
        if plan is None or plan.model is not model:
            plan = _SessionRead(model, alias)
            setattr(connection, "_zhizhi_session_read", plan)  # noqa: B010 — a per-connection cache
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            preload_user(None)
            self._session_key = None
            return {}
        user_plan = plan.user
        if user_plan is not None and row[1 + user_plan.pk_index] is not None:
            preload_user(user_from_row(user_plan, alias, row[1:]))
        else:
            preload_user(None)
        return self.decode(row[0])

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if not isinstance(session_data, str):
            return super().decode(session_data)
        text = _checked.get(session_data)
        if text is not None:
            return json.loads(text)
        data = super().decode(session_data)
        if data and self.serializer is JSONSerializer:  # an empty dict may be a bad signature: not kept
            if len(_checked) >= CHECKED_LIMIT:
                _checked.clear()
            _checked[session_data] = json.dumps(data, separators=(",", ":"))
        return data


def _user_id(data):
    from zhizhi.accounts.models import session_user_id

    return session_user_id(data)
