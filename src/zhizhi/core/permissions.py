"""Scope checks used by every service that reads people or cases.

An *actor* is anything with `role`, `area_code` (the code of the area the account is bound to; empty for an
administrator, meaning everywhere) and `is_active`. Anonymous users have no scope.
"""

from __future__ import annotations

from typing import Any

from zhizhi.core.errors import Forbidden
from zhizhi.core.roles import NO_ACCESS, PEOPLE_POLICY, PeoplePolicy, Role


def people_policy(actor: Any) -> PeoplePolicy:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return NO_ACCESS
    return PEOPLE_POLICY.get(actor.role, NO_ACCESS)


def area_prefix(actor: Any) -> str | None:
    """The code prefix the actor may see; "" means everywhere; None means nowhere."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return None
    if actor.role == Role.ADMIN:
        return actor.area_code or ""
    return actor.area_code or None


def in_scope(actor: Any, area_code: str) -> bool:
    prefix = area_prefix(actor)
    return prefix is not None and (area_code or "").startswith(prefix)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise Forbidden(message)
