"""WGS84 ⇄ GCJ-02 against vectors published by other open implementations.

Sources of the vectors (values only; the code under test is our own):
  * googollee/eviltransform, python/test.py and go/transform_test.go: Shanghai, Shenzhen, Beijing pairs
    (wgsLat, wgsLng, gcjLat, gcjLng), checked there to 6 decimals.
  * wandergis/coordtransform, test/app.js: wgs84togcj02(116.404, 39.915)
    = [116.41024449916938, 39.91640428150164]; its one-step gcj02towgs84(116.404, 39.915)
    = [116.39775550083061, 39.91359571849836] (an approximate inverse).
  * hujiulong/gcoord, test/unit/crs/GCJ02.spec.js: GCJ02 → WGS84 of (123, 45) ≈ (122.99395597, 44.99804071)
    to 5 decimals, and (183, 45) unchanged outside China.
"""

from __future__ import annotations

import math

import pytest

from zhizhi.areas.coords import gcj02_to_wgs84, in_mainland_china, normalise_crs, to_wgs84, wgs84_to_gcj02

EVILTRANSFORM = [
    # wgs lat, wgs lon, gcj lat, gcj lon
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111_320.0
    dx = (lon2 - lon1) * 111_320.0 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform_vectors(wlat, wlon, glat, glon):
    lat, lon = wgs84_to_gcj02(wlat, wlon)
    assert lat == pytest.approx(glat, abs=1e-9)
    assert lon == pytest.approx(glon, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM)
def test_gcj02_to_wgs84_recovers_the_gps_point_within_a_millionth_of_a_degree(wlat, wlon, glat, glon):
    lat, lon = gcj02_to_wgs84(glat, glon)
    assert abs(lat - wlat) < 1e-6
    assert abs(lon - wlon) < 1e-6
    assert metres(lat, lon, wlat, wlon) < 0.05  # eviltransform's exact inverse promises < 0.5 m


def test_wgs84_to_gcj02_matches_coordtransform_vector():
    lat, lon = wgs84_to_gcj02(39.915, 116.404)
    assert lat == pytest.approx(39.91640428150164, abs=1e-12)
    assert lon == pytest.approx(116.41024449916938, abs=1e-12)


def test_exact_inverse_improves_on_the_one_step_approximation():
    lat, lon = gcj02_to_wgs84(39.915, 116.404)
    approx = (39.91359571849836, 116.39775550083061)  # coordtransform's single step
    assert metres(lat, lon, *approx) < 10  # same neighbourhood …
    back = wgs84_to_gcj02(lat, lon)
    assert back == pytest.approx((39.915, 116.404), abs=1e-9)  # … but ours round-trips exactly
    assert wgs84_to_gcj02(*approx) != pytest.approx((39.915, 116.404), abs=1e-7)


def test_gcj02_to_wgs84_matches_gcoord_vector():
    lat, lon = gcj02_to_wgs84(45.0, 123.0)
    assert lat == pytest.approx(44.99804071, abs=1e-5)
    assert lon == pytest.approx(122.99395597, abs=1e-5)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(30.27, 120.16), (45.75, 126.63), (29.65, 91.13), (43.83, 87.62), (18.25, 109.51), (22.54, 114.06)],
)
def test_round_trip_is_exact_across_china(lat, lon):
    g = wgs84_to_gcj02(lat, lon)
    assert metres(lat, lon, *g) > 50  # a real shift happened
    w = gcj02_to_wgs84(*g)
    assert abs(w[0] - lat) < 1e-9 and abs(w[1] - lon) < 1e-9


PLACES_OUTSIDE = {
    "gcoord's out-of-China point": (45.0, 183.0),
    "Tokyo": (35.69, 139.69),
    "Seoul": (37.57, 126.98),
    "Pyongyang": (39.03, 125.75),
    "Vladivostok": (43.12, 131.89),
    "Ulaanbaatar": (47.92, 106.91),
    "Hanoi": (21.03, 105.85),
    "Kathmandu": (27.72, 85.32),
    "Almaty": (43.24, 76.95),
    "Taipei": (25.03, 121.56),
    "Kaohsiung": (22.63, 120.30),
    "Hong Kong Central": (22.28, 114.16),
    "Sha Tin": (22.38, 114.19),
    "Sheung Shui": (22.50, 114.13),
    "Macau": (22.19, 113.54),
    "Manila": (14.60, 120.98),
    "London": (51.51, -0.13),
}
PLACES_INSIDE = {
    "Beijing": (39.90, 116.40),
    "Hangzhou": (30.27, 120.16),
    "Shenzhen Futian": (22.54, 114.06),
    "Zhuhai Hengqin": (22.13, 113.52),
    "Sanya": (18.25, 109.51),
    "Xiamen": (24.48, 118.09),
    "Mohe": (52.97, 122.54),
    "Manzhouli": (49.60, 117.43),
    "Kashgar": (39.47, 75.99),
    "Khorgos": (44.21, 80.42),
    "Lhasa": (29.65, 91.13),
    "Yadong": (27.48, 88.91),
    "Ruili": (24.01, 97.85),
    "Dongxing": (21.55, 107.97),
    "Dandong": (40.13, 124.38),
    "Suifenhe": (44.40, 131.15),
}


@pytest.mark.parametrize("place", PLACES_OUTSIDE)
def test_points_outside_mainland_china_are_not_shifted(place):
    lat, lon = PLACES_OUTSIDE[place]
    assert not in_mainland_china(lat, lon)
    assert wgs84_to_gcj02(lat, lon) == (lat, lon)
    assert gcj02_to_wgs84(lat, lon) == (lat, lon)


@pytest.mark.parametrize("place", PLACES_INSIDE)
def test_points_in_mainland_china_including_border_towns_are_shifted(place):
    lat, lon = PLACES_INSIDE[place]
    assert in_mainland_china(lat, lon)
    assert wgs84_to_gcj02(lat, lon) != (lat, lon)


def test_crs_names_are_normalised_and_unknown_ones_refused():
    assert normalise_crs("GCJ-02") == "gcj02"
    assert normalise_crs("WGS84") == normalise_crs("EPSG:4326") == normalise_crs("") == "wgs84"
    assert to_wgs84(30.27, 120.16, "wgs84") == (30.27, 120.16)
    with pytest.raises(ValueError, match="bd09"):
        normalise_crs("bd09")
