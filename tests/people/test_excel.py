"""Excel import and export: every row checked first, nothing written on any error, dedup by ID number,
scope and masking on export, and exports that import again unchanged."""

import datetime as dt

import pytest

from tests.people.helpers import id_number, read_xlsx, xlsx
from zhizhi.core.errors import InvalidInput, RowErrors
from zhizhi.core.models import AuditAction, AuditEntry
from zhizhi.people import excel
from zhizhi.people.models import Household, Residence, Resident

HEADERS = [excel.NAME, excel.ID_NUMBER, excel.PHONE, excel.TAGS, excel.HOME, excel.RELATION, excel.HOUSEHOLD,
           excel.TO_HEAD]  # fmt: skip


def test_imports_residents_with_tags_dwelling_relation_and_a_new_household(personas, street):
    head, child = id_number(sex="M"), id_number(dt.date(2010, 1, 2), "F")
    content = xlsx(HEADERS, [
        ["赵大海", head, "13911112222", "党员、志愿者", street.dwelling_a1.code, "业主", "A1-NEW", "户主"],
        ["赵小雨", child, "", "", street.dwelling_a1.code, "家庭成员", "A1-NEW", "女"],
    ])  # fmt: skip
    result = excel.import_residents(personas["chen"], content, filename="people.xlsx")
    assert (result.created, result.updated, result.households_created) == (2, 0, 1)
    dad = Resident.objects.get(name="赵大海")
    assert dad.area_code == street.grid_a1.code
    assert dad.phone == "13911112222" and dad.phone_masked == "139****2222"
    assert sorted(dad.tags.values_list("name", flat=True)) == ["党员", "志愿者"]
    assert Residence.objects.get(resident=dad).relation == Residence.Relation.OWNER
    household = Household.objects.get(number="A1-NEW")
    assert household.head == dad and household.dwelling == street.dwelling_a1
    daughter = Resident.objects.get(name="赵小雨")
    assert (daughter.household, daughter.relation_to_head, daughter.sex) == (household, "女", "F")
    entries = AuditEntry.objects.filter(action=AuditAction.IMPORT)
    assert entries.count() == 1 and "2 created" in entries.get().summary


def test_reports_every_bad_row_with_row_column_and_reason_and_writes_nothing(personas, street, residents):
    dup = id_number()
    content = xlsx(HEADERS, [
        ["好人", id_number(), "13911112222", "", street.dwelling_a1.code, "", "", ""],
        ["", "110105194912310021", "12345", "火星人", "999", "朋友", "", ""],
        ["重复一", dup, "", "", "", "", "", ""],
        ["重复二", dup, "", "", "", "", "", ""],
        ["外社区", id_number(), "", "", street.dwelling_b1.code, "", "", ""],
        ["新户无址", id_number(), "", "", "", "", "NEW-1", ""],
    ])  # fmt: skip
    before = (Resident.objects.count(), Household.objects.count(), AuditEntry.objects.count())
    with pytest.raises(RowErrors) as exc:
        excel.import_residents(personas["chen"], content)
    found = {(e["row"], e["column"]) for e in exc.value.errors}
    assert found == {
        (3, excel.NAME), (3, excel.ID_NUMBER), (3, excel.PHONE), (3, excel.TAGS), (3, excel.HOME),
        (3, excel.RELATION), (5, excel.ID_NUMBER), (6, excel.HOME), (7, excel.HOUSEHOLD),
    }  # fmt: skip
    reasons = {(e["row"], e["column"]): e["reason"] for e in exc.value.errors}
    assert "checksum digit should be X" in reasons[(3, excel.ID_NUMBER)]
    assert reasons[(3, excel.TAGS)] == "unknown tag(s): 火星人"
    assert reasons[(5, excel.ID_NUMBER)] == "the same ID number is already in row 4"
    assert (Resident.objects.count(), Household.objects.count(), AuditEntry.objects.count()) == before
    assert not Resident.objects.filter(name="好人").exists()


def test_a_bad_last_row_alone_stops_the_whole_import(personas, street):
    rows = [[f"居民{n}", id_number(), "", "", street.dwelling_a1.code, "", "", ""] for n in range(30)]
    good = id_number()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    rows.append(["最后一行", wrong, "", "", street.dwelling_a1.code, "", "", ""])
    with pytest.raises(RowErrors) as exc:
        excel.import_residents(personas["chen"], xlsx(HEADERS, rows))
    assert [(e["row"], e["column"]) for e in exc.value.errors] == [(32, excel.ID_NUMBER)]
    assert not Resident.objects.filter(name__startswith="居民").exists()


def test_an_id_number_already_registered_updates_that_person_never_a_second_record(
    personas, residents, street
):
    wang = residents["a1"]
    row = ["王建国", wang.id_number, "13500009999", "党员", street.dwelling_a1.code, "租户", "", ""]
    content = xlsx(HEADERS, [row])
    result = excel.import_residents(personas["xiaowang"], content)
    assert (result.created, result.updated) == (0, 1)
    assert Resident.objects.filter(name="王建国").count() == 1
    wang = Resident.objects.get(pk=wang.pk)
    assert wang.phone == "13500009999" and list(wang.tags.values_list("name", flat=True)) == ["党员"]
    assert Residence.objects.get(resident=wang, is_primary=True).relation == Residence.Relation.TENANT


def test_moves_an_existing_person_to_a_new_dwelling_inside_scope(personas, residents, street):
    wang = residents["a1"]
    excel.import_residents(
        personas["chen"],
        xlsx(
            [excel.NAME, excel.ID_NUMBER, excel.HOME], [["王建国", wang.id_number, street.dwelling_a2.code]]
        ),
    )
    wang = Resident.objects.get(pk=wang.pk)
    assert (wang.home, wang.area_code) == (street.dwelling_a2, street.grid_a2.code)
    assert wang.phone == "13900001111"  # no phone column: kept
    assert Residence.objects.filter(resident=wang, is_primary=True).get().dwelling == street.dwelling_a2


def test_a_person_registered_in_another_area_is_not_updated(personas, residents):
    content = xlsx([excel.NAME, excel.ID_NUMBER], [["李秀英", residents["b1"].id_number]])
    with pytest.raises(RowErrors) as exc:
        excel.import_residents(personas["chen"], content)
    assert exc.value.errors[0]["column"] == excel.ID_NUMBER
    assert "outside your area" in exc.value.errors[0]["reason"]


def test_an_id_number_typed_as_a_number_is_reported(personas):
    content = xlsx([excel.NAME, excel.ID_NUMBER], [["数字", 330105198006150011]])
    with pytest.raises(RowErrors) as exc:
        excel.import_residents(personas["chen"], content)
    assert "as text" in exc.value.errors[0]["reason"]


def test_missing_columns_and_non_workbooks_are_clear_errors(personas):
    with pytest.raises(RowErrors) as exc:
        excel.import_residents(personas["chen"], xlsx([excel.NAME, "电话"], [["某人", "1"]]))
    assert exc.value.errors == [{"row": 1, "column": excel.ID_NUMBER, "reason": "missing column"}]
    with pytest.raises(InvalidInput) as bad:
        excel.import_residents(personas["chen"], b"name,id\n")
    assert bad.value.field == "file"
    with pytest.raises(InvalidInput) as empty:
        excel.import_residents(personas["chen"], xlsx([excel.NAME, excel.ID_NUMBER], []))
    assert empty.value.field == "file"


def test_imports_households_and_links_the_head(personas, residents, street, households):
    content = xlsx(list(excel.HOUSEHOLD_COLUMNS), [
        ["A1-002", "集体户", street.dwelling_a1.code, residents["a1"].id_number],
        ["A2-001", "家庭户", street.dwelling_a2.code, ""],
    ])  # fmt: skip
    result = excel.import_households(personas["chen"], content)
    assert (result.created, result.updated) == (1, 1)
    new = Household.objects.get(number="A1-002")
    assert (new.kind, new.head, new.area_code) == (
        Household.Kind.COLLECTIVE,
        residents["a1"],
        street.grid_a1.code,
    )
    assert Resident.objects.get(pk=residents["a1"].pk).household == new
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT, object_type="people.household").count() == 1


def test_household_import_checks_every_row(personas, residents, street, households):
    content = xlsx(list(excel.HOUSEHOLD_COLUMNS), [
        ["", "别墅户", "", residents["b1"].id_number],
        ["B1-001", "家庭户", street.dwelling_a1.code, ""],
        ["A1-009", "", street.dwelling_a1.code, ""],
        ["A1-009", "", street.dwelling_a1.code, ""],
    ])  # fmt: skip
    with pytest.raises(RowErrors) as exc:
        excel.import_households(personas["chen"], content)
    assert {(e["row"], e["column"]) for e in exc.value.errors} == {
        (2, excel.HOUSEHOLD), (2, excel.KIND), (2, excel.HOME), (2, excel.HEAD_ID), (3, excel.HOUSEHOLD),
        (5, excel.HOUSEHOLD),
    }  # fmt: skip
    assert not Household.objects.filter(number="A1-009").exists()


def test_export_masks_what_the_role_may_not_see_and_stays_in_scope(personas, residents):
    rows = read_xlsx(excel.export_residents(personas["li"], {}).content)
    assert rows[0] == list(excel.RESIDENT_EXPORT_COLUMNS)
    assert {r[0] for r in rows[1:]} == {"张阿姨", "王建国", "刘小红", "李秀英"}
    assert all("*" in r[1] and "*" in r[2] for r in rows[1:])
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=personas["li"]).count() == 1

    grid = read_xlsx(excel.export_residents(personas["xiaowang"], {}).content)
    by_name = {r[0]: r for r in grid[1:]}
    assert set(by_name) == {"张阿姨", "王建国"}
    assert by_name["王建国"][1] == residents["a1"].id_number_masked  # grid workers may not see ID numbers
    assert by_name["王建国"][2] == "13900001111"  # but may see phones
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL, actor=personas["xiaowang"]).count() == 1


def test_export_filters_like_the_list(personas, residents):
    rows = read_xlsx(excel.export_residents(personas["chen"], {"tags": ["低保"]}).content)
    assert [r[0] for r in rows[1:]] == ["刘小红"]


def test_export_of_whole_values_is_audited_as_reveal_and_export(personas, residents):
    excel.export_residents(personas["chen"], {})
    actions = set(AuditEntry.objects.filter(actor=personas["chen"]).values_list("action", flat=True))
    assert actions == {AuditAction.REVEAL, AuditAction.EXPORT}


def test_resident_export_imports_again_unchanged(personas, residents, households, street):
    chen = personas["chen"]
    row = [
        "周全",
        id_number(),
        "057187654321",
        "党员,志愿者",
        street.dwelling_a2.code,
        "租户",
        "A2-001",
        "之子",
    ]
    excel.import_residents(chen, xlsx(HEADERS, [row]))
    first = excel.export_residents(chen, {}).content
    before = {r.pk: (r.name, r.id_number_hash, r.phone_hash, r.home_id, r.household_id, r.relation_to_head)
              for r in Resident.objects.all()}  # fmt: skip
    result = excel.import_residents(chen, first)
    assert (result.created, result.updated) == (0, 4)
    after = {r.pk: (r.name, r.id_number_hash, r.phone_hash, r.home_id, r.household_id, r.relation_to_head)
             for r in Resident.objects.all()}  # fmt: skip
    assert after == before
    assert read_xlsx(excel.export_residents(chen, {}).content)[1:] == read_xlsx(first)[1:]


def test_household_export_imports_again_unchanged(personas, households):
    chen = personas["chen"]
    first = excel.export_households(chen, {}).content
    rows = read_xlsx(first)
    assert rows[0] == list(excel.HOUSEHOLD_EXPORT_COLUMNS)
    assert {r[0] for r in rows[1:]} == {"A1-001", "A2-001"}
    result = excel.import_households(chen, first)
    assert (result.created, result.updated) == (0, 2)
    assert read_xlsx(excel.export_households(chen, {}).content) == rows


def test_household_export_masks_the_head_id_for_roles_that_may_not_see_it(personas, households, residents):
    rows = read_xlsx(excel.export_households(personas["qian"], {}).content)
    assert {r[3] for r in rows[1:]} == {residents[k].id_number_masked for k in ("self", "a2", "b1")}
