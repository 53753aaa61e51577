"""Who may see a case and what an actor is for a case (role × area × unit membership), as data.

Seeing (`CASE_SCOPE`): residents see the cases they reported; area roles (grid worker, community staff,
street dispatcher, leader, administrator) see every case located in their area; unit roles (street,
district and city department staff, enforcement officers, elderly-care advisors) see the cases their units
hold. Everybody also sees what they reported and what their units hold.

Acting (`kinds_for`): the workflow table (cases.workflow) names actor kinds; this module derives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zhizhi.cases.models import Case, HandlingUnit, level_rank
from zhizhi.cases.workflow import ActorKind
from zhizhi.core.permissions import in_scope
from zhizhi.core.roles import Role

AREA, UNIT, OWN = "area", "unit", "own"

CASE_SCOPE: dict[str, str] = {
    Role.RESIDENT: OWN,
    Role.GRID_WORKER: AREA,
    Role.COMMUNITY_STAFF: AREA,
    Role.STREET_DISPATCHER: AREA,
    Role.LEADER: AREA,
    Role.ADMIN: AREA,
    Role.STREET_DEPT_STAFF: UNIT,
    Role.DISTRICT_DEPT_STAFF: UNIT,
    Role.CITY_STAFF: UNIT,
    Role.ENFORCEMENT_OFFICER: UNIT,
    Role.ELDERCARE_ADVISOR: UNIT,
    Role.PROVIDER_STAFF: OWN,
}

# Roles that may see a reporter's whole phone number (each view audited): those who call residents back.
REVEAL_CONTACT_ROLES = frozenset(
    {Role.STREET_DISPATCHER, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.ENFORCEMENT_OFFICER, Role.ADMIN}
)


@dataclass(frozen=True)
class SystemActor:
    """The platform itself (deadline scan, camera re-check, sensor alarm): not a user, audited by name."""

    name: str = "system"
    pk: None = None
    is_authenticated: bool = False
    is_active: bool = True
    role: str = "system"
    area_code: str = ""

    def get_username(self) -> str:
        return self.name


SYSTEM = SystemActor()


def is_system(actor: Any) -> bool:
    return isinstance(actor, SystemActor)


def is_user(actor: Any) -> bool:
    return (
        actor is not None
        and not is_system(actor)
        and getattr(actor, "is_authenticated", False)
        and getattr(actor, "is_active", False)
    )


def unit_ids_of(actor: Any) -> set[int]:
    """Ids of the units the actor works in (member or head), cached on the actor object for the request."""
    if not is_user(actor):
        return set()
    cached = getattr(actor, "_case_unit_ids", None)
    if cached is None:
        members = HandlingUnit.objects.filter(members=actor).values_list("id", flat=True)
        heads = HandlingUnit.objects.filter(head=actor).values_list("id", flat=True)
        cached = set(members) | set(heads)
        actor._case_unit_ids = cached
    return cached


def kinds_for(actor: Any, case: Case) -> set[ActorKind]:
    """What the actor is for this case; empty when nothing."""
    if is_system(actor):
        return {ActorKind.SYSTEM}
    if not is_user(actor):
        return set()
    kinds: set[ActorKind] = set()
    if case.reporter_id is not None and case.reporter_id == actor.pk:
        kinds.add(ActorKind.REPORTER)
    role = actor.role
    in_area = in_scope(actor, case.area_code)
    if role == Role.ADMIN and in_area:
        return kinds | {ActorKind.DISPATCHER, ActorKind.HANDLER, ActorKind.VERIFIER, ActorKind.SUPERVISOR}
    if role == Role.STREET_DISPATCHER and in_area:
        kinds.add(ActorKind.DISPATCHER)
    if role in (Role.GRID_WORKER, Role.COMMUNITY_STAFF) and in_area:
        kinds.add(ActorKind.VERIFIER)
    if role == Role.LEADER and in_area:
        kinds.add(ActorKind.SUPERVISOR)
    units = unit_ids_of(actor)
    if case.current_unit_id is not None and case.current_unit_id in units:
        kinds.add(ActorKind.HANDLER)
    elif units and case.current_level and _above(units, case):
        kinds.add(ActorKind.SUPERVISOR)
    return kinds


def _above(unit_ids: set[int], case: Case) -> bool:
    """Whether one of the units sits above the case's current level and covers its area."""
    rank = level_rank(case.current_level)
    for unit in HandlingUnit.objects.filter(id__in=unit_ids).only("level", "area_code"):
        if level_rank(unit.level) > rank and case.area_code.startswith(unit.area_code):
            return True
    return False


def may_reveal_contact(actor: Any, case: Case) -> bool:
    if not is_user(actor):
        return False
    if case.reporter_id == actor.pk:
        return True
    kinds = kinds_for(actor, case)
    return ActorKind.HANDLER in kinds or (
        actor.role in REVEAL_CONTACT_ROLES and in_scope(actor, case.area_code)
    )
