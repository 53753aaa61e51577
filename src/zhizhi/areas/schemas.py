"""API shapes of places (django-ninja)."""

from __future__ import annotations

from ninja import Schema


class AreaNode(Schema):
    code: str
    name: str
    level: str
    children: list[AreaNode] = []


AreaNode.model_rebuild()


class FeatureCollection(Schema):
    """A GeoJSON FeatureCollection (RFC 7946; coordinates are lon, lat in WGS84)."""

    type: str = "FeatureCollection"
    features: list[dict]


class LocateOut(Schema):
    code: str
    name: str
    community_code: str
    community_name: str
    lat: float  # the point in WGS84 (converted when the input was GCJ-02)
    lon: float


class BuildingOut(Schema):
    code: str
    estate: str
    estate_code: str
    community_code: str
    number: str
    grid_code: str
    grid_name: str
    floors: int
    built_year: int | None
    lat: float
    lon: float
    dwelling_count: int | None = None

    @staticmethod
    def resolve_estate(obj) -> str:
        return obj.estate.name

    @staticmethod
    def resolve_estate_code(obj) -> str:
        return obj.estate.code

    @staticmethod
    def resolve_community_code(obj) -> str:
        return obj.estate.community.code

    @staticmethod
    def resolve_grid_code(obj) -> str:
        return obj.area_code

    @staticmethod
    def resolve_grid_name(obj) -> str:
        return obj.grid.name


class DwellingOut(Schema):
    code: str
    number: str
    floor: int
    address: str
    resident_count: int


class UnitOut(Schema):
    code: str
    number: str
    dwellings: list[DwellingOut]

    @staticmethod
    def resolve_dwellings(obj) -> list:
        return list(obj.dwellings.all())


class BuildingDetailOut(BuildingOut):
    units: list[UnitOut]

    @staticmethod
    def resolve_units(obj) -> list:
        return list(obj.units.all())

    @staticmethod
    def resolve_dwelling_count(obj) -> int:
        return sum(len(unit.dwellings.all()) for unit in obj.units.all())


class ImportOut(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int
    estates_created: int
