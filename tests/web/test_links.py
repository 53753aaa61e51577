"""Every link a persona can follow from her home page opens: a link that answers 403 or 404 is a dead end on a
page that offered it. The test street gets weeks of cases walked through the workflow and door sensors with an
alarm (the demo's own seeders), then each role — the personas, an elderly-care advisor and a provider's staff —
follows the links of every page it reaches (GET only; a few pages per URL shape)."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests import factories
from zhizhi.core import clock
from zhizhi.core.roles import Role

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=clock.SHANGHAI)
SKIP = ("/accounts/logout", "/admin/", "/static/", "/api/", "/i18n/", "export", ".xlsx", "/open311/")
HREF = re.compile(r'href="(/[^"#]*)"')
PER_SHAPE, MOST = 2, 150


@pytest.fixture
def lived_in(street, personas, settings):
    """The test street with ten days of cases, door sensors with an alarm, and two more roles."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    out = io.StringIO()
    with clock.frozen(NOW):
        extra = {
            "advisor": factories.make_user("sun", Role.ELDERCARE_ADVISOR, street.community_a, "孙顾问"),
            "provider": factories.make_user("provider", Role.PROVIDER_STAFF, street.community_a, "服务商"),
        }
        for name in ("郭桂英", "朱丽华"):
            factories.make_resident(street.dwelling_a2, name, tags=("独居",), born=dt.date(1944, 1, 1))
        call_command("seed_demo_cases", days=10, per_day=4, seed="links", stdout=out)
        call_command(
            "seed_demo_sensors", "--street", "330105013", "--days", "10", "--elders", "3", stdout=out
        )
    from zhizhi.sensors.services import alarms

    with clock.frozen(NOW + dt.timedelta(minutes=45)):  # the alarm climbs to the advisor and the grid worker
        alarms.advance_ladders()
        alarms.advance_ladders(clock.now() + dt.timedelta(minutes=25))
        alarms.open_missing_cases()
        alarms.send_contacts()
    return {**personas, **extra}


def dead_links(client, user) -> tuple[int, list[tuple[int, str, str]]]:
    """(pages visited, [(status, link, page that offered it)]) breadth first from home."""
    client.force_login(user)
    queue: list[tuple[str, str]] = [(reverse("web:home"), "")]
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    dead = []
    while queue and len(seen) < MOST:
        path, source = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, follow=True)
        if response.status_code >= 400:
            dead.append((response.status_code, path, source))
            continue
        if "html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(response.content.decode()):
            href = href.replace("&amp;", "&")
            shape = re.sub(r"\d+", "N", urlsplit(href).path)
            if any(s in href for s in SKIP) or href in seen or shapes.get(shape, 0) >= PER_SHAPE:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            queue.append((href, path))
    return len(seen), dead


@pytest.mark.parametrize(
    "who", ["zhang", "xiaowang", "chen", "advisor", "provider", "li", "zhao", "qian", "outsider", "admin"]
)
def test_every_link_a_role_is_offered_opens(client, lived_in, who):
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        visited, dead = dead_links(client, lived_in[who])
    assert visited >= (5 if who in ("zhang", "provider") else 20), visited
    assert dead == []
