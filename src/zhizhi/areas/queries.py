"""Reading places, always through the actor's area (core.permissions.area_prefix: "" = all, None = none)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from zhizhi.areas.models import Area, Building, Dwelling, Estate, Unit
from zhizhi.core.errors import NotFound
from zhizhi.core.permissions import area_prefix
from zhizhi.core.roles import CODE_LENGTH, AreaLevel

# Columns of Area that lists and trees need (the boundary can be large).
AREA_LIST_FIELDS = ("id", "code", "name", "level", "parent_id", "center_lat", "center_lon")


def areas_for(actor: Any) -> QuerySet[Area]:
    """The actor's area and everything below it."""
    prefix = area_prefix(actor)
    if prefix is None:
        return Area.objects.none()
    return Area.objects.filter(code__startswith=prefix) if prefix else Area.objects.all()


def area_tree(actor: Any) -> list[dict]:
    """The actor's area as nested nodes {code, name, level, children} (one query)."""
    rows = list(areas_for(actor).only(*AREA_LIST_FIELDS).order_by("code"))
    nodes: dict[int, dict[str, Any]] = {
        a.id: {"code": a.code, "name": a.name, "level": a.level, "children": []} for a in rows
    }
    roots: list[dict[str, Any]] = []
    for area in rows:
        parent = nodes.get(area.parent_id) if area.parent_id else None
        (parent["children"] if parent else roots).append(nodes[area.id])
    return roots


def grids_for(actor: Any, community: str = "") -> QuerySet[Area]:
    qs = areas_for(actor).filter(level=AreaLevel.GRID)
    return qs.filter(code__startswith=community) if community else qs


def communities_for(actor: Any) -> QuerySet[Area]:
    """Communities the actor works in: those inside its area, or the one containing its grid."""
    prefix = area_prefix(actor)
    if prefix is None:
        return Area.objects.none()
    qs = Area.objects.filter(level=AreaLevel.COMMUNITY)
    return qs.filter(code__startswith=prefix[: CODE_LENGTH[AreaLevel.COMMUNITY]]) if prefix else qs


def grids_geojson(actor: Any, community: str = "") -> dict:
    """Grids with a boundary as a GeoJSON FeatureCollection (WGS84)."""
    grids = grids_for(actor, community).exclude(boundary__isnull=True).select_related("parent")
    features = [
        {
            "type": "Feature",
            "id": g.code,
            "geometry": g.boundary,
            "properties": {
                "code": g.code,
                "name": g.name,
                "community_code": g.parent.code if g.parent else "",
                "community_name": g.parent.name if g.parent else "",
            },
        }
        for g in grids
    ]
    return {"type": "FeatureCollection", "features": features}


def buildings_for(actor: Any) -> QuerySet[Building]:
    prefix = area_prefix(actor)
    if prefix is None:
        return Building.objects.none()
    return Building.objects.filter(area_code__startswith=prefix) if prefix else Building.objects.all()


def filter_buildings(actor: Any, q: str = "", community: str = "", grid: str = "") -> QuerySet[Building]:
    """Buildings in the actor's area, searched by code, estate or address; filtered by community or grid."""
    qs = buildings_for(actor)
    if community:
        qs = qs.filter(area_code__startswith=community)
    if grid:
        qs = qs.filter(area_code=grid)
    q = (q or "").strip()
    if q:
        in_dwellings = Dwelling.objects.filter(unit__building=OuterRef("pk"), address__icontains=q)
        qs = qs.filter(
            Q(code__startswith=q)
            | Q(estate__name__icontains=q)
            | Q(estate__address__icontains=q)
            | Exists(in_dwellings)
        )
    return qs


def search_buildings(actor: Any, q: str = "", community: str = "", grid: str = "") -> QuerySet[Building]:
    """`filter_buildings` for lists: with `dwelling_count`, joined to estate, community and grid.

    A page of it is one query, whatever the number of rows; the dwelling count is a correlated subquery (not a
    join with GROUP BY) so that the paginator's COUNT(*) stays a plain count.
    """
    dwelling_counts = (
        Dwelling.objects.filter(unit__building=OuterRef("pk"))
        .order_by()
        .values("unit__building")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        filter_buildings(actor, q=q, community=community, grid=grid)
        .select_related("estate", "estate__community", "grid")
        .annotate(dwelling_count=Coalesce(Subquery(dwelling_counts), 0))
        .order_by("code")
    )


def access_building(actor: Any, code: str, *, with_units: bool = False) -> Building:
    """The building if it lies in the actor's area; otherwise NotFound (scope misses read as absence).

    With `with_units`, `building.units.all()` holds its units in order, and each unit's `dwellings.all()` its
    dwellings, each annotated with `resident_count`: three queries in all, however many dwellings there are.
    """
    qs = buildings_for(actor).select_related("estate", "estate__community", "grid")
    if with_units:
        qs = qs.prefetch_related(_units_prefetch())
    building = qs.filter(code=code).first()
    if building is None:
        raise NotFound(f"building {code} not found", field="code")
    return building


def _units_prefetch() -> Prefetch:
    """Residents counted are the people living here whose primary residence is the dwelling."""
    dwellings = Dwelling.objects.annotate(
        resident_count=Count(
            "residences",
            filter=Q(residences__is_primary=True, residences__resident__status="active"),
        )
    ).order_by("code")
    units = Unit.objects.order_by("code").prefetch_related(Prefetch("dwellings", queryset=dwellings))
    return Prefetch("units", queryset=units)


def estates_for(actor: Any) -> QuerySet[Estate]:
    prefix = area_prefix(actor)
    if prefix is None:
        return Estate.objects.none()
    qs = Estate.objects.all()
    return qs.filter(community__code__startswith=prefix[: CODE_LENGTH[AreaLevel.COMMUNITY]]) if prefix else qs


def buildings_geojson(actor: Any, community: str = "", grid: str = "", q: str = "") -> dict:
    """Buildings as GeoJSON Points (lon, lat in WGS84)."""
    rows = (
        filter_buildings(actor, q=q, community=community, grid=grid)
        .order_by("code")
        .values("code", "number", "lat", "lon", "floors", "area_code", "estate__name", "grid__name")
    )
    features = [
        {
            "type": "Feature",
            "id": r["code"],
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": {
                "code": r["code"],
                "estate": r["estate__name"],
                "number": r["number"],
                "floors": r["floors"],
                "grid_code": r["area_code"],
                "grid_name": r["grid__name"],
            },
        }
        for r in rows
    ]
    return {"type": "FeatureCollection", "features": features}
