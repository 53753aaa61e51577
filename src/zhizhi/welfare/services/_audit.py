"""Audit rows in bulk: a re-evaluation or a bulk verification writes one core audit entry per changed record
(with before/after), in one INSERT instead of thousands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from zhizhi.core import clock
from zhizhi.core.context import current_request
from zhizhi.core.models import AuditAction, AuditEntry


def actor_fields(actor: Any) -> dict:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False) and actor.pk is not None
    return {
        "actor": actor if authenticated else None,
        "actor_name": actor.get_username() if authenticated else "system",
    }


def record_many(
    actor: Any, action: AuditAction, rows: Iterable[tuple[str, Any, str, dict]], *, batch_size: int = 5000
) -> int:
    """rows: (object_type, object_id, summary, changes). Returns how many entries were written."""
    info = current_request.get()
    who = actor_fields(actor)
    at = clock.now()
    entries = [
        AuditEntry(
            at=at,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            summary=summary[:255],
            changes=changes,
            ip=info.ip,
            user_agent=info.user_agent,
            path=info.path,
            **who,
        )
        for object_type, object_id, summary, changes in rows
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
    return len(entries)
