"""Who may do what in welfare, as one table (role → policy), and the scope of case files and enrolments.

An elderly-care advisor (养老顾问) sees only the elders assigned to them; other roles see their area.
Whole ID numbers follow the people registry's policy (core.roles.PEOPLE_POLICY) and are always audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Q

from zhizhi.core.errors import Forbidden
from zhizhi.core.permissions import area_prefix
from zhizhi.core.roles import Role


class Reach(StrEnum):
    AREA = "area"  # everyone in the actor's area
    ASSIGNED = "assigned"  # only the elders assigned to the actor
    NONE = "none"


@dataclass(frozen=True)
class WelfarePolicy:
    reach: Reach
    manage: bool = False  # change programme rules and standards, run a re-evaluation
    verify: bool = False  # verify, enrol, pause, exit enrolments; record consent
    deliver: bool = False  # run cycles, import receipts, keep partner accounts
    serve: bool = False  # record visits, assessments, plans and referrals on case files
    assign: bool = False  # assign elders to advisors; open case files


WELFARE_POLICY: dict[str, WelfarePolicy] = {
    Role.GRID_WORKER: WelfarePolicy(Reach.AREA, serve=True),
    Role.COMMUNITY_STAFF: WelfarePolicy(Reach.AREA, verify=True, serve=True, assign=True),
    Role.STREET_DISPATCHER: WelfarePolicy(Reach.AREA),
    Role.STREET_DEPT_STAFF: WelfarePolicy(
        Reach.AREA, manage=True, verify=True, deliver=True, serve=True, assign=True
    ),
    Role.DISTRICT_DEPT_STAFF: WelfarePolicy(Reach.AREA, manage=True),
    Role.CITY_STAFF: WelfarePolicy(Reach.AREA),
    Role.ELDERCARE_ADVISOR: WelfarePolicy(Reach.ASSIGNED, serve=True),
    Role.LEADER: WelfarePolicy(Reach.AREA),
    Role.ADMIN: WelfarePolicy(Reach.AREA, manage=True, verify=True, deliver=True, serve=True, assign=True),
}
NO_WELFARE = WelfarePolicy(Reach.NONE)


def welfare_policy(actor: Any) -> WelfarePolicy:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return NO_WELFARE
    return WELFARE_POLICY.get(actor.role, NO_WELFARE)


def require(actor: Any, capability: str) -> WelfarePolicy:
    policy = welfare_policy(actor)
    if policy.reach == Reach.NONE or not getattr(policy, capability):
        raise Forbidden(f"your role may not {capability.replace('_', ' ')} in welfare")
    return policy


def require_reach(actor: Any) -> WelfarePolicy:
    policy = welfare_policy(actor)
    if policy.reach == Reach.NONE:
        raise Forbidden("your role has no access to welfare records")
    return policy


def scope_q(actor: Any, *, area_field: str = "area_code", advisor_field: str = "advisor") -> Q | None:
    """The Q that limits welfare rows to the actor's scope; None means nothing at all."""
    policy = welfare_policy(actor)
    prefix = area_prefix(actor)
    if policy.reach == Reach.NONE or prefix is None:
        return None
    if policy.reach == Reach.ASSIGNED:
        return Q(**{f"{advisor_field}_id": actor.pk})
    return Q(**{f"{area_field}__startswith": prefix}) if prefix else Q()
