"""Resident search: what a query means (pure) and each key through the actor's scope."""

import pytest

from tests.people.helpers import person
from zhizhi.core.errors import InvalidInput
from zhizhi.people import queries
from zhizhi.people.search import KeyKind, parse_query


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("", KeyKind.EMPTY, ""),
        ("  ", KeyKind.EMPTY, ""),
        ("11010519491231002x", KeyKind.ID_NUMBER, "11010519491231002X"),
        ("110105 1949 1231 002X", KeyKind.ID_NUMBER, "11010519491231002X"),
        ("13812345678", KeyKind.PHONE, "13812345678"),
        ("138-1234-5678", KeyKind.PHONE, "13812345678"),
        ("87654321", KeyKind.PHONE, "87654321"),
        ("5678", KeyKind.PHONE_LAST4, "5678"),
        ("ZAY", KeyKind.PINYIN, "zay"),
        ("zhang ayi", KeyKind.PINYIN, "zhangayi"),
        ("张阿", KeyKind.TEXT, "张阿"),
        ("502", KeyKind.TEXT, "502"),
        ("1幢1单元", KeyKind.TEXT, "1幢1单元"),
    ],
)
def test_reads_a_query_as_one_kind_of_key(raw, kind, value):
    key = parse_query(raw)
    assert (key.kind, key.value) == (kind, value)


def names(qs):
    return sorted(r.name for r in qs)


@pytest.fixture
def chen(personas):
    return personas["chen"]


def test_finds_by_part_of_the_name(chen, residents):
    assert names(queries.search_residents(chen, "阿姨")) == ["张阿姨"]
    assert names(queries.search_residents(chen, "建")) == ["王建国"]


def test_finds_by_pinyin_initials_or_full_pinyin_prefix(chen, residents):
    assert names(queries.search_residents(chen, "zay")) == ["张阿姨"]
    assert names(queries.search_residents(chen, "wangjian")) == ["王建国"]
    assert names(queries.search_residents(chen, "jianguo")) == []  # a prefix, not any fragment
    assert names(queries.search_residents(chen, "Liu")) == ["刘小红"]


def test_finds_by_whole_id_number_only(chen, residents):
    number = residents["a1"].id_number
    assert names(queries.search_residents(chen, number)) == ["王建国"]
    assert names(queries.search_residents(chen, number.lower())) == ["王建国"]
    assert names(queries.search_residents(chen, number[:-1])) == []


def test_finds_by_whole_phone_or_its_last_four_digits(chen, residents):
    assert names(queries.search_residents(chen, "13900001111")) == ["王建国"]
    assert names(queries.search_residents(chen, "1111")) == ["王建国"]
    assert names(queries.search_residents(chen, "3333")) == ["刘小红"]


def test_finds_by_part_of_the_home_address(chen, residents, street):
    assert names(queries.search_residents(chen, "竹竿巷2网格小区")) == ["刘小红"]
    assert names(queries.search_residents(chen, "竹竿巷1网格小区1幢")) == ["张阿姨", "王建国"]


def test_search_never_leaves_the_actors_scope(personas, residents):
    assert names(queries.search_residents(personas["chen"], "李秀英")) == []
    assert names(queries.search_residents(personas["chen"], "13700002222")) == []
    assert names(queries.search_residents(personas["outsider"], "李秀英")) == ["李秀英"]
    assert names(queries.search_residents(personas["xiaowang"], "")) == ["张阿姨", "王建国"]


def test_filters_by_every_given_tag_and_by_community_and_grid(personas, residents, street):
    li = personas["li"]
    assert names(queries.search_residents(li, "", tags=["独居"])) == ["张阿姨"]
    assert names(queries.search_residents(li, "", tags=["alone", "aged"])) == ["张阿姨"]
    assert names(queries.search_residents(li, "", tags=["独居", "低保"])) == []
    assert names(queries.search_residents(li, "", community=street.community_b.code)) == ["李秀英"]
    assert names(queries.search_residents(li, "", grid=street.grid_a2.code)) == ["刘小红"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"tags": ["nope"]}, "tags"), ({"community": "33"}, "community"), ({"grid": "abc"}, "grid")],
)
def test_bad_filters_name_the_field(personas, residents, kwargs, field):
    with pytest.raises(InvalidInput) as exc:
        queries.search_residents(personas["li"], "", **kwargs)
    assert exc.value.field == field


def test_lists_never_load_the_encrypted_columns(personas, residents):
    rows = list(queries.search_residents(personas["chen"], ""))
    assert rows
    for r in rows:
        assert {"id_number", "phone"} <= r.get_deferred_fields()
        assert r.id_number_masked.startswith("330105") and "*" in r.id_number_masked


def test_page_counts_up_to_a_cap_and_says_when_there_are_more(personas, street, monkeypatch):
    for n in range(7):
        person(street.dwelling_a2, f"批量{n}")
    qs = queries.search_residents(personas["chen"], "批量")
    page = queries.page_of(qs, 1, size=3)
    assert (len(page.items), page.has_next, page.total, page.total_capped) == (3, True, 7, False)
    last = queries.page_of(qs, 3, size=3)
    assert (len(last.items), last.has_next, last.has_previous) == (1, False, True)
    monkeypatch.setattr(queries, "COUNT_CAP", 5)
    capped = queries.page_of(qs, 1, size=3)
    assert (capped.total, capped.total_capped) == (5, True)


def test_a_bad_page_number_names_the_page_field(personas):
    with pytest.raises(InvalidInput) as exc:
        queries.page_of(queries.search_residents(personas["chen"], ""), "x")
    assert exc.value.field == "page"
