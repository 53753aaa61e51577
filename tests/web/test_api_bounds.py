"""Numbers and uploads the database cannot take are refused by validation with a 400 that names the parameter —
found by a schema-driven fuzz of every API operation, where each of these was a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from zhizhi.core.params import BIGINT_MAX, LAST_PAGE

HUGE = str(10**23)


@pytest.fixture
def admin(personas):
    c = Client()
    c.force_login(personas["admin"])
    return c


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/cases/{HUGE}", "case_id"),
        (f"/api/people/residents/{HUGE}", "resident_id"),
        (f"/api/sensors/alarms/{HUGE}", "alarm_id"),
        (f"/api/welfare/casefiles/{HUGE}", "casefile_id"),
        (f"/api/cases/?unit={HUGE}", "unit"),
        (f"/api/cases/?offset={HUGE}", "offset"),
        (f"/api/cases/worklist/1?offset={HUGE}", "offset"),
        (f"/api/areas/buildings?page={HUGE}", "page"),
        (f"/api/areas/buildings?page={LAST_PAGE + 1}", "page"),
        (f"/api/people/households?page={HUGE}", "page"),
        (f"/api/welfare/casefiles?page={HUGE}", "page"),
        ("/api/cases/0", "case_id"),
    ],
)
def test_a_number_out_of_range_is_a_400_naming_it(admin, path, field):
    r = admin.get(path)
    assert r.status_code == 400, r.content
    assert r.json()["error"]["field"] == field


def test_the_largest_id_is_just_not_found(admin):
    assert admin.get(f"/api/cases/{BIGINT_MAX}").status_code == 404


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        ("/api/cases/1/escalate", {"reason": "x", "unit": 10**23}, "unit"),
        ("/api/cases/1/merge", {"into": 10**23}, "into"),
        ("/api/cases/1/submit", {"note": "x", "attachment_ids": [10**23]}, "attachment_ids.0"),
        ("/api/welfare/casefiles/open", {"area_code": "3" * 5000}, "area_code"),
    ],
)
def test_a_body_number_or_code_out_of_range_is_a_400_naming_it(admin, path, data, field):
    r = admin.post(path, data, content_type="application/json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["field"] == field


@pytest.mark.parametrize(
    "path",
    ["/api/cases/1/attachments", "/api/people/import/residents", "/api/areas/buildings/import"],
)
def test_an_upload_that_is_not_multipart_is_a_400(admin, path):
    r = admin.post(path, "garbage", content_type="multipart/form-data")  # no boundary
    assert r.status_code == 400, r.content
    assert r.json()["error"]["field"] == "file"


def test_a_nul_character_is_refused_naming_its_field(admin):
    # PostgreSQL text cannot hold U+0000: before, the insert failed after the work was done (a 500).
    r = admin.post(
        "/api/cases/",
        {"category": "暴露垃圾", "description": "门口\x00垃圾"},
        content_type="application/json",
    )
    assert r.status_code == 400, r.content
    assert r.json()["error"]["field"] == "description"
    r = admin.post(
        "/api/cases/1/submit", {"note": "x", "evidence": ["ok", "a\x00b"]}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "evidence.1"
    r = admin.get("/api/cases/?q=%00")
    assert r.status_code == 400 and r.json()["error"]["field"] == "q"


def test_nan_and_infinity_are_not_json_numbers(admin):
    raw = '{"category": "暴露垃圾", "description": "门口垃圾", "lat": NaN, "lon": Infinity}'
    r = admin.post("/api/cases/", raw, content_type="application/json")
    assert r.status_code == 400, r.content
    assert "NaN is not a JSON number" in r.json()["error"]["message"]


def test_a_body_that_does_not_parse_gets_the_api_s_error_shape(admin):
    r = admin.post("/api/cases/", "{not json", content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"] == {"code": "invalid", "message": "body: not valid JSON"}


@pytest.mark.parametrize("path", ["/cases/search/?q=%00", "/people/?q=a%00b", "/areas/buildings/?grid=%00"])
def test_a_page_asked_with_a_nul_character_is_a_400_naming_the_parameter(admin, path):
    # On PostgreSQL these searches failed inside the database (a 500).
    r = admin.get(path)
    assert r.status_code == 400
    page = r.content.decode()
    name = path.split("?")[1].split("=")[0]
    assert f"<strong>{name}</strong>" in page and "不能含有空字符（U+0000）" in page


def test_a_form_field_with_a_nul_character_is_refused_before_the_view(admin):
    r = admin.post("/api/cases/1/attachments", {"kind": "photo\x00"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "kind"


@pytest.mark.parametrize(
    "path",
    [
        "/areas/buildings/%00/",
        "/open311/v2/requests/%00.json",
        "/open311/v2/services/%00.json",
        "/open311/v2/tokens/a%00b.json",
        "/api/areas/buildings/%00",
    ],
)
def test_a_path_with_a_nul_character_names_nothing(admin, path):
    # Looked up as a building code or an Open311 id, it failed inside PostgreSQL (a 500).
    assert admin.get(path).status_code == 404
