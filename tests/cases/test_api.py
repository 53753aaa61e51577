"""The JSON API at /api/cases/: intake with idempotency, the loop action by action, and errors that name the
field (400), hide what is out of scope (404), refuse the wrong actor (403) and the wrong status (409) —
never a 500."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from tests.cases.conftest import A1
from zhizhi.cases.models import Case

JPEG = b"\xff\xd8\xff\xe0" + b"2" * 64
PHOTO = {"filename": "p.jpg", "content_type": "image/jpeg", "data_base64": base64.b64encode(JPEG).decode()}


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def body(**extra):
    return {"category": "暴露垃圾", "description": "门口垃圾", "lat": A1[0], "lon": A1[1], **extra}


@pytest.fixture
def zhang(personas):
    return client_for(personas["zhang"])


def post(c: Client, path: str, data=None, **headers):
    return c.post(f"/api/cases/{path}", data or {}, content_type="application/json", headers=headers)


def test_a_resident_reports_and_gets_the_case_then_its_timeline(zhang, frozen_clock):
    r = post(zhang, "", body(photos=[PHOTO]))
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["created"] is True and data["case"]["number"] == "WL20261127-00001"
    # The intake answer is the compact row (no re-read of the case); the detail has the timeline and files.
    assert (data["case"]["status"], data["case"]["category"], data["duplicates"]) == (
        "received",
        "暴露垃圾",
        [],
    )
    assert "timeline" not in data["case"]
    detail = zhang.get(f"/api/cases/{data['case']['id']}").json()
    assert [t["action"] for t in detail["timeline"]] == ["open"]
    assert detail["attachments"][0]["content_type"] == "image/jpeg"


def test_the_idempotency_key_header_returns_the_first_case(zhang):
    first = post(zhang, "", body(), **{"Idempotency-Key": "abc-1"})
    again = post(zhang, "", body(), **{"Idempotency-Key": "abc-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["case"]["id"] == first.json()["case"]["id"] and again.json()["created"] is False
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"category": "暴露垃圾", "lat": A1[0], "lon": A1[1]}, "description"),
        (body(lat="abc"), "lat"),
        (body(lat=30.30, lon=120.20), "location"),
        (body(category="火星垃圾"), "category"),
        (body(photos=[{**PHOTO, "data_base64": "!!"}]), "photos.0.data_base64"),
        (body(contact_phone="123"), "contact_phone"),
        (body(channel="fax"), "channel"),
        (body(answers=[1, 2]), "answers"),
    ],
)
def test_bad_intake_is_a_400_naming_the_field(zhang, data, field):
    r = post(zhang, "", data)
    assert r.status_code == 400, r.content
    assert r.json()["error"]["field"] == field


def test_a_body_that_is_not_json_is_a_400(zhang):
    r = zhang.post("/api/cases/", "not json", content_type="application/json")
    assert r.status_code == 400


def test_the_api_needs_a_login():
    assert Client().get("/api/cases/").status_code == 401


def test_out_of_scope_is_404_wrong_actor_403_wrong_status_409(zhang, personas):
    case_id = post(zhang, "", body()).json()["case"]["id"]
    assert client_for(personas["outsider"]).get(f"/api/cases/{case_id}").status_code == 404
    assert post(zhang, f"{case_id}/register").status_code == 403
    r = post(client_for(personas["li"]), f"{case_id}/accept")
    assert r.status_code == 409 and r.json()["error"]["field"] == "status"
    assert client_for(personas["li"]).get("/api/cases/999999").status_code == 404


def test_the_loop_through_the_api(zhang, personas, units):
    li, zhou, wang = (client_for(u) for u in (personas["li"], units["zhou"], personas["xiaowang"]))
    case_id = post(zhang, "", body()).json()["case"]["id"]
    detail = li.get(f"/api/cases/{case_id}").json()
    assert detail["allowed_actions"] == ["register", "reject", "merge"]
    assert post(li, f"{case_id}/register").status_code == 200
    r = post(li, f"{case_id}/dispatch", {})
    assert r.status_code == 200 and r.json()["unit"]["id"] == units["sanitation"].pk
    assert post(zhou, f"{case_id}/accept").status_code == 200
    assert post(zhou, f"{case_id}/start").status_code == 200
    r = post(zhou, f"{case_id}/submit", {"note": "已清运"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "evidence"
    assert post(zhou, f"{case_id}/submit", {"note": "已清运", "photos": [PHOTO]}).status_code == 200
    assert post(wang, f"{case_id}/verify", {"passed": True, "note": "已核实"}).status_code == 200
    assert post(li, f"{case_id}/close").status_code == 200
    r = post(zhang, f"{case_id}/revisit", {"rating": "basically", "comment": "还行"})
    assert r.status_code == 200
    timeline = [t["action"] for t in r.json()["timeline"]]
    assert timeline == [
        "open",
        "register",
        "dispatch",
        "accept",
        "start",
        "submit",
        "verify",
        "close",
        "revisit",
    ]
    assert r.json()["allowed_actions"] == ["revisit", "reopen"]
    again = post(zhang, f"{case_id}/revisit", {"rating": "satisfied"})
    assert again.status_code == 400 and again.json()["error"]["field"] == "rating"  # rated once per closure


def test_uploaded_files_are_used_as_evidence_and_downloaded_by_those_who_see_the_case(zhang, personas, units):
    li, zhou = client_for(personas["li"]), client_for(units["zhou"])
    case_id = post(zhang, "", body()).json()["case"]["id"]
    post(li, f"{case_id}/register")
    post(li, f"{case_id}/dispatch")
    post(zhou, f"{case_id}/accept")
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("after.jpg", JPEG, content_type="image/jpeg")
    r = zhou.post(f"/api/cases/{case_id}/attachments", {"file": upload, "kind": "evidence"})
    assert r.status_code == 201, r.content
    att = r.json()
    r = post(zhou, f"{case_id}/submit", {"note": "已清运", "attachment_ids": [att["id"]]})
    assert r.status_code == 200
    assert zhang.get(att["url"]).content == JPEG
    assert client_for(personas["outsider"]).get(att["url"]).status_code == 404


def test_reference_data_and_the_routing_preview(personas, units):
    li = client_for(personas["li"])
    cats = {c["name"]: c for c in li.get("/api/cases/categories").json()}
    assert cats["暴露垃圾"]["limits"]["handle"] == "4个工作时"
    assert "垃圾满溢" in cats["垃圾站（箱）满溢"]["aliases"]
    preview = li.get(
        "/api/cases/routing/preview", {"category": "暴露垃圾", "lat": A1[0], "lon": A1[1]}
    ).json()
    assert preview["unit"]["name"] == units["sanitation"].name
    r = li.get("/api/cases/routing/preview", {"category": "暴露垃圾"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "location"
    names = {u["name"] for u in li.get("/api/cases/units").json()}
    assert units["sanitation"].name in names and units["city"].name in names


def test_worklist_search_and_inbox(zhang, personas, units, django_capture_on_commit_callbacks):
    li, zhou = client_for(personas["li"]), client_for(units["zhou"])
    created = post(zhang, "", body()).json()["case"]
    post(li, f"{created['id']}/register")
    with django_capture_on_commit_callbacks(execute=True):
        post(li, f"{created['id']}/dispatch")
    w = zhou.get(f"/api/cases/worklist/{units['sanitation'].pk}").json()
    assert (w["to_sign"], [c["id"] for c in w["items"]]) == (1, [created["id"]])
    found = li.get("/api/cases/", {"q": created["number"]}).json()
    assert [c["id"] for c in found["items"]] == [created["id"]] and found["next_offset"] is None
    inbox = zhou.get("/api/cases/notifications").json()
    assert inbox[0]["case_id"] == created["id"]
    assert zhou.post(f"/api/cases/notifications/{inbox[0]['id']}/read").json()["read_at"]


def test_nearby_open_cases_let_a_resident_follow_instead_of_reporting(zhang, personas):
    other = client_for(personas["xiaowang"])
    created = post(other, "", body(channel="patrol")).json()["case"]
    near = zhang.get("/api/cases/nearby", {"category": "暴露垃圾", "lat": A1[0], "lon": A1[1]}).json()
    assert [c["number"] for c in near] == [created["number"]]
    assert post(zhang, f"{created['id']}/follow").status_code == 200
    assert zhang.get(f"/api/cases/{created['id']}").status_code == 200


def test_the_openapi_schema_documents_the_cases_api(personas):
    r = client_for(personas["li"]).get("/api/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/cases/" in paths and "/api/cases/{case_id}/dispatch" in paths


def test_lists_cost_the_same_number_of_queries_for_few_and_many_cases(
    personas, units, django_assert_max_num_queries
):
    from zhizhi.cases import services

    li, zhou = client_for(personas["li"]), client_for(units["zhou"])

    def add(n):
        for _ in range(n):
            case = services.open_case(
                personas["li"],
                services.CaseInput("暴露垃圾", "x", lat=A1[0], lon=A1[1], channel="hotline"),
            ).case
            services.register_case(personas["li"], case.pk)
            services.dispatch_case(personas["li"], case.pk)

    add(2)
    with django_assert_max_num_queries(12):
        assert len(zhou.get(f"/api/cases/worklist/{units['sanitation'].pk}").json()["items"]) == 2
    with django_assert_max_num_queries(10):
        assert len(li.get("/api/cases/").json()["items"]) == 2
    add(15)
    with django_assert_max_num_queries(12):
        assert len(zhou.get(f"/api/cases/worklist/{units['sanitation'].pk}").json()["items"]) == 17
    with django_assert_max_num_queries(10):
        assert len(li.get("/api/cases/").json()["items"]) == 17
