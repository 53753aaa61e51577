"""Geometry helpers over GeoJSON boundaries (shapely)."""

from __future__ import annotations

from shapely.geometry import shape


def boundary_center(boundary: dict) -> tuple[float, float]:
    """(lat, lon) of a point guaranteed inside the boundary."""
    point = shape(boundary).representative_point()
    return point.y, point.x
