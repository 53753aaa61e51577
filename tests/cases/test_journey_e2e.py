"""The case loop in a real browser (Debian chromium through Playwright, against the live server): 张阿姨
reports a neighbour dispute with a pin on the map → 李主任 registers and dispatches it from the board → 陈社工
of the community committee signs for it and handles it → 小王 the grid worker verifies it → 李主任 closes it →
张阿姨 rates it, and the case's timeline shows every step."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests import factories
from zhizhi.cases.models import Case, CaseStatus

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(scope="module")
def browser(chromium_path, django_db_setup):
    """One chromium for the module. While Playwright's loop runs, Django keeps its connections in
    context-local storage (other connection objects than the ones the test database was set up with); they
    are given the serialized contents that `serialized_rollback` restores after the flush."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    serialized = {c.alias: getattr(c, "_test_serialized_contents", None) for c in connections.all()}
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def as_user(browser, live_server):
    """as_user(username) → a page logged in as that persona, in its own browser context."""
    contexts = []

    def _login(username: str):
        context = browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", factories.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        expect(page.get_by_test_id("whoami")).to_be_visible()
        return page

    yield _login
    for context in contexts:
        context.close()


def click_on_map(page, lat: float, lon: float) -> None:
    """Tap the pin map at a place, as a finger would (the point is turned into pixels by Leaflet)."""
    expect(page.locator('#pinmap[data-loaded="1"]')).to_have_count(1)
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.zhizhiPinMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    page.locator("#pinmap").click(position={"x": x, "y": y})


def test_a_report_goes_round_the_whole_loop_and_the_timeline_shows_every_step(
    as_user, live_server, units, personas, artifacts_dir
):
    url = live_server.url
    # 张阿姨 reports on her phone.
    zhang = as_user("zhangayi")
    zhang.set_viewport_size({"width": 390, "height": 844})
    zhang.goto(url + reverse("cases:report"))
    zhang.select_option("[data-testid=category]", label="邻里纠纷")
    click_on_map(zhang, 30.2710, 120.1610)
    expect(zhang.get_by_test_id("pin-info")).to_contain_text("30.27")
    zhang.fill("[data-testid=address]", "竹竿巷1网格小区1幢")
    zhang.fill("[data-testid=description]", "楼上卫生间漏水到我家，协商不成")
    zhang.get_by_test_id("submit-report").click()
    expect(zhang.get_by_test_id("case-number")).to_contain_text("邻里纠纷")
    case = Case.objects.get()
    assert case.area_code == "33010501300101" and case.channel == "resident"

    # 李主任 registers and dispatches it from the board.
    li = as_user("lizhuren")
    li.goto(url + reverse("cases:board"))
    received = li.get_by_test_id("column-received").locator(f'[data-number="{case.number}"]')
    received.get_by_role("button").click()
    registered = li.get_by_test_id("column-registered").locator(f'[data-number="{case.number}"]')
    registered.get_by_role("button").click()
    expect(li.get_by_test_id("column-registered").locator(f'[data-number="{case.number}"]')).to_have_count(0)
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED and case.current_unit == units["community_a"]

    # 陈社工 finds it on the committee's worklist, signs for it and handles it.
    chen = as_user("chen")
    chen.goto(url + reverse("cases:worklists"))
    chen.get_by_role("link", name=case.number).click()
    chen.get_by_test_id("do-accept").click()
    chen.get_by_test_id("do-start").click()
    chen.get_by_test_id("submit-note").fill("上门调解，双方签订协议，楼上已修好防水")
    chen.get_by_test_id("submit-evidence").fill("调解协议 2026-118")
    chen.get_by_test_id("do-submit").click()
    expect(chen.locator('[data-testid="timeline-row"][data-action="submit"]')).to_have_count(1)

    # 小王 the grid worker, told in her inbox, finds it among her verification tasks and verifies on site.
    wang = as_user("xiaowang")
    wang.goto(url + reverse("cases:inbox"))
    expect(wang.get_by_text(f"案件 {case.number}")).to_have_count(1)
    wang.goto(url + reverse("cases:home"))
    expect(wang).to_have_url(url + reverse("cases:to_verify"))
    wang.get_by_test_id("to-verify").get_by_role("link", name=case.number).click()
    wang.get_by_test_id("verify-note").fill("现场查看，已不漏水")
    wang.get_by_test_id("do-verify").click()
    expect(wang.locator('[data-testid="timeline-row"][data-action="verify"]')).to_have_count(1)

    # 李主任 closes it.
    li.goto(url + reverse("cases:board"))
    li.get_by_test_id("column-verified").locator(f'[data-number="{case.number}"]').get_by_role(
        "button"
    ).click()
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED

    # 张阿姨 rates it from her cases, and sees the whole history.
    zhang.goto(url + reverse("cases:mine"))
    zhang.locator(f'[data-testid="my-case"][data-number="{case.number}"]').get_by_role("link").click()
    zhang.get_by_test_id("rating-satisfied").check()
    zhang.get_by_test_id("rating-comment").fill("很及时，谢谢")
    zhang.get_by_test_id("do-revisit").click()
    rows = zhang.locator('[data-testid="timeline-row"]')
    expect(rows).to_have_count(9)
    actions = rows.evaluate_all("rows => rows.map(r => r.dataset.action)")
    assert actions == [
        "open",
        "register",
        "dispatch",
        "accept",
        "start",
        "submit",
        "verify",
        "close",
        "revisit",
    ]
    expect(zhang.get_by_test_id("timeline")).to_contain_text("陈社工")
    expect(zhang.get_by_test_id("timeline")).to_contain_text("小王")
    expect(zhang.get_by_test_id("form-revisit")).to_have_count(0)  # rated: the form is gone
    zhang.screenshot(path=str(artifacts_dir / "case-journey-timeline.png"), full_page=True)
    assert case.revisits.get().rating == "satisfied"


@pytest.fixture
def artifacts_dir(tmp_path):
    from pathlib import Path

    folder = Path(os.environ.get("ZHIZHI_E2E_ARTIFACTS") or tmp_path / "e2e-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
