"""Changing places: the area tree and standard addresses. Codes are derived here and nowhere else.

Standard-address codes extend the community code: estate = community(12) + 3 digits, building = estate + 3,
unit = building + 2, dwelling = unit + 4 (floor·room), e.g. 330105013001 001 003 02 0502.
"""

from __future__ import annotations

from django.db import transaction

from zhizhi.areas.models import Area, Building, Dwelling, Estate, Unit
from zhizhi.core.errors import InvalidInput
from zhizhi.core.roles import CODE_LENGTH, AreaLevel

PARENT_LEVEL = {
    AreaLevel.DISTRICT: AreaLevel.CITY,
    AreaLevel.STREET: AreaLevel.DISTRICT,
    AreaLevel.COMMUNITY: AreaLevel.STREET,
    AreaLevel.GRID: AreaLevel.COMMUNITY,
}


def check_area_code(level: str, code: str, parent: Area | None) -> None:
    if level not in CODE_LENGTH:
        raise InvalidInput(f"unknown level {level!r}", field="level")
    if not code.isdigit() or len(code) != CODE_LENGTH[AreaLevel(level)]:
        raise InvalidInput(f"a {level} code has {CODE_LENGTH[AreaLevel(level)]} digits", field="code")
    if parent is not None:
        if parent.level != PARENT_LEVEL.get(AreaLevel(level)):
            raise InvalidInput(f"a {level} must sit under a {PARENT_LEVEL.get(AreaLevel(level))}", field="parent")
        if not code.startswith(parent.code):
            raise InvalidInput(f"code {code} does not extend its parent's code {parent.code}", field="code")


def ensure_area(level: str, code: str, name: str, parent: Area | None = None, boundary: dict | None = None) -> Area:
    """Create or update one area (idempotent by code)."""
    check_area_code(level, code, parent)
    defaults: dict = {"level": level, "name": name, "parent": parent}
    if boundary is not None:
        from zhizhi.areas.geometry import boundary_center

        defaults["boundary"] = boundary
        defaults["center_lat"], defaults["center_lon"] = boundary_center(boundary)
    area, _ = Area.objects.update_or_create(code=code, defaults=defaults)
    return area


def _next_code(prefix: str, width: int, existing: list[str]) -> str:
    used = {int(c[len(prefix):]) for c in existing if c.startswith(prefix)}
    n = 1
    while n in used:
        n += 1
    if n >= 10**width:
        raise InvalidInput(f"no free code under {prefix}", field="code")
    return f"{prefix}{n:0{width}d}"


@transaction.atomic
def create_estate(community: Area, name: str, address: str = "") -> Estate:
    if community.level != AreaLevel.COMMUNITY:
        raise InvalidInput("an estate belongs to a community", field="community")
    existing = list(Estate.objects.filter(community=community).values_list("code", flat=True))
    return Estate.objects.create(
        code=_next_code(community.code, 3, existing), name=name, community=community, address=address
    )


@transaction.atomic
def create_building(estate: Estate, number: str, grid: Area, lat: float, lon: float, floors: int = 6) -> Building:
    if grid.level != AreaLevel.GRID or not grid.code.startswith(estate.community.code):
        raise InvalidInput("the grid must be a grid of the estate's community", field="grid")
    existing = list(Building.objects.filter(estate=estate).values_list("code", flat=True))
    return Building.objects.create(
        code=_next_code(estate.code, 3, existing),
        estate=estate,
        number=number,
        grid=grid,
        lat=lat,
        lon=lon,
        floors=floors,
    )


def dwelling_address(building: Building, unit_number: str, room: str) -> str:
    estate = building.estate
    return f"{estate.community.name}{estate.name}{building.number}幢{unit_number}单元{room}室"


@transaction.atomic
def create_unit(building: Building, number: str) -> Unit:
    if not number.isdigit() or len(number) > 2:
        raise InvalidInput("a unit number has one or two digits", field="number")
    return Unit.objects.create(code=f"{building.code}{int(number):02d}", building=building, number=str(int(number)))


def build_dwelling(unit: Unit, room: str, floor: int | None = None) -> Dwelling:
    """An unsaved dwelling with its derived code, grid and address (for bulk creation)."""
    if not room.isdigit() or len(room) > 4:
        raise InvalidInput("a room number has up to four digits, e.g. 502", field="room")
    floor = floor if floor is not None else max(1, int(room) // 100)
    building = unit.building
    return Dwelling(
        code=f"{unit.code}{int(room):04d}",
        unit=unit,
        number=str(int(room)),
        floor=floor,
        area_code=building.area_code,
        address=dwelling_address(building, unit.number, str(int(room))),
    )


def create_dwelling(unit: Unit, room: str, floor: int | None = None) -> Dwelling:
    dwelling = build_dwelling(unit, room, floor)
    dwelling.save()
    return dwelling
