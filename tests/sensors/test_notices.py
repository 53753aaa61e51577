"""Away notices (外出报备): the detector holds silence rules for a declared absence (pure), and the notice
lives from filing to the person's return (service, API, pages)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories
from tests.sensors.conftest import PREFIX
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput
from zhizhi.core.models import AuditEntry
from zhizhi.core.roles import Role
from zhizhi.sensors import zigbee
from zhizhi.sensors.detection.detector import Detector, Profile
from zhizhi.sensors.detection.events import HOUR, Activity
from zhizhi.sensors.detection.rules import Absences, AlarmKind, RuleConfig
from zhizhi.sensors.models import AwayNotice
from zhizhi.sensors.services import devices, notices, watch
from zhizhi.sensors.services.ingest import Inbound, ingest

DOOR = "front door"
CONFIG = RuleConfig(use_baseline=False, not_back_margin_h=2.0)


def at(day: int, hour: float) -> float:
    """Local seconds on Monday 2 March 2026 + `day` days."""
    return dt.datetime(2026, 3, 2 + day, tzinfo=dt.UTC).timestamp() + hour * HOUR


def detector(*notices_, door: str | None = DOOR, interior: bool = True) -> Detector:
    return Detector(Profile(None, Absences(), door, away_mode=interior), CONFIG, notices=tuple(notices_))


def kinds(d: Detector) -> dict[str, float]:
    return {a.kind: a.at for a in d.deadlines()}


# ------------------------------------------------------------------------------------------- detector


def test_a_covered_departure_waits_for_the_declared_return_plus_the_margin():
    d = detector((at(4, 18), at(6, 19)))  # Friday 18:00 → Sunday 19:00
    d.observe(Activity(at(4, 17), "kitchen", False))
    d.observe(
        Activity(
            at(
                4,
                18,
            ),
            DOOR,
            False,
        )
    )
    assert kinds(d) == {AlarmKind.NOT_BACK: at(6, 21)}  # no 24-hour silence alarm on Saturday


def test_without_a_notice_the_same_departure_alarms_within_a_day():
    d = detector()
    d.observe(Activity(at(4, 17), "kitchen", False))
    d.observe(Activity(at(4, 18), DOOR, False))
    assert min(kinds(d).values()) <= at(5, 18)


def test_door_rules_are_never_held():
    d = detector((at(4, 18), at(6, 19)))
    d.observe(Activity(at(4, 17), "kitchen", False))
    d.observe(Activity(at(4, 18), DOOR, True))  # opened and left open
    found = kinds(d)
    assert found[AlarmKind.DOOR_LEFT_OPEN] == at(4, 18.5)
    assert found[AlarmKind.NOT_BACK] == at(6, 21)


def test_a_silence_that_began_inside_the_flat_is_not_covered():
    # The notice says she leaves at 18:00, but the last firing is the kitchen: she has not left.
    d = detector((at(4, 18), at(6, 19)))
    d.observe(Activity(at(4, 18.5), "kitchen", False))
    assert AlarmKind.NO_ACTIVITY in kinds(d) and AlarmKind.NOT_BACK not in kinds(d)


@pytest.mark.parametrize(
    ("left", "covered"),
    [(15.9, False), (16.1, True), (20.0, True)],  # up to 2 h before the declared 18:00
)
def test_leaving_somewhat_early_is_still_covered(left, covered):
    d = detector((at(4, 18), at(6, 19)))
    d.observe(Activity(at(4, left) - 600, "kitchen", False))
    d.observe(Activity(at(4, left), DOOR, False))
    assert (AlarmKind.NO_ACTIVITY not in kinds(d)) is covered


def test_a_departure_after_the_declared_return_is_watched_as_usual():
    d = detector((at(4, 18), at(6, 19)))
    d.observe(Activity(at(6, 19.5), "kitchen", False))
    d.observe(Activity(at(6, 20), DOOR, False))
    assert AlarmKind.NO_ACTIVITY in kinds(d)


def test_a_door_only_flat_covers_any_silence_in_the_window():
    d = detector((at(4, 18), at(6, 19)), interior=False)
    d.observe(Activity(at(4, 18), DOOR, False))
    assert kinds(d) == {AlarmKind.NOT_BACK: at(6, 21)}


def test_overlapping_notices_wait_for_the_latest_return():
    d = detector((at(4, 18), at(5, 12)), (at(4, 20), at(6, 19)))
    d.observe(Activity(at(4, 18.8), "kitchen", False))
    d.observe(Activity(at(4, 19), DOOR, False))
    assert kinds(d) == {AlarmKind.NOT_BACK: at(6, 21)}
    assert d.copy().notices == d.notices


# ------------------------------------------------------------------------------------------- service

FRIDAY_6PM = dt.datetime(2026, 3, 6, 10, 0, tzinfo=dt.UTC)  # 18:00 in Shanghai
SUNDAY_7PM = dt.datetime(2026, 3, 8, 11, 0, tzinfo=dt.UTC)


@pytest.fixture
def kitchen(door, street, personas, gateway):
    """An interior contact (the kitchen cupboard) in 张阿姨's flat: her flat can tell leaving from staying."""
    return devices.register_device(
        None,
        vendor_id="0x00158d0001aa0002",
        friendly_name="zhang-kitchen",
        gateway=gateway,
        dwelling=street.dwelling_a1,
        residents=[personas["zhang_record"]],
        is_entrance=False,
    )


def says(name: str, contact: bool, moment: dt.datetime) -> None:
    ingest([Inbound(f"{PREFIX}/{name}", zigbee.state_payload(contact, last_seen=moment), moment)])


def leave_home(fake, moment: dt.datetime) -> None:
    """Kitchen at `moment` − 10 min, then out through the front door (opened and closed)."""
    fake.advance(seconds=(moment - dt.timedelta(minutes=10) - fake()).total_seconds())
    says("zhang-kitchen", False, fake())
    says("zhang-kitchen", True, fake() + dt.timedelta(seconds=5))
    fake.advance(minutes=10)
    says("zhang-door", False, fake())
    fake.advance(seconds=20)
    says("zhang-door", True, fake())


@pytest.mark.django_db
def test_a_filed_trip_raises_no_silence_alarm_and_a_late_return_alarms_once(
    zhang_watch, kitchen, personas, clock_at
):
    fake = clock_at(FRIDAY_6PM - dt.timedelta(hours=2))
    notice = notices.file_notice(
        personas["chen"], zhang_watch, leaves_at=FRIDAY_6PM, back_by=SUNDAY_7PM, reason="女儿家过周末"
    )
    assert AuditEntry.objects.filter(object_type__icontains="awaynotice", object_id=str(notice.pk)).exists()
    leave_home(fake, FRIDAY_6PM)
    notice.refresh_from_db()
    assert notice.departed_at is not None and notice.ended_at is None
    zhang_watch.refresh_from_db()
    assert zhang_watch.next_check_at == SUNDAY_7PM + dt.timedelta(hours=2)
    fake.advance(hours=47)  # Sunday 17:00: nothing all weekend
    assert watch.check_due() == []
    fake.advance(hours=4, seconds=2)  # not back by 19:00 + 2 h
    (alarm,) = watch.check_due()
    assert alarm.kind == AlarmKind.NOT_BACK


@pytest.mark.django_db
def test_coming_home_early_ends_the_notice_and_the_next_outing_is_watched(
    zhang_watch, kitchen, personas, clock_at
):
    fake = clock_at(FRIDAY_6PM - dt.timedelta(hours=1))
    notice = notices.file_notice(personas["xiaowang"], zhang_watch, leaves_at=FRIDAY_6PM, back_by=SUNDAY_7PM)
    leave_home(fake, FRIDAY_6PM)
    fake.advance(hours=3)  # back at 21:00 on Friday: the door, then the kitchen
    says("zhang-door", False, fake())
    says("zhang-door", True, fake() + dt.timedelta(seconds=20))
    fake.advance(minutes=5)
    says("zhang-kitchen", False, fake())
    notice.refresh_from_db()
    assert notice.ended_at is not None and notice.end_note == "back home (sensors)"
    leave_home(fake, fake() + dt.timedelta(hours=12))  # Saturday morning, out again
    zhang_watch.refresh_from_db()
    assert zhang_watch.next_check_at <= fake() + dt.timedelta(hours=24)


@pytest.mark.django_db
def test_a_notice_filed_while_she_is_still_bustling_at_home_is_not_ended_by_it(
    zhang_watch, kitchen, personas, clock_at
):
    fake = clock_at(FRIDAY_6PM - dt.timedelta(hours=3))
    notice = notices.file_notice(personas["chen"], zhang_watch, back_by=SUNDAY_7PM)  # leaves: now
    fake.advance(hours=1)
    says("zhang-kitchen", False, fake())  # an hour later, still packing
    notice.refresh_from_db()
    assert notice.ended_at is None and notice.departed_at is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"back_by": FRIDAY_6PM - dt.timedelta(hours=1)}, "back_by"),
        ({"back_by": "next sunday"}, "back_by"),
        ({"back_by": None}, "back_by"),
        ({"leaves_at": SUNDAY_7PM, "back_by": FRIDAY_6PM + dt.timedelta(hours=1)}, "back_by"),
        ({"leaves_at": FRIDAY_6PM, "back_by": FRIDAY_6PM + dt.timedelta(days=32)}, "back_by"),
        ({"leaves_at": FRIDAY_6PM - dt.timedelta(days=2), "back_by": SUNDAY_7PM}, "leaves_at"),
        ({"leaves_at": FRIDAY_6PM + dt.timedelta(days=61), "back_by": SUNDAY_7PM}, "leaves_at"),
        ({"back_by": SUNDAY_7PM, "reason": "长" * 201}, "reason"),
    ],
)
@pytest.mark.django_db
def test_bad_notices_name_the_field_and_write_nothing(zhang_watch, personas, clock_at, fields, field):
    clock_at(FRIDAY_6PM)
    with pytest.raises(InvalidInput) as err:
        notices.file_notice(personas["chen"], zhang_watch, **fields)
    assert err.value.field == field
    assert not AwayNotice.objects.exists()


@pytest.mark.django_db
def test_an_overlapping_notice_is_refused_until_the_first_is_ended(zhang_watch, personas, clock_at):
    clock_at(FRIDAY_6PM)
    first = notices.file_notice(personas["chen"], zhang_watch, back_by=SUNDAY_7PM)
    with pytest.raises(Conflict):
        notices.file_notice(personas["chen"], zhang_watch, back_by=SUNDAY_7PM + dt.timedelta(days=1))
    notices.end_notice(personas["chen"], first, "trip called off")
    with pytest.raises(Conflict):
        notices.end_notice(personas["chen"], first)
    notices.file_notice(personas["chen"], zhang_watch, back_by=SUNDAY_7PM + dt.timedelta(days=1))
    assert AwayNotice.objects.filter(ended_at__isnull=True).count() == 1


@pytest.mark.parametrize("persona", ["li", "outsider"])
@pytest.mark.django_db
def test_only_the_persons_grid_worker_community_or_advisor_file_notices(
    zhang_watch, personas, clock_at, persona
):
    clock_at(FRIDAY_6PM)
    with pytest.raises(Forbidden):
        notices.file_notice(personas[persona], zhang_watch, back_by=SUNDAY_7PM)


# ------------------------------------------------------------------------------------------- API and pages


@pytest.mark.django_db
def test_the_api_files_lists_and_ends_notices(client, zhang_watch, personas, clock_at):
    clock_at(FRIDAY_6PM)
    client.force_login(personas["chen"])
    base = f"/api/sensors/watches/{zhang_watch.pk}/notices"
    response = client.post(
        base, {"back_by": "2026-03-08T19:00", "reason": "住院"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["open"] and body["back_by"].startswith("2026-03-08T19:00:00+08:00") and body["reason"] == "住院"
    )
    bad = client.post(base, {"back_by": "2026-03-06T09:00"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "back_by"
    missing = client.post(base, {"reason": "x"}, content_type="application/json")
    assert missing.status_code in (400, 422) and missing.json()["error"]["field"] == "back_by"
    assert [n["id"] for n in client.get(base).json()] == [body["id"]]
    board = client.get("/api/sensors/board").json()
    assert board[0]["away_until"].startswith("2026-03-08T11:00:00")
    ended = client.post(f"{base}/{body['id']}/end", {"note": "回来了"}, content_type="application/json")
    assert ended.status_code == 200 and not ended.json()["open"] and ended.json()["end_note"] == "回来了"
    client.force_login(personas["outsider"])
    assert client.get(base).status_code == 404


@pytest.mark.django_db
def test_the_persons_page_files_and_ends_a_notice_and_the_board_shows_it(
    client, zhang_watch, personas, clock_at
):
    clock_at(FRIDAY_6PM)
    client.force_login(personas["xiaowang"])
    page = reverse("sensors:watch_detail", args=[zhang_watch.pk])
    assert 'data-testid="notice-form"' in client.get(page).content.decode()
    bad = client.post(
        reverse("sensors:notice_file", args=[zhang_watch.pk]), {"back_by": "", "reason": "探亲"}
    )
    assert bad.status_code == 400 and 'data-field="back_by"' in bad.content.decode()
    assert 'value="探亲"' in bad.content.decode()
    response = client.post(
        reverse("sensors:notice_file", args=[zhang_watch.pk]),
        {"back_by": "2026-03-08T19:00", "reason": "探亲"},
    )
    assert response.status_code == 302
    assert 'data-testid="away-notice"' in client.get(reverse("sensors:board")).content.decode()
    notice = AwayNotice.objects.get()
    client.post(reverse("sensors:notice_end", args=[zhang_watch.pk, notice.pk]))
    notice.refresh_from_db()
    assert notice.ended_at is not None and notice.ended_by == personas["xiaowang"]
    assert 'data-testid="away-notice"' not in client.get(reverse("sensors:board")).content.decode()
    client.force_login(personas["li"])  # the dispatcher sees the page but files nothing
    assert 'data-testid="notice-form"' not in client.get(page).content.decode()
    forbidden = client.post(
        reverse("sensors:notice_file", args=[zhang_watch.pk]), {"back_by": "2026-03-08T19:00"}
    )
    assert forbidden.status_code == 403


# ------------------------------------------------------------------------------------------- the elder themself


@pytest.mark.django_db
def test_a_watched_resident_files_and_ends_her_own_notice_through_the_api(
    client, zhang_watch, personas, clock_at
):
    clock_at(FRIDAY_6PM)
    client.force_login(personas["zhang"])
    response = client.post(
        "/api/sensors/me/notices",
        {"back_by": "2026-03-08T19:00", "reason": "去女儿家"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    notice = AwayNotice.objects.get()
    assert notice.watch == zhang_watch and notice.filed_by == personas["zhang"]
    assert [n["id"] for n in client.get("/api/sensors/me/notices").json()] == [notice.pk]
    ended = client.post(f"/api/sensors/me/notices/{notice.pk}/end", {}, content_type="application/json")
    assert ended.status_code == 200 and not ended.json()["open"]
    assert client.get(f"/api/sensors/watches/{zhang_watch.pk}/notices").status_code == 404  # staff's view


@pytest.mark.django_db
def test_a_resident_who_is_not_watched_has_no_notices_and_cannot_file_for_another(
    client, street, zhang_watch, personas, clock_at
):
    clock_at(FRIDAY_6PM)
    other = factories.make_resident(street.dwelling_a2, "邻居", tags=("独居",), born=dt.date(1945, 1, 1))
    neighbour = factories.make_user("linju", Role.RESIDENT, street.grid_a2, "邻居", resident=other)
    client.force_login(neighbour)
    assert client.get("/api/sensors/me/notices").status_code == 404
    assert client.get(reverse("sensors:my_notices")).status_code == 404
    with pytest.raises(Forbidden):
        notices.file_notice(neighbour, zhang_watch, back_by=SUNDAY_7PM)


@pytest.mark.django_db
def test_the_home_page_offers_a_watched_resident_her_notices_page(client, zhang_watch, personas, clock_at):
    clock_at(FRIDAY_6PM)
    client.force_login(personas["zhang"])
    assert 'data-testid="tile-own-notices"' in client.get("/").content.decode()
    page = reverse("sensors:my_notices")
    assert 'data-testid="notice-form"' in client.get(page).content.decode()
    bad = client.post(page, {"back_by": "2026-03-06T09:00"})
    assert bad.status_code == 400 and 'data-field="back_by"' in bad.content.decode()
    assert client.post(page, {"back_by": "2026-03-08T19:00", "reason": "住院"}).status_code == 302
    notice = AwayNotice.objects.get()
    assert notice.reason == "住院" and notice.back_by == dt.datetime(2026, 3, 8, 11, 0, tzinfo=dt.UTC)
    client.post(reverse("sensors:my_notice_end", args=[notice.pk]))
    notice.refresh_from_db()
    assert notice.ended_by == personas["zhang"]
    client.force_login(personas["xiaowang"])  # staff have no page of their own notices
    assert 'data-testid="tile-own-notices"' not in client.get("/").content.decode()
    assert client.get(page).status_code == 404
