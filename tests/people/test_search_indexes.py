"""The search indexes exist on PostgreSQL and the same migrations leave SQLite untouched (it scans)."""

import pytest
from django.db import connection

from zhizhi.people.expressions import code_scope, next_code

SEARCH_INDEXES = {
    "people_resident_name_trgm",
    "people_resident_pinyin_trgm",
    "people_resident_phone_masked_trgm",
    "people_resident_name_chars",
    "areas_dwelling_address_trgm",
}


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename IN ('people_resident', 'areas_dwelling')"
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_search_indexes_exist_only_where_the_database_can_use_them():
    names = index_names()
    assert "resident_area_name" in names
    if connection.vendor == "postgresql":
        assert SEARCH_INDEXES.issubset(names)
    else:
        assert not SEARCH_INDEXES & names


@pytest.mark.parametrize(
    ("prefix", "upper"),
    [
        ("330105013", "330105014"),
        ("33010501300109", "33010501300110"),
        ("3399", "3400"),
        ("999", None),
        ("", None),
    ],
)
def test_a_code_prefix_becomes_a_range_ending_at_the_next_code(prefix, upper):
    assert next_code(prefix) == upper


def test_a_code_range_holds_exactly_the_codes_with_that_prefix():
    codes = ["330105012999", "330105013", "330105013001", "33010501300199", "330105014", "3301050139"]
    scope = code_scope("area_code", "330105013")
    lower, upper = scope.children[0][1], scope.children[1][1]
    assert [c for c in codes if lower <= c < upper] == [c for c in codes if c.startswith("330105013")]
