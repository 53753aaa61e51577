"""The demo commands on the test street (the same code as the demo street, 330105013): seed_demo_cases walks
synthetic cases through the real services under a frozen clock, once; simulate plays hours forward and
prints what happens."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from zhizhi.accounts.models import User
from zhizhi.cases import indicators
from zhizhi.cases.models import Case, CaseStatus, Notification, Transition
from zhizhi.core import clock

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture
def demo_street(street, personas, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return street


def run(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


def test_seeding_without_the_demo_street_says_so_and_fails(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_demo_cases", days=2)


def test_seeded_cases_are_walked_through_the_workflow_and_a_second_run_adds_nothing(demo_street):
    with clock.frozen(NOW):
        out = run("seed_demo_cases", days=10, per_day=4, seed="t")
    cases = Case.objects.filter(idempotency_key__startswith="demo-")
    assert cases.count() >= 20 and "Seeded" in out
    assert cases.filter(status=CaseStatus.CLOSED).exists()
    assert len(set(cases.values_list("channel", flat=True))) >= 3
    assert len(set(cases.values_list("category", flat=True))) >= 4
    assert cases.exclude(current_unit=None).values("current_unit").distinct().count() >= 2
    first = cases.order_by("created_at").first()
    rows = list(Transition.objects.filter(case=first).order_by("at", "id"))
    assert rows[0].action == "open" and rows[0].at == first.created_at
    assert all(a.at <= b.at for a, b in zip(rows, rows[1:], strict=False))  # the clock moved forward
    assert max(t.at for t in Transition.objects.all()) <= NOW  # nothing written in the future
    report = indicators.compute(demo_street.street, indicators.Period.days(dt.date(2026, 11, 1), NOW.date()))
    assert report.areas[0].values["reports"] > 0 and report.areas[0].values["register_rate"] is not None
    # today: a case of 小王's grid handled this morning waits for her check, and her inbox says so
    wang = User.objects.get(username="xiaowang")  # the grid worker of grid A1, as on the demo street
    waiting = cases.filter(status=CaseStatus.HANDLED, area_code__startswith=wang.area_code)
    assert waiting.exists() and "today:" in out
    assert Notification.objects.filter(recipient=wang, event="verify", case__in=waiting).exists()
    before = Transition.objects.count()
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        again = run("seed_demo_cases", days=10, per_day=4, seed="t")
    assert "nothing to seed" in again and Transition.objects.count() == before


def test_simulate_prints_reports_warnings_and_escalations(demo_street):
    with clock.frozen(NOW):
        out = run("simulate", hours=30, per_hour=1.5, late=1.0, seed="s", step=30)
    assert "新案件" in out and "Done:" in out
    assert "超期自动上报" in out or "超期" in out
    assert Case.objects.filter(idempotency_key__startswith="sim-").exists()
    assert Transition.objects.filter(action="escalate", actor_name="system").exists()
    assert max(t.at for t in Transition.objects.all()) <= NOW


def test_simulate_needs_hours_in_range(demo_street):
    with pytest.raises(CommandError):
        call_command("simulate", hours=0)
