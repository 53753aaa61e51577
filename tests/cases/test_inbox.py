"""The staff inbox page (/cases/inbox/): each staff member reads the messages addressed to them (a unit's
messages reach every member), newest first, with the case, channel and delivery status, and marks them read;
leaders and administrators may read every message about their area; residents have no such page. Fixed
number of queries whatever the number of messages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from zhizhi.cases import notify, services
from zhizhi.cases.models import Case, Notification, NotificationStatus
from zhizhi.core import clock


class Failing:
    def send(self, notification):
        raise ConnectionError("SMS gateway unreachable")


def login(client, user):
    client.force_login(user)
    return client


def rows(response) -> list[str]:
    """The ids of the listed messages, in page order."""
    body = response.content.decode()
    return [part.split('"', 1)[0] for part in body.split('data-testid="inbox-row" data-id="')[1:]]


@pytest.fixture
def dispatched(personas, report, units, django_capture_on_commit_callbacks):
    """A case reported by 张阿姨, registered and dispatched by 李主任 to the street's 环卫所 (老周 is its head
    and member): the unit's message is delivered after commit."""

    def _dispatched(**fields) -> Case:
        case = report(**fields)
        services.register_case(personas["li"], case.pk)
        with django_capture_on_commit_callbacks(execute=True):
            services.dispatch_case(personas["li"], case.pk)
        return Case.objects.get(pk=case.pk)

    return _dispatched


def test_the_inbox_needs_a_login_and_is_for_staff(client, personas, units):
    response = client.get(reverse("cases:inbox"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert login(client, personas["zhang"]).get(reverse("cases:inbox")).status_code == 403
    assert client.post(reverse("cases:inbox_read_all")).status_code == 403


def test_staff_see_their_unit_s_messages_with_case_channel_and_status(client, personas, units, dispatched):
    case = dispatched()
    row = Notification.objects.get(case=case, recipient=units["zhou"], event="dispatched")
    page = login(client, units["zhou"]).get(reverse("cases:inbox"))
    body = page.content.decode()
    assert page.status_code == 200
    assert rows(page) == [str(row.pk)]
    assert reverse("cases:detail", args=[case.pk]) in body and case.number in body
    assert f'data-status="{NotificationStatus.SENT}"' in body
    assert str(NotificationStatus.SENT.label) in body  # the status in the page's language
    assert 'data-testid="unread-count"' in body and 'data-testid="mark-read"' in body
    # The nav of every cases page links here.
    assert (
        reverse("cases:inbox") in login(client, units["zhou"]).get(reverse("cases:search")).content.decode()
    )


def test_others_do_not_see_the_message(client, personas, units, dispatched):
    dispatched()
    for outsider in (personas["outsider"], units["liu"], personas["li"]):
        assert rows(login(client, outsider).get(reverse("cases:inbox"))) == []


def test_a_failed_message_shows_it_will_be_retried(client, personas, units, dispatched):
    notify.register("dev", Failing())
    case = dispatched()
    row = Notification.objects.get(case=case, recipient=units["zhou"], event="dispatched")
    assert row.status == NotificationStatus.FAILED
    page = login(client, units["zhou"]).get(reverse("cases:inbox"), {"status": "failed"})
    assert rows(page) == [str(row.pk)]
    assert str(NotificationStatus.FAILED.label) in page.content.decode()
    assert rows(client.get(reverse("cases:inbox"), {"status": "sent"})) == []
    bad = client.get(reverse("cases:inbox"), {"status": "lost"})
    assert bad.status_code == 400 and b"status" in bad.content


def test_marking_read_one_and_all(client, personas, units, dispatched):
    first, second = dispatched(), dispatched(description="又一堆垃圾")
    mine = list(Notification.objects.filter(recipient=units["zhou"]).order_by("id"))
    assert len(mine) == 2
    login(client, units["zhou"])
    response = client.post(reverse("cases:inbox_read", args=[mine[0].pk]), {"next": reverse("cases:inbox")})
    assert response.status_code == 302
    mine[0].refresh_from_db()
    assert mine[0].read_at is not None
    assert rows(client.get(reverse("cases:inbox"), {"unread": "1"})) == [str(mine[1].pk)]
    # Someone else's message is absent.
    login(client, personas["outsider"])
    assert client.post(reverse("cases:inbox_read", args=[mine[1].pk])).status_code == 404
    assert Notification.objects.get(pk=mine[1].pk).read_at is None
    login(client, units["zhou"]).post(reverse("cases:inbox_read_all"))
    assert not Notification.objects.filter(recipient=units["zhou"], read_at__isnull=True).exists()
    assert rows(client.get(reverse("cases:inbox"), {"unread": "1"})) == []
    assert {first.pk, second.pk} == set(
        Notification.objects.filter(recipient=units["zhou"]).values_list("case_id", flat=True)
    )


@pytest.mark.parametrize(
    ("next_", "expected"),
    [
        ("/cases/inbox/?unread=1", "/cases/inbox/?unread=1"),
        ("-1", "/cases/inbox/"),  # was reversed as a view name: NoReverseMatch, a 500
        ("home", "/cases/inbox/"),
        ("https://evil.example/", "/cases/inbox/"),
        ("//evil.example/", "/cases/inbox/"),
    ],
)
def test_the_inbox_sends_back_only_to_a_local_path(client, units, next_, expected):
    response = login(client, units["zhou"]).post(reverse("cases:inbox_read_all"), {"next": next_})
    assert (response.status_code, response["Location"]) == (302, expected)


def test_leaders_and_admins_read_every_message_of_their_area(client, personas, units, dispatched):
    case = dispatched()
    theirs = set(Notification.objects.filter(case=case).values_list("pk", flat=True))
    assert len(theirs) >= 2  # the unit's and the reporter's
    for boss in (personas["qian"], personas["admin"]):
        page = login(client, boss).get(reverse("cases:inbox"), {"scope": "area"})
        assert page.status_code == 200 and theirs <= set(map(int, rows(page)))
        assert case.number in page.content.decode()
        assert 'data-testid="mark-read"' not in page.content.decode()  # only one's own are marked read
    # Their own inbox stays their own; staff may not read the area's.
    assert rows(login(client, personas["qian"]).get(reverse("cases:inbox"))) == []
    for staff in (units["zhou"], personas["li"], personas["chen"]):
        assert login(client, staff).get(reverse("cases:inbox"), {"scope": "area"}).status_code == 403
        assert 'data-testid="inbox-area"' not in client.get(reverse("cases:inbox")).content.decode()


def test_the_area_view_stops_at_the_area(client, personas, units, dispatched):
    case = dispatched()
    Case.objects.filter(pk=case.pk).update(area_code="330199999999", street_code="330199999")
    page = login(client, personas["qian"]).get(reverse("cases:inbox"), {"scope": "area"})
    assert case.number not in page.content.decode()


def test_the_inbox_is_newest_first_and_a_fixed_number_of_queries(
    client, personas, units, dispatched, django_assert_max_num_queries
):
    case = dispatched()
    zhou = units["zhou"]
    start = clock.now()
    Notification.objects.bulk_create(
        Notification(
            channel="dev",
            recipient=zhou,
            case=case,
            event="warning",
            text=f"消息 {i}",
            status=NotificationStatus.SENT,
            created_at=start + dt.timedelta(minutes=i),
        )
        for i in range(40)
    )
    login(client, zhou)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("cases:inbox"))
    ids = list(map(int, rows(page)))
    assert len(ids) == 30
    newest = list(
        Notification.objects.filter(recipient=zhou)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:30]
    )
    assert ids == newest
    assert 'rel="next"' in page.content.decode()
    login(client, personas["qian"])
    with django_assert_max_num_queries(8):
        page = client.get(reverse("cases:inbox"), {"scope": "area"})
    assert len(rows(page)) == 30


def test_a_message_about_a_case_its_reader_cannot_open_names_it_without_a_link(client, personas, dispatched):
    """An advisor told of a door-sensor alarm, or staff of another community told of a case, read the
    message; the case number is not a link to a page that would answer 404."""
    from zhizhi.cases.services import outbox

    case = dispatched()
    outbox.to_users([personas["outsider"], personas["chen"]], case, "test", "请知悉")
    page = login(client, personas["outsider"]).get(reverse("cases:inbox")).content.decode()
    assert case.number in page and reverse("cases:detail", args=[case.pk]) not in page
    page = login(client, personas["chen"]).get(reverse("cases:inbox")).content.decode()
    assert f'<a href="{reverse("cases:detail", args=[case.pk])}">{case.number}</a>' in page
