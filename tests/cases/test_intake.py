"""Intake: location → grid, numbering, validation naming the field, idempotency, duplicate candidates."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cases.conftest import A1, B1
from zhizhi.areas.coords import wgs84_to_gcj02
from zhizhi.cases import services
from zhizhi.cases.access import SYSTEM
from zhizhi.cases.models import Case, CaseAttachment, CaseStatus, Channel, Notification, Step, Transition
from zhizhi.cases.services import CaseInput, FileInput, open_case
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput
from zhizhi.core.models import AuditEntry

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


def test_a_report_is_located_in_its_grid_and_numbered_for_the_street_and_day(
    personas, street, report, frozen_clock
):
    case = report()
    assert case.area_code == street.grid_a1.code
    assert case.street_code == street.street.code
    assert case.number == "WL20261127-00001"
    assert case.status == CaseStatus.RECEIVED
    assert case.channel == Channel.RESIDENT
    assert case.reporter == personas["zhang"]


def test_the_first_row_of_the_history_is_the_report_and_the_registration_clock_starts(report, frozen_clock):
    case = report()
    (row,) = Transition.objects.filter(case=case)
    assert (row.action, row.from_status, row.to_status) == ("open", "", "received")
    assert case.step == Step.REGISTER
    assert case.deadline == frozen_clock.current + dt.timedelta(
        hours=1
    )  # 1 working hour on a Friday at 10:00
    assert AuditEntry.objects.filter(object_id=str(case.pk), action="create").exists()


def test_numbers_count_up_within_a_day_and_restart_the_next_day(report, frozen_clock):
    assert report().number.endswith("-00001")
    assert report(description="另一处").number.endswith("-00002")
    frozen_clock.advance(days=1)
    assert report().number == "WL20261128-00001"


def test_gcj02_input_is_stored_in_wgs84(report):
    lat, lon = wgs84_to_gcj02(*A1)
    case = report(at=(lat, lon), crs="gcj02")
    assert case.lat == pytest.approx(A1[0], abs=1e-7)
    assert case.lon == pytest.approx(A1[1], abs=1e-7)


def test_a_point_outside_the_street_is_refused_naming_the_location(report):
    with pytest.raises(InvalidInput) as err:
        report(at=(30.30, 120.20))
    assert err.value.field == "location"
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "不存在的类别"}, "category"),
        ({"category": ""}, "category"),
        ({"description": "  "}, "description"),
        ({"at": None}, "location"),
        ({"at": (91, 120.16)}, "lat"),
        ({"at": ("abc", 120.16)}, "lat"),
        ({"at": (30.27, None)}, "lon"),
        ({"at": A1, "crs": "bd09"}, "crs"),
        ({"urgency": "very"}, "urgency"),
        ({"urgency": ["urgent"]}, "urgency"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"category": "机动车乱停放", "answers": "浙A"}, "answers"),
        ({"category": "私搭乱建", "answers": {}}, "answers.building_state"),
        ({"category": "私搭乱建", "answers": {"building_state": "拆了"}}, "answers.building_state"),
        ({"photos": [FileInput("a.exe", "application/x-msdownload", b"MZ")]}, "photos"),
        ({"photos": [FileInput("big.jpg", "image/jpeg", b"0" * (5 * 1024 * 1024 + 1))]}, "photos"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(report, fields, field):
    with pytest.raises(InvalidInput) as err:
        report(**fields)
    assert err.value.field == field
    assert Case.objects.count() == 0 and Transition.objects.count() == 0


def test_a_resident_reports_only_through_the_resident_channels(report):
    with pytest.raises(InvalidInput) as err:
        report(channel=Channel.HOTLINE)
    assert err.value.field == "channel"


def test_a_hotline_operator_reports_by_area_without_a_point(personas, street, report):
    case = report(
        personas["li"],
        at=None,
        area_code=street.community_b.code,
        channel=Channel.HOTLINE,
        contact_phone="13900001111",
        reporter_name="王先生",
    )
    assert case.area_code == street.community_b.code and case.lat is None
    assert case.contact_phone_masked == "139****1111"
    assert Case.objects.get(pk=case.pk).contact_phone == "13900001111"  # decrypted on read


def test_categories_are_found_by_other_names(report):
    assert report(category="垃圾满溢").category.name == "垃圾站（箱）满溢"
    assert report(category="乱堆物堆料").category.name == "乱堆杂物"


def test_a_repeated_idempotency_key_returns_the_first_case(personas):
    data = CaseInput(category="暴露垃圾", description="门口垃圾", lat=A1[0], lon=A1[1], idempotency_key="k-1")
    first = open_case(personas["zhang"], data)
    again = open_case(personas["zhang"], data)
    assert first.created and not again.created
    assert again.case.pk == first.case.pk
    assert Case.objects.count() == 1 and Transition.objects.count() == 1


def test_a_repeated_key_returns_the_case_even_when_the_repeat_is_malformed(personas):
    open_case(
        personas["zhang"], CaseInput("暴露垃圾", "门口垃圾", lat=A1[0], lon=A1[1], idempotency_key="k-2")
    )
    again = open_case(personas["zhang"], CaseInput("暴露垃圾", "", idempotency_key="k-2"))
    assert not again.created


def test_another_reporter_cannot_reuse_a_key(personas):
    open_case(
        personas["zhang"], CaseInput("暴露垃圾", "门口垃圾", lat=A1[0], lon=A1[1], idempotency_key="k-3")
    )
    with pytest.raises(Conflict) as err:
        open_case(personas["li"], CaseInput("暴露垃圾", "x", lat=A1[0], lon=A1[1], idempotency_key="k-3"))
    assert err.value.field == "idempotency_key"


def test_open_cases_of_the_same_category_nearby_are_offered_as_duplicates(personas, report):
    first = report()
    near = (A1[0] + 0.0005, A1[1])  # about 55 m north
    result = open_case(
        personas["xiaowang"],
        CaseInput("暴露垃圾", "同一堆垃圾", lat=near[0], lon=near[1], channel=Channel.PATROL),
    )
    assert [c.pk for c in result.duplicates] == [first.pk]


def test_cases_far_away_of_another_category_or_long_ago_are_not_duplicates(personas, report, frozen_clock):
    report(at=B1)  # about 380 m east
    report(category="道路不洁")
    old = report()
    Case.objects.filter(pk=old.pk).update(created_at=frozen_clock.current - dt.timedelta(days=8))
    result = open_case(
        personas["xiaowang"], CaseInput("暴露垃圾", "垃圾", lat=A1[0], lon=A1[1], channel="patrol")
    )
    assert result.duplicates == []


def test_closed_cases_are_not_duplicates(personas, report):
    first = report()
    Case.objects.filter(pk=first.pk).update(status=CaseStatus.CLOSED)
    assert services.duplicate_candidates(report()) == []


def test_photos_are_stored_with_the_case(report):
    case = report(photos=[FileInput("p.jpg", "image/jpeg", JPEG)])
    (photo,) = CaseAttachment.objects.filter(case=case)
    assert (photo.kind, photo.size, bytes(photo.data)) == ("photo", len(JPEG), JPEG)


def test_an_anonymous_report_keeps_no_name(personas, report):
    case = report(anonymous=True, reporter_name="张阿姨")
    assert case.anonymous and case.reporter_name == ""


def test_the_reporter_is_told_the_case_number(personas, report, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = report(contact_phone="13812345678")
    texts = {(n.channel, n.status): n.text for n in Notification.objects.filter(case=case)}
    assert case.number in texts[("dev", "sent")] and case.number in texts[("sms", "sent")]


def test_sensors_and_cameras_report_as_the_platform(report):
    case = report(SYSTEM, category="独居老人告警", channel=Channel.SENSOR, source_ref="door-7")
    assert case.reporter is None and case.category.urgent
    assert case.deadline - case.created_at == dt.timedelta(minutes=30)  # urgent: clock time


def test_the_platform_cannot_pose_as_a_resident(report):
    with pytest.raises(InvalidInput):
        report(SYSTEM, channel=Channel.RESIDENT)


def test_anonymous_visitors_cannot_report():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Forbidden):
        open_case(AnonymousUser(), CaseInput("暴露垃圾", "x", lat=A1[0], lon=A1[1]))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_surge_takes_serials_in_blocks_that_no_other_process_is_handed(street, monkeypatch):
    from zhizhi.cases.models import CaseCounter
    from zhizhi.cases.services import numbering

    day = dt.date(2026, 11, 27)
    taken = [numbering._serial("330106001", day) for _ in range(40)]  # back to back: a surge
    assert taken == list(range(1, 41))  # one process alone: in order, none skipped
    reserved = CaseCounter.objects.get(street_code="330106001", day=day).last
    assert reserved > 40  # blocks grew: fewer counter statements than serials
    numbering.forget_blocks()  # another process (or this one restarted): starts after every reserved serial
    assert numbering._serial("330106001", day) == reserved + 1
    # a trickle takes one serial at a time again: every block lasts "long" here
    monkeypatch.setattr(numbering, "FAST_S", -1.0)
    monkeypatch.setattr(numbering, "SLOW_S", -1.0)
    numbering.forget_blocks()
    first = numbering._serial("330106001", day)
    assert [numbering._serial("330106001", day) for _ in range(3)] == [first + 1, first + 2, first + 3]
    assert CaseCounter.objects.get(street_code="330106001", day=day).last == first + 3
    # the next day starts at 1, and this process forgets the day before
    assert numbering._serial("330106001", day + dt.timedelta(days=1)) == 1
    assert all(d != day for _, d in numbering._blocks)


@pytest.mark.django_db
def test_inside_a_transaction_serials_are_taken_one_by_one(street):
    from zhizhi.cases.models import CaseCounter
    from zhizhi.cases.services import numbering

    day = dt.date(2026, 11, 27)
    assert [numbering._serial("330106001", day) for _ in range(5)] == [1, 2, 3, 4, 5]
    assert CaseCounter.objects.get(street_code="330106001", day=day).last == 5


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_threads_and_processes_taking_serials_at_once_never_share_one(street):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    from zhizhi.cases.services import numbering

    if connection.vendor != "postgresql":
        pytest.skip("threads need a server database (SQLite's test database is one connection)")
    day = dt.date(2026, 11, 27)

    def take(worker: int) -> list[int]:
        try:
            out = []
            for i in range(60):
                if worker % 2 and i % 20 == 0:
                    numbering.forget_blocks()  # another process: its own blocks from the same counter
                out.append(numbering._serial("330106001", day))
            return out
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        taken = [s for part in pool.map(take, range(4)) for s in part]
    assert len(taken) == len(set(taken)) == 240
