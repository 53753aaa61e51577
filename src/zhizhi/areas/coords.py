"""Coordinate systems: WGS84 (GPS, CGCS2000 for our purposes) ⇄ GCJ-02 (国测局坐标, "Mars coordinates").

Phones report WGS84; Chinese map apps (AMap/高德, Tencent, WeChat location sharing) show and return GCJ-02, a
deliberately obfuscated datum that shifts points by a few hundred metres inside mainland China. Zhizhi stores
WGS84 only, so GCJ-02 input is converted on the way in.

The forward transform is the widely published closed form (the same constants as every open implementation).
The inverse has no closed form: `gcj02_to_wgs84` iterates the forward transform until the round trip is within
1e-9 degrees (a few millimetres), far below the ~10 m error of the usual one-step approximation.

No shift is applied outside mainland China: the test is a coarse hand-drawn outline of the mainland
(generous by some kilometres along land borders so that Chinese border towns stay inside, which makes a few
foreign border towns count as inside too), with Hong Kong and Macau cut out; Taiwan lies outside the outline.
Pure Python, no Django.
"""

from __future__ import annotations

import math

# Krasovsky 1940 ellipsoid, as used by GCJ-02.
_A = 6378245.0
_EE = 0.00669342162296594323
_INVERSE_TOLERANCE = 1e-9  # degrees
_INVERSE_MAX_STEPS = 30

# (lon, lat) vertices, clockwise from the Amur/Ussuri confluence; coarse on purpose (see the docstring).
MAINLAND_OUTLINE: tuple[tuple[float, float], ...] = (
    # Russia: Ussuri river and Lake Khanka
    (134.85, 48.4), (134.3, 47.3), (133.6, 45.6), (132.9, 45.05), (131.9, 45.3), (131.1, 44.85),
    (131.35, 44.0), (131.3, 43.0), (130.75, 42.3),
    # North Korea: Tumen and Yalu rivers
    (129.6, 42.2), (128.95, 42.0), (128.1, 41.3), (127.0, 41.45), (126.15, 40.95), (125.0, 40.35),
    (124.25, 39.8),
    # Coast: Yellow Sea, East China Sea, Taiwan Strait (Taiwan and Penghu stay outside)
    (123.5, 38.3), (123.2, 37.2), (123.6, 34.0), (123.3, 30.5), (122.5, 28.2), (120.6, 26.4),
    (120.0, 25.2), (119.0, 24.0), (117.8, 23.2), (116.5, 22.45), (114.7, 22.1), (114.2, 21.75),
    # South China Sea, Hainan, Gulf of Tonkin
    (112.6, 21.2), (111.3, 19.9), (110.5, 17.9), (109.3, 17.9), (108.3, 18.4), (108.4, 19.8),
    (108.5, 20.6), (108.12, 21.45),
    # Vietnam, Laos
    (107.9, 21.45), (107.3, 21.65), (106.65, 21.85), (106.4, 22.45), (105.9, 22.8), (105.4, 23.05),
    (104.9, 22.7), (104.2, 22.7), (103.95, 22.4), (103.3, 22.35), (102.6, 22.3), (102.0, 22.2),
    (101.85, 21.1), (101.1, 21.0),
    # Myanmar
    (100.0, 21.4), (99.0, 22.1), (98.9, 22.6), (99.1, 23.15), (98.5, 23.85), (97.5, 23.85),
    (97.35, 24.7), (97.9, 25.3), (98.4, 25.9), (98.4, 27.6),
    # India (line of actual control), Bhutan, Sikkim, Nepal
    (97.4, 28.35), (96.5, 28.35), (95.2, 29.05), (94.2, 28.8), (92.6, 28.0), (91.7, 27.8), (90.9, 28.2),
    (90.0, 28.25), (89.3, 27.8), (89.15, 27.3), (88.9, 27.25), (88.8, 27.5), (88.65, 28.05), (88.1, 27.9),
    (86.9, 27.9), (85.9, 27.93), (85.3, 28.25), (84.5, 28.6), (84.0, 28.9), (83.9, 29.33), (82.2, 30.05),
    (81.4, 30.15), (81.0, 30.15), (80.2, 30.7), (79.4, 30.95), (78.7, 31.6), (78.4, 32.6), (78.75, 33.2),
    (78.3, 34.3), (77.8, 35.5),
    # Pakistan, Afghanistan, Tajikistan, Kyrgyzstan
    (76.5, 35.85), (75.4, 36.8), (74.85, 37.25), (74.85, 38.5), (74.0, 38.9), (73.45, 39.4),
    (73.9, 39.75), (74.8, 40.45), (75.5, 40.65), (76.6, 40.45), (78.5, 41.55), (80.25, 42.2),
    # Kazakhstan
    (80.35, 42.9), (80.15, 43.4), (80.2, 44.2), (80.8, 45.1), (82.4, 45.3), (82.5, 46.2), (82.75, 47.25),
    (85.5, 47.0), (85.6, 48.2), (86.8, 48.9), (87.3, 49.2),
    # Mongolia (its far-eastern wedge counts as inside)
    (87.85, 49.2), (88.5, 48.3), (90.0, 47.9), (90.9, 46.3), (91.0, 45.5), (93.5, 44.95), (95.3, 44.3),
    (96.4, 42.75), (99.5, 42.6), (101.5, 42.5), (103.8, 41.8), (105.0, 41.6), (106.8, 42.3), (109.2, 42.5),
    (110.4, 42.7), (111.85, 43.75), (113.5, 44.7), (115.0, 45.2), (116.6, 49.9),
    # Russia: Argun and Amur rivers
    (117.8, 49.85), (119.3, 50.3), (119.9, 51.8), (120.9, 53.3), (121.3, 53.45), (123.5, 53.65),
    (125.8, 53.2), (127.3, 51.7), (127.8, 50.3), (129.5, 49.5), (130.8, 48.9), (131.2, 47.7),
    (132.6, 47.85), (134.0, 48.45),
)  # fmt: skip

# Special administrative regions inside the outline, where map apps do not apply GCJ-02.
EXCLUDED: tuple[tuple[tuple[float, float], ...], ...] = (
    # Hong Kong: Shenzhen Bay, Shenzhen River (深圳河), Sha Tau Kok, Mirs Bay, the southern waters
    (
        (113.83, 22.12), (113.83, 22.38), (113.90, 22.445), (113.965, 22.488), (114.02, 22.508),
        (114.06, 22.513), (114.085, 22.52), (114.11, 22.528), (114.13, 22.537), (114.17, 22.552),
        (114.23, 22.548), (114.30, 22.52), (114.42, 22.43), (114.51, 22.14),
    ),
    # Macau: the peninsula, Taipa, Cotai and Coloane (Hengqin stays mainland)
    (
        (113.527, 22.195), (113.535, 22.217), (113.555, 22.217), (113.60, 22.17), (113.60, 22.11),
        (113.55, 22.11), (113.548, 22.15), (113.53, 22.185),
    ),
)  # fmt: skip


def _inside(lon: float, lat: float, ring: tuple[tuple[float, float], ...]) -> bool:
    """Even-odd ray casting; `ring` is open (the last vertex joins the first)."""
    inside = False
    x0, y0 = ring[-1]
    for x1, y1 in ring:
        if (y1 > lat) != (y0 > lat) and lon < (x0 - x1) * (lat - y1) / (y0 - y1) + x1:
            inside = not inside
        x0, y0 = x1, y1
    return inside


def in_mainland_china(lat: float, lon: float) -> bool:
    """Whether GCJ-02 applies at this point (coarse; see the module docstring)."""
    if not (17.5 <= lat <= 54.0 and 73.0 <= lon <= 135.5):
        return False
    return _inside(lon, lat, MAINLAND_OUTLINE) and not any(_inside(lon, lat, ring) for ring in EXCLUDED)


def _shift(lat: float, lon: float) -> tuple[float, float]:
    """The GCJ-02 offset (dlat, dlon) in degrees at a WGS84 point, without the region test."""
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x)) + common
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x)) + common
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0

    rad_lat = math.radians(lat)
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlat, dlon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) in WGS84 → (lat, lon) in GCJ-02; unchanged outside mainland China."""
    if not in_mainland_china(lat, lon):
        return lat, lon
    dlat, dlon = _shift(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) in GCJ-02 → (lat, lon) in WGS84, the exact inverse of `wgs84_to_gcj02` to within 1e-9°.

    Fixed-point iteration w ← w − (f(w) − g): the offset changes slowly with position (its Jacobian is close
    to the identity), so a handful of steps reach double precision.
    """
    if not in_mainland_china(lat, lon):
        return lat, lon
    dlat, dlon = _shift(lat, lon)
    w_lat, w_lon = lat - dlat, lon - dlon
    for _ in range(_INVERSE_MAX_STEPS):
        dlat, dlon = _shift(w_lat, w_lon)
        err_lat, err_lon = w_lat + dlat - lat, w_lon + dlon - lon
        w_lat, w_lon = w_lat - err_lat, w_lon - err_lon
        if abs(err_lat) < _INVERSE_TOLERANCE and abs(err_lon) < _INVERSE_TOLERANCE:
            break
    return w_lat, w_lon


def to_wgs84(lat: float, lon: float, crs: str) -> tuple[float, float]:
    """Normalise input in the named system ("wgs84" or "gcj02") to WGS84."""
    system = normalise_crs(crs)
    return gcj02_to_wgs84(lat, lon) if system == "gcj02" else (lat, lon)


CRS_ALIASES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "cgcs2000": "wgs84",
    "gps": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "火星": "gcj02",
    "火星坐标": "gcj02",
}


def normalise_crs(crs: str | None) -> str:
    """'WGS84', 'EPSG:4326', 'GCJ-02' … → 'wgs84' or 'gcj02'; blank means WGS84; others raise ValueError."""
    key = (crs or "wgs84").strip().lower()
    if key not in CRS_ALIASES:
        raise ValueError(f"unknown coordinate system {crs!r}; use wgs84 or gcj02")
    return CRS_ALIASES[key]
