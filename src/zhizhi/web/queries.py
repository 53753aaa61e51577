"""What the home page shows: the counts a user may see in their area (reads through each app's scope)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from zhizhi.areas.queries import buildings_for, grids_for
from zhizhi.core.permissions import people_policy
from zhizhi.people.queries import households_for, residents_for

ALONE_TAG = "alone"


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    count: int
    url_name: str
    query: str = ""
    more: bool = False  # the count stopped at a cap: there are more


@dataclass(frozen=True)
class Overview:
    area_name: str
    area_code: str
    tiles: list[Tile]
    own_resident_id: int | None = None
    own_household_id: int | None = None
    own_watched: bool = False  # door sensors watch the resident's home: they may file away notices
    own_view: bool = False  # a resident's home page: reporting a problem and her own cases come first
    work: list[Tile] = field(default_factory=list)  # what waits for a staff member now (work_for)


def overview_for(actor: Any) -> Overview:
    """The home page's figures: residents, households, buildings, grids and elders living alone in scope.

    A resident sees only their own record; a role that may not list people sees only places.
    """
    policy = people_policy(actor)
    area = getattr(actor, "area", None)
    area_name = area.name if area is not None else _("Everywhere")
    area_code = getattr(actor, "area_code", "") or ""
    if policy.own_only:
        from zhizhi.sensors.models import Watch

        own = residents_for(actor).only("id", "household_id").first()
        return Overview(
            area_name,
            area_code,
            [],
            own_resident_id=own.pk if own else None,
            own_household_id=own.household_id if own else None,
            own_watched=own is not None and Watch.objects.filter(resident=own, enabled=True).exists(),
            own_view=True,
        )
    tiles = []
    if policy.list:
        residents = residents_for(actor)
        tiles += [
            Tile("residents", _("Residents"), residents.count(), "people:resident_list"),
            Tile("households", _("Households"), households_for(actor).count(), "people:household_list"),
            Tile(
                "alone",
                _("Elders living alone"),
                residents.filter(tags__code=ALONE_TAG).count(),
                "people:resident_list",
                f"tag={ALONE_TAG}",
            ),
        ]
    tiles += [
        Tile("buildings", _("Buildings"), buildings_for(actor).count(), "areas:building_list"),
        Tile("grids", _("Grids"), grids_for(actor).count(), "areas:map"),
    ]
    return Overview(area_name, area_code, tiles, work=work_for(actor))


def work_for(actor: Any) -> list[Tile]:
    """What waits for a staff member now, first on their home page: unread messages (a door-sensor alarm's
    "please visit" among them), the verification tasks of grid workers and community staff, and the open
    door-sensor alarms of the area for those who watch over elders. One count each."""
    from zhizhi.cases.boards import is_staff, to_verify_count
    from zhizhi.cases.queries import UNREAD_CAP, unread_count
    from zhizhi.sensors.queries import open_alarm_count

    work = []
    if is_staff(actor):  # the inbox is theirs (a provider's staff have none)
        unread = unread_count(actor)
        work.append(
            Tile(
                "unread",
                _("Unread messages"),
                min(unread, UNREAD_CAP),
                "cases:inbox",
                "unread=1",
                more=unread > UNREAD_CAP,
            )
        )
    to_verify = to_verify_count(actor)
    if to_verify is not None:
        work.append(Tile("to_verify", _("To verify"), to_verify, "cases:to_verify"))
    alarms = open_alarm_count(actor)
    if alarms is not None:
        work.append(Tile("alarms", _("Open door-sensor alarms"), alarms, "sensors:board"))
    return work
