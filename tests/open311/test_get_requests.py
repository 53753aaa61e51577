"""GET requests.{fmt} and requests/{id}.{fmt}: what the public sees of cases, the filters and their limits
(90 days, 1000 newest), the extensions (paging, updated_after/before, extensions=true) and jurisdictions."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.open311 import schemas
from tests.open311.conftest import as_json, as_xml, local
from zhizhi.cases.models import Case
from zhizhi.core import clock


def test_a_case_is_shown_with_status_agency_and_deadline_from_the_mapping(anon, report, walk, frozen_clock):
    case = walk(report(), "accepted")
    body = as_json(anon.get(f"/open311/v2/requests/{case.pk}.json"))
    schemas.check(body, schemas.REQUESTS)
    item = body[0]
    assert item["service_request_id"] == str(case.pk)
    assert item["status"] == "open"
    assert item["status_notes"] == "武林街道环卫所已签收"
    assert item["agency_responsible"] == "武林街道环卫所"
    assert item["expected_datetime"] == local(case.deadline)
    assert item["requested_datetime"] == local(case.created_at)
    assert item["requested_datetime"].endswith("+08:00")
    assert (item["lat"], item["long"]) == (case.lat, case.lon)


def test_a_closed_case_is_closed_without_expected_time(anon, report, walk, frozen_clock):
    case = walk(report(), "closed")
    item = as_json(anon.get(f"/open311/v2/requests/{case.pk}.json"))[0]
    assert item["status"] == "closed" and item["expected_datetime"] is None
    assert item["status_notes"] == "已办结：问题已解决"
    assert item["media_url"].startswith("http://testserver/open311/v2/media/")  # the handling evidence


def test_no_personal_data_leaves_through_open311(anon, report, frozen_clock):
    case = report(reporter_name="张阿姨", contact_phone="13812345678")
    raw = anon.get(f"/open311/v2/requests/{case.pk}.json?extensions=true").content.decode("utf-8")
    assert "张阿姨" not in raw and "13812345678" not in raw
    assert "138****5678" in raw  # the phone number in the description is masked


def test_one_request_in_xml_is_still_inside_service_requests(anon, report, frozen_clock):
    case = report()
    root = as_xml(anon.get(f"/open311/v2/requests/{case.pk}.xml"))
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 1
    assert requests[0].findtext("service_request_id") == str(case.pk)
    assert requests[0].findtext("service_name") == "暴露垃圾"
    assert requests[0].find("zipcode") is not None and requests[0].findtext("zipcode") == ""


def test_several_requests_in_xml_newest_first(anon, report, frozen_clock):
    first = report()
    frozen_clock.advance(minutes=5)
    second = report(category="道路破损")
    root = as_xml(anon.get("/open311/v2/requests.xml"))
    ids = [r.findtext("service_request_id") for r in root.findall("request")]
    assert ids == [str(second.pk), str(first.pk)]
    assert root.findall("request")[0].findtext("service_name") == "道路破损"


def test_the_request_can_be_found_by_its_case_number_too(anon, report, frozen_clock):
    case = report()
    body = as_json(anon.get(f"/open311/v2/requests/{case.number}.json"))
    assert body[0]["service_request_id"] == str(case.pk)


def test_an_unknown_request_is_404(anon, db):
    schemas.check_error(anon.get("/open311/v2/requests/424242.json"), 404, "424242")
    root = as_xml(anon.get("/open311/v2/requests/424242.xml"))
    assert root.findtext("error/code") == "404"


def test_cases_of_private_categories_and_channels_are_not_public(anon, report, personas, frozen_clock):
    from zhizhi.cases.services import SYSTEM, CaseInput, open_case

    alarm = open_case(
        SYSTEM,
        CaseInput(
            category="独居老人告警", description="门磁12小时未开", channel="sensor", lat=30.271, lon=120.161
        ),
    ).case
    shown = report()
    ids = [r["service_request_id"] for r in as_json(anon.get("/open311/v2/requests.json"))]
    assert ids == [str(shown.pk)]
    schemas.check_error(anon.get(f"/open311/v2/requests/{alarm.pk}.json"), 404)


def test_a_service_request_id_list_overrides_the_other_filters(anon, report, frozen_clock):
    a, b, c = report(), report(), report(category="道路破损")
    Case.objects.filter(pk=a.pk).update(created_at=clock.now() - dt.timedelta(days=400))
    url = f"/open311/v2/requests.json?service_request_id={a.pk},{c.pk}&service_code=E06010&status=closed"
    ids = {r["service_request_id"] for r in as_json(anon.get(url))}
    assert ids == {str(a.pk), str(c.pk)}
    assert str(b.pk) not in ids


def test_service_code_and_status_filter(anon, report, walk, frozen_clock):
    garbage, road = report(), report(category="道路破损")
    walk(garbage, "closed")
    url = "/open311/v2/requests.json?service_code=E06013,E06010&status=open"
    assert [r["service_request_id"] for r in as_json(anon.get(url))] == [str(road.pk)]
    closed = as_json(anon.get("/open311/v2/requests.json?status=closed"))
    assert [r["service_request_id"] for r in closed] == [str(garbage.pk)]
    schemas.check_error(anon.get("/open311/v2/requests.json?status=pending"), 400, "status")


def test_dates_limit_the_search_to_at_most_90_days(anon, report, frozen_clock):
    old = report()
    Case.objects.filter(pk=old.pk).update(created_at=clock.now() - dt.timedelta(days=100))
    recent = report()
    ids = [r["service_request_id"] for r in as_json(anon.get("/open311/v2/requests.json"))]
    assert ids == [str(recent.pk)]  # the default span: the last 90 days
    url = "/open311/v2/requests.json?start_date=2026-08-01T00:00:00Z&end_date=2026-08-30T00:00:00Z"
    assert [r["service_request_id"] for r in as_json(anon.get(url))] == [str(old.pk)]
    too_long = "/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"
    schemas.check_error(anon.get(too_long), 400, "90 days")
    schemas.check_error(anon.get("/open311/v2/requests.json?start_date=yesterday"), 400, "start_date")


def test_dates_accept_offsets_and_empty_values_are_absent(anon, report, frozen_clock):
    case = report()
    start = (clock.now() - dt.timedelta(hours=1)).astimezone(clock.SHANGHAI).isoformat()
    response = anon.get(
        "/open311/v2/requests.json", {"start_date": start, "end_date": "", "service_code": ""}
    )
    assert [r["service_request_id"] for r in as_json(response)] == [str(case.pk)]


def test_the_default_is_the_newest_1000_and_pages_go_further(anon, report, frozen_clock, settings):
    cases = []
    for _ in range(5):
        cases.append(report())
        frozen_clock.advance(minutes=1)
    newest_first = [str(c.pk) for c in reversed(cases)]
    page1 = as_json(anon.get("/open311/v2/requests.json?page_size=2"))
    page3 = as_json(anon.get("/open311/v2/requests.json?page_size=2&page=3"))
    assert [r["service_request_id"] for r in page1] == newest_first[:2]
    assert [r["service_request_id"] for r in page3] == newest_first[4:]
    schemas.check_error(anon.get("/open311/v2/requests.json?page_size=1001"), 400, "page_size")
    schemas.check_error(anon.get("/open311/v2/requests.json?page=0"), 400, "page")


def test_updated_after_and_before_select_by_last_change(anon, report, walk, frozen_clock):
    quiet = report()
    Case.objects.filter(pk=quiet.pk).update(created_at=clock.now() - dt.timedelta(days=200))
    Case.objects.filter(pk=quiet.pk).update(updated_at=clock.now() - dt.timedelta(days=200))
    busy = report()
    Case.objects.filter(pk=busy.pk).update(created_at=clock.now() - dt.timedelta(days=200))
    frozen_clock.advance(hours=1)
    walk(busy, "registered")
    after = (clock.now() - dt.timedelta(minutes=30)).isoformat()
    ids = [
        r["service_request_id"]
        for r in as_json(anon.get("/open311/v2/requests.json", {"updated_after": after}))
    ]
    assert ids == [str(busy.pk)]  # reported 200 days ago, changed just now
    before = (clock.now() - dt.timedelta(days=150)).isoformat()  # the 90 days before it
    ids = [
        r["service_request_id"]
        for r in as_json(anon.get("/open311/v2/requests.json", {"updated_before": before}))
    ]
    assert ids == [str(quiet.pk)]


def test_extensions_add_attributes_notes_and_extended_attributes(anon, post_request, walk, frozen_clock):
    body = as_json(post_request(service_code="E06001", **{"attribute[building_state]": "在建"}))
    case = Case.objects.get(pk=int(body[0]["service_request_id"]))
    frozen_clock.advance(minutes=10)
    walk(case, "dispatched")
    plain = as_json(anon.get(f"/open311/v2/requests/{case.pk}.json"))
    assert "notes" not in plain[0]
    extended = as_json(anon.get(f"/open311/v2/requests/{case.pk}.json?extensions=true"))
    schemas.check(extended, schemas.REQUESTS_EXTENDED)
    item = extended[0]
    assert item["attributes"] == [{"code": "building_state", "description": "搭建状态", "value": "在建"}]
    assert [n["summary"] for n in item["notes"]] == ["已受理", "核实中", "已安排处置"]
    assert [n["description"] for n in item["notes"]] == ["已受理", "已立案", "已派遣至武林街道环卫所"]
    assert item["notes"][-1]["status"] == "ACTION_SCHEDULED"
    assert item["extended_attributes"]["case_number"] == case.number
    root = as_xml(anon.get(f"/open311/v2/requests/{case.pk}.xml?extensions=true"))
    assert len(root.findall("request/notes/note")) == 3
    assert root.findtext("request/attributes/attribute/value") == "在建"


def test_the_list_takes_a_fixed_number_of_queries(
    anon, report, walk, frozen_clock, django_assert_max_num_queries
):
    for _ in range(3):
        report()
    with django_assert_max_num_queries(8):
        few = as_json(anon.get("/open311/v2/requests.json?extensions=true"))
    for _ in range(6):
        report()
    with django_assert_max_num_queries(8):
        many = as_json(anon.get("/open311/v2/requests.json?extensions=true"))
    assert len(few) == 3 and len(many) == 9


@pytest.fixture
def two_jurisdictions(settings, street):
    settings.OPEN311_JURISDICTIONS = {
        "zhuganxiang": street.community_a.code,
        "longyou": street.community_b.code,
    }


def test_with_several_jurisdictions_the_id_is_required_and_checked(
    anon, report, two_jurisdictions, frozen_clock
):
    case = report()
    schemas.check_error(anon.get("/open311/v2/requests.json"), 400, "jurisdiction_id is required")
    schemas.check_error(anon.get("/open311/v2/services.json?jurisdiction_id=atlantis"), 404, "atlantis")
    mine = as_json(anon.get("/open311/v2/requests.json?jurisdiction_id=zhuganxiang"))
    other = as_json(anon.get("/open311/v2/requests.json?jurisdiction_id=longyou"))
    assert [r["service_request_id"] for r in mine] == [str(case.pk)] and other == []
    schemas.check_error(anon.get(f"/open311/v2/requests/{case.pk}.json?jurisdiction_id=longyou"), 404)


def test_with_several_jurisdictions_a_point_elsewhere_is_outside(
    post_request, two_jurisdictions, frozen_clock
):
    description = schemas.check_error(post_request(jurisdiction_id="longyou"), 400, "outside")
    assert "longyou" in description and "龙游社区" in description
    assert post_request(jurisdiction_id="zhuganxiang").status_code == 201


def test_on_a_single_jurisdiction_the_id_is_optional_but_checked(anon, db):
    assert anon.get("/open311/v2/services.json").status_code == 200
    assert anon.get("/open311/v2/services.json?jurisdiction_id=zhizhi").status_code == 200
    schemas.check_error(anon.get("/open311/v2/services.json?jurisdiction_id=elsewhere"), 404)
