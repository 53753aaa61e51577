"""The demo street's plan is pure: places tile the street, people fit an old city centre, runs repeat."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from zhizhi.people.idnumber import parse_id_number
from zhizhi.web.demo import layout, names, population


@pytest.fixture(scope="module")
def street():
    return layout.plan_street(random.Random("2026-places"), 1.0)


@pytest.fixture(scope="module")
def households(street):
    return population.plan_population(street.dwellings(), random.Random("2026-people"))


def test_street_has_eight_communities_and_about_sixty_grids(street):
    assert [c.code for c in street.communities] == [f"330105013{n:03d}" for n in range(1, 9)]
    assert len(street.grids) == 60
    for community in street.communities:
        assert all(g.code.startswith(community.code) and len(g.code) == 14 for g in community.grids)


def test_grids_tile_the_street_without_gaps_or_overlaps(street):
    whole = shape(street.boundary)
    grids = [shape(g.boundary) for g in street.grids]
    assert all(g.is_valid and g.geom_type == "Polygon" for g in grids)
    assert unary_union(grids).equals(whole)
    assert sum(g.area for g in grids) == pytest.approx(whole.area, rel=1e-9)
    west, south, east, north = whole.bounds
    assert (west, south, east, north) == (120.160, 30.262, 120.180, 30.285)


def test_communities_are_the_union_of_their_grids(street):
    for community in street.communities:
        assert unary_union([shape(g.boundary) for g in community.grids]).equals(shape(community.boundary))


def test_buildings_stand_inside_their_grids(street):
    count = 0
    for grid in street.grids:
        polygon = shape(grid.boundary)
        for estate in grid.estates:
            for building in estate.buildings:
                assert polygon.contains(Point(building.lon, building.lat)), (grid.code, estate.name)
                count += 1
    assert 500 <= count <= 700
    names = [e.name for g in street.grids for e in g.estates]
    assert len(names) == len(set(names))


def test_about_twenty_thousand_residents_with_many_elders(households):
    people = [p for h in households for p in h.members]
    assert 20_000 <= len(people) <= 20_010
    elders = sum(p.age >= 60 for p in people)
    assert 0.25 <= elders / len(people) <= 0.30


def test_tags_follow_age_and_household(households):
    for h in households:
        for p in h.members:
            assert ("elderly" in p.tags) == (p.age >= 60)
            assert ("aged" in p.tags) == (p.age >= 80)
            assert ("alone" in p.tags) == (len(h.members) == 1 and p.age >= 60)
    tags = Counter(t for h in households for p in h.members for t in p.tags)
    for code in ("dibao", "dibian", "tekun", "disabled", "incapacitated", "party", "volunteer"):
        assert tags[code] > 0, code
    assert tags["dibao"] + tags["dibian"] + tags["tekun"] < 0.05 * sum(len(h.members) for h in households)


def test_households_have_one_head_first(households):
    for h in households:
        assert h.members[0].relation_to_head == population.HEAD
        assert sum(p.relation_to_head == population.HEAD for p in h.members) == 1
        assert h.number.startswith(h.grid_code)
    assert len({h.number for h in households}) == len(households)
    assert len({h.dwelling for h in households}) == len(households)


def test_id_numbers_are_valid_and_unique_and_phones_synthetic(households):
    people = [p for h in households for p in h.members]
    numbers = [p.id_number for p in people]
    assert len(set(numbers)) == len(numbers)
    for p in people[:2000]:
        info = parse_id_number(p.id_number)
        assert (info.birth_date, info.sex) == (p.birth, p.sex)
        assert info.region_code.startswith("33")
    phones = [p.phone for p in people if p.phone]
    assert len(set(phones)) == len(phones)
    assert all(ph[:7] in names.PHONE_PREFIXES for ph in phones)


def test_elders_without_younger_family_have_contacts(households):
    for h in households:
        if all(p.age >= 60 for p in h.members):
            assert all(p.contacts for p in h.members)
            if len(h.members) == 1:
                assert {c.kind for c in h.members[0].contacts} == {"family", "emergency"}


def test_zhang_ayi_lives_alone_in_the_first_grid(street, households):
    first = households[0]
    zhang = first.members[0]
    assert (zhang.name, zhang.id_number) == (population.ZHANG_NAME, population.ZHANG_ID_NUMBER)
    assert len(first.members) == 1 and {"elderly", "aged", "alone"} <= zhang.tags
    assert first.grid_code == "33010501300101"
    assert street.dwellings()[first.dwelling].floor == 2


def test_the_same_seed_gives_the_same_street():
    def plan():
        s = layout.plan_street(random.Random("x-places"), 0.05)
        return s, population.plan_population(s.dwellings(), random.Random("x-people"), 800)

    (s1, h1), (s2, h2) = plan(), plan()
    assert [g.boundary for g in s1.grids] == [g.boundary for g in s2.grids]
    assert [(b.lat, b.lon, b.floors) for b in s1.buildings] == [
        (b.lat, b.lon, b.floors) for b in s2.buildings
    ]
    assert h1 == h2
