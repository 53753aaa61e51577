"""The session engine: Django's database sessions, with the per-request read as one precompiled statement.

Every authenticated request reads its session row. Django's `SessionStore.load` builds that read through the
ORM (a queryset cloned, filtered and compiled each time), which costs several times the statement itself.
Here the same statement — the session's data where the key matches and it has not expired — is written once
and executed directly; writes, expiry, `clearsessions` and logout are Django's own, unchanged, so a logout in
one process ends the session for every process (the row is gone).
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

_SQL: dict[tuple, str] = {}  # (database vendor, session model) → the read


class SessionStore(db.SessionStore):
    def load(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        sql = _SQL.get((connection.vendor, model))
        if sql is None:
            qn = connection.ops.quote_name
            meta = model._meta
            table = qn(meta.db_table)
            data, key, expiry = (
                qn(meta.get_field(f).column) for f in ("session_data", "session_key", "expire_date")
            )
            # Identifiers from the model, quoted; the values are parameters.
            sql = f"SELECT {data} FROM {table} WHERE {key} = %s AND {expiry} > %s"  # noqa: S608
            _SQL[(connection.vendor, model)] = sql
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])
