"""The permission matrix: role × area × resource, through the JSON API and the pages.

Residents live in grid A1 (self = 张阿姨, a1), grid A2 (a2, community A) and grid B1 (b1, community B).
A community's staff never see another community; a grid worker sees only their grid; a resident sees only
themselves; street, district and leader roles see masked values only; scope misses are 404, not 403.
"""

import pytest

from tests.people.helpers import id_number, xlsx
from zhizhi.core.models import AuditAction, AuditEntry
from zhizhi.core.roles import PEOPLE_POLICY
from zhizhi.people import excel
from zhizhi.people.models import Resident

ALL = {"self", "a1", "a2", "b1"}
SEES = {
    "zhang": {"self"},
    "xiaowang": {"self", "a1"},
    "chen": {"self", "a1", "a2"},
    "outsider": {"b1"},
    "li": ALL,
    "zhao": ALL,
    "qian": ALL,
    "admin": ALL,
}
SEES_HOUSEHOLDS = {
    "zhang": {"self"},
    "xiaowang": {"self"},
    "chen": {"self", "a2"},
    "outsider": {"b1"},
    "li": {"self", "a2", "b1"},
    "zhao": {"self", "a2", "b1"},
    "qian": {"self", "a2", "b1"},
    "admin": {"self", "a2", "b1"},
}
EDITORS = {"xiaowang", "chen", "outsider", "admin"}
MATRIX = [(role, target) for role in SEES for target in sorted(ALL)]
VISIBLE = [(role, target) for role, target in MATRIX if target in SEES[role]]


def login(client, personas, role):
    user = personas[role]
    client.force_login(user)
    return user


def policy(personas, role):
    return PEOPLE_POLICY[personas[role].role]


@pytest.mark.parametrize("role", list(SEES))
def test_resident_list_shows_exactly_the_residents_in_scope(client, personas, residents, role):
    login(client, personas, role)
    body = client.get("/api/people/residents").json()
    expected = {residents[t].name for t in SEES[role]}
    assert {r["name"] for r in body["items"]} == expected
    page = client.get("/people/")
    assert page.content.decode().count('data-testid="resident-row"') == len(expected)


@pytest.mark.parametrize(("role", "target"), MATRIX)
def test_resident_detail_is_found_only_inside_scope(client, personas, residents, role, target):
    login(client, personas, role)
    resident = residents[target]
    response = client.get(f"/api/people/residents/{resident.pk}")
    page = client.get(f"/people/residents/{resident.pk}/")
    if target in SEES[role]:
        assert response.status_code == 200
        body = response.json()
        assert body["id_number"] == resident.id_number_masked and "*" in body["id_number"]
        assert body["phone"] == resident.phone_masked
        assert page.status_code == 200
        assert resident.id_number not in page.content.decode()
        assert (
            AuditEntry.objects.filter(
                action=AuditAction.VIEW, object_id=str(resident.pk), actor=personas[role]
            ).count()
            == 2
        )  # API and page, each opening audited
    else:
        assert response.status_code == 404
        assert page.status_code == 404
        assert not AuditEntry.objects.filter(action=AuditAction.VIEW, actor=personas[role]).exists()


@pytest.mark.parametrize(("role", "target"), MATRIX)
def test_reveal_follows_the_people_policy_and_is_always_audited(client, personas, residents, role, target):
    login(client, personas, role)
    resident = Resident.objects.get(pk=residents[target].pk)
    allowed = policy(personas, role)
    response = client.post(f"/api/people/residents/{resident.pk}/reveal")
    page = client.post(f"/people/residents/{resident.pk}/reveal/")
    reveals = AuditEntry.objects.filter(action=AuditAction.REVEAL, object_id=str(resident.pk))
    if target not in SEES[role]:
        assert (response.status_code, page.status_code) == (404, 404)
        assert not reveals.exists()
    elif not (allowed.reveal_id or allowed.reveal_phone):
        assert (response.status_code, page.status_code) == (403, 403)
        assert response.json()["error"]["field"] == "reveal"
        assert not reveals.exists()
    else:
        assert (response.status_code, page.status_code) == (200, 200)
        body = response.json()
        assert body["id_number"] == (resident.id_number if allowed.reveal_id else resident.id_number_masked)
        assert body["phone"] == (resident.phone if allowed.reveal_phone else resident.phone_masked)
        assert body["revealed"] == {"id_number": allowed.reveal_id, "phone": allowed.reveal_phone}
        html = page.content.decode()
        assert (resident.id_number in html) == allowed.reveal_id
        assert (resident.phone in html) == allowed.reveal_phone
        assert reveals.filter(actor=personas[role]).count() == 2


@pytest.mark.parametrize(("role", "target"), VISIBLE)
def test_detail_page_offers_the_reveal_button_only_to_roles_that_may_reveal(
    client, personas, residents, role, target
):
    login(client, personas, role)
    html = client.get(f"/people/residents/{residents[target].pk}/").content.decode()
    allowed = policy(personas, role)
    assert ('data-testid="reveal"' in html) == (allowed.reveal_id or allowed.reveal_phone)


@pytest.mark.parametrize(("role", "target"), MATRIX)
def test_only_editing_roles_change_residents_and_only_inside_scope(client, personas, residents, role, target):
    login(client, personas, role)
    resident = residents[target]
    response = client.patch(
        f"/api/people/residents/{resident.pk}", {"tags": ["volunteer"]}, content_type="application/json"
    )
    if target not in SEES[role]:
        assert response.status_code == 404
    elif role not in EDITORS:
        assert response.status_code == 403
    else:
        assert response.status_code == 200, response.content
        assert response.json()["tags"] == ["志愿者"]
        assert AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(resident.pk)).exists()
    changed = list(Resident.objects.get(pk=resident.pk).tags.values_list("code", flat=True)) == ["volunteer"]
    assert changed == (target in SEES[role] and role in EDITORS)


@pytest.mark.parametrize("role", list(SEES))
def test_household_list_and_detail_follow_the_same_scope(client, personas, households, role):
    login(client, personas, role)
    listed = {h["number"] for h in client.get("/api/people/households").json()["items"]}
    assert listed == {households[k].number for k in SEES_HOUSEHOLDS[role]}
    for key, household in households.items():
        api = client.get(f"/api/people/households/{household.pk}")
        page = client.get(f"/people/households/{household.pk}/")
        expected = 200 if key in SEES_HOUSEHOLDS[role] else 404
        assert (api.status_code, page.status_code) == (expected, expected)


def test_a_resident_sees_only_their_own_record_inside_their_household(
    client, personas, residents, households
):
    other = residents["a1"]
    Resident.objects.filter(pk=other.pk).update(household=households["self"], relation_to_head="子")
    login(client, personas, "zhang")
    body = client.get(f"/api/people/households/{households['self'].pk}").json()
    assert [m["name"] for m in body["members"]] == ["张阿姨"]


@pytest.mark.parametrize("role", list(SEES))
def test_only_editing_roles_may_import(client, personas, street, role):
    user = login(client, personas, role)
    dwelling = street.dwelling_b1 if role == "outsider" else street.dwelling_a1
    content = xlsx([excel.NAME, excel.ID_NUMBER, excel.HOME], [["新居民", id_number(), dwelling.code]])
    response = client.post("/api/people/import/residents", {"file": _upload(content)})
    page = client.post("/people/import/", {"kind": "residents", "file": _upload(content)})
    if role in EDITORS:
        assert response.status_code == 200, response.content
        assert response.json()["created"] == 1
        assert page.status_code == 200  # the same file again: an update, never a second record
        assert Resident.objects.filter(name="新居民").count() == 1
        assert AuditEntry.objects.filter(action=AuditAction.IMPORT, actor=user).count() == 2
    else:
        assert (response.status_code, page.status_code) == (403, 403)
        assert not Resident.objects.filter(name="新居民").exists()


@pytest.mark.parametrize(("role", "target", "allowed"), [
    ("xiaowang", "dwelling_a1", True),
    ("xiaowang", "dwelling_a2", False),
    ("chen", "dwelling_a2", True),
    ("chen", "dwelling_b1", False),
    ("outsider", "dwelling_a1", False),
])  # fmt: skip
def test_import_rejects_dwellings_outside_the_actors_area(personas, street, role, target, allowed):
    dwelling = getattr(street, target)
    content = xlsx([excel.NAME, excel.ID_NUMBER, excel.HOME], [["外区居民", id_number(), dwelling.code]])
    if allowed:
        assert excel.import_residents(personas[role], content).created == 1
    else:
        with pytest.raises(excel.RowErrors) as exc:
            excel.import_residents(personas[role], content)
        assert exc.value.errors == [
            {"row": 2, "column": excel.HOME, "reason": f"no dwelling with code {dwelling.code} in your area"}
        ]
        assert not Resident.objects.filter(name="外区居民").exists()


def test_anonymous_visitors_get_nothing(client, residents):
    assert client.get("/api/people/residents").status_code == 401
    assert client.get("/people/").status_code == 302
    assert client.post(f"/api/people/residents/{residents['a1'].pk}/reveal").status_code == 401


def _upload(content: bytes, name: str = "people.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=excel.XLSX)
