"""Writing the audit log. Every view of a whole record and every change goes through `record`."""

from __future__ import annotations

from typing import Any

from zhizhi.core import clock
from zhizhi.core.context import current_request
from zhizhi.core.models import AuditAction, AuditEntry


def record(
    actor: Any,
    action: AuditAction | str,
    *,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    summary: str = "",
    changes: dict | None = None,
) -> AuditEntry:
    row = entry(
        actor, action, obj=obj, object_type=object_type, object_id=object_id, summary=summary, changes=changes
    )
    row.save(force_insert=True)
    return row


def entry(
    actor: Any,
    action: AuditAction | str,
    *,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    summary: str = "",
    changes: dict | None = None,
) -> AuditEntry:
    """The row `record` writes, unsaved: for a caller that writes it together with the rows it audits, in the
    same transaction (set object_id once the audited row has its id)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    info = current_request.get()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False) and actor.pk is not None
    return AuditEntry(
        at=clock.now(),
        actor=actor if authenticated else None,
        actor_name=actor.get_username() if authenticated else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary[:255],
        changes=changes or {},
        ip=info.ip,
        user_agent=info.user_agent,
        path=info.path,
    )


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields that changed (values as strings, for JSON)."""
    return {k: [str(before.get(k)), str(after.get(k))] for k in after if before.get(k) != after.get(k)}
