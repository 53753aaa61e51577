"""People pages: lists within a fixed query budget whatever the row count, detail with reveal, import page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.people.helpers import id_number, person, xlsx
from zhizhi.core.models import AuditAction, AuditEntry
from zhizhi.people import excel, services
from zhizhi.people.models import ExportJob, Household

LIST_BUDGET = 10


@pytest.fixture
def many(street, personas):
    """35 residents in grid A1 with tags and a household each (more than enough to show N+1 queries)."""
    admin = personas["admin"]
    out = []
    for n in range(35):
        resident = person(street.dwelling_a1, f"批量{n:02d}", tags=("独居", "党员"))
        services.create_household(admin, f"H{n:03d}", street.dwelling_a1, head=resident)
        services.add_contact(admin, resident, kind="family", name="家属", relation="子", phone="13800001111")
        out.append(resident)
    return out


def test_resident_list_stays_within_its_query_budget(client, personas, many, django_assert_max_num_queries):
    client.force_login(personas["chen"])
    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get("/people/", {"q": "批量"})
    html = response.content.decode()
    assert html.count('data-testid="resident-row"') == 35
    assert html.count('class="tag"') >= 70
    assert '<input type="search" name="q"' in html
    with django_assert_max_num_queries(LIST_BUDGET):
        client.get("/people/", {"tag": "alone", "community": "330105013001"})


def test_resident_list_shows_50_a_page(client, personas, street, many):
    for n in range(20):
        person(street.dwelling_a2, f"批量二{n}")
    client.force_login(personas["chen"])
    first = client.get("/people/", {"q": "批量"}).content.decode()
    assert first.count('data-testid="resident-row"') == 50 and 'rel="next"' in first
    second = client.get("/people/", {"q": "批量", "page": 2}).content.decode()
    assert second.count('data-testid="resident-row"') == 5 and 'rel="prev"' in second


def test_resident_rows_link_to_details_and_show_masked_values(client, personas, residents):
    client.force_login(personas["li"])
    html = client.get("/people/").content.decode()
    wang = residents["a1"]
    assert f'href="/people/residents/{wang.pk}/"' in html
    assert wang.id_number_masked in html and wang.phone_masked in html
    assert wang.id_number not in html and "13900001111" not in html
    assert "竹竿巷1网格小区1幢1单元101室" in html


def test_household_pages_stay_within_their_query_budget(
    client, personas, many, django_assert_max_num_queries
):
    client.force_login(personas["chen"])
    with django_assert_max_num_queries(LIST_BUDGET):
        html = client.get("/people/households/").content.decode()
    assert html.count('data-testid="household-row"') == 35
    household = Household.objects.get(number="H000")
    for resident in many[1:]:
        resident.household = household
        resident.save(update_fields=["household"])
    with django_assert_max_num_queries(LIST_BUDGET):
        detail = client.get(f"/people/households/{household.pk}/").content.decode()
    assert detail.count('data-testid="member-row"') == 35


def test_detail_page_stays_within_a_query_budget(client, personas, many, django_assert_max_num_queries):
    client.force_login(personas["chen"])
    with django_assert_max_num_queries(LIST_BUDGET):
        html = client.get(f"/people/residents/{many[0].pk}/").content.decode()
    assert "家属" in html and "138****1111" in html


def test_api_lists_stay_within_a_query_budget(client, personas, many, django_assert_max_num_queries):
    client.force_login(personas["chen"])
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/people/residents").json()["items"]) == 36
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/people/households").json()["items"]) == 35


def test_reveal_button_shows_whole_values_and_records_the_viewing(client, personas, residents):
    wang = residents["a1"]
    client.force_login(personas["chen"])
    before = client.get(f"/people/residents/{wang.pk}/").content.decode()
    assert wang.id_number_masked in before and 'data-testid="reveal"' in before
    after = client.post(f"/people/residents/{wang.pk}/reveal/").content.decode()
    assert wang.id_number in after and "13900001111" in after and 'data-testid="revealed-note"' in after
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL, object_id=str(wang.pk)).count() == 1
    assert client.get(f"/people/residents/{wang.pk}/reveal/").status_code == 405


def test_list_page_shows_bad_filters_beside_the_form(client, personas, residents):
    client.force_login(personas["chen"])
    response = client.get("/people/", {"grid": "12"})
    assert response.status_code == 400
    assert 'data-testid="form-error"' in response.content.decode()


def test_import_page_lists_row_errors_and_imports_a_good_file(client, personas, street):
    client.force_login(personas["chen"])
    assert client.get("/people/import/").status_code == 200
    bad = xlsx([excel.NAME, excel.ID_NUMBER], [["甲", id_number()], ["", "123"]])
    response = client.post(
        "/people/import/", {"kind": "residents", "file": SimpleUploadedFile("a.xlsx", bad)}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count('data-testid="import-error"') == 2
    assert "<td>3</td><td>姓名</td>" in html
    good = xlsx([excel.NAME, excel.ID_NUMBER, excel.HOME], [["甲", id_number(), street.dwelling_a1.code]])
    done = client.post("/people/import/", {"kind": "residents", "file": SimpleUploadedFile("a.xlsx", good)})
    assert done.status_code == 200 and 'data-testid="import-result"' in done.content.decode()
    template = client.get("/people/import/template/residents.xlsx")
    assert template.status_code == 200 and template["Content-Type"] == excel.XLSX


def test_import_page_is_forbidden_to_roles_that_may_not_edit(client, personas):
    client.force_login(personas["li"])
    assert client.get("/people/import/").status_code == 403


def test_export_pages_request_and_list_my_exports(client, personas, residents):
    client.force_login(personas["li"])
    response = client.post("/people/exports/request/", {"kind": "residents", "q": "王", "tag": ""})
    assert response.status_code == 302 and response["Location"] == "/people/exports/"
    job = ExportJob.objects.get()
    assert (job.requested_by, job.params) == (personas["li"], {"q": "王"})
    html = client.get("/people/exports/").content.decode()
    assert html.count('data-testid="export-row"') == 1 and 'http-equiv="refresh"' in html
    assert client.get(f"/people/exports/{job.pk}/download/").status_code == 404  # not ready yet
    client.force_login(personas["chen"])
    assert 'data-testid="export-row"' not in client.get("/people/exports/").content.decode()
