"""Case search by parts of the scope (cases.queries.search_cases with a window): on PostgreSQL each part —
own reports, followed cases, each unit's cases, the area — is its own ordered, limited query and the page
comes from their union; it must list exactly the cases, in exactly the order, of the plain scope (one OR).
On SQLite both are the plain scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from tests.cases.conftest import A1, B1
from zhizhi.cases import boards, queries, services
from zhizhi.cases.models import Case
from zhizhi.core import clock

FILTERS = [
    {},
    {"status": "dispatched"},
    {"status": "received,registered"},
    {"open_only": True},
    {"channel": "hotline"},
    {"category": "暴露垃圾"},
    {"overdue": True},
    {"q": "垃圾"},
    {"area": "330105013001"},
]


@pytest.fixture
def spread(personas, units, report):
    """Cases in every part of 陈社工's scope and outside it, created a minute apart (newest last):
    in community A (her area), in community B held by her committee, reported by her in B, followed by her
    in B — and in B with nothing to do with her."""
    li, chen = personas["li"], personas["chen"]
    start = clock.now()
    made: dict[str, list[int]] = {"area": [], "unit": [], "own": [], "followed": [], "outside": []}
    for i in range(12):
        made["area"].append(report(li, at=A1, channel="hotline", description=f"A 区垃圾 {i}").pk)
        held = report(li, at=B1, channel="hotline", category="邻里纠纷", description=f"B 区 {i}")
        services.register_case(li, held.pk)
        services.dispatch_case(li, held.pk)
        Case.objects.filter(pk=held.pk).update(current_unit=units["community_a"])
        made["unit"].append(held.pk)
        made["outside"].append(report(li, at=B1, channel="patrol", description=f"别处垃圾 {i}").pk)
    for i in range(3):
        made["own"].append(report(chen, at=B1, channel="staff", description=f"陈社工报的垃圾 {i}").pk)
        followed = report(li, at=B1, channel="hotline", description=f"关注的垃圾 {i}")
        followed.followers.add(chen)
        made["followed"].append(followed.pk)
    Case.objects.filter(pk__in=made["area"][:4] + made["unit"][:3]).update(overdue=True)
    everything = [pk for pks in made.values() for pk in pks]
    for n, pk in enumerate(sorted(everything)):  # distinct times, with ties broken by id
        Case.objects.filter(pk=pk).update(created_at=start + dt.timedelta(minutes=n // 2))
    return made


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "all")
def test_the_parts_of_the_scope_list_what_the_whole_scope_lists(personas, spread, filters):
    chen = personas["chen"]
    plain = list(queries.search_cases(chen, **filters).values_list("pk", flat=True))
    for window in (1, 5, 31, 200):
        by_parts = list(queries.search_cases(chen, window=window, **filters).values_list("pk", flat=True))
        assert by_parts[:window] == plain[:window]
    outside = set(spread["outside"])
    assert not outside & set(plain)


def test_each_part_of_the_scope_is_found(personas, spread):
    qs = queries.search_cases(personas["chen"], window=200)
    assert ("UNION" in str(qs.query)) == connection.features.supports_slicing_ordering_in_compound
    seen = set(qs.values_list("pk", flat=True))
    for part in ("area", "unit", "own", "followed"):
        assert set(spread[part]) <= seen, part
    assert not set(spread["outside"]) & seen


def test_pages_of_the_search_follow_each_other(personas, spread, monkeypatch):
    monkeypatch.setattr(boards, "PAGE_SIZE", 7)
    chen = personas["chen"]
    plain = list(queries.search_cases(chen).values_list("pk", flat=True))
    paged = []
    for number in range(1, 10):
        page = boards.search_page(chen, {}, number)
        paged += [c.pk for c in page.items]
        if not page.has_next:
            break
    assert paged == plain
