"""The board in a real browser (Debian chromium through Playwright): a grid worker sees her elder in red,
opens the alarm and finds the event timeline drawn by ECharts."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from tests import factories
from tests.sensors.conftest import PREFIX
from zhizhi.sensors import zigbee
from zhizhi.sensors.models import Gateway
from zhizhi.sensors.services import devices, watch
from zhizhi.sensors.services.ingest import Inbound, ingest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        yield context.new_page()
        browser.close()


@pytest.fixture
def world(live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    street = factories.make_street()
    personas = factories.make_personas(street)
    gateway = Gateway.objects.create(name=PREFIX)
    devices.register_device(
        None,
        vendor_id="0xe2e",
        friendly_name="zhang-door",
        gateway=gateway,
        dwelling=street.dwelling_a1,
        residents=[personas["zhang_record"]],
    )
    watch.watch_resident(personas["admin"], personas["zhang_record"], {"use_baseline": False})
    opened = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=40)
    ingest([Inbound(f"{PREFIX}/zhang-door", zigbee.state_payload(False, last_seen=opened), opened)])
    (alarm,) = watch.check_due()
    return personas, alarm


def test_a_grid_worker_sees_her_elder_in_red_and_the_alarm_timeline(page, live_server, world):
    from playwright.sync_api import expect

    personas, alarm = world
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "xiaowang")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    page.goto(f"{live_server.url}/sensors/")
    row = page.locator('tr[data-testid="board-row"]')
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-colour", "red")
    expect(row).to_contain_text("张阿姨")
    row.get_by_test_id("alarm-link").click()
    expect(page.locator('#timeline[data-loaded="1"]')).to_have_count(1)
    expect(page.locator("#timeline canvas")).to_have_count(1)
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("alarm-status")).not_to_have_text(str(alarm.get_status_display()))
