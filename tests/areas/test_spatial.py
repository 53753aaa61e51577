"""Point → grid: the pure index, and the process cache over the database's grids."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

from tests.factories import square
from zhizhi.areas import services, spatial
from zhizhi.areas.coords import wgs84_to_gcj02
from zhizhi.areas.models import Area
from zhizhi.areas.spatial import GridIndex
from zhizhi.core.errors import InvalidInput, NotFound
from zhizhi.core.roles import AreaLevel

# Two unit squares sharing the edge x = 1, listed out of code order on purpose.
TWO = GridIndex([("B", box(1, 0, 2, 1)), ("A", box(0, 0, 1, 1))])


def test_index_finds_the_grid_containing_a_point():
    assert TWO.locate(0.5, 0.5) == "A"  # (lat, lon) = (y, x)
    assert TWO.locate(0.5, 1.5) == "B"


def test_index_answers_none_outside_every_grid():
    assert TWO.locate(5.0, 5.0) is None
    assert TWO.locate(0.5, -0.0001) is None


def test_point_on_a_shared_edge_belongs_to_the_lowest_code_every_time():
    assert TWO.locate(0.5, 1.0) == "A"
    assert TWO.locate(1.0, 1.0) == "A"  # shared corner
    assert GridIndex([("A", box(0, 0, 1, 1)), ("B", box(1, 0, 2, 1))]).locate(0.5, 1.0) == "A"


def test_point_on_an_outer_edge_belongs_to_its_grid():
    assert TWO.locate(0.0, 1.5) == "B"
    assert TWO.locate(0.5, 2.0) == "B"


def test_vectorised_lookup_agrees_with_single_lookups():
    rng = np.random.default_rng(7)
    lats = np.concatenate([rng.uniform(-0.5, 1.5, 500), [0.5, 1.0, 0.0]])
    lons = np.concatenate([rng.uniform(-0.5, 2.5, 500), [1.0, 1.0, 1.5]])
    many = TWO.locate_many(lats, lons)
    assert many == [TWO.locate(a, o) for a, o in zip(lats, lons, strict=True)]
    assert many[-3:] == ["A", "A", "B"]
    assert TWO.lookup_many([], []).shape == (0,)


def test_vectorised_lookup_refuses_mismatched_arrays():
    with pytest.raises(ValueError, match="same length"):
        TWO.lookup_many([1.0, 2.0], [1.0])


def test_index_from_geojson_skips_grids_without_boundary():
    index = GridIndex.from_geojson([("G1", square(120.0, 30.0)), ("G2", None)])
    assert len(index) == 1
    assert index.locate(30.001, 120.001) == "G1"


def test_an_invalid_bow_tie_polygon_is_repaired_rather_than_failing():
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    index = GridIndex.from_geojson([("X", bow_tie)])
    assert index.locate(0.5, 0.9) == "X"


# ---------------------------------------------------------------------------- over the database's grids


def test_locate_finds_the_grid_of_a_point(street):
    grid = spatial.locate(30.271, 120.161)
    assert grid == street.grid_a1
    assert spatial.locate_code(30.271, 120.165) == street.grid_b1.code


def test_locate_answers_none_outside_the_street(street):
    assert spatial.locate(30.300, 120.161) is None


def test_point_on_the_edge_between_two_grids_gets_the_same_grid_on_every_call(street):
    # A2 | B1 share lon 120.164 exactly; a point on it goes to the lower code, A2.
    assert {spatial.locate_code(30.271, 120.164) for _ in range(3)} == {street.grid_a2.code}


def test_locate_many_answers_codes_in_input_order(street):
    codes = spatial.locate_many([30.271, 30.271, 30.9], [120.165, 120.161, 120.161])
    assert codes == [street.grid_b1.code, street.grid_a1.code, None]


def test_index_follows_a_grid_whose_boundary_changes(street):
    assert spatial.locate_code(30.2745, 120.161) is None  # north of A1
    services.ensure_area(
        AreaLevel.GRID,
        street.grid_a1.code,
        street.grid_a1.name,
        street.community_a,
        square(120.160, 30.270, 0.005),
    )
    assert spatial.locate_code(30.2745, 120.161) == street.grid_a1.code


def test_index_follows_new_and_deleted_grids(street):
    spatial.locate_code(30.271, 120.161)  # build the index
    new = services.ensure_area(
        AreaLevel.GRID, "33010501300103", "竹竿巷3网格", street.community_a, square(120.2, 30.3)
    )
    assert spatial.locate_code(30.301, 120.201) == new.code
    new.delete()
    assert spatial.locate_code(30.301, 120.201) is None


def test_a_change_made_by_another_process_is_seen_after_the_ttl(street, settings):
    settings.GRID_INDEX_TTL = 0  # check the fingerprint on every lookup
    assert spatial.locate_code(30.2745, 120.161) is None
    # Another process saved the grid: no signal here, but the revision in the database moved on.
    Area.objects.filter(pk=street.grid_a1.pk).update(
        boundary=square(120.160, 30.270, 0.005), revision=street.grid_a1.revision + 1
    )
    assert spatial.locate_code(30.2745, 120.161) == street.grid_a1.code


def test_within_the_ttl_the_cached_index_is_used_without_a_query(street, settings, django_assert_num_queries):
    settings.GRID_INDEX_TTL = 3600
    spatial.locate_code(30.271, 120.161)
    with django_assert_num_queries(0):
        assert spatial.locate_code(30.271, 120.163) == street.grid_a2.code


def test_locate_point_converts_gcj02_input_first(street):
    lat, lon = wgs84_to_gcj02(30.2719, 120.1639)  # in A2 near its east edge; GCJ-02 shifts it ~500 m east
    assert spatial.locate_point(30.2719, 120.1639) == street.grid_a2
    assert spatial.locate_code(lat, lon) != street.grid_a2.code
    assert spatial.locate_point(lat, lon, crs="gcj02") == street.grid_a2


@pytest.mark.parametrize(
    ("lat", "lon", "crs", "field"),
    [("north", 120.16, "wgs84", "lat"), (91, 120.16, "wgs84", "lat"), (30.27, "nan", "wgs84", "lon"),
     (30.27, 181, "wgs84", "lon"), (30.27, 120.16, "bd09", "crs")],
)  # fmt: skip
def test_locate_point_names_the_bad_field(street, lat, lon, crs, field):
    with pytest.raises(InvalidInput) as caught:
        spatial.locate_point(lat, lon, crs)
    assert caught.value.field == field


def test_locate_point_outside_every_grid_is_not_found(street):
    with pytest.raises(NotFound) as caught:
        spatial.locate_point(31.0, 121.0)
    assert caught.value.field == "lat,lon"


def test_large_batches_sorted_by_place_give_the_same_answers_as_single_lookups():
    index = GridIndex((f"G{i:02d}{j:02d}", box(i, j, i + 1, j + 1)) for i in range(20) for j in range(20))
    rng = np.random.default_rng(3)
    lats, lons = rng.uniform(-1, 21, 6000), rng.uniform(-1, 21, 6000)
    lats[:3], lons[:3] = [np.nan, 5.0, 1e9], [5.0, np.inf, -1e9]  # junk never matches
    many = index.locate_many(lats, lons)
    assert many[:3] == [None, None, None]
    assert many == [index.locate(a, o) for a, o in zip(lats, lons, strict=True)]
