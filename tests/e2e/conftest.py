"""Browser journeys: Debian chromium driven by Playwright's sync API against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, so Django's async-safety guard must be lifted
for these tests (they never share a connection across threads by themselves).
Screenshots go to $ZHIZHI_E2E_ARTIFACTS when set, else to a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import factories

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser(chromium_path, django_db_setup):
    """One chromium per module. While Playwright's loop runs, Django keeps its connections in context-local
    storage (asgiref), i.e. other connection objects than the ones the test database was set up with; they
    are given the serialized contents that `serialized_rollback` restores after each flush."""
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
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts(tmp_path) -> Path:
    folder = Path(os.environ.get("ZHIZHI_E2E_ARTIFACTS") or tmp_path / "e2e-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def world(live_server):
    """The small street and its personas, committed so that the live server's thread sees them."""
    street = factories.make_street()
    return street, factories.make_personas(street)


def log_in(page, live_server, username: str, password: str = factories.PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
