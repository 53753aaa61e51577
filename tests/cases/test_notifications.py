"""Notifications: written with the change, sent after commit through a task, retried from the durable row; a
failing adapter or a broken queue never loses the case nor blocks the transition."""

from __future__ import annotations

import pytest

from zhizhi.cases import notify, queries, services
from zhizhi.cases.models import Case, CaseStatus, Notification, NotificationStatus, Transition
from zhizhi.cases.services import outbox


class Failing:
    def __init__(self):
        self.calls = 0

    def send(self, notification):
        self.calls += 1
        raise ConnectionError("SMS gateway unreachable")


class Recording:
    def __init__(self):
        self.sent = []

    def send(self, notification):
        self.sent.append(notification.text)


@pytest.fixture
def dispatch(personas, report, units, django_capture_on_commit_callbacks):
    def _dispatch():
        case = report()
        services.register_case(personas["li"], case.pk)
        with django_capture_on_commit_callbacks(execute=True):
            services.dispatch_case(personas["li"], case.pk)
        return Case.objects.get(pk=case.pk)

    return _dispatch


def test_the_unit_is_told_after_commit(dispatch, units):
    recorder = Recording()
    notify.register("dev", recorder)
    case = dispatch()
    (row,) = Notification.objects.filter(case=case, event="dispatched")
    assert row.recipient == units["zhou"] and row.status == NotificationStatus.SENT
    # the drain after the dispatch's commit sends it (with the report's own notice, still waiting here
    # because the fixture's report ran without its commit callbacks)
    assert recorder.sent.count(row.text) == 1 and case.number in row.text


def test_a_failing_adapter_never_blocks_the_transition_and_is_retried(dispatch, frozen_clock):
    failing = Failing()
    notify.register("dev", failing)
    case = dispatch()
    assert case.status == CaseStatus.DISPATCHED
    assert Transition.objects.filter(case=case, action="dispatch").exists()
    row = Notification.objects.get(case=case, event="dispatched")
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 1)
    assert "unreachable" in row.last_error
    frozen_clock.advance(seconds=30)
    assert services.scan_deadlines().notifications == {}  # not yet due: back-off of one minute
    frozen_clock.advance(minutes=1)
    services.scan_deadlines()
    assert Notification.objects.get(pk=row.pk).attempts == 2
    notify.register("dev", None)  # the gateway is back
    frozen_clock.advance(minutes=5)
    report = services.scan_deadlines()
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and report.notifications == {"sent": 2}  # and the reporter's
    assert not Notification.objects.exclude(status=NotificationStatus.SENT).exists()


def test_a_broken_task_queue_loses_nothing(dispatch, frozen_clock, monkeypatch):
    from zhizhi.cases import tasks

    class BrokenQueue:
        def get_backend(self):
            return tasks.drain_outbox.get_backend()

        def enqueue(self, *args, **kwargs):
            raise RuntimeError("queue database unavailable")

    monkeypatch.setattr(tasks, "drain_outbox", BrokenQueue())
    case = dispatch()
    row = Notification.objects.get(case=case, event="dispatched")
    assert case.status == CaseStatus.DISPATCHED and row.status == NotificationStatus.PENDING
    frozen_clock.advance(minutes=2)
    services.scan_deadlines()
    assert Notification.objects.get(pk=row.pk).status == NotificationStatus.SENT


def test_the_outbox_gives_up_after_the_last_attempt(dispatch, frozen_clock):
    notify.register("dev", Failing())
    case = dispatch()
    row = Notification.objects.get(case=case, event="dispatched")
    for _ in range(outbox.MAX_ATTEMPTS):
        frozen_clock.advance(hours=2)
        services.scan_deadlines()
    row.refresh_from_db()
    assert row.status == NotificationStatus.DEAD and row.attempts == outbox.MAX_ATTEMPTS


def test_a_notification_is_sent_once_even_when_delivered_twice(dispatch):
    recorder = Recording()
    notify.register("dev", recorder)
    case = dispatch()
    row = Notification.objects.get(case=case, event="dispatched")
    assert outbox.deliver(row.pk) == "skipped"
    assert recorder.sent.count(row.text) == 1


def test_staff_read_their_notifications_in_the_inbox(dispatch, units, personas):
    case = dispatch()
    inbox = list(queries.notifications_for(units["zhou"]))
    assert [n.case_id for n in inbox] == [case.pk]
    outbox.mark_read(units["zhou"], inbox[0].pk)
    assert queries.notifications_for(units["zhou"]).get().read_at is not None
    assert not queries.notifications_for(personas["outsider"]).exists()


def test_the_reporter_s_sms_goes_to_the_sms_adapter(personas, report, django_capture_on_commit_callbacks):
    sms = Recording()
    notify.register("sms", sms)
    with django_capture_on_commit_callbacks(execute=True):
        case = report(contact_phone="13812345678")
    assert sms.sent == [f"您反映的问题已受理，编号 {case.number}，我们将尽快处理。"]
    row = Notification.objects.get(case=case, channel="sms")
    assert row.address_masked == "138****5678" and row.address == "13812345678"


def test_without_a_gateway_every_channel_uses_the_development_adapter():
    for channel in ("sms", "wecom", "email", "dev"):
        assert isinstance(notify.adapter_for(channel), notify.DevNotifier)


def test_with_the_database_queue_the_notification_waits_for_a_worker(settings, dispatch, units):
    from django_tasks_db.models import DBTaskResult

    from zhizhi.cases.tasks import drain_outbox

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    recorder = Recording()
    notify.register("dev", recorder)
    case = dispatch()
    rows = list(Notification.objects.filter(case=case).order_by("id"))
    assert {r.event for r in rows} >= {"received", "dispatched"}
    assert all(r.status == NotificationStatus.PENDING for r in rows)
    # The report and the dispatch were committed within one drain window: one deferred drain serves both.
    (queued,) = DBTaskResult.objects.filter(task_path="zhizhi.cases.tasks.drain_outbox")
    assert queued.run_after is not None and queued.run_after > queued.enqueued_at
    assert drain_outbox.call() == {"sent": len(rows)}  # what `zhizhi worker` runs
    assert recorder.sent == [r.text for r in rows]
    assert not Notification.objects.exclude(status=NotificationStatus.SENT).exists()


def test_a_commit_after_the_drain_window_asks_for_another_drain(
    settings, report, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    with django_capture_on_commit_callbacks(execute=True):
        report()
    with django_capture_on_commit_callbacks(execute=True):
        report()
    assert DBTaskResult.objects.filter(task_path="zhizhi.cases.tasks.drain_outbox").count() == 1
    outbox.forget_drain()  # as when the window has passed: the queued drain may have started already
    with django_capture_on_commit_callbacks(execute=True):
        report()
    assert DBTaskResult.objects.filter(task_path="zhizhi.cases.tasks.drain_outbox").count() == 2


def test_the_old_per_row_task_still_delivers(dispatch):
    from zhizhi.cases.tasks import deliver_notification

    recorder = Recording()
    notify.register("dev", recorder)
    case = dispatch()
    row = Notification.objects.filter(case=case).first()
    assert deliver_notification.call(row.pk) == "skipped"  # already sent by the drain after the commit


def test_the_grid_worker_is_told_when_a_case_of_her_grid_is_handled(personas, report, units, street):
    from tests import factories
    from tests.cases.conftest import B1
    from zhizhi.core.roles import Role

    other = factories.make_user("grid-b1", Role.GRID_WORKER, street.grid_b1, "龙游网格员")
    cases = {}
    for grid, at in (("a1", None), ("b1", B1)):
        case = report(**({"at": at} if at else {}))
        services.register_case(personas["li"], case.pk)
        services.dispatch_case(personas["li"], case.pk)
        zhou = units["zhou"]
        services.accept_case(zhou, case.pk)
        services.start_handling(zhou, case.pk)
        cases[grid] = services.submit_handling(zhou, case.pk, note="已清运", evidence=["清运记录"])
    told = {(n.recipient_id, n.case_id): n.text for n in Notification.objects.filter(event="verify")}
    # each grid worker about the case of her own grid only
    assert set(told) == {(personas["xiaowang"].pk, cases["a1"].pk), (other.pk, cases["b1"].pk)}
    assert told[(personas["xiaowang"].pk, cases["a1"].pk)].endswith("已处置，请到现场核查。")
