"""Who may change places (pure rules, no ORM).

Reading areas and addresses is open to every signed-in account inside its own area
(core.permissions.area_prefix); changing the address registry (estates, buildings, units, dwellings) and
importing it is for the roles below.
"""

from __future__ import annotations

from typing import Any

from zhizhi.core.errors import Forbidden
from zhizhi.core.permissions import area_prefix, in_scope
from zhizhi.core.roles import Role

ADDRESS_EDITORS = frozenset({Role.ADMIN, Role.COMMUNITY_STAFF})


def can_edit_addresses(actor: Any) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return bool(getattr(actor, "is_superuser", False)) or actor.role in ADDRESS_EDITORS


def require_address_editor(actor: Any) -> None:
    if not can_edit_addresses(actor) or area_prefix(actor) is None:
        raise Forbidden("your role may not change the address registry")


def may_edit_area(actor: Any, area_code: str) -> bool:
    """An editor may change records whose area code lies inside their own area."""
    return can_edit_addresses(actor) and in_scope(actor, area_code)
