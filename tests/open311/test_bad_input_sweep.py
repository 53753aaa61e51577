"""Every GeoReport v2 parameter, given a value of the wrong kind or beyond any column, is answered 4xx in the
GeoReport error shape — never a 500 (a sweep in the spirit of tests/web/test_api_fuzz.py)."""

from __future__ import annotations

import pytest

from zhizhi.open311.intake import SIMPLE_FIELDS

BAD = ["nan", "inf", "-inf", "1e400", "99999999999999999999999", "-1", "x" * 5000, "2026-13-45", "abc"]
POST_FIELDS = [*SIMPLE_FIELDS, "attribute[WEIGHT]", "jurisdiction_id"]  # every field the endpoint reads
GET_PARAMS = ["service_request_id", "service_code", "start_date", "end_date", "status", "page", "page_size"]


@pytest.mark.parametrize("field", POST_FIELDS)
def test_a_bad_value_of_any_post_field_is_never_a_500(post_request, frozen_clock, field):
    for value in BAD:
        response = post_request(**{field: value})
        assert response.status_code < 500, (field, value[:40], response.content[:300])


@pytest.mark.parametrize("param", GET_PARAMS)
def test_a_bad_value_of_any_query_parameter_is_never_a_500(anon, post_request, frozen_clock, param):
    post_request()
    for value in BAD:
        response = anon.get("/open311/v2/requests.json", {param: value})
        assert response.status_code < 500, (param, value[:40], response.content[:300])


@pytest.mark.parametrize("value", BAD)
def test_a_bad_request_id_or_token_in_the_path_is_never_a_500(anon, frozen_clock, api_key, value):
    for path in (f"/open311/v2/requests/{value}.json", f"/open311/v2/tokens/{value}.json"):
        response = anon.get(path)
        assert response.status_code < 500, (path[:60], response.content[:300])
    response = anon.get(f"/open311/v2/servicerequestupdates.json?start_date={value}&api_key=k")
    assert response.status_code < 500
