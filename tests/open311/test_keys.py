"""API keys: stored as hashes, issued in the admin, one demo key, and each key's rate limit (429 with
Retry-After, counted in the database so every process shares it)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.open311 import schemas
from tests.open311.conftest import KEY
from zhizhi.open311 import keys
from zhizhi.open311.models import ApiKey


def test_only_the_hash_of_a_key_is_stored(api_key):
    assert KEY not in (api_key.key_hash, api_key.prefix) and api_key.key_hash == keys.digest(KEY)
    assert api_key.prefix == KEY[:8]


def test_the_rate_limit_answers_429_with_retry_after(post_request, api_key, frozen_clock):
    ApiKey.objects.filter(pk=api_key.pk).update(rate_limit=2)
    assert post_request().status_code == 201
    assert post_request().status_code == 201
    refused = post_request()
    schemas.check_error(refused, 429, "2 requests per minute")
    assert refused["Retry-After"] == "60"  # the frozen clock stands at the start of a minute
    frozen_clock.advance(seconds=45)
    assert post_request()["Retry-After"] == "15"
    frozen_clock.advance(seconds=15)
    assert post_request().status_code == 201  # a new minute


def test_a_zero_limit_blocks_the_key(post_request, api_key, frozen_clock):
    ApiKey.objects.filter(pk=api_key.pk).update(rate_limit=0)
    schemas.check_error(post_request(), 429)


def test_reads_with_a_key_count_too_and_a_bad_key_on_a_read_is_403(anon, api_key, frozen_clock):
    ApiKey.objects.filter(pk=api_key.pk).update(rate_limit=1)
    assert anon.get("/open311/v2/services.json", {"api_key": KEY}).status_code == 200
    schemas.check_error(anon.get("/open311/v2/services.json", {"api_key": KEY}), 429)
    assert anon.get("/open311/v2/services.json").status_code == 200  # anonymous reads are open
    schemas.check_error(anon.get("/open311/v2/services.json", {"api_key": "bogus"}), 403)


def test_the_demo_key_comes_from_the_environment_once(db, monkeypatch):
    monkeypatch.setenv("ZHIZHI_DEMO_OPEN311_KEY", "my-demo-key")
    first = keys.ensure_demo_key()
    assert keys.ensure_demo_key() == first and ApiKey.objects.count() == 1
    assert first.key_hash == keys.digest("my-demo-key")
    monkeypatch.delenv("ZHIZHI_DEMO_OPEN311_KEY")
    assert keys.ensure_demo_key().key_hash == keys.digest("demo-key")


@pytest.fixture
def admin_client(personas):
    c = Client()
    c.force_login(personas["admin"])
    return c


def test_an_administrator_issues_a_key_in_the_admin_and_sees_it_once(admin_client, db):
    response = admin_client.post(
        "/admin/open311/apikey/add/",
        {"name": "城市大脑", "contact": "ops@city.cn", "active": "on", "rate_limit": "30", "new_key": ""},
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="城市大脑")
    shown = [str(m) for m in response.context["messages"]]
    raw = re.search(r"[A-Za-z0-9_\-]{20,}", shown[0]).group(0)  # the key, whatever the UI language
    assert keys.digest(raw) == key.key_hash and key.rate_limit == 30
    assert raw not in admin_client.get(f"/admin/open311/apikey/{key.pk}/change/").content.decode()


def test_community_staff_cannot_see_the_keys(personas, api_key):
    c = Client()
    c.force_login(personas["chen"])
    assert c.get("/admin/open311/apikey/").status_code in (302, 403)


def test_the_back_office_lists_submissions_and_client_updates(admin_client, post_request, frozen_clock):
    assert post_request().status_code == 201
    for url in ("/admin/open311/apikey/", "/admin/open311/submission/", "/admin/open311/clientupdate/"):
        assert admin_client.get(url).status_code == 200, url
    html = admin_client.get("/admin/open311/submission/").content.decode()
    assert "城管通 App" in html
