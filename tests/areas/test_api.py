"""/api/areas/: scoped reads, GeoJSON, point → grid, building import/export; errors name the field."""

from __future__ import annotations

import pytest

from tests.areas.sheets import new_row, read_xlsx, xlsx
from zhizhi.areas.coords import wgs84_to_gcj02
from zhizhi.areas.excel import XLSX_CONTENT_TYPE
from zhizhi.areas.models import Building

API = "/api/areas"


@pytest.fixture
def as_user(client, personas):
    def login(who: str):
        client.force_login(personas[who])
        return client

    return login


def codes(tree: list[dict]) -> list[str]:
    out = []
    for node in tree:
        out.append(node["code"])
        out.extend(codes(node["children"]))
    return out


def test_anonymous_callers_are_told_to_log_in(client, street):
    response = client.get(f"{API}/tree")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_tree_is_rooted_at_the_callers_area(as_user, street):
    tree = as_user("chen").get(f"{API}/tree").json()
    assert [n["code"] for n in tree] == [street.community_a.code]
    assert [c["code"] for c in tree[0]["children"]] == [street.grid_a1.code, street.grid_a2.code]


def test_tree_of_an_administrator_holds_everything(as_user, street):
    tree = as_user("admin").get(f"{API}/tree").json()
    assert [n["code"] for n in tree] == ["3301"]
    assert street.grid_b1.code in codes(tree) and street.street.code in codes(tree)


def test_grids_are_a_geojson_feature_collection_of_the_callers_area(as_user, street):
    body = as_user("li").get(f"{API}/grids").json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == [
        street.grid_a1.code, street.grid_a2.code, street.grid_b1.code,
    ]  # fmt: skip
    first = body["features"][0]
    assert first["geometry"]["type"] == "Polygon"
    assert (
        first["properties"]["name"] == "竹竿巷1网格" and first["properties"]["community_name"] == "竹竿巷社区"
    )
    outsider = as_user("outsider").get(f"{API}/grids").json()
    assert [f["id"] for f in outsider["features"]] == [street.grid_b1.code]


def test_grids_can_be_limited_to_one_community(as_user, street):
    body = as_user("li").get(f"{API}/grids", {"community": street.community_b.code}).json()
    assert [f["id"] for f in body["features"]] == [street.grid_b1.code]


def test_buildings_geojson_holds_points_of_the_callers_area_only(as_user, street):
    body = as_user("xiaowang").get(f"{API}/buildings/geojson").json()
    assert len(body["features"]) == 1
    feature = body["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [120.161, 30.271]}
    assert feature["properties"]["grid_code"] == street.grid_a1.code


def test_locate_answers_the_grid_of_a_point(as_user, street):
    body = as_user("zhang").get(f"{API}/locate", {"lat": 30.271, "lon": 120.163}).json()
    assert body["code"] == street.grid_a2.code and body["name"] == "竹竿巷2网格"
    assert body["community_code"] == street.community_a.code


def test_locate_converts_gcj02_and_answers_the_wgs84_point(as_user, street):
    glat, glon = wgs84_to_gcj02(30.271, 120.163)
    body = as_user("zhang").get(f"{API}/locate", {"lat": glat, "lon": glon, "crs": "gcj02"}).json()
    assert body["code"] == street.grid_a2.code
    assert body["lat"] == pytest.approx(30.271, abs=1e-8) and body["lon"] == pytest.approx(120.163, abs=1e-8)


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"lat": 95, "lon": 120.16}, 400, "lat"),
        ({"lat": "north", "lon": 120.16}, 400, "lat"),
        ({"lon": 120.16}, 400, "lat"),
        ({"lat": 30.27, "lon": 120.16, "crs": "bd09"}, 400, "crs"),
        ({"lat": 31.0, "lon": 121.0}, 404, "lat,lon"),
    ],
)
def test_locate_errors_name_the_field(as_user, street, params, status, field):
    response = as_user("zhang").get(f"{API}/locate", params)
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_building_list_is_scoped_paginated_and_searchable(as_user, street):
    client = as_user("chen")
    body = client.get(f"{API}/buildings").json()
    assert body["count"] == 2
    assert {b["grid_code"] for b in body["items"]} == {street.grid_a1.code, street.grid_a2.code}
    found = client.get(f"{API}/buildings", {"q": "竹竿巷2网格小区"}).json()
    assert [b["estate"] for b in found["items"]] == ["竹竿巷2网格小区"]
    by_address = client.get(f"{API}/buildings", {"q": "1幢1单元101"}).json()
    assert by_address["count"] == 2
    assert as_user("outsider").get(f"{API}/buildings", {"q": "竹竿巷"}).json()["count"] == 0


def test_building_detail_lists_units_dwellings_and_resident_counts(as_user, street):
    code = street.dwelling_a1.unit.building.code
    body = as_user("chen").get(f"{API}/buildings/{code}").json()
    assert body["code"] == code and body["dwelling_count"] == 1
    dwelling = body["units"][0]["dwellings"][0]
    assert dwelling["address"] == street.dwelling_a1.address
    assert dwelling["resident_count"] == 1  # 张阿姨


def test_building_outside_the_callers_area_is_not_found(as_user, street):
    code = street.dwelling_a1.unit.building.code
    response = as_user("outsider").get(f"{API}/buildings/{code}")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "code"


def test_import_through_the_api_reports_every_bad_row(as_user, street):
    sheet = xlsx([new_row(street), new_row(street, 楼号="7", 经度=200)])
    response = as_user("chen").post(f"{API}/buildings/import", {"file": sheet})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    assert error["errors"] == [{"row": 3, "column": "经度", "reason": error["errors"][0]["reason"]}]
    assert not Building.objects.filter(estate__name="新建小区").exists()


def test_import_through_the_api_answers_the_counts(as_user, street):
    response = as_user("chen").post(f"{API}/buildings/import", {"file": xlsx([new_row(street)])})
    assert response.status_code == 200
    assert response.json() == {"rows": 1, "created": 1, "updated": 0, "unchanged": 0, "estates_created": 1}


def test_import_is_forbidden_to_a_grid_worker(as_user, street):
    response = as_user("xiaowang").post(f"{API}/buildings/import", {"file": xlsx([new_row(street)])})
    assert response.status_code == 403


def test_import_without_a_file_names_the_field(as_user, street):
    response = as_user("chen").post(f"{API}/buildings/import", {})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "file"


def test_export_through_the_api_is_an_xlsx_of_the_callers_area(as_user, street):
    response = as_user("outsider").get(f"{API}/buildings/export")
    assert response.status_code == 200 and response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    rows = read_xlsx(response.content)
    assert [r["网格编码"] for r in rows] == [street.grid_b1.code]


def test_the_openapi_schema_documents_the_areas_endpoints(as_user, street):
    schema = as_user("chen").get("/api/openapi.json").json()
    for path in ("/tree", "/grids", "/locate", "/buildings", "/buildings/{code}", "/buildings/import"):
        assert f"{API}{path}" in schema["paths"]
