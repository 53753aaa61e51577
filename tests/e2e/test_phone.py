"""Every page a persona reaches from her home page fits a phone's width: grid workers and community staff
work on their phones (lists become labelled cards there: table.stack, web/tables.js)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
SKIP = ("/accounts/logout", "/admin/", "/static/", "export", ".xlsx", "/api/")


def pages_reached(page, live_server, most: int = 40):
    """(path, document width) of the pages linked from home, breadth first, one page per path shape."""
    queue, seen, shapes, widths = ["/"], set(), set(), []
    while queue and len(seen) < most:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "N", urlsplit(path).path)
        if path in seen or shape in shapes:
            continue
        seen.add(path)
        shapes.add(shape)
        response = page.goto(live_server.url + path)
        if response is None or "html" not in (response.headers.get("content-type") or ""):
            continue
        widths.append((path, page.evaluate("document.documentElement.scrollWidth")))
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        queue += [h.split("#")[0] for h in links if h and h.startswith("/") and not any(s in h for s in SKIP)]
    return widths


@pytest.mark.parametrize("username", ["xiaowang", "chen", "zhangayi"])
def test_no_page_is_wider_than_a_phone(browser, live_server, world, username):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        log_in(page, live_server, username)
        widths = pages_reached(page, live_server)
    finally:
        context.close()
    assert len(widths) >= (4 if username == "zhangayi" else 15), widths
    assert [(path, w) for path, w in widths if w > PHONE["width"] + 2] == []
