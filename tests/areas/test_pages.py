"""Pages: building list (search, filters, pages, query budget), building detail, map, import, admin scope."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.areas.sheets import new_row, read_xlsx, xlsx
from tests.conftest import require_or_skip
from zhizhi.areas import services
from zhizhi.areas.models import Building


@pytest.fixture
def as_user(client, personas):
    def login(who: str):
        client.force_login(personas[who])
        return client

    return login


def add_buildings(street, n: int) -> None:
    estate = services.create_estate(street.community_a, "大楼盘")
    for i in range(n):
        services.create_building(estate, str(i + 1), street.grid_a1, lat=30.2705, lon=120.1605)


def test_building_list_needs_a_login(client, street):
    response = client.get(reverse("areas:building_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_building_list_shows_the_buildings_of_the_users_area(as_user, street):
    response = as_user("chen").get(reverse("areas:building_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "竹竿巷1网格小区" in page and "竹竿巷2网格小区" in page and "龙游1网格小区" not in page


def test_building_list_searches_by_estate_and_by_address_and_filters_by_grid(as_user, street):
    client = as_user("li")
    assert [
        b.estate.name for b in client.get(reverse("areas:building_list"), {"q": "龙游"}).context["page"]
    ] == ["龙游1网格小区"]
    by_address = client.get(reverse("areas:building_list"), {"q": "竹竿巷社区竹竿巷2网格小区1幢"}).context[
        "page"
    ]
    assert [b.area_code for b in by_address] == [street.grid_a2.code]
    by_grid = client.get(reverse("areas:building_list"), {"grid": street.grid_a1.code}).context["page"]
    assert [b.area_code for b in by_grid] == [street.grid_a1.code]
    by_community = client.get(reverse("areas:building_list"), {"community": street.community_b.code})
    assert by_community.context["page"].paginator.count == 1


def test_building_list_pages_by_fifty(as_user, street):
    add_buildings(street, 55)
    client = as_user("chen")
    first = client.get(reverse("areas:building_list")).context["page"]
    assert len(first) == 50 and first.paginator.count == 57
    second = client.get(reverse("areas:building_list"), {"page": 2}).context["page"]
    assert len(second) == 7


def test_building_list_runs_a_fixed_number_of_queries_however_many_rows(
    as_user, street, django_assert_max_num_queries
):
    client = as_user("chen")
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("areas:building_list"))
    add_buildings(street, 60)
    with django_assert_max_num_queries(10) as many:
        response = client.get(reverse("areas:building_list"), {"q": "楼盘"})
    assert len(response.context["page"]) == 50
    assert len(many.captured_queries) == len(few.captured_queries)


def test_building_detail_shows_dwellings_with_addresses_and_resident_counts(
    as_user, street, django_assert_max_num_queries
):
    building = street.dwelling_a1.unit.building
    client = as_user("chen")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("areas:building_detail", args=[building.code]))
    page = response.content.decode()
    assert street.dwelling_a1.address in page
    assert '<td data-testid="resident-count">1</td>' in page


def test_building_detail_outside_the_users_area_is_not_found(as_user, street):
    building = street.dwelling_a1.unit.building
    assert as_user("outsider").get(reverse("areas:building_detail", args=[building.code])).status_code == 404


def test_map_page_loads_leaflet_locally_and_no_tile_server_by_default(as_user, street, settings):
    settings.MAP_TILE_URL = ""
    page = as_user("chen").get(reverse("areas:map")).content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in page and "/static/vendor/leaflet/leaflet.css" in page
    assert 'id="map"' in page and "/api/areas/grids" in page and "/api/areas/buildings/geojson" in page
    assert "data-tile-url" not in page and "tile.openstreetmap" not in page


def test_map_page_adds_a_tile_layer_only_when_one_is_configured(as_user, street, settings):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    page = as_user("chen").get(reverse("areas:map")).content.decode()
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in page


def test_map_script_and_leaflet_are_found_by_the_static_files_finders(settings):
    assert finders.find("areas/map.js")
    require_or_skip(
        any(prefix == "vendor/leaflet" for prefix, _path in settings.STATICFILES_DIRS),
        "node_modules/leaflet is not installed (npm ci)",
    )
    assert finders.find("vendor/leaflet/leaflet.js") and finders.find("vendor/leaflet/leaflet.css")


def test_import_page_lists_every_bad_row_and_writes_nothing(as_user, street):
    sheet = xlsx([new_row(street, 楼号=""), new_row(street, 楼号="8", 纬度=95)])
    response = as_user("chen").post(reverse("areas:building_import"), {"file": sheet})
    assert response.status_code == 200
    assert [(e["row"], e["column"]) for e in response.context["row_errors"]] == [(2, "楼号"), (3, "纬度")]
    assert 'data-testid="import-errors"' in response.content.decode()
    assert not Building.objects.filter(estate__name="新建小区").exists()


def test_import_page_reports_success(as_user, street):
    client = as_user("chen")
    response = client.post(
        reverse("areas:building_import"), {"file": xlsx([new_row(street)])}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Import finished: 1 created, 0 updated, 0 unchanged." in response.content.decode()
    assert Building.objects.filter(estate__name="新建小区").count() == 1


def test_import_page_without_a_file_asks_for_one(as_user, street):
    response = as_user("chen").post(reverse("areas:building_import"), {})
    assert response.context["error"]


def test_import_page_is_forbidden_to_roles_that_may_not_edit(as_user, street):
    assert as_user("xiaowang").get(reverse("areas:building_import")).status_code == 403


def test_export_page_downloads_the_filtered_buildings(as_user, street):
    response = as_user("li").get(reverse("areas:building_export"), {"grid": street.grid_b1.code})
    assert response.status_code == 200
    assert [r["网格编码"] for r in read_xlsx(response.content)] == [street.grid_b1.code]


def test_admin_shows_community_staff_only_their_buildings_and_areas(as_user, street):
    client = as_user("chen")
    buildings = client.get(reverse("admin:areas_building_changelist")).context["cl"].queryset
    assert {b.area_code for b in buildings} == {street.grid_a1.code, street.grid_a2.code}
    areas = client.get(reverse("admin:areas_area_changelist")).context["cl"].queryset
    assert {a.code for a in areas} == {street.community_a.code, street.grid_a1.code, street.grid_a2.code}
    estates = client.get(reverse("admin:areas_estate_changelist")).context["cl"].queryset
    assert all(e.community_id == street.community_a.pk for e in estates)
    dwellings = client.get(reverse("admin:areas_dwelling_changelist")).context["cl"].queryset
    assert {d.code for d in dwellings} == {street.dwelling_a1.code, street.dwelling_a2.code}
