"""The people JSON API: shapes, audit, and bad input answered with 400 naming the field (never a 500)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.people.helpers import id_number, xlsx
from zhizhi.core.models import AuditAction, AuditEntry
from zhizhi.people import excel
from zhizhi.people.models import Contact, Resident

JSON = "application/json"


@pytest.fixture
def chen(client, personas):
    client.force_login(personas["chen"])
    return personas["chen"]


def error_field(response):
    assert response.status_code == 400, response.content
    return response.json()["error"]["field"]


def test_lists_masked_pages_with_search_and_filters(client, chen, residents, street):
    body = client.get("/api/people/residents", {"q": "wangjian"}).json()
    assert [r["name"] for r in body["items"]] == ["王建国"]
    row = body["items"][0]
    assert row["id_number"] == residents["a1"].id_number_masked and row["phone"] == "139****1111"
    assert row["home_code"] == street.dwelling_a1.code and row["address"].endswith("101室")
    assert (body["page"], body["page_size"], body["has_next"], body["total"]) == (1, 50, False, 1)
    tagged = client.get("/api/people/residents?tags=alone&tags=aged").json()
    assert [r["name"] for r in tagged["items"]] == ["张阿姨"] and tagged["items"][0]["tags"] == [
        "独居",
        "高龄",
    ]


def test_detail_is_masked_and_each_opening_is_audited(client, chen, residents, households):
    zhang = residents["self"]
    body = client.get(f"/api/people/residents/{zhang.pk}").json()
    assert body["id_number"] == zhang.id_number_masked
    assert body["household"] == {"id": households["self"].pk, "number": "A1-001"}
    assert body["relation_to_head"] == "户主"
    assert body["residences"][0]["is_primary"] is True
    assert body["may_reveal"] == {"id_number": True, "phone": True} and body["may_edit"] is True
    assert zhang.id_number not in str(body)
    assert AuditEntry.objects.filter(action=AuditAction.VIEW, object_id=str(zhang.pk)).count() == 1


def test_creates_updates_and_adds_contacts(client, chen, street):
    number = id_number()
    created = client.post(
        "/api/people/residents",
        {"name": "孙悟空", "id_number": number, "phone": "13812340000", "tags": ["党员"],
         "home_code": street.dwelling_a2.code, "relation": "owner"},
        content_type=JSON,
    )  # fmt: skip
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    assert created.json()["id_number"] == number[:6] + "********" + number[-4:]
    changed = client.patch(f"/api/people/residents/{rid}", {"phone": "13812349999"}, content_type=JSON)
    assert changed.status_code == 200 and changed.json()["phone"] == "138****9999"
    assert Resident.objects.get(pk=rid).id_number == number  # ID kept when not sent
    contact = client.post(
        f"/api/people/residents/{rid}/contacts",
        {"kind": "emergency", "name": "猪八戒", "relation": "朋友", "phone": "13600001234"},
        content_type=JSON,
    )
    assert contact.status_code == 201 and contact.json()["phone"] == "136****1234"
    listed = client.get(f"/api/people/residents/{rid}/contacts").json()
    assert [c["name"] for c in listed] == ["猪八戒"]
    assert Contact.objects.get().phone == "13600001234"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "某人", "id_number": "110105194912310021"}, "id_number"),
        ({"name": "", "id_number": "11010519491231002X"}, "name"),
        ({"name": "某人", "id_number": "11010519491231002X", "phone": "12"}, "phone"),
        ({"name": "某人", "id_number": "11010519491231002X", "tags": ["火星人"]}, "tags"),
        ({"name": "某人", "id_number": "11010519491231002X", "home_code": "nowhere"}, "home_code"),
        ({"name": "某人", "id_number": "11010519491231002X", "relation": "cousin"}, "relation"),
        ({"name": "某人", "id_number": "11010519491231002X", "status": "gone"}, "status"),
        ({"id_number": "11010519491231002X"}, "name"),
        ({"name": "某人", "id_number": 5}, "id_number"),
    ],
)
def test_bad_resident_input_is_a_400_naming_the_field(client, chen, payload, field):
    assert error_field(client.post("/api/people/residents", payload, content_type=JSON)) == field
    assert not Resident.objects.filter(name="某人").exists()


def test_other_bad_input_names_the_field(client, chen, residents):
    rid = residents["a1"].pk
    assert error_field(client.get("/api/people/residents?page=0")) == "page"
    assert error_field(client.get("/api/people/residents?page=x")) == "page"
    assert error_field(client.get("/api/people/residents?grid=1")) == "grid"
    assert error_field(client.get("/api/people/residents?tags=nope")) == "tags"
    assert error_field(client.get("/api/people/households?community=abc")) == "community"
    assert (
        error_field(client.patch(f"/api/people/residents/{rid}", {"phone": "1"}, content_type=JSON))
        == "phone"
    )
    assert (
        error_field(
            client.post(
                f"/api/people/residents/{rid}/contacts",
                {"kind": "pal", "name": "x", "phone": "13600001234"},
                content_type=JSON,
            )
        )
        == "kind"
    )
    assert (
        error_field(
            client.post(
                f"/api/people/residents/{rid}/contacts",
                {"kind": "family", "name": "x", "phone": ""},
                content_type=JSON,
            )
        )
        == "phone"
    )
    assert error_field(client.post("/api/people/exports", {"kind": "cats"}, content_type=JSON)) == "kind"
    assert client.get("/api/people/residents/abc").status_code in (400, 404)
    dup = client.post("/api/people/residents", {"name": "王建国", "id_number": residents["a1"].id_number},
                      content_type=JSON)  # fmt: skip
    assert dup.status_code == 409 and dup.json()["error"]["field"] == "id_number"


def test_import_answers_400_with_every_row_error(client, chen, street):
    content = xlsx([excel.NAME, excel.ID_NUMBER, excel.HOME], [
        ["好人", id_number(), street.dwelling_a1.code],
        ["坏人", "123", street.dwelling_b1.code],
    ])  # fmt: skip
    upload = SimpleUploadedFile("p.xlsx", content, content_type=excel.XLSX)
    response = client.post("/api/people/import/residents", {"file": upload})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_rows" and error["field"] == excel.ID_NUMBER
    assert [(e["row"], e["column"]) for e in error["errors"]] == [(3, excel.ID_NUMBER), (3, excel.HOME)]
    assert not Resident.objects.filter(name="好人").exists()
    missing = client.post("/api/people/import/residents", {})
    assert error_field(missing) == "file"
    junk = client.post("/api/people/import/households", {"file": SimpleUploadedFile("x.xlsx", b"junk")})
    assert error_field(junk) == "file"


def test_import_then_list_by_api(client, chen, street):
    content = xlsx(
        [excel.NAME, excel.ID_NUMBER, excel.HOME], [["唐三藏", id_number(), street.dwelling_a1.code]]
    )
    upload = SimpleUploadedFile("p.xlsx", content, content_type=excel.XLSX)
    assert client.post("/api/people/import/residents", {"file": upload}).json() == {
        "created": 1, "updated": 0, "households_created": 0,
    }  # fmt: skip
    assert client.get("/api/people/residents?q=tsz").json()["items"][0]["name"] == "唐三藏"


def test_export_request_is_queued_and_listed(client, chen, residents):
    response = client.post("/api/people/exports", {"kind": "residents", "q": "王"}, content_type=JSON)
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["params"], body["download_url"]) == ("queued", {"q": "王"}, None)
    assert [j["id"] for j in client.get("/api/people/exports").json()] == [body["id"]]
    not_ready = client.get(f"/api/people/exports/{body['id']}/download")
    assert not_ready.status_code == 409 and not_ready.json()["error"]["field"] == "status"


def test_api_is_in_the_openapi_schema(client, chen):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/people/residents", "/api/people/residents/{resident_id}/reveal",
                 "/api/people/import/residents", "/api/people/exports/{job_id}/download"):  # fmt: skip
        assert path in paths
