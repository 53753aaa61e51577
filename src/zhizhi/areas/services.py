"""Changing places: the area tree and standard addresses. Codes are derived here and nowhere else.

Standard-address codes extend the community code: estate = community(12) + 3 digits, building = estate + 3,
unit = building + 2, dwelling = unit + 4 (floor·room), e.g. 330105013001 001 003 02 0502.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, transaction

from zhizhi.areas import excel, queries
from zhizhi.areas.models import Area, Building, Dwelling, Estate, Unit
from zhizhi.areas.rules import require_address_editor
from zhizhi.areas.signals import buildings_moved
from zhizhi.core import audit
from zhizhi.core.errors import Conflict, InvalidInput
from zhizhi.core.models import AuditAction
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
            raise InvalidInput(
                f"a {level} must sit under a {PARENT_LEVEL.get(AreaLevel(level))}", field="parent"
            )
        if not code.startswith(parent.code):
            raise InvalidInput(f"code {code} does not extend its parent's code {parent.code}", field="code")


def ensure_area(
    level: str, code: str, name: str, parent: Area | None = None, boundary: dict | None = None
) -> Area:
    """Create or update one area (idempotent by code)."""
    check_area_code(level, code, parent)
    defaults: dict = {"level": level, "name": name, "parent": parent}
    if boundary is not None:
        from zhizhi.areas.geometry import boundary_center

        defaults["boundary"] = boundary
        defaults["center_lat"], defaults["center_lon"] = boundary_center(boundary)
    area, _ = Area.objects.update_or_create(code=code, defaults=defaults)
    return area


def _free_codes(prefix: str, width: int, existing: Iterable[str]) -> Iterator[str]:
    """Unused codes under `prefix`, lowest first (gaps left by deleted records are reused)."""
    used = {int(c[len(prefix) :]) for c in existing if c.startswith(prefix) and c[len(prefix) :].isdigit()}
    n = 1
    while True:
        while n in used:
            n += 1
        if n >= 10**width:
            raise InvalidInput(f"no free code under {prefix}", field="code")
        yield f"{prefix}{n:0{width}d}"
        n += 1


def _next_code(prefix: str, width: int, existing: list[str]) -> str:
    return next(_free_codes(prefix, width, existing))


@transaction.atomic
def create_estate(community: Area, name: str, address: str = "") -> Estate:
    if community.level != AreaLevel.COMMUNITY:
        raise InvalidInput("an estate belongs to a community", field="community")
    existing = list(Estate.objects.filter(community=community).values_list("code", flat=True))
    return Estate.objects.create(
        code=_next_code(community.code, 3, existing), name=name, community=community, address=address
    )


@transaction.atomic
def create_building(
    estate: Estate, number: str, grid: Area, lat: float, lon: float, floors: int = 6
) -> Building:
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
    return Unit.objects.create(
        code=f"{building.code}{int(number):02d}", building=building, number=str(int(number))
    )


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


# -------------------------------------------------------------------------- building import and export

AUDIT_CODES_LIMIT = 200  # codes listed in one audit row; the counts are always complete


@dataclass
class ImportResult:
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    estates_created: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "estates_created": len(self.estates_created),
        }


def import_buildings(actor: Any, file: IO[bytes]) -> ImportResult:
    """楼栋导入 — create or update buildings from an .xlsx (see areas.excel for the columns).

    Every row is checked before anything is written; any bad row raises RowErrors and nothing changes.
    Missing estates are created; then all writes happen in one transaction with one audit row.
    """
    require_address_editor(actor)
    rows = excel.check_building_rows(actor, excel.read_sheet(file))
    try:
        with transaction.atomic():
            result = _write_import(rows)
            audit.record(
                actor,
                AuditAction.IMPORT,
                object_type="areas.building",
                summary=f"imported {len(rows)} building rows: {len(result.created)} created, "
                f"{len(result.updated)} updated, {len(result.estates_created)} estates created",
                changes={
                    "created": result.created[:AUDIT_CODES_LIMIT],
                    "updated": result.updated[:AUDIT_CODES_LIMIT],
                    "estates_created": result.estates_created[:AUDIT_CODES_LIMIT],
                },
            )
    except IntegrityError as exc:  # another change to the same estates landed between check and write
        raise Conflict("the registry changed during the import; import the file again", field="file") from exc
    return result


def _write_import(rows: list[excel.BuildingRow]) -> ImportResult:
    result = ImportResult(rows=len(rows))
    _create_missing_estates(rows, result)
    _update_estate_addresses(rows)
    _create_buildings([r for r in rows if r.building is None], result)
    _update_buildings([r for r in rows if r.building is not None], result)
    return result


def _create_missing_estates(rows: list[excel.BuildingRow], result: ImportResult) -> None:
    wanted: dict[tuple[str, str], list[excel.BuildingRow]] = defaultdict(list)
    for r in rows:
        if r.estate is None:
            wanted[(r.community.code, r.estate_name)].append(r)
    if not wanted:
        return
    existing = list(
        Estate.objects.filter(community__code__in={c for c, _ in wanted}).values_list("code", flat=True)
    )
    free = {c: _free_codes(c, 3, existing) for c, _ in wanted}
    new: list[Estate] = []
    for (community_code, name), group in wanted.items():
        first = group[0]
        estate = Estate(code=next(free[community_code]), name=name, community=first.community,
                        address=first.estate_address)  # fmt: skip
        for r in group:
            r.estate = estate
        new.append(estate)
    created = Estate.objects.bulk_create(new)
    result.estates_created = [e.code for e in created]


def _update_estate_addresses(rows: list[excel.BuildingRow]) -> None:
    changed = {}
    for r in rows:
        if r.estate_address and r.estate is not None and r.estate.address != r.estate_address:
            r.estate.address = r.estate_address
            changed[r.estate.pk] = r.estate
    if changed:
        Estate.objects.bulk_update(list(changed.values()), ["address"])


def _create_buildings(rows: list[excel.BuildingRow], result: ImportResult) -> None:
    # Every row has its estate by now (_create_missing_estates ran first).
    placed = [(r, r.estate) for r in rows if r.estate is not None]
    if not placed:
        return
    estates = {estate.pk: estate for _r, estate in placed}
    existing = list(Building.objects.filter(estate__in=list(estates)).values_list("code", flat=True))
    free = {pk: _free_codes(estate.code, 3, existing) for pk, estate in estates.items()}
    new = [
        Building(
            code=next(free[estate.pk]),
            estate=estate,
            number=r.number,
            grid=r.grid,
            area_code=r.grid.code,
            floors=r.floors,
            built_year=r.built_year,
            lat=r.lat,
            lon=r.lon,
        )  # fmt: skip
        for r, estate in placed
    ]
    Building.objects.bulk_create(new)
    result.created = [b.code for b in new]


BUILDING_FIELDS = ("number", "grid", "area_code", "floors", "built_year", "lat", "lon")


def _update_buildings(rows: list[excel.BuildingRow], result: ImportResult) -> None:
    changed: list[Building] = []
    readdress: list[Building] = []
    moves: list[tuple[str, str, str]] = []
    for r in rows:
        b = r.building
        assert b is not None and r.estate is not None
        b.estate = r.estate  # the same estate, with its community loaded (for the dwellings' addresses)
        after = {"number": r.number, "grid": r.grid, "area_code": r.grid.code, "floors": r.floors,
                 "built_year": r.built_year, "lat": r.lat, "lon": r.lon}  # fmt: skip
        if all(getattr(b, k) == v for k, v in after.items()):
            result.unchanged += 1
            continue
        if b.area_code != r.grid.code:
            moves.append((b.code, b.area_code, r.grid.code))
        if b.area_code != r.grid.code or b.number != r.number:
            readdress.append(b)
        for k, v in after.items():
            setattr(b, k, v)
        changed.append(b)
    if changed:
        Building.objects.bulk_update(changed, list(BUILDING_FIELDS))
        result.updated = [b.code for b in changed]
    if readdress:
        _rederive_dwellings(readdress)
    if moves:
        buildings_moved.send(sender=Building, moves=moves)


def _rederive_dwellings(buildings: list[Building]) -> None:
    """Dwellings carry their building's grid and number (in `area_code`, `address`): bring them up to date."""
    by_pk = {b.pk: b for b in buildings}
    dwellings = list(
        Dwelling.objects.filter(unit__building__in=list(by_pk)).select_related("unit", "unit__building")
    )
    for d in dwellings:
        building = by_pk[d.unit.building_id]
        d.area_code = building.area_code
        d.address = dwelling_address(building, d.unit.number, d.number)
    Dwelling.objects.bulk_update(dwellings, ["area_code", "address"], batch_size=1000)


def export_buildings(actor: Any, q: str = "", community: str = "", grid: str = "") -> bytes:
    """楼栋导出 — the buildings of the actor's area (filtered like the list) as an .xlsx for the import."""
    buildings = list(
        queries.filter_buildings(actor, q=q, community=community, grid=grid)
        .select_related("estate", "estate__community")
        .order_by("code")
    )
    data = excel.write_buildings(buildings)
    audit.record(
        actor,
        AuditAction.EXPORT,
        object_type="areas.building",
        summary=f"exported {len(buildings)} buildings",
        changes={"filters": {"q": q, "community": community, "grid": grid}},
    )
    return data
