"""/api/areas/ — the area tree, grids and buildings as GeoJSON, point → grid, buildings, Excel import/export.

Everything is limited to the caller's area (core.permissions.area_prefix). Domain errors become 400/403/404
bodies naming the field (see zhizhi.api).
"""

from django.http import HttpResponse
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from zhizhi.areas import queries, services, spatial
from zhizhi.areas.excel import XLSX_CONTENT_TYPE
from zhizhi.areas.schemas import (
    AreaNode,
    BuildingDetailOut,
    BuildingOut,
    FeatureCollection,
    ImportOut,
    LocateOut,
)
from zhizhi.core import clock
from zhizhi.core.errors import InvalidInput
from zhizhi.core.params import Pages

router = Router(tags=["areas"])


class BuildingFilters(Schema):
    q: str = ""
    community: str = ""
    grid: str = ""


@router.get("/tree", response=list[AreaNode], url_name="areas_tree")
def area_tree(request):
    """The caller's area and everything below it, as a tree (city → district → street → community → grid)."""
    return queries.area_tree(request.user)


@router.get("/grids", response=FeatureCollection, url_name="areas_grids")
def grids(request, community: str = ""):
    """Grids of the caller's area (optionally of one community) as a GeoJSON FeatureCollection."""
    return queries.grids_geojson(request.user, community=community)


@router.get("/locate", response=LocateOut, url_name="areas_locate")
def locate(request, lat: float, lon: float, crs: str = "wgs84"):
    """The grid that covers a point. `crs` is `wgs84` (GPS) or `gcj02` (AMap/高德, Tencent, WeChat)."""
    point = spatial.resolve_point(lat, lon, crs)
    community = point.grid.parent
    return {
        "code": point.grid.code,
        "name": point.grid.name,
        "community_code": community.code if community else "",
        "community_name": community.name if community else "",
        "lat": point.lat,
        "lon": point.lon,
    }


@router.get("/buildings", response=list[BuildingOut], url_name="areas_buildings")
@paginate(Pages, page_size=50)
def buildings(request, filters: Query[BuildingFilters]):
    """Buildings of the caller's area, searched by code, estate name or address (50 a page)."""
    return queries.search_buildings(request.user, q=filters.q, community=filters.community, grid=filters.grid)


@router.get("/buildings/geojson", response=FeatureCollection, url_name="areas_buildings_geojson")
def buildings_geojson(request, filters: Query[BuildingFilters]):
    """Buildings of the caller's area as GeoJSON points."""
    return queries.buildings_geojson(
        request.user, q=filters.q, community=filters.community, grid=filters.grid
    )


@router.get("/buildings/export", url_name="areas_buildings_export")
def export(request, filters: Query[BuildingFilters]):
    """The buildings of the caller's area (filtered like the list) as an .xlsx that the import accepts."""
    data = services.export_buildings(
        request.user, q=filters.q, community=filters.community, grid=filters.grid
    )
    return xlsx_response(data, f"buildings-{clock.today():%Y%m%d}.xlsx")


@router.post("/buildings/import", response=ImportOut, url_name="areas_buildings_import")
def import_(request, file: UploadedFile | None = File(None)):  # noqa: B008 (ninja's way to declare an upload)
    """Create or update buildings from an .xlsx (field `file`); any bad row → 400 listing every {row, column,
    reason}, and nothing is written."""
    if file is None:  # checked here rather than by ninja, whose error would name the field "file.file"
        raise InvalidInput("choose an .xlsx file to import", field="file")
    return services.import_buildings(request.user, file).as_dict()


@router.get("/buildings/{code}", response=BuildingDetailOut, url_name="areas_building")
def building(request, code: str):
    """One building with its units and dwellings (standard addresses, resident counts)."""
    return queries.access_building(request.user, code, with_units=True)


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
