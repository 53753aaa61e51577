"""Where an Open311 request is: lat/long (WGS84) → grid; address_id → a standard address code; address_string
→ the standard-address registry (小区/楼栋/单元/户), matched loosely, or kept as text.

Matching an address string (Chinese, as people write it): the text is normalised (spaces dropped,
full-width digits and letters made half-width, 号楼/栋/座 read as 幢, 号房 as 室); the estate is the one
whose name (or street address) the text contains — the longest such name wins — or, failing that, the
closest name by difflib's ratio (at least 0.6); then building, unit and room numbers found in the rest of the
text narrow it down as far as they go. Reads the areas models read-only; scoped to the jurisdiction's area.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from zhizhi.areas import spatial
from zhizhi.areas.models import Area, Building, Dwelling, Estate, Unit
from zhizhi.core.roles import AreaLevel
from zhizhi.open311.conf import Jurisdiction
from zhizhi.open311.params import bad

CLOSE_ENOUGH = 0.6
_BUILDING = re.compile(r"(\d+)(?:幢|号楼)")
_UNIT = re.compile(r"(\d+)单元")
_ROOM = re.compile(r"(\d+)(?:室)?$")
_SYNONYMS = (("号楼", "幢"), ("栋", "幢"), ("座", "幢"), ("号房", "室"), ("楼道", ""))


@dataclass(frozen=True)
class Place:
    """A resolved location: the area for the case (grid, or community/street when no finer is known), the
    point in WGS84 if any, the address text and the standard-address code matched."""

    area_code: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    address_id: str = ""


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(text.split())
    for old, new in _SYNONYMS:
        text = text.replace(old, new)
    return text


def _label(jurisdiction: Jurisdiction) -> str:
    if not jurisdiction.area_code:
        return f"jurisdiction {jurisdiction.id}"
    area = Area.objects.filter(code=jurisdiction.area_code).only("name").first()
    return f"jurisdiction {jurisdiction.id} ({area.name if area else jurisdiction.area_code})"


def from_point(lat: float, lon: float, jurisdiction: Jurisdiction) -> Place:
    """The grid covering a WGS84 point; a point outside the jurisdiction's grids is a 400 saying so."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise bad("lat must lie between -90 and 90 and long between -180 and 180 (WGS84 degrees)")
    code = spatial.locate_code(lat, lon)
    if code is None or not code.startswith(jurisdiction.area_code):
        raise bad(
            f"the point lat={lat:.6f}, long={lon:.6f} (WGS84) lies outside {_label(jurisdiction)}: "
            "no grid of ours covers it; check the coordinates (WGS84, not GCJ-02) or the jurisdiction_id"
        )
    return Place(area_code=code, lat=lat, lon=lon)


def _building_place(building: Building, address: str, code: str) -> Place:
    on_map = spatial.locate_code(building.lat, building.lon) is not None
    return Place(  # a building pinned off the grid map keeps its grid, without the point
        area_code=building.area_code,
        lat=building.lat if on_map else None,
        lon=building.lon if on_map else None,
        address=address[:200],
        address_id=code,
    )


def from_address_id(value: str, jurisdiction: Jurisdiction) -> Place:
    """A standard-address code: dwelling (户), unit, building (楼栋), estate (小区), grid or community."""
    code = value.strip()
    dwelling = Dwelling.objects.filter(code=code).select_related("unit__building").first()
    if dwelling is not None:
        place = _building_place(dwelling.unit.building, dwelling.address, code)
    elif (
        unit := Unit.objects.filter(code=code).select_related("building__estate__community").first()
    ) is not None:
        place = _building_place(unit.building, f"{unit}", code)
    elif (
        building := Building.objects.filter(code=code).select_related("estate__community").first()
    ) is not None:
        place = _building_place(building, f"{building.estate.community.name}{building}", code)
    elif (estate := Estate.objects.filter(code=code).select_related("community").first()) is not None:
        place = Place(
            area_code=estate.community.code, address=f"{estate.community.name}{estate.name}", address_id=code
        )
    elif (
        area := Area.objects.filter(code=code, level__in=[AreaLevel.GRID, AreaLevel.COMMUNITY]).first()
    ) is not None:
        place = Place(area_code=area.code, address=area.name, address_id=code)
    else:
        raise bad(f"address_id {code!r} is not a standard address code of ours")
    if not place.area_code.startswith(jurisdiction.area_code):
        raise bad(f"address_id {code!r} lies outside {_label(jurisdiction)}")
    return place


def _estates(jurisdiction: Jurisdiction) -> list[Estate]:
    qs = Estate.objects.select_related("community")
    if jurisdiction.area_code:
        prefix = jurisdiction.area_code[:12]
        qs = qs.filter(community__code__startswith=prefix)
    return list(qs.only("id", "code", "name", "address", "community__code", "community__name"))


def _find_estate(text: str, estates: list[Estate]) -> Estate | None:
    contained = [
        (len(normalise(e.name)), e) for e in estates if normalise(e.name) and normalise(e.name) in text
    ] + [
        (len(normalise(e.address)), e)
        for e in estates
        if normalise(e.address) and normalise(e.address) in text
    ]
    if contained:
        return max(contained, key=lambda pair: (pair[0], -pair[1].pk))[1]
    best, best_ratio = None, CLOSE_ENOUGH
    for estate in estates:
        name = normalise(estate.name)
        # compare with the part of the text as long as the name, at every position (the name is in there)
        windows = [text[i : i + len(name)] for i in range(max(1, len(text) - len(name) + 1))]
        ratio = max((difflib.SequenceMatcher(None, name, w).ratio() for w in windows), default=0.0)
        if ratio > best_ratio:
            best, best_ratio = estate, ratio
    return best


def from_address_string(value: str, jurisdiction: Jurisdiction) -> Place | None:
    """The finest standard address the text names, or None when no estate of the jurisdiction matches."""
    text = normalise(value)
    estate = _find_estate(text, _estates(jurisdiction)) if text else None
    if estate is None:
        return None
    rest = text.split(normalise(estate.name), 1)[-1] if normalise(estate.name) in text else text
    found = _BUILDING.search(rest)
    building = (
        Building.objects.filter(estate=estate, number=str(int(found.group(1))))
        .select_related("estate")
        .first()
        if found
        else None
    )
    if building is None:
        return Place(area_code=estate.community.code, address=value.strip()[:200], address_id=estate.code)
    rest = rest[found.end() :] if found else rest
    unit_match = _UNIT.search(rest)
    unit = (
        Unit.objects.filter(building=building, number=str(int(unit_match.group(1)))).first()
        if unit_match
        else None
    )
    dwelling = None
    if unit is not None:
        room = _ROOM.search(rest[unit_match.end() :]) if unit_match else None
        if room is not None:
            dwelling = Dwelling.objects.filter(unit=unit, number=str(int(room.group(1)))).first()
    code = dwelling.code if dwelling else unit.code if unit else building.code
    return _building_place(building, value.strip(), code)


def fallback_area(jurisdiction: Jurisdiction) -> str | None:
    """The area a case goes to when its address is only text: the jurisdiction's street (or finer) area, or
    the one street of the deployment."""
    if jurisdiction.area_code and len(jurisdiction.area_code) >= 9:
        return jurisdiction.area_code
    streets = list(
        Area.objects.filter(level=AreaLevel.STREET, code__startswith=jurisdiction.area_code).values_list(
            "code", flat=True
        )[:2]
    )
    return streets[0] if len(streets) == 1 else None
