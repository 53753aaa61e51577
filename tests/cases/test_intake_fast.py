"""The fast intake path: a bounded number of queries, reference data cached only from committed rows and
dropped on save, every row of the report written together (one statement on PostgreSQL), the compact API
answer with its duplicates, and a repeated key answered from the unique constraint."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.cases.conftest import A1, B1
from zhizhi.cases.models import Case, Category, Notification, Transition
from zhizhi.cases.services import CaseInput, lookups, open_case
from zhizhi.core.models import AuditEntry

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


@pytest.fixture
def caching(monkeypatch):
    """Let the lookups store entries inside the test's transaction (normally only autocommit reads are)."""
    lookups.clear()
    monkeypatch.setattr(lookups, "_may_store", lambda: True)
    yield
    lookups.clear()


def _report(actor, key: str, **extra) -> object:
    data = CaseInput(
        category="暴露垃圾", description="门口垃圾", lat=A1[0], lon=A1[1], idempotency_key=key, **extra
    )
    return open_case(actor, data)


def test_an_intake_writes_every_row_in_a_bounded_number_of_queries(personas, street, caching):
    zhang = personas["zhang"]
    _report(zhang, "warm-up")  # fills the caches: category, grid, street
    with CaptureQueriesContext(connection) as ctx:
        result = _report(zhang, "second", contact_phone="13800138000")
    sql = [q["sql"] for q in ctx.captured_queries]
    # counter, the rows inside a savepoint (the test's transaction; none in autocommit), the duplicate
    # check: on PostgreSQL the rows and the duplicate check are one statement; elsewhere 5 inserts and a read
    assert len(sql) <= (4 if connection.vendor == "postgresql" else 9), sql
    if connection.vendor == "postgresql":
        assert sum(s.startswith("WITH ") for s in sql) == 1
    assert not any("cases_category" in s.split("FROM")[-1][:40] for s in sql if s.startswith("SELECT"))
    case = result.case
    assert Transition.objects.filter(case=case, action="open").count() == 1
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk)).count() == 1
    # the reporter's inbox and an SMS to the contact phone, both tied to the case
    assert sorted(Notification.objects.filter(case=case).values_list("channel", flat=True)) == ["dev", "sms"]
    assert [d.pk for d in result.duplicates] == [Case.objects.get(idempotency_key="warm-up").pk]


def test_the_duplicates_read_with_the_insert_are_those_read_after_it(personas, street):
    from zhizhi.cases.services import duplicate_summaries

    near = (A1[0] + 0.0003, A1[1] + 0.0002)
    earlier = [_report(personas["zhang"], f"before-{i}").case for i in range(3)]
    far = open_case(
        personas["zhang"], CaseInput(category="暴露垃圾", description="远处", lat=B1[0], lon=B1[1])
    )
    result = open_case(
        personas["zhang"], CaseInput(category="暴露垃圾", description="又一堆", lat=near[0], lon=near[1])
    )
    assert [d.pk for d in result.duplicates] == [c.pk for c in earlier]  # nearest first; not itself, not far
    assert far.case.pk not in [d.pk for d in result.duplicates]
    assert result.duplicates == duplicate_summaries(result.case)  # every field, created_at included


def test_photos_are_written_with_the_case(personas, street):
    from zhizhi.cases.services import FileInput

    result = _report(personas["zhang"], "with-photos", photos=[FileInput("a.jpg", "image/jpeg", JPEG)] * 2)
    assert result.case.attachments.count() == 2
    assert Transition.objects.get(case=result.case).data == {"channel": "resident", "photos": 2}


def test_the_category_cache_is_dropped_when_a_category_is_saved(personas, street, caching):
    from zhizhi.cases.services import find_category

    category = find_category("暴露垃圾")
    with CaptureQueriesContext(connection) as ctx:
        assert find_category("暴露垃圾") == category
    assert len(ctx.captured_queries) == 0
    category.active = False
    category.save()
    with pytest.raises(Exception, match="unknown category"):
        find_category("暴露垃圾")


def test_nothing_is_cached_from_inside_a_transaction(personas, street):
    lookups.clear()
    lookups.category("暴露垃圾")  # the test runs inside a transaction: read, not stored
    Category.objects.filter(name="暴露垃圾").update(active=False)
    assert lookups.category("暴露垃圾").active is False


def test_a_repeated_key_returns_the_first_case_without_a_second_row(personas, street):
    first = _report(personas["zhang"], "same-key")
    again = _report(personas["zhang"], "same-key")
    assert (again.created, again.case.pk) == (False, first.case.pk)
    assert Case.objects.filter(idempotency_key="same-key").count() == 1
    assert Transition.objects.filter(case=first.case).count() == 1
    # the rolled-back attempt left nothing behind
    assert Notification.objects.filter(case=first.case).count() == 1


def test_the_api_answers_the_compact_case_and_its_duplicates(personas, street):
    c = Client()
    c.force_login(personas["zhang"])
    body = {"category": "暴露垃圾", "description": "门口垃圾", "lat": A1[0], "lon": A1[1]}
    first = c.post("/api/cases/", body, content_type="application/json").json()
    second = c.post("/api/cases/", body, content_type="application/json")
    assert second.status_code == 201
    data = second.json()
    assert set(data) == {"created", "case", "duplicates"}
    assert data["case"]["number"].endswith("-00002") and data["case"]["status"] == "received"
    assert [(d["id"], d["number"]) for d in data["duplicates"]] == [
        (first["case"]["id"], first["case"]["number"])
    ]
    assert set(data["duplicates"][0]) == {"id", "number", "category", "title", "status_label", "created_at"}
