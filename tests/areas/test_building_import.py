"""Building import/export through Excel: every row checked first, nothing written on errors, round trip."""

from __future__ import annotations

import pytest

from tests.areas.sheets import HEADERS, new_row, read_xlsx, xlsx
from zhizhi.areas import services
from zhizhi.areas.coords import wgs84_to_gcj02
from zhizhi.areas.models import Building, Dwelling, Estate
from zhizhi.areas.signals import buildings_moved
from zhizhi.core.errors import Forbidden, InvalidInput, RowErrors
from zhizhi.core.models import AuditAction, AuditEntry


def counts() -> tuple[int, int]:
    return Building.objects.count(), Estate.objects.count()


def import_errors(actor, rows, headers=None) -> list[dict]:
    with pytest.raises(RowErrors) as caught:
        services.import_buildings(actor, xlsx(rows, headers))
    return caught.value.errors


def test_import_creates_buildings_and_missing_estates(street, personas):
    rows = [
        new_row(street),
        new_row(street, 楼号="6幢", 纬度=30.2706),
        new_row(street, 小区="另一小区", 楼号="1"),
    ]
    result = services.import_buildings(personas["chen"], xlsx(rows))
    assert result.as_dict() == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0, "estates_created": 2}
    estate = Estate.objects.get(name="新建小区")
    assert estate.community == street.community_a and estate.code.startswith(street.community_a.code)
    five, six = Building.objects.filter(estate=estate).order_by("number")
    assert (five.number, six.number) == ("5", "6")  # "6幢" is read as number 6
    assert five.code == estate.code + "001" and six.code == estate.code + "002"
    assert (five.area_code, five.floors, five.built_year, five.lat) == (
        street.grid_a1.code,
        18,
        2008,
        30.2705,
    )


def test_import_writes_one_audit_row(street, personas):
    services.import_buildings(personas["chen"], xlsx([new_row(street)]))
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert entry.actor == personas["chen"] and entry.object_type == "areas.building"
    assert len(entry.changes["created"]) == 1 and "1 created" in entry.summary


def test_bad_rows_are_all_reported_with_excel_row_numbers_and_nothing_is_written(street, personas):
    before = counts()
    rows = [
        new_row(street),  # row 2: fine
        new_row(street, 楼号="7", 纬度="north"),  # row 3
        new_row(street, 楼号="8", 网格编码=street.grid_b1.code),  # row 4: grid of another community
        new_row(
            street, 楼号="9", 社区编码="330105013009", 网格编码="33010501300901"
        ),  # row 5: no such community
        new_row(street, 楼号="10", 层数=0, 建成年份=1700),  # row 6: two bad cells
        new_row(street, 楼号="11", 坐标系="BD09"),  # row 7
    ]
    errors = import_errors(personas["chen"], rows)
    got = {(e["row"], e["column"]) for e in errors}
    assert got == {
        (3, "纬度"), (4, "网格编码"), (5, "社区编码"), (5, "网格编码"),
        (6, "层数"), (6, "建成年份"), (7, "坐标系"),
    }  # fmt: skip
    assert all(e["reason"] for e in errors)
    assert counts() == before
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()


def test_blank_rows_are_skipped_and_row_numbers_stay_as_excel_shows_them(street, personas):
    errors = import_errors(personas["chen"], [new_row(street), {}, new_row(street, 楼号="")])
    assert errors == [{"row": 4, "column": "楼号", "reason": errors[0]["reason"]}]


def test_missing_required_columns_are_reported_on_the_header_row(street, personas):
    headers = [h for h in HEADERS if h not in ("纬度", "网格编码")]
    errors = import_errors(personas["chen"], [new_row(street)], headers)
    assert {(e["row"], e["column"]) for e in errors} == {(1, "纬度"), (1, "网格编码")}


def test_headers_may_carry_hints_and_required_marks(street, personas):
    headers = ["社区编码*", "小区", "楼号", "网格编码", "纬度（WGS84）", "经度(WGS84)"]
    values = new_row(street)
    sheet_row = dict(
        zip(
            headers,
            [values[h] for h in ("社区编码", "小区", "楼号", "网格编码", "纬度", "经度")],
            strict=True,
        )
    )
    services.import_buildings(personas["chen"], xlsx([sheet_row], headers))
    assert Building.objects.filter(estate__name="新建小区").count() == 1


def test_a_point_outside_its_grid_is_reported_with_the_grid_it_lies_in(street, personas):
    errors = import_errors(personas["chen"], [new_row(street, 经度=120.163)])  # inside A2, not A1
    assert errors[0]["row"] == 2 and errors[0]["column"] == "网格编码"
    assert street.grid_a2.code in errors[0]["reason"]


def test_gcj02_coordinates_are_stored_as_wgs84(street, personas):
    glat, glon = wgs84_to_gcj02(30.2705, 120.1605)
    services.import_buildings(
        personas["chen"], xlsx([new_row(street, 纬度=glat, 经度=glon, 坐标系="GCJ-02")])
    )
    building = Building.objects.get(estate__name="新建小区")
    assert building.lat == pytest.approx(30.2705, abs=1e-7) and building.lon == pytest.approx(
        120.1605, abs=1e-7
    )


def test_the_same_building_twice_in_one_file_is_an_error(street, personas):
    errors = import_errors(personas["chen"], [new_row(street), new_row(street, 楼号="5幢")])
    assert errors[0]["row"] == 3 and errors[0]["column"] == "楼号"


def test_rows_outside_the_actors_area_are_refused(street, personas):
    rows = [new_row(street)]  # community A
    errors = import_errors(personas["outsider"], rows)  # staff of community B
    assert errors[0]["column"] == "网格编码"
    assert counts()[0] == 3


@pytest.mark.parametrize("who", ["zhang", "xiaowang", "li"])
def test_roles_that_do_not_keep_the_address_registry_may_not_import(street, personas, who):
    with pytest.raises(Forbidden):
        services.import_buildings(personas[who], xlsx([new_row(street)]))


def test_a_file_that_is_not_a_workbook_is_refused_naming_the_file(street, personas):
    import io

    with pytest.raises(InvalidInput) as caught:
        services.import_buildings(personas["chen"], io.BytesIO(b"name,code\n"))
    assert caught.value.field == "file"


def test_an_unknown_building_code_is_an_error(street, personas):
    errors = import_errors(personas["chen"], [new_row(street, 楼栋编码="330105013001999001")])
    assert errors[0]["column"] == "楼栋编码"


def test_export_then_import_changes_nothing(street, personas):
    services.import_buildings(personas["chen"], xlsx([new_row(street, 小区地址="竹竿巷8号")]))
    exported = services.export_buildings(personas["chen"])
    before = list(Building.objects.order_by("code").values())
    result = services.import_buildings(personas["chen"], xlsx(read_xlsx(exported)))
    assert result.as_dict()["unchanged"] == result.rows == 3  # community A: two from the street + one new
    assert result.as_dict()["created"] == result.as_dict()["updated"] == 0
    assert list(Building.objects.order_by("code").values()) == before
    assert services.export_buildings(personas["chen"]) != b"" and read_xlsx(exported)[0]["楼栋编码"]


def test_export_holds_the_import_columns_with_codes_as_text(street, personas):
    rows = read_xlsx(services.export_buildings(personas["chen"]))
    assert list(rows[0]) == HEADERS
    assert [r["楼栋编码"] for r in rows] == sorted(
        Building.objects.filter(area_code__startswith=street.community_a.code).values_list("code", flat=True)
    )
    assert all(isinstance(r["网格编码"], str) and r["坐标系"] == "WGS84" for r in rows)
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=personas["chen"]).exists()


def test_an_edited_export_updates_buildings_and_their_dwellings(street, personas):
    received = []

    def receiver(sender, moves, **kwargs):
        received.extend(moves)

    buildings_moved.connect(receiver)
    try:
        rows = read_xlsx(services.export_buildings(personas["chen"]))
        first = next(r for r in rows if r["网格编码"] == street.grid_a1.code)
        first.update({"楼号": "12", "网格编码": street.grid_a2.code, "经度": 120.1625, "层数": 7})
        result = services.import_buildings(personas["chen"], xlsx(rows))
    finally:
        buildings_moved.disconnect(receiver)
    assert (len(result.updated), result.unchanged) == (1, 1)
    building = Building.objects.get(code=first["楼栋编码"])
    assert (building.number, building.area_code, building.floors) == ("12", street.grid_a2.code, 7)
    dwelling = Dwelling.objects.get(unit__building=building)
    assert dwelling.area_code == street.grid_a2.code and "12幢" in dwelling.address
    assert received == [(building.code, street.grid_a1.code, street.grid_a2.code)]


def test_export_is_limited_to_the_actors_area(street, personas):
    assert len(read_xlsx(services.export_buildings(personas["outsider"]))) == 1
    assert len(read_xlsx(services.export_buildings(personas["admin"]))) == 3
