"""Live detection and the alarm ladder: rules firing on time, one alarm per episode, escalation, acknowledge,
resolve with the outcome, the case opened through the cases app, and sensor health kept apart."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.sensors.conftest import PREFIX
from zhizhi.cases.models import Notification
from zhizhi.core.errors import Forbidden, InvalidInput
from zhizhi.sensors import zigbee
from zhizhi.sensors.contact import DevelopmentAdapter
from zhizhi.sensors.models import (
    Alarm,
    AlarmKind,
    AlarmLog,
    AlarmStatus,
    ContactAttempt,
    ContactStatus,
    LadderStep,
    Watch,
)
from zhizhi.sensors.services import alarms, health, tick, watch
from zhizhi.sensors.services.ingest import Inbound, ingest

pytestmark = pytest.mark.django_db

# 23:00 on Monday 2 March 2026 in Shanghai.
NIGHT = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
MORNING = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 09:00


def door_says(contact: bool, at: dt.datetime, name: str = "zhang-door") -> None:
    ingest([Inbound(f"{PREFIX}/{name}", zigbee.state_payload(contact, last_seen=at), at)])


def test_a_door_left_open_at_night_alarms_within_5_seconds_of_the_threshold(zhang_watch, clock_at):
    fake = clock_at(NIGHT)
    door_says(False, NIGHT)
    zhang_watch.refresh_from_db()
    threshold = NIGHT + dt.timedelta(minutes=10)
    assert zhang_watch.next_check_at == threshold
    fake.advance(minutes=9, seconds=59)
    assert watch.check_due() == []
    fake.advance(seconds=2)  # the evaluator runs every 2 s by default
    (alarm,) = watch.check_due()
    assert alarm.kind == AlarmKind.NIGHT_DOOR_OPEN
    assert alarm.due_at == threshold
    assert (alarm.raised_at - threshold).total_seconds() <= 5


def test_one_episode_raises_one_alarm(zhang_watch, clock_at):
    fake = clock_at(NIGHT)
    door_says(False, NIGHT)
    fake.advance(minutes=11)
    assert len(watch.check_due()) == 1
    fake.advance(minutes=30)  # the door is still open: door_left_open belongs to the same episode
    assert [a.kind for a in watch.check_due()] == []
    assert Alarm.objects.count() == 1


def test_closing_the_door_in_time_raises_nothing(zhang_watch, clock_at):
    fake = clock_at(NIGHT)
    door_says(False, NIGHT)
    fake.advance(minutes=5)
    door_says(True, NIGHT + dt.timedelta(minutes=5))
    fake.advance(minutes=10)
    assert watch.check_due() == []


def test_no_activity_for_24_hours_alarms(zhang_watch, clock_at):
    fake = clock_at(MORNING)
    Watch.objects.filter(pk=zhang_watch.pk).update(config={"use_baseline": False})
    door_says(False, MORNING)
    door_says(True, MORNING + dt.timedelta(seconds=5))
    fake.advance(hours=23, minutes=59)
    assert watch.check_due() == []
    fake.advance(minutes=2)
    assert [a.kind for a in watch.check_due()] == [AlarmKind.NO_ACTIVITY]


def test_a_disabled_person_alarms_after_12_hours(zhang_watch, personas, clock_at):
    from zhizhi.people.models import Tag

    personas["zhang_record"].tags.add(Tag.objects.get(name="失能"))
    Watch.objects.filter(pk=zhang_watch.pk).update(config={"use_baseline": False})
    fake = clock_at(MORNING)
    door_says(False, MORNING)
    door_says(True, MORNING + dt.timedelta(seconds=5))
    fake.advance(hours=12, minutes=1)
    assert [a.kind for a in watch.check_due()] == [AlarmKind.NO_ACTIVITY]


def texts_to(phone: str) -> list[str]:
    """The text messages queued on the platform's outbox for a phone number."""
    return [
        n.text for n in Notification.objects.filter(channel="sms", event="sensor_alarm") if n.address == phone
    ]


def raise_one(zhang_watch, clock_at) -> Alarm:
    fake = clock_at(NIGHT)
    door_says(False, NIGHT)
    fake.advance(minutes=11)
    (alarm,) = watch.check_due()
    return alarm


def test_the_ladder_climbs_elder_then_family_and_advisor_then_grid_worker(zhang_watch, personas, clock_at):
    from zhizhi.people.services import add_contact

    add_contact(
        personas["admin"],
        personas["zhang_record"],
        kind="family",
        name="张小明",
        relation="儿子",
        phone="13900001111",
    )
    alarm = raise_one(zhang_watch, clock_at)
    alarms.send_contacts()
    elder = ContactAttempt.objects.get(step=LadderStep.ELDER)
    assert (elder.target_role, elder.status, elder.phone_masked) == ("elder", "sent", "138****5678")
    assert (elder.adapter, texts_to("13812345678")) == (
        "platform",
        [elder.message],
    )  # through the SMS adapter
    from zhizhi.core import clock

    assert alarms.advance_ladders(clock.now() + dt.timedelta(minutes=10)) == 1
    alarm.refresh_from_db()
    assert alarm.step == LadderStep.FAMILY
    family = ContactAttempt.objects.filter(step=LadderStep.FAMILY)
    assert {c.target_name for c in family} >= {"张小明"}
    assert alarms.advance_ladders(clock.now() + dt.timedelta(minutes=31)) == 1
    alarm.refresh_from_db()
    assert alarm.step == LadderStep.VISIT and alarm.next_step_at is None
    visit = ContactAttempt.objects.get(step=LadderStep.VISIT)
    assert (visit.target_role, visit.user) == ("grid_worker", personas["xiaowang"])


def test_an_elder_with_no_phone_on_record_is_not_called_and_the_ladder_goes_on_at_once(
    zhang_watch, personas, clock_at
):
    """No number, no call: the attempt is kept as 无电话号码 (never sent) and the advisor and family are reached
    now, not after the elder step's 10 minutes."""
    from zhizhi.people.services import add_contact

    record = personas["zhang_record"]
    record.phone = ""
    record.save()
    add_contact(personas["admin"], record, kind="family", name="张小明", relation="儿子", phone="13900001111")
    alarm = raise_one(zhang_watch, clock_at)
    from zhizhi.core import clock

    assert (alarm.step, alarm.next_step_at) == (LadderStep.FAMILY, clock.now() + dt.timedelta(minutes=20))
    alarms.send_contacts()
    elder = ContactAttempt.objects.get(step=LadderStep.ELDER)
    assert (elder.status, elder.phone, elder.attempts) == (ContactStatus.NO_PHONE, "", 0)
    family = ContactAttempt.objects.get(step=LadderStep.FAMILY, target_name="张小明")
    assert family.status == ContactStatus.SENT
    assert [n.address for n in Notification.objects.filter(channel="sms")] == ["13900001111"]  # not the elder
    steps = list(AlarmLog.objects.filter(alarm=alarm).order_by("pk").values_list("action", "step"))
    assert steps == [("raised", LadderStep.ELDER), ("escalated", LadderStep.FAMILY)]


def test_with_nobody_to_call_the_grid_worker_is_sent_straight_away(zhang_watch, personas, clock_at):
    record = personas["zhang_record"]
    record.phone = ""
    record.save()
    alarm = raise_one(zhang_watch, clock_at)
    assert (alarm.step, alarm.next_step_at) == (LadderStep.VISIT, None)
    visit = ContactAttempt.objects.get(step=LadderStep.VISIT)
    assert (visit.target_role, visit.user, visit.status) == ("grid_worker", personas["xiaowang"], "queued")


def test_the_ladder_reaches_staff_in_their_inbox_linked_to_the_alarm_case(
    zhang_watch, personas, clock_at, client
):
    """With the platform adapter the grid worker's "please visit" is a message in her inbox, linked to the
    alarm's case (opened before the contacts go out), and sending again sends nothing twice."""
    record = personas["zhang_record"]
    record.phone = ""
    record.save()  # nobody to call or advise: the grid worker is sent at once
    alarm = raise_one(zhang_watch, clock_at)
    alarms.after_commit(alarm.pk)
    alarm.refresh_from_db()
    visit = ContactAttempt.objects.get(step=LadderStep.VISIT)
    assert (visit.status, visit.adapter) == (ContactStatus.SENT, "platform")
    (notice,) = Notification.objects.filter(recipient=personas["xiaowang"], event="sensor_alarm")
    assert (notice.case_id, notice.text) == (alarm.case_id, visit.message)
    assert "张阿姨" in notice.text
    assert alarms.send_contacts() == 0
    assert Notification.objects.filter(event="sensor_alarm").count() == 1
    # her home page puts both first: the unread notice and the open alarm
    from django.urls import reverse

    client.force_login(personas["xiaowang"])
    home = client.get(reverse("web:home")).content.decode()
    assert 'class="waiting" href="/cases/inbox/?unread=1" data-testid="tile-unread"' in home
    assert f'class="waiting" href="{reverse("sensors:board")}" data-testid="tile-alarms"' in home


class _Failing:
    """An adapter that writes to the outbox and then fails: what it wrote must not stay behind."""

    name = "failing"

    def send(self, attempt) -> None:
        from zhizhi.cases.services import outbox

        outbox.sms("13900002222", "sensor_alarm", attempt.message)
        raise RuntimeError("gateway down")


def test_a_failed_send_is_kept_for_retry_and_leaves_nothing_half_sent(zhang_watch, clock_at, monkeypatch):
    raise_one(zhang_watch, clock_at)
    monkeypatch.setenv("ZHIZHI_SENSORS_CONTACT_ADAPTER", f"{__name__}._Failing")
    assert alarms.send_contacts() == 0
    elder = ContactAttempt.objects.get(step=LadderStep.ELDER)
    assert (elder.status, elder.attempts, elder.error) == (ContactStatus.FAILED, 1, "gateway down")
    assert not Notification.objects.exists()
    monkeypatch.setenv("ZHIZHI_SENSORS_CONTACT_ADAPTER", "zhizhi.sensors.contact.DevelopmentAdapter")
    assert alarms.send_contacts() == 1  # the retry
    elder.refresh_from_db()
    assert (elder.status, elder.attempts, elder.adapter) == (ContactStatus.SENT, 2, "development")
    assert elder.pk in DevelopmentAdapter.sent and not Notification.objects.exists()


def test_acknowledging_stops_the_ladder(zhang_watch, personas, clock_at):
    alarm = raise_one(zhang_watch, clock_at)
    alarms.acknowledge_alarm(personas["xiaowang"], alarm)
    from zhizhi.core import clock

    assert alarms.advance_ladders(clock.now() + dt.timedelta(hours=1)) == 0
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED and alarm.acknowledged_by == personas["xiaowang"]


def test_resolving_keeps_the_outcome_and_a_false_alarm_must_say_why(zhang_watch, personas, clock_at):
    alarm = raise_one(zhang_watch, clock_at)
    with pytest.raises(InvalidInput) as err:
        alarms.resolve_alarm(personas["xiaowang"], alarm, "false_alarm")
    assert err.value.field == "note"
    alarms.resolve_alarm(personas["xiaowang"], alarm, "false_alarm", "她在门口和邻居聊天")
    alarm.refresh_from_db()
    assert (alarm.status, alarm.outcome, alarm.outcome_note) == (
        "resolved",
        "false_alarm",
        "她在门口和邻居聊天",
    )
    assert list(AlarmLog.objects.filter(alarm=alarm).values_list("action", flat=True))[-1] == "resolved"


def test_an_outsider_cannot_act_on_the_alarm(zhang_watch, personas, clock_at):
    alarm = raise_one(zhang_watch, clock_at)
    with pytest.raises(Forbidden):
        alarms.acknowledge_alarm(personas["outsider"], alarm)
    with pytest.raises(Forbidden):
        alarms.resolve_alarm(personas["zhang"], alarm, "safe")


def test_an_alarm_opens_a_case_of_its_category(zhang_watch, clock_at):
    alarm = raise_one(zhang_watch, clock_at)
    assert alarms.open_missing_cases() == 1
    alarm.refresh_from_db()
    assert alarm.case_id and alarm.case_number
    assert alarms.open_missing_cases() == 0
    from zhizhi.cases.models import Case

    case = Case.objects.get(pk=alarm.case_id)
    assert case.category.name == "独居老人告警" and case.channel == "sensor"
    assert case.answers == {"device": "zhang-door", "alarm": "门未关闭"}  # the door left open at night


def test_the_alarm_and_its_case_link_to_each_other_and_the_case_shows_the_outcome(
    zhang_watch, personas, clock_at, client
):
    """The dispatcher handling the alarm's case sees, on the case page, the alarm it came from and that the grid
    worker found the elder safe; the alarm page links the case for those who may open it."""
    from django.urls import reverse

    from zhizhi.cases import queries as case_queries

    alarm = raise_one(zhang_watch, clock_at)
    alarms.open_missing_cases()
    alarm.refresh_from_db()
    source = case_queries.case_detail(personas["li"], alarm.case_id)["source_link"]
    assert source.url == reverse("sensors:alarm_detail", args=[alarm.pk]) and source.open
    assert "门磁告警" in str(source.label) or "Door-sensor alarm" in str(source.label)
    alarms.resolve_alarm(personas["xiaowang"], alarm, "safe", "老人在家，睡着了")
    client.force_login(personas["li"])
    page = client.get(reverse("cases:detail", args=[alarm.case_id]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert 'data-testid="case-source"' in html and "平安（老人在家，睡着了）" in html
    # the timeline names the platform in the user's language
    assert "· system" not in html and "· 系统" in html
    assert reverse("sensors:alarm_detail", args=[alarm.pk]) in html
    client.force_login(personas["xiaowang"])
    html = client.get(reverse("sensors:alarm_detail", args=[alarm.pk])).content.decode()
    assert f'<a href="{reverse("cases:detail", args=[alarm.case_id])}">{alarm.case_number}</a>' in html
    # a viewer who may not see the alarm gets no source line (another community's staff)
    from zhizhi.cases.sources import link_for

    assert link_for(personas["outsider"], f"sensor-alarm:{alarm.pk}") is None
    assert (
        link_for(personas["li"], "unknown-kind:1") is None
        and link_for(personas["li"], "sensor-alarm:") is None
    )


def test_resolving_the_alarm_tells_the_dispatchers_of_its_open_case(zhang_watch, personas, clock_at):
    from zhizhi.cases.models import Notification

    alarm = raise_one(zhang_watch, clock_at)
    alarms.open_missing_cases()
    alarm.refresh_from_db()
    alarms.resolve_alarm(personas["xiaowang"], alarm, "false_alarm", "门磁松了")
    (told,) = Notification.objects.filter(event="alarm_resolved")
    assert told.recipient == personas["li"] and told.case_id == alarm.case_id  # the street's dispatcher
    assert alarm.case_number in told.text and "误报：门磁松了" in told.text


def test_a_failure_to_tell_the_case_handlers_never_undoes_the_resolution(
    zhang_watch, personas, clock_at, monkeypatch
):
    from zhizhi.sensors import links

    alarm = raise_one(zhang_watch, clock_at)
    alarms.open_missing_cases()
    alarm.refresh_from_db()

    def broken(alarm):
        raise RuntimeError("the outbox is down")

    monkeypatch.setattr(links, "tell_case_handlers", broken)
    alarms.resolve_alarm(personas["xiaowang"], alarm, "safe")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.RESOLVED and alarm.outcome == "safe"


def test_a_failing_source_resolver_leaves_the_case_page_without_its_source(monkeypatch, personas):
    from zhizhi.cases import sources

    def broken(viewer, ident):
        raise RuntimeError("the other app is down")

    monkeypatch.setitem(sources._RESOLVERS, "broken", broken)
    assert sources.link_for(personas["li"], "broken:7") is None


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["长时间未开门", "门未关闭", "紧急呼叫", "外出未归", "异常静默"], "外出未归"),
        (["长时间未开门", "门未关闭", "紧急呼叫"], "长时间未开门"),  # a taxonomy edited before the new types
    ],
)
def test_the_cases_alarm_type_is_one_the_category_offers(zhang_watch, clock_at, options, expected):
    from zhizhi.cases.models import Case, Category

    category = Category.objects.get(name="独居老人告警")
    category.questions = [
        q | {"options": options} if q.get("key") == "alarm" else q for q in category.questions
    ]
    category.save(update_fields=["questions"])
    now = MORNING
    alarm = alarms.raise_alarm(zhang_watch, AlarmKind.NOT_BACK, now, "test-not-back", silence_since=now)
    alarms.open_missing_cases()
    alarm.refresh_from_db()
    assert Case.objects.get(pk=alarm.case_id).answers["alarm"] == expected


def test_tick_runs_everything_periodic(zhang_watch, clock_at):
    fake = clock_at(NIGHT)
    door_says(False, NIGHT)
    fake.advance(minutes=11)
    report = tick(health_check=True)
    assert report["alarms"] == 1 and report["contacts"] >= 1 and report["cases"] == 1


def test_a_dead_sensor_opens_a_maintenance_ticket_and_raises_no_elder_alarm(zhang_watch, door, clock_at):
    fake = clock_at(MORNING)
    door_says(False, MORNING)
    door_says(True, MORNING + dt.timedelta(seconds=5))
    ingest([Inbound(f"{PREFIX}/zhang-door/availability", "offline", MORNING)])
    fake.advance(hours=26)
    assert watch.check_due() == []
    result = health.check_health()
    assert result["opened"] == 2  # silent beyond 25 h, and offline
    kinds = set(door.tickets.values_list("kind", flat=True))
    assert kinds == {"silent", "offline"}


def test_low_battery_ticket_closes_when_the_battery_is_replaced(door, clock_at):
    fake = clock_at(MORNING)
    ingest(
        [Inbound(f"{PREFIX}/zhang-door", zigbee.state_payload(True, last_seen=MORNING, battery=9), MORNING)]
    )
    assert health.check_health()["opened"] == 1
    fake.advance(hours=1)
    later = MORNING + dt.timedelta(hours=1)
    ingest([Inbound(f"{PREFIX}/zhang-door", zigbee.state_payload(True, last_seen=later, battery=100), later)])
    assert health.check_health()["closed"] == 1


def test_an_existing_taxonomy_gains_the_new_alarm_types_and_keeps_its_edits(db):
    import importlib

    from django.apps import apps as django_apps

    from zhizhi.cases.models import Category

    migration = importlib.import_module("zhizhi.cases.migrations.0011_alarm_answer_options")
    category = Category.objects.get(code="S02001")
    category.questions = [
        {"key": "device", "label": "告警设备", "type": "text", "required": False},
        {
            "key": "alarm",
            "label": "告警类型（本区）",
            "type": "choice",
            "options": ["长时间未开门", "外出未归"],
        },
    ]
    category.save(update_fields=["questions"])
    migration.add_options(django_apps, None)
    migration.add_options(django_apps, None)  # twice: nothing added twice
    category.refresh_from_db()
    alarm_question = category.questions[1]
    assert alarm_question["label"] == "告警类型（本区）"
    assert alarm_question["options"] == ["长时间未开门", "外出未归", "异常静默"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_attempt_another_scheduler_is_sending_is_skipped_not_sent_twice(zhang_watch, clock_at):
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("threads need a server database (SQLite's test database is one connection)")
    raise_one(zhang_watch, clock_at)  # committed: its contacts went out after commit; queue the elder's again
    elder = ContactAttempt.objects.get(step=LadderStep.ELDER)
    assert elder.status == ContactStatus.SENT
    ContactAttempt.objects.filter(pk=elder.pk).update(status=ContactStatus.QUEUED)
    Notification.objects.all().delete()
    held, release = threading.Event(), threading.Event()

    def other_scheduler() -> None:
        try:
            with transaction.atomic():
                ContactAttempt.objects.select_for_update().get(pk=elder.pk)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_scheduler)
    thread.start()
    assert held.wait(10)
    try:
        assert alarms.send_contacts() == 0  # locked: left to the scheduler holding it
    finally:
        release.set()
        thread.join()
    assert ContactAttempt.objects.get(pk=elder.pk).status == ContactStatus.QUEUED
    assert alarms.send_contacts() == 1
    assert len(texts_to("13812345678")) == 1
