"""The home page shows each role the counts of its own area, with links into the registries."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TILE = re.compile(r'data-testid="tile-(\w+)">\s*<span class="count" data-count="(\d+)">')


def tiles(client, user) -> dict[str, int]:
    client.force_login(user)
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    return {key: int(count) for key, count in TILE.findall(response.content.decode())}


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_community_staff_see_their_community_only(client, personas):
    assert tiles(client, personas["chen"]) == {
        "unread": 0,
        "to_verify": 0,
        "alarms": 0,
        "residents": 1,
        "households": 0,
        "alone": 1,
        "buildings": 2,
        "grids": 2,
    }


def test_staff_of_another_community_see_none_of_its_people(client, personas):
    assert tiles(client, personas["outsider"]) == {
        "unread": 0,
        "to_verify": 0,
        "alarms": 0,
        "residents": 0,
        "households": 0,
        "alone": 0,
        "buildings": 1,
        "grids": 1,
    }


def test_grid_worker_sees_one_grid(client, personas):
    counts = tiles(client, personas["xiaowang"])
    assert (counts["grids"], counts["buildings"], counts["residents"]) == (1, 1, 1)


def test_what_waits_comes_first_for_each_role(client, personas):
    """Unread messages for every staff member, verification tasks for those who verify, open door-sensor
    alarms for those who watch over elders; nothing of it for a resident."""
    from zhizhi.cases.services import outbox

    outbox.to_users([personas["li"]], None, "test", "请处理")
    assert tiles(client, personas["li"])["unread"] == 1
    assert "to_verify" not in tiles(client, personas["li"])  # a dispatcher does not verify
    assert {"unread", "to_verify", "alarms"} <= set(tiles(client, personas["xiaowang"]))
    page = client.get(reverse("web:home")).content.decode()
    assert page.index('data-testid="tile-unread"') < page.index('data-testid="tile-residents"')
    assert f'href="{reverse("cases:inbox")}?unread=1"' in page
    client.force_login(personas["zhang"])
    assert 'data-testid="home-work"' not in client.get(reverse("web:home")).content.decode()


def test_every_link_of_every_home_page_opens(client, personas, street):
    """A tile that leads to a 403 is worse than none: each role's home links only what it may open — an
    elderly-care provider's staff get no inbox tile, for instance."""
    from tests import factories
    from zhizhi.core.roles import Role

    provider = factories.make_user("provider", Role.PROVIDER_STAFF, street.community_a, "服务商")
    link = re.compile(r'<a(?: class="[^"]*")? href="(/[^"]*)"')
    for user in [
        *(personas[k] for k in ("zhang", "xiaowang", "chen", "li", "zhao", "qian", "admin")),
        provider,
    ]:
        client.force_login(user)
        page = client.get(reverse("web:home")).content.decode()
        main = page[page.index("<main") :]
        for href in set(link.findall(main)):
            assert client.get(href).status_code == 200, (user.username, href)
    client.force_login(provider)
    assert "tile-unread" not in client.get(reverse("web:home")).content.decode()


def test_an_unread_count_past_the_cap_shows_a_plus(client, personas):
    from zhizhi.cases.queries import UNREAD_CAP
    from zhizhi.cases.services import outbox

    for i in range(UNREAD_CAP + 1):
        outbox.to_users([personas["chen"]], None, "test", f"消息 {i}")
    client.force_login(personas["chen"])
    page = client.get(reverse("web:home")).content.decode()
    assert f'data-count="{UNREAD_CAP}">{UNREAD_CAP}+</span>' in page


def test_street_dispatcher_and_leader_see_the_whole_street(client, personas):
    for who in ("li", "qian", "zhao", "admin"):
        counts = tiles(client, personas[who])
        assert (counts["grids"], counts["buildings"], counts["residents"]) == (3, 3, 1), who


def test_a_resident_sees_a_link_to_her_own_record_and_no_counts(client, personas):
    client.force_login(personas["zhang"])
    page = client.get(reverse("web:home")).content.decode()
    assert TILE.findall(page) == []
    assert reverse("people:resident_detail", args=[personas["zhang_record"].pk]) in page


def test_a_resident_s_home_offers_reporting_a_problem_and_her_cases_first(client, personas):
    client.force_login(personas["zhang"])
    page = client.get(reverse("web:home")).content.decode()
    report = page.index(f'href="{reverse("cases:report")}" data-testid="tile-own-report"')
    mine = page.index(f'href="{reverse("cases:mine")}" data-testid="tile-own-cases"')
    assert report < mine < page.index('data-testid="tile-own"')
    assert "/api/docs" not in page


def test_tiles_link_to_the_registries(client, personas):
    client.force_login(personas["chen"])
    page = client.get(reverse("web:home")).content.decode()
    assert f'href="{reverse("people:resident_list")}?tag=alone" data-testid="tile-alone"' in page
    assert f'href="{reverse("areas:map")}" data-testid="tile-grids"' in page
    assert "竹竿巷社区 (330105013001)" in page


def test_home_page_query_budget(client, personas, django_assert_max_num_queries):
    client.force_login(personas["li"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("web:home")).status_code == 200
