"""The register of vulnerable people on the map: one point per building with its people by risk level, under
the same filters and scope as the list, capped, without names or ID numbers; the point's link lists that
building's people."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.welfare.helpers import resident
from zhizhi.areas.models import Building
from zhizhi.welfare import queries
from zhizhi.welfare.models import CaseFile
from zhizhi.welfare.services import casefiles

pytestmark = pytest.mark.django_db
MAP = "/api/welfare/casefiles/map"


@pytest.fixture
def files(street, family, family_b, sun, frozen_clock):
    for i in range(3):
        resident(street.dwelling_a2, f"独居老人{i}", born=dt.date(1930, 1, 1), tags=("独居",))
    casefiles.open_case_files(sun)
    return {c.resident.name: c for c in CaseFile.objects.select_related("resident")}


def building_of(dwelling) -> Building:
    return dwelling.unit.building


def test_the_map_counts_people_per_building_in_scope(client, personas, street, files):
    client.force_login(personas["chen"])
    body = client.get(MAP).json()
    by_code = {p["building"]: p for p in body["points"]}
    a1, a2 = building_of(street.dwelling_a1), building_of(street.dwelling_a2)
    assert set(by_code) == {a1.code, a2.code}  # community B's building is not chen's
    assert by_code[a1.code]["people"] == 2  # 张阿姨 and 王大伯
    assert by_code[a2.code]["people"] == 3
    assert (by_code[a2.code]["lat"], by_code[a2.code]["lon"]) == (a2.lat, a2.lon)
    assert by_code[a2.code]["high"] + by_code[a2.code]["medium"] + by_code[a2.code]["low"] == 3
    assert (body["people"], body["shown_people"], body["unlocated"], body["capped"]) == (5, 5, 0, False)
    text = str(body)
    assert "张阿姨" not in text and personas["zhang_record"].id_number_masked not in text


def test_the_map_follows_the_lists_filters_and_links_back_to_them(client, personas, street, files):
    client.force_login(personas["chen"])
    body = client.get(MAP, {"tag": "低保"}).json()
    assert [(p["people"], p["building"]) for p in body["points"]] == [
        (1, building_of(street.dwelling_a1).code)
    ]
    link = body["points"][0]["url"]
    assert link.startswith(reverse("welfare:register")) and "tag=" in link and "building=" in link
    page = client.get(link).content.decode()
    assert page.count('data-testid="register-row"') == 1 and "王大伯" in page
    assert client.get(MAP, {"risk": "none"}).status_code == 400


def test_a_street_sees_every_community_and_the_cap_is_reported(personas, street, files, sun):
    whole = queries.register_map(sun)
    assert whole.people == 6 and len(whole.points) == 3 and not whole.capped
    capped = queries.register_map(sun, limit=2)
    assert len(capped.points) == 2 and capped.buildings == 3 and capped.capped
    assert capped.points[0]["people"] >= capped.points[1]["people"] or capped.points[0]["high"]


def test_people_without_a_known_dwelling_are_counted_not_drawn(personas, street, files, sun):
    from zhizhi.people.models import Resident

    Resident.objects.filter(name="赵叔").update(home=None)
    result = queries.register_map(sun)
    assert (result.people, result.shown_people, result.unlocated) == (6, 5, 1)


def test_an_advisor_maps_only_their_elders_and_a_resident_gets_nothing(
    client, personas, advisors, files, sun
):
    casefiles.assign_advisor(sun, files["张阿姨"].pk, "zhou")
    assert queries.register_map(advisors["zhou"]).people == 1
    client.force_login(personas["zhang"])
    assert client.get(MAP).status_code == 403


def test_the_register_page_carries_the_map_with_its_filters(client, personas, files):
    client.force_login(personas["chen"])
    page = client.get(reverse("welfare:register"), {"risk": "medium", "page": "1"}).content.decode()
    assert 'id="register-map"' in page and f'data-url="{MAP}?risk=medium"' in page
    assert "vendor/leaflet/leaflet.js" in page and "welfare/register_map.js" in page
