"""The top bar shows each role only the links that open for it: no registry or welfare link for a resident
(one led to a 403), and every link shown answers 200."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import make_user
from zhizhi.core.roles import Role

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<a href="([^"]+)" data-nav="(\w+)">')


def nav(client, user) -> dict[str, str]:
    client.force_login(user)
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    return {key: url for url, key in NAV.findall(response.content.decode())}


def area_for(role: str, street):
    if role == Role.RESIDENT or role == Role.GRID_WORKER:
        return street.grid_a1
    if role in (Role.COMMUNITY_STAFF, Role.ELDERCARE_ADVISOR, Role.PROVIDER_STAFF):
        return street.community_a
    if role == Role.DISTRICT_DEPT_STAFF:
        return street.district
    if role == Role.ADMIN:
        return None
    return street.street


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_link_in_the_top_bar_opens_for_the_role_that_sees_it(role, client, street):
    user = make_user(f"u-{role}", role, area_for(role, street))
    links = nav(client, user)
    assert "cases" in links and "map" in links
    for key, url in links.items():
        assert client.get(url, follow=True).status_code == 200, (role, key, url)


def test_a_resident_sees_her_cases_and_the_map_but_no_registry_or_welfare_link(client, personas):
    assert set(nav(client, personas["zhang"])) == {"cases", "map"}


def test_staff_see_the_registries_welfare_and_the_sensor_board(client, personas):
    assert set(nav(client, personas["chen"])) - {"admin"} == {
        "cases",
        "residents",
        "households",
        "buildings",
        "map",
        "welfare",
        "sensors",
    }
    assert "admin" in nav(client, personas["admin"])  # a superuser has the back office too
