import datetime as dt

import pytest

from zhizhi.core import audit, clock
from zhizhi.core.context import RequestInfo, current_request
from zhizhi.core.models import AuditAction, AuditEntry


def test_frozen_clock_stands_still_and_advances():
    start = dt.datetime(2026, 10, 1, 0, 0, tzinfo=dt.UTC)
    with clock.frozen(start) as fake:
        assert clock.now() == start
        fake.advance(hours=30)
        assert clock.now() == start + dt.timedelta(hours=30)
        assert clock.today() == dt.date(2026, 10, 2)  # 14:00 in Shanghai... of the 2nd
    assert clock.now() != start


def test_frozen_clock_refuses_naive_times():
    with pytest.raises(ValueError):
        clock.FrozenClock(dt.datetime(2026, 1, 1))  # noqa: DTZ001


@pytest.mark.django_db
def test_audit_rows_record_actor_time_and_origin(personas, frozen_clock):
    token = current_request.set(RequestInfo(ip="10.1.2.3", user_agent="pytest", path="/people/1/"))
    try:
        entry = audit.record(personas["chen"], AuditAction.VIEW, obj=personas["zhang_record"])
    finally:
        current_request.reset(token)
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor == personas["chen"] and entry.actor_name == "chen"
    assert entry.at == frozen_clock.current
    assert (entry.object_type, entry.object_id) == ("people.resident", str(personas["zhang_record"].pk))
    assert (entry.ip, entry.path) == ("10.1.2.3", "/people/1/")


def test_audit_diff_lists_only_changed_fields():
    assert audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": ["2", "3"]}
