"""The case file's links to what other apps hold about the person (welfare.links): their cases and door-sensor
alarms, each read through its own app's scope, masked, in the timeline too; the risk score's "recent alarms"
from real alarms; sensor alarms reach the person's own advisor; a source that is not registered draws nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.welfare.helpers import resident
from zhizhi.cases.services import CaseInput, open_case
from zhizhi.core import clock
from zhizhi.sensors import links as sensor_links
from zhizhi.sensors.models import Alarm, AlarmKind, ContactAttempt, Gateway, LadderStep, Outcome
from zhizhi.sensors.services import alarms, devices, watch
from zhizhi.welfare import links, queries
from zhizhi.welfare.models import CaseFile
from zhizhi.welfare.services import casefiles

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)  # the frozen clock: 10:00 in Shanghai


@pytest.fixture
def zhang_watch(street, personas):
    door = devices.register_device(
        None,
        vendor_id="0x00158d0001aa0001",
        friendly_name="zhang-door",
        gateway=Gateway.objects.create(name="zigbee2mqtt"),
        dwelling=street.dwelling_a1,
        residents=[personas["zhang_record"]],
    )
    assert door.pk
    return watch.watch_resident(personas["admin"], personas["zhang_record"])


def raise_alarm(w, key: str, *, kind=AlarmKind.NO_ACTIVITY, at=None) -> Alarm:
    at = at or clock.now()
    with clock.frozen(at):
        alarm = alarms.raise_alarm(w, kind, at, key)
    assert alarm is not None
    return alarm


@pytest.fixture
def world(street, personas, family, sun, advisors, zhang_watch, frozen_clock):
    """张阿姨's case file (advisor 小周), her own report, a case opened from her door-sensor alarm, and cases
    that are not hers (王大伯's neighbour reported one about grid A1)."""
    casefiles.open_case_files(sun)
    zhang_file = CaseFile.objects.get(resident=personas["zhang_record"])
    casefiles.assign_advisor(sun, zhang_file.pk, "zhou")
    own = open_case(
        personas["zhang"],
        CaseInput(category="暴露垃圾", description="楼下垃圾没人清理", lat=30.271, lon=120.161),
    ).case
    alarm = raise_alarm(zhang_watch, "zhang-silence-1")
    alarms.open_missing_cases(Alarm.objects.filter(pk=alarm.pk))
    alarm.refresh_from_db()
    neighbour = resident(street.dwelling_a1, "邻居老李")
    from tests import factories
    from zhizhi.core.roles import Role

    account = factories.make_user("laoli", Role.RESIDENT, street.grid_a1, "邻居老李", resident=neighbour)
    other = open_case(
        account, CaseInput(category="暴露垃圾", description="门口垃圾", lat=30.271, lon=120.161)
    ).case
    return {"file": zhang_file, "own": own, "alarm": alarm, "other": other}


def page_of(client, user, casefile) -> str:
    client.force_login(user)
    response = client.get(reverse("welfare:casefile_detail", args=[casefile.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_file_links_her_cases_and_alarms_in_sections_and_timeline(client, personas, world):
    page = page_of(client, personas["chen"], world["file"])
    alarm_case = world["alarm"].case_number
    assert world["own"].number in page and alarm_case in page
    assert world["other"].number not in page  # a case in her grid, but not hers
    assert 'data-testid="links-cases"' in page and 'data-testid="links-alarms"' in page
    assert 'data-testid="timeline-case"' in page and 'data-testid="timeline-alarm"' in page
    assert reverse("cases:detail", args=[world["own"].pk]) in page
    assert reverse("sensors:alarm_detail", args=[world["alarm"].pk]) in page
    zhang = personas["zhang_record"]
    assert zhang.id_number not in page and zhang.phone not in page


def test_each_viewer_sees_only_what_their_role_may_open(client, personas, advisors, sun, world):
    # the advisor sees the alarms of her community but no case her units do not hold (cases scope: units)
    page = page_of(client, advisors["zhou"], world["file"])
    assert reverse("sensors:alarm_detail", args=[world["alarm"].pk]) in page
    assert world["own"].number not in page
    sections = {s.key: s for s in links.linked(advisors["zhou"], personas["zhang_record"])}
    assert sections["cases"].items == [] and len(sections["alarms"].items) == 1
    # the grid worker of grid A1 sees both cases (area scope)
    sections = {s.key: s for s in links.linked(personas["xiaowang"], personas["zhang_record"])}
    assert {i.number for i in sections["cases"].items} == {world["own"].number, world["alarm"].case_number}
    # another community's staff member sees nothing of hers, and cannot open the file at all
    assert all(not s.items for s in links.linked(personas["outsider"], personas["zhang_record"]))
    client.force_login(personas["outsider"])
    assert client.get(reverse("welfare:casefile_detail", args=[world["file"].pk])).status_code == 404


def test_the_case_file_page_keeps_its_query_budget(client, personas, world, django_assert_max_num_queries):
    client.force_login(personas["chen"])
    url = reverse("welfare:casefile_detail", args=[world["file"].pk])
    client.get(url)  # warm the session and the caches (17 queries on SQLite and PostgreSQL)
    with django_assert_max_num_queries(20):
        client.get(url)
    for i in range(2, 8):  # more alarms and cases: the same number of queries
        alarm = raise_alarm(
            Alarm.objects.get(pk=world["alarm"].pk).watch, f"zhang-silence-{i}", at=NOW - dt.timedelta(days=i)
        )
        alarms.open_missing_cases(Alarm.objects.filter(pk=alarm.pk))
    with django_assert_max_num_queries(20):
        page = client.get(url).content.decode()
    assert page.count('data-testid="timeline-alarm"') == 7


def test_recent_alarms_raise_the_risk_score_false_alarms_and_old_ones_do_not(
    personas, world, zhang_watch, advisors
):
    casefile = CaseFile.objects.get(pk=world["file"].pk)
    assert casefiles.assess_risk(casefile).factors[-1].code == "alarms"  # one alarm today
    raise_alarm(zhang_watch, "old", at=NOW - dt.timedelta(days=40))
    false = raise_alarm(zhang_watch, "false", at=NOW - dt.timedelta(days=3))
    Alarm.objects.filter(pk=false.pk).update(outcome=Outcome.FALSE_ALARM)
    assert casefiles.reassess_risks() == 1
    casefile.refresh_from_db()
    alarm_factor = [f for f in casefile.risk_factors if f["code"] == "alarms"]
    assert alarm_factor == [
        {"code": "alarms", "label": "Alarms in the last 30 days", "points": 2, "detail": "1"}
    ]
    # 85, alone (5) + one alarm (2) = 7: medium still; a second real alarm reaches high (8+) and tightens visits
    raise_alarm(zhang_watch, "second", at=NOW - dt.timedelta(days=1))
    casefiles.reassess_risks()
    casefile.refresh_from_db()
    assert (casefile.risk_score, casefile.risk_level, casefile.visit_interval_days) == (9, "high", 7)
    assert casefile.next_visit_due == dt.date(2026, 11, 27) + dt.timedelta(days=7)
    assert casefiles.reassess_risks() == 0  # nothing changed since


def test_the_reassess_button_on_the_case_file(client, advisors, world):
    client.force_login(advisors["zhou"])
    url = reverse("welfare:casefile_act", args=[world["file"].pk])
    assert client.post(url, {"do": "risk"}).status_code == 302
    page = client.get(reverse("welfare:casefile_detail", args=[world["file"].pk])).content.decode()
    assert 'data-testid="risk-factor-alarms"' in page


def test_sensor_alarms_reach_the_persons_own_advisor(personas, world, advisors, zhang_watch):
    assert queries.advisors_of_resident(personas["zhang_record"]) == [advisors["zhou"]]
    assert sensor_links.advisors_of(personas["zhang_record"]) == [advisors["zhou"]]
    alarm = raise_alarm(zhang_watch, "ladder")
    Alarm.objects.filter(pk=alarm.pk).update(step=LadderStep.FAMILY)
    alarms._queue_contacts(Alarm.objects.get(pk=alarm.pk), LadderStep.FAMILY, clock.now())
    told = set(
        ContactAttempt.objects.filter(alarm=alarm, target_role="advisor").values_list("user_id", flat=True)
    )
    assert told == {advisors["zhou"].pk}  # not 小吴, who does not serve her


def test_without_an_assigned_advisor_the_communitys_advisors_hear(street, personas, family, advisors):
    assert set(queries.advisors_of_resident(family["wang"])) == {advisors["zhou"], advisors["wu"]}
    nowhere = resident(street.dwelling_b1, "龙游老人")
    assert queries.advisors_of_resident(nowhere) == [advisors["zheng"]]


def test_sources_are_a_registry_and_unregistered_apps_draw_nothing(client, personas, world, monkeypatch):
    monkeypatch.setattr(links, "_SOURCES", {})
    page = page_of(client, personas["chen"], world["file"])
    assert 'data-testid="links-' not in page and 'data-testid="timeline-case"' not in page

    def orders(viewer, person, limit):
        return [links.LinkItem(at=NOW, kind="order", title="助餐服务", number="SO-1", status="已完成")]

    def broken(viewer, person, limit):
        raise RuntimeError("the app is down")

    links.register(links.Source("orders", "服务订单", orders, order=30))
    links.register(links.Source("applications", "办事申请", broken, order=40))
    page = page_of(client, personas["chen"], world["file"])
    assert 'data-testid="links-orders"' in page and "SO-1" in page and 'data-testid="timeline-order"' in page
    assert 'data-testid="links-applications"' in page  # shown as failed, the rest of the page still there
    assert 'data-testid="risk"' in page


def test_the_api_returns_the_links_too(client, personas, world):
    client.force_login(personas["chen"])
    body = client.get(f"/api/welfare/casefiles/{world['file'].pk}").json()
    sections = {s["key"]: s for s in body["links"]}
    assert {i["number"] for i in sections["cases"]["items"]} == {
        world["own"].number,
        world["alarm"].case_number,
    }
    assert {e["kind"] for e in body["timeline"]} >= {"case", "alarm", "opened"}
