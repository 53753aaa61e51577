"""The welfare journeys in a real browser (Debian chromium through Playwright). As 孙科员: preview a rule →
re-evaluate and verify the drafts → run the water company's cycle → import its receipt → 王大伯's case file
shows the benefit; and the rule editor's live check underlines the culprit and previews without saving.
As 陈社工: the register's map leads to a building's people, and 张阿姨's case file links her door-sensor alarm and
the case it opened."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from tests import factories
from tests.welfare.helpers import household, resident
from zhizhi.core.roles import Role
from zhizhi.welfare.models import PartnerAccount, Programme

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread

# Data migrations seed tables (tags, programmes) that a transactional test's flush would empty for the tests
# that follow; serialized rollback restores them.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page(chromium_path, world):
    """Started after the data is written: ORM calls made while Playwright's loop runs would open a database
    connection Django never closes."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture
def short_lived_connections():
    """The live server answers each request in a new thread; with persistent connections (CONN_MAX_AGE) those
    threads would leave PostgreSQL sessions open and block dropping the test database."""
    from django.db import connections

    before = connections.settings["default"].get("CONN_MAX_AGE", 0)
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    yield
    connections.settings["default"]["CONN_MAX_AGE"] = before


@pytest.fixture
def world(short_lived_connections, live_server, settings):
    import datetime as dt

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    street = factories.make_street()
    factories.make_personas(street)
    factories.make_user("sun", Role.STREET_DEPT_STAFF, street.street, "孙科员")
    wang = resident(
        street.dwelling_a1, "王大伯", born=dt.date(1954, 6, 1), sex="M", tags=("低保",), income=400
    )
    home = household(street.dwelling_a1, "A1-002", wang)
    resident(street.dwelling_a1, "李阿婆", born=dt.date(1956, 2, 3), household=home, income=300)
    water = Programme.objects.get(code="water")
    PartnerAccount.objects.create(partner=water.partner, household=home, account_number="W-0088123")
    alarm = _zhang_alarm(street)
    return {"street": street, "wang": wang, "home": home, "alarm": alarm}


def _zhang_alarm(street):
    """张阿姨's front-door sensor went silent: an alarm, and the 独居老人告警 case it opened."""
    from zhizhi.core import clock
    from zhizhi.people.models import Resident
    from zhizhi.sensors.models import Alarm, AlarmKind, Gateway
    from zhizhi.sensors.services import alarms, devices, watch

    zhang = Resident.objects.get(name="张阿姨")
    devices.register_device(
        None,
        vendor_id="0x00158d0001aa0001",
        friendly_name="zhang-door",
        gateway=Gateway.objects.create(name="zigbee2mqtt"),
        dwelling=street.dwelling_a1,
        residents=[zhang],
    )
    w = watch.watch_resident(factories.User.objects.get(username="admin"), zhang)
    alarm = alarms.raise_alarm(w, AlarmKind.NO_ACTIVITY, clock.now(), "e2e-zhang-1")
    alarms.open_missing_cases(Alarm.objects.filter(pk=alarm.pk))
    alarm.refresh_from_db()
    return alarm


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")


def test_preview_verify_deliver_and_see_the_benefit_on_the_case_file(page, live_server, world, tmp_path):
    from playwright.sync_api import expect

    log_in(page, live_server, "sun")
    expect(page.get_by_test_id("whoami")).to_contain_text("孙科员")

    # 1. preview the water-fee rule: 王大伯's 低保 household would start
    page.goto(live_server.url + reverse("welfare:programme_detail", args=["water"]))
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("preview-result")).to_be_visible()
    expect(page.get_by_test_id("would-start")).to_have_text("1")
    expect(page.get_by_test_id("start-person")).to_contain_text("王大伯")
    # a broken rule points at the culprit
    page.get_by_test_id("rule").fill('"低保" in household_tags or')
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("rule-error")).to_contain_text("26")  # the column, after 低保 and the rest

    # 2. re-evaluate, then verify the draft with its explanation in view
    page.goto(live_server.url + reverse("welfare:programme_detail", args=["water"]))
    page.get_by_test_id("reevaluate").click()
    row = page.get_by_test_id("enrolment-row").filter(has_text="王大伯")
    expect(row.get_by_test_id("explanation")).to_contain_text('✓ "低保" in household_tags')
    row.locator("input[name=ids]").check()
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("enrolment-row").filter(has_text="王大伯")).to_have_count(
        0
    )  # no longer a draft
    page.goto(live_server.url + reverse("welfare:enrolment_list", args=["water"]) + "?status=enrolled")
    expect(page.get_by_test_id("enrolment-row").filter(has_text="王大伯")).to_have_count(1)

    # 3. run the cycle: one row for the water company
    page.goto(live_server.url + reverse("welfare:programme_detail", args=["water"]))
    page.get_by_test_id("period").fill("2026-11")
    page.get_by_test_id("run-cycle").click()
    expect(page.get_by_test_id("batch-reference")).to_have_text("WATER-2026-11-01")
    expect(page.get_by_test_id("line-row")).to_have_count(1)

    # 4. import the receipt: accepted
    receipt = "流水号,结果,原因\r\nWATER-2026-11-01-00001,成功,\r\n".encode()
    page.get_by_test_id("receipt-file").set_input_files(
        files=[{"name": "receipt.csv", "mimeType": "text/csv", "buffer": receipt}]
    )
    page.get_by_test_id("import-receipt").click()
    expect(page.get_by_test_id("receipt-result")).to_be_visible()

    # 5. the household's case file shows the benefit
    page.goto(live_server.url + reverse("welfare:register"))
    page.get_by_test_id("open-casefiles").click()
    page.get_by_test_id("register-row").filter(has_text="王大伯").get_by_role("link", name="王大伯").click()
    benefit = page.get_by_test_id("benefit-row")
    expect(benefit).to_have_count(1)
    expect(benefit).to_contain_text("水费减免")
    expect(benefit).to_contain_text("2026-11")
    expect(page.get_by_test_id("timeline-benefit")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "casefile.png"), full_page=True)


def test_the_rule_editor_underlines_as_you_type_and_previews_without_saving(
    page, live_server, world, tmp_path
):
    from playwright.sync_api import expect

    log_in(page, live_server, "sun")
    url = live_server.url + reverse("welfare:programme_detail", args=["aged"])
    page.goto(url)
    rule = page.get_by_test_id("rule")
    saved = rule.input_value()

    # a typo: the live check underlines it in the editor, under the very characters
    rule.fill('age >= 80 and "独居" in tagz')
    culprit = page.locator("#rule-backdrop [data-testid=rule-culprit]")
    expect(culprit).to_have_text("tagz")
    expect(page.get_by_test_id("rule-error")).to_contain_text("23")  # column 23: characters, not bytes
    area, mark = rule.bounding_box(), culprit.bounding_box()
    assert (
        area["x"] + 100 < mark["x"] < area["x"] + area["width"] / 2
    )  # after 23 characters, not at the start
    assert area["y"] <= mark["y"] < area["y"] + 40  # on the first line
    aligned = page.evaluate(
        """() => { const t = document.getElementById('rule-text'), b = document.getElementById('rule-backdrop');
        const s = getComputedStyle(t), d = getComputedStyle(b);
        return ['fontFamily', 'fontSize', 'lineHeight', 'paddingLeft', 'paddingTop', 'letterSpacing', 'whiteSpace']
          .every(k => s[k] === d[k]) && b.textContent.startsWith(t.value); }"""
    )
    assert aligned  # the backdrop lays the same text out exactly like the textarea
    page.screenshot(path=str(tmp_path / "rule-error.png"))
    expect(page.get_by_test_id("rule-editor")).to_have_class("rule-editor has-error")

    # fixed: the underline goes, the check says so
    rule.fill('age >= 80 and "独居" in tags')
    expect(page.get_by_test_id("rule-status")).to_contain_text("✓")
    expect(culprit).to_have_count(0)

    # the preview comes into the page (no navigation, nothing saved)
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("preview-result")).to_be_visible()
    expect(page.get_by_test_id("start-person").first).to_contain_text("张阿姨")
    assert page.url == url

    # a broken rule previewed with the button: the cursor is put on the culprit
    rule.fill("age >= ")
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("rule-error")).to_be_visible()
    assert page.evaluate("document.getElementById('rule-text').selectionStart") == 7
    page.goto(url)
    expect(page.get_by_test_id("rule")).to_have_value(saved)


def test_the_map_leads_to_a_buildings_people_and_the_case_file_links_her_alarm(
    page, live_server, world, tmp_path
):
    from playwright.sync_api import expect

    log_in(page, live_server, "chen")
    page.goto(live_server.url + reverse("welfare:register"))
    page.get_by_test_id("open-casefiles").click()
    expect(page.get_by_test_id("register-row")).to_have_count(2)  # 张阿姨 (独居, 高龄) and 王大伯 (低保)
    drawn = page.locator("#register-map[data-loaded='1']")
    expect(drawn).to_have_count(1)
    assert drawn.get_attribute("data-points") == "1"  # both live in the same building
    page.screenshot(path=str(tmp_path / "register-map.png"), full_page=True)
    expect(page.get_by_test_id("register-map-info")).to_contain_text("2")
    page.locator("#register-map path.leaflet-interactive").first.click()
    page.get_by_test_id("map-list-link").click()
    expect(page.get_by_test_id("building-filter")).to_be_visible()
    expect(page.get_by_test_id("register-row")).to_have_count(2)

    page.get_by_test_id("register-row").filter(has_text="张阿姨").get_by_role("link", name="张阿姨").click()
    alarm = world["alarm"]
    expect(page.get_by_test_id("links-alarms").get_by_test_id("link-row")).to_have_count(1)
    expect(page.get_by_test_id("links-cases")).to_contain_text(alarm.case_number)
    expect(page.get_by_test_id("timeline-alarm")).to_have_count(1)
    expect(page.get_by_test_id("timeline-case")).to_have_count(1)
    expect(page.get_by_test_id("risk-factor-alarms")).to_be_visible()  # the alarm counts in her risk
    page.screenshot(path=str(tmp_path / "casefile-links.png"), full_page=True)
    page.get_by_test_id("links-cases").get_by_role("link", name=alarm.case_number).click()
    page.wait_for_url(f"**{reverse('cases:detail', args=[alarm.case_id])}")
