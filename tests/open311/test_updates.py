"""mySociety servicerequestupdates: the feed of published steps with extended statuses (GET), and clients'
updates on cases (POST) — kept, idempotent, never moving the case, a reopen request told to dispatchers."""

from __future__ import annotations

import pytest

from tests.open311 import schemas
from tests.open311.conftest import KEY, as_json, as_xml, local
from zhizhi.cases.models import Notification
from zhizhi.open311.models import ClientUpdate


def test_the_feed_has_every_published_step_with_its_extended_status(anon, report, walk, frozen_clock):
    case = report()
    frozen_clock.advance(minutes=5)
    walk(case, "closed")
    body = as_json(anon.get("/open311/v2/servicerequestupdates.json"))
    schemas.check(body, schemas.UPDATES)
    assert {u["service_request_id"] for u in body} == {str(case.pk)}
    assert [u["status"] for u in body] == [
        "OPEN", "INVESTIGATING", "ACTION_SCHEDULED", "ACTION_SCHEDULED", "IN_PROGRESS", "IN_PROGRESS",
        "FIXED", "FIXED",
    ]  # fmt: skip
    assert body[5]["description"] == "武林街道环卫所已处置：已清运完毕"
    assert body[5]["media_url"].startswith("http://testserver/open311/v2/media/")  # the evidence photo
    assert body[-1]["description"] == "已办结：问题已解决"
    assert body[0]["updated_datetime"] == local(case.created_at)


def test_internal_steps_and_reasons_stay_out_of_the_feed(anon, report, walk, personas, frozen_clock):
    from zhizhi.cases.services import supervise_case

    case = walk(report(), "accepted")
    supervise_case(personas["li"], case.pk, reason="领导批示：限期解决")
    raw = anon.get("/open311/v2/servicerequestupdates.json").content.decode("utf-8")
    assert "领导批示" not in raw
    assert len(as_json(anon.get("/open311/v2/servicerequestupdates.json"))) == 4


def test_the_feed_in_xml_and_its_date_window(anon, report, frozen_clock):
    case = report()
    root = as_xml(anon.get("/open311/v2/servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    updates = root.findall("request_update")
    assert len(updates) == 1 and updates[0].findtext("service_request_id") == str(case.pk)
    assert updates[0].findtext("status") == "OPEN"
    empty = as_json(
        anon.get(
            "/open311/v2/servicerequestupdates.json",
            {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-01-02T00:00:00+08:00"},
        )
    )
    assert empty == []
    too_long = (
        "/open311/v2/servicerequestupdates.json?start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z"
    )
    schemas.check_error(anon.get(too_long), 400, "90 days")


@pytest.fixture
def post_update(anon, api_key):
    def _post(fmt="json", **fields):
        data = {"api_key": KEY, "update_id": "fms-1", "status": "OPEN", "description": "还是很脏"}
        data.update(fields)
        return anon.post(
            f"/open311/v2/servicerequestupdates.{fmt}", {k: v for k, v in data.items() if v is not None}
        )

    return _post


def test_a_client_update_is_kept_and_shown_in_the_notes(anon, report, post_update, frozen_clock):
    case = report()
    response = post_update(service_request_id=case.pk, first_name="阿姨", last_name="张")
    assert response.status_code == 201
    body = as_json(response)
    schemas.check(body, schemas.POST_UPDATE_RESPONSE)
    row = ClientUpdate.objects.get()
    assert body == [{"update_id": f"c{row.pk}"}]
    assert row.case == case and row.author_name == "张阿姨" and not row.reopen_requested
    case.refresh_from_db()
    assert case.status == "received"  # a client never moves the case
    notes = as_json(anon.get(f"/open311/v2/requests/{case.pk}.json?extensions=true"))[0]["notes"]
    assert notes[-1]["type"] == "comment" and notes[-1]["description"] == "还是很脏"


def test_the_same_update_id_is_kept_once(report, post_update, frozen_clock):
    case = report()
    first = post_update(service_request_id=case.pk)
    again = post_update(service_request_id=case.pk)
    assert first.status_code == 201 and again.status_code == 200
    assert as_json(first) == as_json(again)
    assert ClientUpdate.objects.count() == 1


def test_reopen_on_a_closed_case_is_flagged_to_the_dispatchers(
    report, walk, post_update, personas, frozen_clock
):
    case = walk(report(), "closed")
    root = as_xml(post_update(fmt="xml", service_request_id=case.pk, status="reopen"))
    assert root.tag == "service_request_updates" and root.findtext("request_update/update_id").startswith("c")
    assert ClientUpdate.objects.get().reopen_requested
    told = Notification.objects.filter(case=case, event="open311_reopen")
    assert [n.recipient for n in told] == [personas["li"]]


def test_update_errors_name_the_parameter(report, post_update, frozen_clock):
    case = report()
    schemas.check_error(post_update(service_request_id=None), 400, "service_request_id is required")
    schemas.check_error(post_update(service_request_id=case.pk, status="SORTED"), 400, "status", "FIXED")
    schemas.check_error(post_update(service_request_id=999999), 404, "999999")
    schemas.check_error(post_update(service_request_id=case.pk, api_key="nope"), 403)
    schemas.check_error(
        post_update(service_request_id=case.pk, updated_datetime="soon"), 400, "updated_datetime"
    )
