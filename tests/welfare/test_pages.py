"""Welfare pages: register, case file, programme rule editor with preview, enrolments with bulk verify,
batches with receipt import, the advisor's workbench — scope, masking and query budgets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.welfare.helpers import AS_OF, resident
from zhizhi.welfare.models import CaseFile, Enrolment, PartnerAccount
from zhizhi.welfare.services import casefiles, delivery
from zhizhi.welfare.services import enrolment as enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(family, family_b, sun, advisors, frozen_clock):
    casefiles.open_case_files(sun)
    casefiles.assign_advisor(sun, CaseFile.objects.get(resident__name="张阿姨").pk, "zhou")
    return {c.resident.name: c for c in CaseFile.objects.select_related("resident")}


def test_the_register_lists_vulnerable_people_of_the_area_masked(client, personas, files):
    client.force_login(personas["chen"])
    page = client.get(reverse("welfare:register")).content.decode()
    assert "张阿姨" in page and "王大伯" in page and "赵叔" not in page
    assert personas["zhang_record"].id_number_masked in page
    assert personas["zhang_record"].id_number not in page


def test_the_register_filters_by_risk_and_overdue(client, personas, files):
    client.force_login(personas["chen"])
    page = client.get(reverse("welfare:register"), {"risk": "medium"}).content.decode()
    assert "张阿姨" in page and "王大伯" not in page
    bad = client.get(reverse("welfare:register"), {"community": "12"})
    assert bad.status_code == 400


def test_the_register_stays_within_a_query_budget(client, personas, files, street):
    for i in range(20):
        resident(street.dwelling_a2, f"老人{i}", born=dt.date(1935, 1, 1), tags=("独居",))
    casefiles.open_case_files(personas["chen"])
    client.force_login(personas["chen"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("welfare:register"))
    assert response.status_code == 200 and response.content.decode().count('data-testid="register-row"') == 22
    assert len(queries) <= 8, [q["sql"] for q in queries]


def test_a_resident_has_no_welfare_pages(client, personas, files):
    client.force_login(personas["zhang"])
    assert client.get(reverse("welfare:register")).status_code == 403
    assert client.get(reverse("welfare:casefile_detail", args=[files["张阿姨"].pk])).status_code == 404


def test_the_case_file_shows_risk_factors_and_reveals_the_whole_id_only_on_request(client, personas, files):
    client.force_login(personas["chen"])
    url = reverse("welfare:casefile_detail", args=[files["张阿姨"].pk])
    page = client.get(url).content.decode()
    assert personas["zhang_record"].id_number not in page
    assert 'data-testid="risk"' in page
    revealed = client.post(reverse("welfare:casefile_reveal", args=[files["张阿姨"].pk])).content.decode()
    assert personas["zhang_record"].id_number in revealed


def test_an_advisor_opens_only_their_elders_and_records_a_visit(client, advisors, files):
    client.force_login(advisors["zhou"])
    assert client.get(reverse("welfare:casefile_detail", args=[files["王大伯"].pk])).status_code == 404
    url = reverse("welfare:casefile_act", args=[files["张阿姨"].pk])
    photo = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    response = client.post(url, {"do": "visit", "note": "测血压 135/85", "kind": "home", "photos": [photo]})
    assert response.status_code == 302
    page = client.get(reverse("welfare:casefile_detail", args=[files["张阿姨"].pk])).content.decode()
    assert "测血压 135/85" in page
    bad = client.post(url, {"do": "visit", "note": "x", "lat": "north"})
    assert bad.status_code == 400 and "lat" in bad.content.decode()
    workbench = client.get(reverse("welfare:workbench")).content.decode()
    assert workbench.count('data-testid="elder-row"') == 1


def test_the_rule_editor_previews_and_points_at_errors(client, sun, family, programmes, frozen_clock):
    client.force_login(sun)
    url = reverse("welfare:programme_detail", args=["aged"])
    ok = client.post(url, {"rule": "age >= 70", "do": "preview"}).content.decode()
    assert 'data-testid="preview-result"' in ok and "王大伯" in ok
    bad = client.post(url, {"rule": "age >= 70 and (", "do": "preview"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert ("line 1, column 16" in text or "第 1 行第 16 列" in text) and "               ^" in text


def test_bulk_verify_from_the_enrolment_list(client, sun, family, family_b, programmes):
    enrol.reevaluate_programme(programmes["power"], AS_OF)
    client.force_login(sun)
    url = reverse("welfare:enrolment_list", args=["power"])
    page = client.get(url, {"status": "draft"}).content.decode()
    assert page.count('data-testid="enrolment-row"') == 2
    assert "household_tags = 低保" in page
    ids = list(Enrolment.objects.values_list("pk", flat=True))
    response = client.post(reverse("welfare:enrolment_verify", args=["power"]), {"ids": ids})
    assert response.status_code == 302
    assert set(Enrolment.objects.values_list("status", flat=True)) == {"enrolled"}


def test_a_cycle_and_a_receipt_from_the_pages(client, sun, family, programmes, frozen_clock):
    enrol.reevaluate_programme(programmes["water"], AS_OF)
    enrol.verify_enrolments(sun, list(Enrolment.objects.values_list("pk", flat=True)))
    e = Enrolment.objects.get()
    PartnerAccount.objects.create(
        partner=programmes["water"].partner, household=e.household, account_number="W-1"
    )
    client.force_login(sun)
    response = client.post(reverse("welfare:cycle_run", args=["water"]), {"period": "2026-11"})
    assert response.status_code == 302
    batch_url = response["Location"]
    assert "WATER-2026-11-01" in client.get(batch_url).content.decode()
    receipt = SimpleUploadedFile("r.csv", "流水号,结果,原因\nWATER-2026-11-01-00001,成功,\n".encode())
    page = client.post(batch_url, {"file": receipt}).content.decode()
    assert 'data-testid="receipt-result"' in page
    casefiles.open_case_files(sun)
    casefile = CaseFile.objects.get(resident=family["wang"])
    shown = client.get(reverse("welfare:casefile_detail", args=[casefile.pk])).content.decode()
    assert shown.count('data-testid="benefit-row"') == 1 and "水费减免" in shown


def test_delivery_pages_are_for_delivery_staff(client, personas):
    client.force_login(personas["chen"])
    assert client.get(reverse("welfare:batch_list")).status_code == 403


def test_rerun_from_the_page_sends_nothing_twice(client, sun, family, programmes, frozen_clock):
    enrol.reevaluate_programme(programmes["water"], AS_OF)
    enrol.verify_enrolments(sun, list(Enrolment.objects.values_list("pk", flat=True)))
    PartnerAccount.objects.create(
        partner=programmes["water"].partner, household=family["household"], account_number="W-1"
    )
    delivery.run_cycle(sun, programmes["water"], "2026-11")
    client.force_login(sun)
    response = client.post(reverse("welfare:cycle_run", args=["water"]), {"period": "2026-11"}, follow=True)
    assert "Nothing to send" in response.content.decode() or "没有" in response.content.decode()
