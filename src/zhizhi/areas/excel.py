"""Buildings in Excel (.xlsx with Chinese headers): reading and checking an import sheet, writing an export.

The sheet's first row holds the headers; data starts on row 2; every error names the row as Excel shows it.
`check_building_rows` validates every row (reads only) and raises RowErrors listing all problems; services
write.

| header   | meaning                                                                   |
|----------|---------------------------------------------------------------------------|
| 楼栋编码 | building code: blank for a new building, or the code of one to update      |
| 社区编码 | 12-digit community code                                                    |
| 小区     | estate name (created in that community when missing)                       |
| 小区地址 | estate street address (optional; sets the estate's address)                |
| 楼号     | building number, e.g. 3 for 3幢                                            |
| 网格编码 | 14-digit code of a grid of that community; the point must lie inside it    |
| 纬度/经度 | latitude/longitude in degrees                                             |
| 坐标系   | WGS84 (default) or GCJ02 (what AMap/高德 gives); stored as WGS84           |
| 层数     | floors (default 6)                                                          |
| 建成年份 | year built (optional)                                                       |
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from shapely.geometry import Point, shape

from zhizhi.areas import spatial
from zhizhi.areas.coords import normalise_crs, to_wgs84
from zhizhi.areas.models import Area, Building, Estate
from zhizhi.core import clock
from zhizhi.core.errors import InvalidInput, RowErrors
from zhizhi.core.permissions import in_scope
from zhizhi.core.roles import CODE_LENGTH, AreaLevel

MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (key, header, header required)
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("code", "楼栋编码", False),
    ("community_code", "社区编码", True),
    ("estate", "小区", True),
    ("estate_address", "小区地址", False),
    ("number", "楼号", True),
    ("grid_code", "网格编码", True),
    ("lat", "纬度", True),
    ("lon", "经度", True),
    ("crs", "坐标系", False),
    ("floors", "层数", False),
    ("built_year", "建成年份", False),
)
HEADER = {key: header for key, header, _required in COLUMNS}
_NUMBER_SUFFIX = re.compile(r"(号楼|幢|栋|号)$")


@dataclass
class SheetRow:
    row: int  # as Excel numbers it
    values: dict[str, Any]


@dataclass
class BuildingRow:
    """One checked row: everything services need to create or update a building."""

    row: int
    community: Area
    estate_name: str
    estate_address: str
    number: str
    grid: Area
    lat: float  # WGS84
    lon: float
    floors: int
    built_year: int | None
    building: Building | None  # the building to update, or None to create one
    estate: Estate | None  # the existing estate, or None to create it


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, row: int, key: str, reason: str) -> None:
        self.items.append({"row": row, "column": HEADER.get(key, key), "reason": reason})

    def raise_any(self) -> None:
        if self.items:
            raise RowErrors(sorted(self.items, key=lambda e: e["row"]))


# ------------------------------------------------------------------------------------- reading a sheet


def _header_key(value: Any) -> str:
    text = re.split(r"[(（]", str(value or ""))[0]
    return "".join(text.split()).strip("*＊")


def read_sheet(file: IO[bytes]) -> list[SheetRow]:
    """The data rows of the first worksheet, keyed by column; blank rows are skipped."""
    if (getattr(file, "size", None) or 0) > MAX_BYTES:
        raise InvalidInput(_("the file is larger than %(n)d MB") % {"n": MAX_BYTES // 2**20}, field="file")
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not .xlsx
        raise InvalidInput(_("the file is not an Excel workbook (.xlsx)"), field="file") from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        headers = [_header_key(v) for v in next(rows, ())]
        by_header = {header: key for key, header, _required in COLUMNS}
        positions = {by_header[h]: i for i, h in enumerate(headers) if h in by_header}
        missing = [header for key, header, required in COLUMNS if required and key not in positions]
        if missing:
            raise RowErrors([{"row": 1, "column": h, "reason": _("missing column")} for h in missing])
        result: list[SheetRow] = []
        for number, values in enumerate(rows, start=2):
            if not any(v is not None and str(v).strip() for v in values):
                continue
            if len(result) >= MAX_ROWS:
                raise InvalidInput(_("at most %(n)d rows per import") % {"n": MAX_ROWS}, field="file")
            cells = {key: values[i] if i < len(values) else None for key, i in positions.items()}
            result.append(SheetRow(number, cells))
        return result
    finally:
        workbook.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _float(value: Any) -> float | None:
    if value is None or _text(value) == "":
        return None
    number = float(_text(value)) if not isinstance(value, int | float) else float(value)
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number


def _int(value: Any) -> int | None:
    number = _float(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


# --------------------------------------------------------------------------------------- checking rows


@dataclass
class _Parsed:
    row: int
    code: str
    community_code: str
    estate: str
    estate_address: str
    number: str
    grid_code: str
    lat: float
    lon: float
    floors: int
    built_year: int | None


def _parse(sheet_row: SheetRow, errors: _Errors) -> _Parsed | None:
    """Types and formats of one row (no database); None when any cell is bad."""
    v, row, before = sheet_row.values, sheet_row.row, len(errors.items)
    code = _text(v.get("code"))
    if code and (not code.isdigit() or len(code) != 18):
        errors.add(row, "code", _("a building code has 18 digits"))
    community_code = _text(v.get("community_code"))
    if len(community_code) != CODE_LENGTH[AreaLevel.COMMUNITY] or not community_code.isdigit():
        errors.add(row, "community_code", _("a community code has 12 digits"))
    estate = _text(v.get("estate"))
    if not estate or len(estate) > 64:
        errors.add(row, "estate", _("required, at most 64 characters"))
    estate_address = _text(v.get("estate_address"))
    if len(estate_address) > 128:
        errors.add(row, "estate_address", _("at most 128 characters"))
    number = _NUMBER_SUFFIX.sub("", _text(v.get("number")))
    if not number or len(number) > 16:
        errors.add(row, "number", _("required, at most 16 characters, e.g. 3 for 3幢"))
    grid_code = _text(v.get("grid_code"))
    if len(grid_code) != CODE_LENGTH[AreaLevel.GRID] or not grid_code.isdigit():
        errors.add(row, "grid_code", _("a grid code has 14 digits"))
    elif community_code and not grid_code.startswith(community_code):
        errors.add(row, "grid_code", _("the grid is not in community %(code)s") % {"code": community_code})
    point = _parse_point(v, row, errors)
    floors = _parse_int(v, row, "floors", 1, 200, errors, default=6)
    built_year = _parse_int(v, row, "built_year", 1800, clock.today().year, errors)
    if len(errors.items) > before or point is None:
        return None
    return _Parsed(
        row, code, community_code, estate, estate_address, number, grid_code, *point, floors, built_year
    )


def _parse_point(values: dict, row: int, errors: _Errors) -> tuple[float, float] | None:
    """The row's point in WGS84, or None (with errors) when a coordinate or the coordinate system is bad."""
    coords: list[float] = []
    ok = True
    for key, limit in (("lat", 90.0), ("lon", 180.0)):
        try:
            number = _float(values.get(key))
        except ValueError:
            number = None
        if number is None or abs(number) > limit:
            errors.add(row, key, _("a number of degrees between -%(n)g and %(n)g") % {"n": limit})
            ok = False
        coords.append(number or 0.0)
    try:
        crs = normalise_crs(_text(values.get("crs")) or "wgs84")
    except ValueError:
        errors.add(row, "crs", _("WGS84 or GCJ02"))
        ok = False
    return to_wgs84(coords[0], coords[1], crs) if ok else None


def _parse_int(values: dict, row: int, key: str, low: int, high: int, errors: _Errors, default=None):
    try:
        number = _int(values.get(key))
    except ValueError:
        number = low - 1
    if number is None:
        return default
    if not low <= number <= high:
        errors.add(row, key, _("a whole number from %(low)d to %(high)d") % {"low": low, "high": high})
    return number


def check_building_rows(actor: Any, rows: list[SheetRow]) -> list[BuildingRow]:
    """Validate every row against the database and the actor's area; RowErrors lists every problem."""
    errors = _Errors()
    parsed = [p for p in (_parse(r, errors) for r in rows) if p is not None]
    communities = {
        a.code: a
        for a in Area.objects.filter(level=AreaLevel.COMMUNITY, code__in={p.community_code for p in parsed})
    }
    grids = {
        a.code: a for a in Area.objects.filter(level=AreaLevel.GRID, code__in={p.grid_code for p in parsed})
    }
    estates: dict[tuple[str, str], Estate] = {}
    for known in Estate.objects.filter(community__code__in=communities).select_related("community"):
        estates.setdefault((known.community.code, known.name), known)
    by_code = {
        b.code: b
        for b in Building.objects.filter(code__in={p.code for p in parsed if p.code}).select_related("estate")
    }
    by_key = {(b.estate_id, b.number): b for b in Building.objects.filter(estate__in=list(estates.values()))}
    shapes = {code: shape(g.boundary) for code, g in grids.items() if g.boundary}

    checked: list[BuildingRow] = []
    seen_targets: dict[Any, int] = {}
    addresses: dict[tuple[str, str], str] = {}
    for p in parsed:
        community, grid = communities.get(p.community_code), grids.get(p.grid_code)
        if community is None:
            errors.add(p.row, "community_code", _("no community with this code"))
        if grid is None:
            errors.add(p.row, "grid_code", _("no grid with this code"))
        elif not in_scope(actor, grid.code):
            errors.add(p.row, "grid_code", _("this grid is outside your area"))
        elif grid.code in shapes and not shapes[grid.code].covers(Point(p.lon, p.lat)):
            errors.add(p.row, "grid_code", _point_outside_reason(p, grid))
        if community is None or grid is None:
            continue
        estate = estates.get((p.community_code, p.estate))
        building = _target(actor, p, estate, by_code, by_key, errors)
        target = building.pk if building else (p.community_code, p.estate, p.number)
        if target in seen_targets:
            errors.add(p.row, "number", _("the same building as row %(row)d") % {"row": seen_targets[target]})
        seen_targets[target] = p.row
        if p.estate_address:
            first = addresses.setdefault((p.community_code, p.estate), p.estate_address)
            if first != p.estate_address:
                errors.add(p.row, "estate_address", _("another row gives this estate a different address"))
        checked.append(
            BuildingRow(
                p.row, community, p.estate, p.estate_address, p.number, grid, p.lat, p.lon, p.floors,
                p.built_year, building, estate,
            )
        )  # fmt: skip
    errors.raise_any()
    return checked


def _target(actor, p: _Parsed, estate: Estate | None, by_code: dict, by_key: dict, errors: _Errors):
    """The existing building a row updates (by code, else by estate and number), or None for a new one."""
    if not p.code:
        building = by_key.get((estate.pk, p.number)) if estate else None
        if building is not None and not in_scope(actor, building.area_code):
            errors.add(p.row, "number", _("this building exists but lies outside your area"))
        return building
    building = by_code.get(p.code)
    if building is None or not in_scope(actor, building.area_code):
        errors.add(p.row, "code", _("no building with this code in your area"))
        return None
    if estate is None or building.estate_id != estate.pk:
        errors.add(p.row, "estate", _("a building cannot move to another estate (it is in %(name)s)")
                   % {"name": building.estate.name})  # fmt: skip
        return building
    other = by_key.get((estate.pk, p.number))
    if other is not None and other.pk != building.pk:
        errors.add(p.row, "number", _("building %(code)s already has this number") % {"code": other.code})
    return building


def _point_outside_reason(p: _Parsed, grid: Area) -> str:
    actual = spatial.locate_code(p.lat, p.lon)
    where = {"lat": p.lat, "lon": p.lon, "grid": grid.code}
    if actual:
        return _("the point (%(lat).6f, %(lon).6f) lies outside grid %(grid)s, in grid %(actual)s") % {
            **where,
            "actual": actual,
        }
    return _("the point (%(lat).6f, %(lon).6f) lies outside grid %(grid)s and every other grid") % where


# ---------------------------------------------------------------------------------------------- export


def write_buildings(buildings) -> bytes:
    """An .xlsx with the import's columns, a row per building (coordinates in WGS84); re-importable as is."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("楼栋")
    widths = {"code": 22, "community_code": 16, "estate": 20, "estate_address": 24, "grid_code": 18}
    for i, (key, _header, _required) in enumerate(COLUMNS):
        letter = chr(ord("A") + i)
        sheet.column_dimensions[letter].width = widths.get(key, 11)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for _key, header, _required in COLUMNS:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for b in buildings:
        values = (
            b.code, b.estate.community.code, b.estate.name, b.estate.address, b.number, b.area_code,
            b.lat, b.lon, "WGS84", b.floors, b.built_year,
        )  # fmt: skip
        cells = []
        for (key, _header, _required), value in zip(COLUMNS, values, strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            if key in ("code", "community_code", "grid_code", "number"):
                cell.number_format = "@"  # keep long codes as text, not 3.30105E+17
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
