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
    """While Playwright's loop runs, the ORM's connections are other, context-local ones: they are closed
    before the loop ends, or the last would stay open and keep the test database from being dropped."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        yield context.new_page()
        browser.close()
        connections.close_all()


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
    drawn = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById("timeline")).getOption().series.map(
            s => ({n: s.data.length, marks: s.markLine ? s.markLine.data.map(d => d.name) : []}))"""
    )
    assert drawn[0]["n"] == 1  # the door's opening
    assert ["无动静起始", "达到阈值", "告警时间"] in [s["marks"] for s in drawn]  # the alarm's moments across
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("alarm-status")).not_to_have_text(str(alarm.get_status_display()))


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")


def test_a_grid_worker_binds_a_new_door_sensor_by_address(page, live_server, world):
    from playwright.sync_api import expect

    personas, _alarm = world
    seen = dt.datetime.now(dt.UTC)
    ingest([Inbound(f"{PREFIX}/new-door", zigbee.state_payload(True, last_seen=seen), seen)])
    home = personas["zhang_record"].home
    login(page, live_server, "xiaowang")
    page.goto(f"{live_server.url}/sensors/devices/unknown/")
    row = page.locator('tr[data-testid="unknown-row"]')
    expect(row).to_have_count(1)
    row.get_by_test_id("bind-link").click()
    page.get_by_test_id("dwelling-search").fill(home.address[-8:])
    page.get_by_test_id("dwelling-search").press("Enter")
    page.locator(f'input[name=dwelling][value="{home.code}"]').check()
    page.fill("input[name=vendor_id]", "0xe2e2")
    page.get_by_test_id("bind").click()
    expect(page.get_by_test_id("device-residents")).to_contain_text("张阿姨")
    expect(page.locator('tr[data-testid="install-row"]')).to_have_count(1)


def test_community_staff_accept_a_threshold_proposal_on_the_alarm_page(page, live_server, world):
    from playwright.sync_api import expect

    from zhizhi.sensors.detection.rules import RuleConfig
    from zhizhi.sensors.models import Watch
    from zhizhi.sensors.services import alarms, tuning

    personas, alarm = world
    alarms.resolve_alarm(personas["xiaowang"], alarm, "false_alarm", "她开着门通风")
    now = dt.datetime.now(dt.UTC)
    again = alarms.raise_alarm(alarm.watch, alarm.kind, now, "e2e-second", silence_since=now)
    alarms.resolve_alarm(personas["xiaowang"], again, "false_alarm", "她开着门通风")
    login(page, live_server, "chen")
    page.goto(f"{live_server.url}/sensors/alarms/{again.pk}/")
    proposal = page.locator('tr[data-testid="proposal"]')
    expect(proposal).to_have_count(1)
    proposal.get_by_test_id("accept-proposal").click()
    expect(page.locator('tr[data-testid="threshold-change"][data-status="applied"]')).to_have_count(1)
    knob = tuning.KNOBS[alarm.kind]
    assert Watch.objects.get(pk=alarm.watch_id).config[knob.parameter] == knob.looser(
        getattr(RuleConfig(), knob.parameter), False
    )


def test_a_grid_worker_files_an_away_notice_and_the_board_shows_it(page, live_server, world):
    from playwright.sync_api import expect

    from zhizhi.core import clock
    from zhizhi.sensors.models import AwayNotice

    login(page, live_server, "xiaowang")
    page.goto(f"{live_server.url}/sensors/")
    page.locator('tr[data-testid="board-row"] a', has_text="张阿姨").click()
    back = (dt.datetime.now(clock.SHANGHAI) + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    form = page.get_by_test_id("notice-form")
    form.locator("input[name=back_by]").fill(back.strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=reason]").fill("去女儿家")
    form.locator("button[type=submit]").click()
    notice_row = page.locator('tr[data-testid="notice"][data-open="1"]')
    expect(notice_row).to_have_count(1)
    expect(notice_row).to_contain_text("去女儿家")
    assert AwayNotice.objects.get().back_by == back
    page.goto(f"{live_server.url}/sensors/")
    expect(page.get_by_test_id("away-notice")).to_contain_text(back.strftime("%m-%d %H:%M"))


def test_on_a_phone_the_board_is_one_labelled_card_per_elder(page, live_server, world):
    """A grid worker on her phone: the board's rows become cards whose lines are labelled with the column
    headings (table.stack, web/tables.js), and nothing is wider than the screen."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "xiaowang")
    page.goto(f"{live_server.url}/sensors/")
    row = page.locator('tr[data-testid="board-row"]')
    expect(row).to_have_count(1)
    expect(page.locator('[data-testid="sensor-board"] thead')).to_be_hidden()
    expect(row.locator("td").nth(1)).to_have_attribute("data-label", "姓名")
    assert row.locator("td").nth(1).evaluate("td => getComputedStyle(td).display") == "block"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # on a wide screen it is a table again
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator('[data-testid="sensor-board"] thead')).to_be_visible()
