"""Roles and what each may do with the people registry, as one table (data, not branches).

Scope is by area code: official division codes are prefixes of each other (district 330105 → street 330105013 →
community 330105013001 → grid 33010501300101), so "inside my area" is "code starts with my area's code".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STREET_DISPATCHER = "street_dispatcher", _("Street dispatcher")
    STREET_DEPT_STAFF = "street_dept_staff", _("Street department staff")
    DISTRICT_DEPT_STAFF = "district_dept_staff", _("District department staff")
    CITY_STAFF = "city_staff", _("City staff")
    ENFORCEMENT_OFFICER = "enforcement_officer", _("Enforcement officer")
    ELDERCARE_ADVISOR = "eldercare_advisor", _("Elderly-care advisor")
    PROVIDER_STAFF = "provider_staff", _("Elderly-care provider staff")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


class AreaLevel(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")


CODE_LENGTH = {
    AreaLevel.CITY: 4,
    AreaLevel.DISTRICT: 6,
    AreaLevel.STREET: 9,
    AreaLevel.COMMUNITY: 12,
    AreaLevel.GRID: 14,
}


@dataclass(frozen=True)
class PeoplePolicy:
    """What a role may do with residents inside its area."""

    list: bool  # may list and open residents of its area (masked)
    reveal_phone: bool  # may see whole phone numbers (audited)
    reveal_id: bool  # may see whole ID numbers (audited)
    edit: bool  # may create, change and import residents
    own_only: bool = False  # sees only the resident record linked to the account


PEOPLE_POLICY: dict[str, PeoplePolicy] = {
    Role.RESIDENT: PeoplePolicy(list=False, reveal_phone=True, reveal_id=True, edit=False, own_only=True),
    Role.GRID_WORKER: PeoplePolicy(list=True, reveal_phone=True, reveal_id=False, edit=True),
    Role.COMMUNITY_STAFF: PeoplePolicy(list=True, reveal_phone=True, reveal_id=True, edit=True),
    Role.STREET_DISPATCHER: PeoplePolicy(list=True, reveal_phone=False, reveal_id=False, edit=False),
    Role.STREET_DEPT_STAFF: PeoplePolicy(list=True, reveal_phone=False, reveal_id=False, edit=False),
    Role.DISTRICT_DEPT_STAFF: PeoplePolicy(list=True, reveal_phone=False, reveal_id=False, edit=False),
    Role.CITY_STAFF: PeoplePolicy(list=True, reveal_phone=False, reveal_id=False, edit=False),
    Role.ENFORCEMENT_OFFICER: PeoplePolicy(list=True, reveal_phone=True, reveal_id=True, edit=False),
    Role.ELDERCARE_ADVISOR: PeoplePolicy(list=True, reveal_phone=True, reveal_id=False, edit=False),
    Role.PROVIDER_STAFF: PeoplePolicy(list=False, reveal_phone=False, reveal_id=False, edit=False),
    Role.LEADER: PeoplePolicy(list=True, reveal_phone=False, reveal_id=False, edit=False),
    Role.ADMIN: PeoplePolicy(list=True, reveal_phone=True, reveal_id=True, edit=True),
}
NO_ACCESS = PeoplePolicy(list=False, reveal_phone=False, reveal_id=False, edit=False)
