"""The back office shows only masked values, never ciphertext, and only the user's area."""

from zhizhi.core.models import AuditAction, AuditEntry
from zhizhi.people.models import Resident


def test_resident_changelist_is_scoped_and_masked(client, personas, residents):
    client.force_login(personas["chen"])
    html = client.get("/admin/people/resident/").content.decode()
    assert "王建国" in html and "刘小红" in html and "李秀英" not in html
    wang = Resident.objects.get(pk=residents["a1"].pk)
    assert wang.id_number_masked in html
    assert wang.id_number not in html and "13900001111" not in html


def test_resident_change_page_has_no_ciphertext_or_whole_values(client, personas, residents):
    client.force_login(personas["admin"])
    wang = residents["a1"]
    html = client.get(f"/admin/people/resident/{wang.pk}/change/").content.decode()
    assert wang.id_number_masked in html
    assert wang.id_number not in html and "gAAAA" not in html  # Fernet tokens start with gAAAA
    assert 'name="id_number"' not in html and 'name="phone"' not in html


def test_admin_finds_a_resident_by_whole_id_number(client, personas, residents):
    client.force_login(personas["admin"])
    html = client.get("/admin/people/resident/", {"q": residents["b1"].id_number}).content.decode()
    assert "李秀英" in html and "王建国" not in html


def test_admin_changes_are_audited(client, personas, residents):
    client.force_login(personas["admin"])
    wang = residents["a1"]
    response = client.post(
        f"/admin/people/resident/{wang.pk}/change/",
        {"status": "moved_out", "tags": [], "household": "", "relation_to_head": "",
         "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Resident.objects.get(pk=wang.pk).status == "moved_out"
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(wang.pk)).exists()


def test_other_back_office_lists_are_scoped(client, personas, households):
    client.force_login(personas["outsider"])
    html = client.get("/admin/people/household/").content.decode()
    assert "B1-001" in html and "A1-001" not in html
    assert client.get("/admin/people/tag/").status_code == 200
    assert client.get("/admin/people/contact/").status_code == 200
    assert client.get("/admin/people/exportjob/").status_code == 200


def test_roles_without_back_office_get_no_admin(client, personas):
    client.force_login(personas["li"])
    assert client.get("/admin/people/resident/").status_code == 302
