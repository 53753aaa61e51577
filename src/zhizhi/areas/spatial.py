"""Point → grid lookup through a spatial index (shapely 2 STRtree over the grids' GeoJSON boundaries).

`GridIndex` is pure shapely/numpy (the benchmark uses it without a database). The rest keeps one index per
process, built on first use from the grids in the database and dropped when an Area is saved or deleted in
this process (post_save/post_delete, connected in AreasConfig.ready). Other processes notice within
settings.GRID_INDEX_TTL seconds (default 30): after that a cheap aggregate (count, max id, sum of revisions)
is compared with the one the index was built from, and the index is rebuilt only if it differs.

A point on an edge shared by two grids (or inside two overlapping grids, which is a data error) belongs to the
grid with the lowest code, so every process gives the same answer.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from zhizhi.areas.coords import to_wgs84
from zhizhi.core.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from zhizhi.areas.models import Area

DEFAULT_TTL_S = 30.0
SORT_THRESHOLD = 4096  # batches at least this large are sorted by place before the tree is queried
MAX_AGE_S = 15 * 60.0  # rebuild at least this often whatever the fingerprint says


class GridIndex:
    """Polygons with codes in an STRtree; lookups answer the code of the grid covering a point.

    Geometries are kept in code order, so "the lowest tree index" is "the lowest code" when a point lies on a
    shared edge. Boundaries are closed: a point on a grid's outer edge belongs to it.
    """

    def __init__(self, entries: Iterable[tuple[str, BaseGeometry]]):
        ordered = sorted(entries, key=lambda entry: entry[0])
        self.codes: list[str] = [code for code, _ in ordered]
        geometries = [geom if geom.is_valid else shapely.make_valid(geom) for _, geom in ordered]
        self.geometries = np.array(geometries, dtype=object)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)
        # A typical grid's size and the corner of all grids, to sort batches of points by place.
        bounds = shapely.bounds(self.geometries).reshape(-1, 4)
        if len(bounds):
            sizes = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
            self._cell = float(np.median(sizes)) or 1.0
            self._origin = (float(bounds[:, 0].min()), float(bounds[:, 1].min()))
            self._span = (
                int(np.ceil(max(np.ptp(bounds[:, [0, 2]]), np.ptp(bounds[:, [1, 3]])) / self._cell)) + 1
            )

    @classmethod
    def from_geojson(cls, entries: Iterable[tuple[str, dict | None]]) -> GridIndex:
        """From (code, GeoJSON Polygon/MultiPolygon in lon/lat) pairs; empty boundaries are skipped."""
        return cls((code, shape(boundary)) for code, boundary in entries if boundary)

    def __len__(self) -> int:
        return len(self.codes)

    def lookup(self, lat: float, lon: float) -> int:
        """Position (in code order) of the grid covering the point, or -1."""
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        return int(hits.min()) if hits.size else -1

    def locate(self, lat: float, lon: float) -> str | None:
        position = self.lookup(lat, lon)
        return self.codes[position] if position >= 0 else None

    def lookup_many(
        self, lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray
    ) -> np.ndarray:
        """Vectorised `lookup`: an int64 array of positions, -1 where no grid covers the point."""
        ys = np.asarray(lats, dtype=np.float64)
        xs = np.asarray(lons, dtype=np.float64)
        if ys.shape != xs.shape or ys.ndim != 1:
            raise ValueError("lats and lons must be one-dimensional arrays of the same length")
        order = self._spatial_order(ys, xs) if ys.shape[0] >= SORT_THRESHOLD and len(self) else None
        if order is not None:
            ys, xs = ys[order], xs[order]
        point_ids, grid_ids = self.tree.query(shapely.points(xs, ys), predicate="intersects")
        if order is not None:
            point_ids = order[point_ids]
        none = np.iinfo(np.int64).max
        result = np.full(ys.shape[0], none, dtype=np.int64)
        np.minimum.at(result, point_ids, grid_ids)  # lowest code wins on shared edges
        result[result == none] = -1
        return result

    def _spatial_order(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """A permutation that visits points grid cell by grid cell.

        Neighbouring points then reuse the same tree nodes and polygons in the CPU cache, which makes a large
        random batch about 1.5× faster.
        """
        cells = []
        for values, origin in ((lons, self._origin[0]), (lats, self._origin[1])):
            scaled = np.nan_to_num((values - origin) / self._cell, nan=-1.0, posinf=self._span, neginf=-1.0)
            cells.append(np.clip(scaled, -1, self._span).astype(np.int64) + 1)
        return np.argsort(cells[1] * (self._span + 2) + cells[0], kind="stable")

    def locate_many(
        self, lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray
    ) -> list[str | None]:
        codes = self.codes
        return [codes[p] if p >= 0 else None for p in self.lookup_many(lats, lons).tolist()]


# ----------------------------------------------------- the process-level index of the database's grids


@dataclass(frozen=True)
class _Cached:
    index: GridIndex
    fingerprint: tuple
    generation: int
    built_at: float
    checked_at: float


_lock = threading.Lock()
_cached: _Cached | None = None
_generation = 0


def invalidate(*_args: Any, **_kwargs: Any) -> None:
    """Forget the index (signal receiver for Area post_save/post_delete); the next lookup rebuilds it."""
    global _cached, _generation
    with _lock:
        _generation += 1
        _cached = None


def _ttl() -> float:
    from django.conf import settings

    return float(getattr(settings, "GRID_INDEX_TTL", DEFAULT_TTL_S))


def _fingerprint() -> tuple:
    from django.db.models import Count, Max, Sum

    from zhizhi.areas.models import Area
    from zhizhi.core.roles import AreaLevel

    agg = Area.objects.filter(level=AreaLevel.GRID).aggregate(
        n=Count("id"), top=Max("id"), rev=Sum("revision")
    )
    return (agg["n"], agg["top"], agg["rev"])


def _load() -> GridIndex:
    from zhizhi.areas.models import Area
    from zhizhi.core.roles import AreaLevel

    rows = Area.objects.filter(level=AreaLevel.GRID, boundary__isnull=False).values_list("code", "boundary")
    return GridIndex.from_geojson(rows.iterator(chunk_size=2000))


def grid_index() -> GridIndex:
    """The index of every grid in the database, cached for this process."""
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and cached.generation == _generation and now - cached.checked_at < _ttl():
        return cached.index
    with _lock:
        generation = _generation
        fingerprint = _fingerprint()
        cached = _cached
        if (
            cached is not None
            and cached.generation == generation
            and cached.fingerprint == fingerprint
            and now - cached.built_at < MAX_AGE_S
        ):
            _cached = _Cached(cached.index, fingerprint, generation, cached.built_at, now)
            return cached.index
        index = _load()
        _cached = _Cached(index, fingerprint, generation, now, now)
        return index


def locate_code(lat: float, lon: float) -> str | None:
    """Code of the grid covering a WGS84 point, or None."""
    return grid_index().locate(lat, lon)


def locate(lat: float, lon: float) -> Area | None:
    """The grid covering a WGS84 point, or None."""
    from zhizhi.areas.models import Area

    code = locate_code(lat, lon)
    return Area.objects.filter(code=code).select_related("parent").first() if code else None


def locate_many(lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray) -> list[str | None]:
    """Grid codes (or None) for many WGS84 points at once."""
    return grid_index().locate_many(lats, lons)


def check_point(lat: Any, lon: Any, crs: str | None = "wgs84") -> tuple[float, float]:
    """Validate a point given in `crs` and return it in WGS84; errors name the field."""
    values = []
    for name, value, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"{name} must be a number in degrees", field=name) from None
        if not math.isfinite(number) or abs(number) > limit:
            raise InvalidInput(f"{name} must lie between -{limit:g} and {limit:g}", field=name)
        values.append(number)
    try:
        return to_wgs84(values[0], values[1], crs or "wgs84")
    except ValueError as exc:
        raise InvalidInput(str(exc), field="crs") from exc


@dataclass(frozen=True)
class LocatedPoint:
    grid: Area
    lat: float  # WGS84
    lon: float


def resolve_point(lat: Any, lon: Any, crs: str | None = "wgs84") -> LocatedPoint:
    """The grid covering a point given in WGS84 or GCJ-02, with the point in WGS84.

    Raises InvalidInput naming `lat`, `lon` or `crs`, and NotFound (field "lat,lon") when no grid covers it.
    """
    w_lat, w_lon = check_point(lat, lon, crs)
    area = locate(w_lat, w_lon)
    if area is None:
        raise NotFound(f"no grid covers the point ({w_lat:.6f}, {w_lon:.6f}) (WGS84)", field="lat,lon")
    return LocatedPoint(area, w_lat, w_lon)


def locate_point(lat: Any, lon: Any, crs: str | None = "wgs84") -> Area:
    """The grid covering a point given in WGS84 or GCJ-02 (converted first); errors as in `resolve_point`."""
    return resolve_point(lat, lon, crs).grid
