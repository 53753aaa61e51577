"""A few journeys through the real pages in a real browser (chromium), as the personas would make them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from zhizhi.areas.models import Area
from zhizhi.core.roles import AreaLevel

# Data migrations seed tables (tags, the calendar) that a transactional test's flush would empty for the tests
# that follow; serialized rollback restores them.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_community_staff_finds_a_resident_and_sees_her_id_number_masked(page, live_server, world):
    street, personas = world
    zhang = personas["zhang_record"]
    log_in(page, live_server, "chen")
    expect(page.get_by_test_id("whoami")).to_contain_text("陈社工")

    page.goto(live_server.url + reverse("people:resident_list"))
    page.fill('input[type="search"][name="q"]', "张阿姨")
    page.press('input[type="search"][name="q"]', "Enter")
    rows = page.locator('tr[data-testid="resident-row"]')
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("张阿姨")
    expect(rows.first).to_contain_text(zhang.id_number_masked)

    rows.first.get_by_role("link", name="张阿姨").click()
    page.wait_for_url(f"**{reverse('people:resident_detail', args=[zhang.pk])}")
    body = page.locator("main")
    expect(body).to_contain_text(zhang.id_number_masked)
    expect(body).not_to_contain_text(zhang.id_number)


def test_the_map_draws_every_grid_in_scope(page, live_server, world, artifacts):
    street, personas = world
    log_in(page, live_server, "lizhuren")
    page.goto(live_server.url + reverse("areas:map"))
    the_map = page.locator('#map[data-loaded="1"]')
    expect(the_map).to_have_count(1)
    grids = Area.objects.filter(level=AreaLevel.GRID, code__startswith=street.street.code).count()
    assert grids == 3
    expect(the_map).to_have_attribute("data-grids", str(grids))
    shot = artifacts / "map-street.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000


def test_the_map_of_a_community_worker_holds_only_their_grids(page, live_server, world):
    street, personas = world
    log_in(page, live_server, "chen")
    page.goto(live_server.url + reverse("areas:map"))
    expect(page.locator('#map[data-loaded="1"]')).to_have_attribute("data-grids", "2")


def test_a_wrong_password_shows_an_error_and_stays_on_the_login_page(page, live_server, world):
    log_in(page, live_server, "chen", "not-the-password")
    expect(page.locator(".error")).to_be_visible()
    assert "/accounts/login/" in page.url
    expect(page.get_by_test_id("whoami")).to_have_count(0)


def test_home_page_shows_the_counts_of_the_users_area(page, live_server, world):
    log_in(page, live_server, "chen")
    expect(page.get_by_test_id("tile-residents").locator(".count")).to_have_text("1")
    expect(page.get_by_test_id("tile-grids").locator(".count")).to_have_text("2")
    page.get_by_test_id("tile-alone").click()
    expect(page.locator('tr[data-testid="resident-row"]')).to_have_count(1)
