"""The welfare API at /api/welfare/: shapes, status codes, scope, and the published OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.welfare.helpers import AS_OF
from zhizhi.core.models import AuditEntry
from zhizhi.welfare.models import CaseFile, Enrolment, PartnerAccount
from zhizhi.welfare.services import casefiles
from zhizhi.welfare.services import enrolment as enrol

pytestmark = pytest.mark.django_db
API = "/api/welfare"


def as_user(client, user):
    client.force_login(user)
    return client


def test_programmes_are_listed_for_staff_and_refused_to_residents(client, personas, programmes):
    response = as_user(client, personas["chen"]).get(f"{API}/programmes")
    assert response.status_code == 200
    assert [p["code"] for p in response.json()][:3] == ["dibao", "dibian", "tekun"]
    assert as_user(client, personas["zhang"]).get(f"{API}/programmes").status_code == 403


def test_a_bad_rule_is_a_400_with_line_column_and_caret(client, sun, programmes):
    response = as_user(client, sun).post(
        f"{API}/rules/check", {"source": "age >= 60 and\n  agee < 90"}, content_type="application/json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_rule" and error["field"] == "rule"
    # the message is in the request's language (zh-hans by default); the position does not depend on it
    assert error["position"] | {} == {
        "message": "未知的数据项“agee”；是不是要写“age”？",
        "line": 2,
        "column": 3,
        "start": 16,
        "end": 20,
        "excerpt": "  agee < 90",
        "caret": "  ^^^^",
    }
    english = as_user(client, sun).post(
        f"{API}/rules/check",
        {"source": "age >= 60 and\n  agee < 90"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    position = english.json()["error"]["position"]
    assert position["message"] == "unknown fact 'agee'; did you mean 'age'?"
    assert position | {"message": None} == error["position"] | {"message": None}


def test_a_formula_is_checked_as_a_number(client, sun, programmes):
    ok = as_user(client, sun).post(
        f"{API}/rules/check",
        {"source": "dibao_standard * 1.3", "kind": "formula"},
        content_type="application/json",
    )
    assert ok.json() == {"ok": True, "names": ["dibao_standard"]}


def test_preview_says_who_would_start_and_who_would_stop(
    client, sun, family, family_b, programmes, frozen_clock
):
    enrol.reevaluate_programme(programmes["aged"], AS_OF)  # 张阿姨 drafted (85)
    response = as_user(client, sun).post(
        f"{API}/programmes/aged/preview", {"rule": "age >= 71"}, content_type="application/json"
    )
    body = response.json()
    assert (body["qualify"], body["qualify_now"], body["live"]) == (2, 1, 1)
    assert [p["name"] for p in body["would_start"]] == ["王大伯"]
    assert body["would_start"][0]["explanation"] == ["✓ age >= 71  (age = 72)"]
    stop = as_user(client, sun).post(
        f"{API}/programmes/aged/preview", {"rule": "age >= 90"}, content_type="application/json"
    )
    assert [(p["name"], p["explanation"]) for p in stop.json()["would_stop"]] == [
        ("张阿姨", ["✗ age >= 90  (age = 85)"])
    ]


def test_saving_a_rule_needs_the_manage_right_and_is_audited(client, sun, personas, programmes):
    body = {"rule": "age >= 85"}
    assert (
        as_user(client, personas["chen"])
        .put(f"{API}/programmes/aged/rule", body, content_type="application/json")
        .status_code
        == 403
    )
    response = as_user(client, sun).put(f"{API}/programmes/aged/rule", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["rule"] == "age >= 85"
    entry = AuditEntry.objects.get(object_type="welfare.programme", actor=sun)
    assert entry.changes == {"rule": ["age >= 80", "age >= 85"]}


def test_the_enrolment_loop_through_the_api(client, sun, family, family_b, programmes):
    c = as_user(client, sun)
    assert c.post(f"{API}/programmes/water/reevaluate").json() == {
        "programme": "water",
        "matched": 2,
        "drafted": 2,
        "flagged": 0,
        "within": "330105013",  # sun's street: a staff run writes in their own area only
    }
    page = c.get(f"{API}/programmes/water/enrolments", {"status": "draft", "explain": "true"}).json()
    assert page["total"] == 2
    assert page["items"][0]["explanation"][0] == '✓ "低保" in household_tags or "特困" in household_tags'
    ids = [row["id"] for row in page["items"]]
    verified = c.post(f"{API}/enrolments/verify", {"ids": ids}, content_type="application/json")
    assert {row["status"] for row in verified.json()} == {"enrolled"}
    for e in Enrolment.objects.filter(programme=programmes["water"]):
        PartnerAccount.objects.create(
            partner=programmes["water"].partner, household=e.household, account_number=f"W{e.pk}"
        )
    first = c.post(f"{API}/programmes/water/cycles", {"period": "2026-11"}, content_type="application/json")
    assert first.status_code == 201
    batch = first.json()["batch"]
    assert (batch["reference"], batch["line_count"]) == ("WATER-2026-11-01", 2)
    again = c.post(f"{API}/programmes/water/cycles", {"period": "2026-11"}, content_type="application/json")
    assert again.status_code == 200 and again.json()["batch"] is None and again.json()["already"] == 2
    file = c.get(f"{API}/batches/{batch['id']}/file")
    assert file["Content-Disposition"] == 'attachment; filename="WATER-2026-11-01.csv"'
    receipt = (
        "流水号,结果,原因\nWATER-2026-11-01-00001,成功,\nWATER-2026-11-01-00002,失败,户名不符\n".encode()
    )
    upload = SimpleUploadedFile("receipt.csv", receipt, content_type="text/csv")
    assert c.post(f"{API}/batches/{batch['id']}/receipt", {"file": upload}).json() == {
        "accepted": 1,
        "rejected": 1,
        "unchanged": 0,
    }
    detail = c.get(f"{API}/batches/{batch['id']}").json()
    assert [(x["result"], x["reason"]) for x in detail["lines"]] == [
        ("accepted", ""),
        ("rejected", "户名不符"),
    ]


def test_a_receipt_with_bad_rows_lists_them_all(client, sun, family, programmes):
    c = as_user(client, sun)
    c.post(f"{API}/programmes/water/reevaluate")
    e = Enrolment.objects.get(programme=programmes["water"])
    c.post(f"{API}/enrolments/verify", {"ids": [e.pk]}, content_type="application/json")
    PartnerAccount.objects.create(
        partner=programmes["water"].partner, household=e.household, account_number="W1"
    )
    batch = c.post(
        f"{API}/programmes/water/cycles", {"period": "2026-11"}, content_type="application/json"
    ).json()["batch"]
    bad = SimpleUploadedFile("r.csv", "流水号,结果\nX-1,成功\nWATER-2026-11-01-00001,也许\n".encode())
    response = c.post(f"{API}/batches/{batch['id']}/receipt", {"file": bad})
    assert response.status_code == 400
    assert response.json()["error"]["errors"] == [
        {"row": 3, "column": "结果", "reason": "'也许' is neither 成功 nor 失败"},
    ]


def test_decisions_the_status_does_not_allow_are_409(client, sun, family, programmes):
    enrol.reevaluate_programme(programmes["power"], AS_OF)
    e = Enrolment.objects.get(programme=programmes["power"])
    response = as_user(client, sun).post(
        f"{API}/enrolments/{e.pk}/actions", {"action": "resume"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "cannot resume an enrolment that is draft"


@pytest.fixture
def assigned(family, family_b, sun, advisors, frozen_clock):
    casefiles.open_case_files(sun)
    zhang = CaseFile.objects.get(resident__name="张阿姨")
    casefiles.assign_advisor(sun, zhang.pk, "zhou")
    return zhang


def test_an_advisor_sees_only_assigned_elders_in_the_api(client, advisors, assigned):
    c = as_user(client, advisors["zhou"])
    assert [row["name"] for row in c.get(f"{API}/casefiles").json()["items"]] == ["张阿姨"]
    other = CaseFile.objects.get(resident__name="王大伯")
    assert c.get(f"{API}/casefiles/{other.pk}").status_code == 404
    assert c.get(f"{API}/casefiles/{assigned.pk}").status_code == 200
    assert [row["name"] for row in c.get(f"{API}/workbench").json()["elders"]] == ["张阿姨"]
    assert as_user(client, advisors["wu"]).get(f"{API}/casefiles").json()["items"] == []


def test_an_advisor_gets_the_phone_but_not_the_whole_id_number(client, advisors, assigned, personas):
    body = as_user(client, advisors["zhou"]).post(f"{API}/casefiles/{assigned.pk}/reveal").json()
    assert body == {"id_number": personas["zhang_record"].id_number_masked, "phone": "13812345678"}
    assert AuditEntry.objects.filter(action="reveal", actor=advisors["zhou"]).count() == 1


def test_a_visit_with_a_photo_through_the_api(client, advisors, assigned):
    photo = SimpleUploadedFile("door.png", b"\x89PNG fake", content_type="image/png")
    response = as_user(client, advisors["zhou"]).post(
        f"{API}/casefiles/{assigned.pk}/visits",
        {"note": "上门探访，一切安好", "lat": "30.27", "lon": "120.16", "photos": [photo]},
    )
    assert response.status_code == 201
    assert response.json()["photos"] == 1
    timeline = client.get(f"{API}/casefiles/{assigned.pk}").json()["timeline"]
    assert timeline[0]["kind"] == "visit" and timeline[0]["detail"] == "上门探访，一切安好"


def test_the_welfare_api_is_in_the_openapi_schema(client, personas):
    schema = as_user(client, personas["chen"]).get("/api/openapi.json").json()
    paths = [p for p in schema["paths"] if p.startswith("/api/welfare/")]
    assert "/api/welfare/programmes/{code}/preview" in paths
    assert "/api/welfare/batches/{batch_id}/receipt" in paths
    assert len(paths) >= 25
