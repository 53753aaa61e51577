"""Routing rules kept on the routing page (/cases/routing/) by dispatchers and administrators, inside their
area: a rule added there changes who gets the case; a disabled rule stops; bad input comes back naming the
field; other roles may not change rules."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhizhi.cases import queries
from zhizhi.cases.models import RoutingRule
from zhizhi.core.models import AuditEntry


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def rule_form(street, units):
    def _form(**fields):
        return {
            "category": "暴露垃圾",
            "area_prefix": street.community_a.code,
            "unit": str(units["community_a"].pk),
            "priority": "10",
            "note": "社区先处置",
            **fields,
        }

    return _form


def test_the_page_answers_for_a_category_and_a_grid(client, personas, street, units):
    page = login(client, personas["li"]).get(
        reverse("cases:routing"), {"category": "暴露垃圾", "area_code": street.grid_a1.code}
    )
    assert page.status_code == 200 and units["sanitation"].name in page.content.decode()


def test_a_dispatcher_adds_a_rule_and_the_case_goes_to_its_unit(client, personas, street, units, rule_form):
    li = personas["li"]
    before = queries.route_preview(li, "暴露垃圾", area_code=street.grid_a1.code)
    assert before["unit"] == units["sanitation"]
    login(client, li)
    assert 'data-testid="rule-form"' in client.get(reverse("cases:routing")).content.decode()
    response = client.post(reverse("cases:routing_rule_add"), rule_form())
    assert response.status_code == 302
    rule = RoutingRule.objects.get(area_prefix=street.community_a.code)
    assert (rule.category.name, rule.unit, rule.priority, rule.active) == (
        "暴露垃圾",
        units["community_a"],
        10,
        True,
    )
    after = queries.route_preview(li, "暴露垃圾", area_code=street.grid_a1.code)
    assert after["unit"] == units["community_a"] and after["rule_id"] == rule.pk
    page = client.get(reverse("cases:routing")).content.decode()
    assert f'data-testid="rule-row" data-id="{rule.pk}"' in page and "社区先处置" in page
    assert AuditEntry.objects.filter(object_id=str(rule.pk)).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "不存在的类别"}, "category"),
        ({"area_prefix": "330105"}, "area_prefix"),  # the district: wider than the dispatcher's street
        ({"area_prefix": "330105013999"}, "area_prefix"),  # no such area
        ({"area_prefix": ""}, "area_prefix"),  # everywhere
        ({"unit": ""}, "unit"),
        ({"unit": "999999"}, "unit"),
        ({"priority": "high"}, "priority"),
        ({"priority": "100000"}, "priority"),
        ({"note": "长" * 201}, "note"),
    ],
)
def test_bad_input_comes_back_naming_the_field(client, personas, units, rule_form, fields, field):
    response = login(client, personas["li"]).post(reverse("cases:routing_rule_add"), rule_form(**fields))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="rule-error"' in body and f"<strong>{field}</strong>" in body
    assert not RoutingRule.objects.exists()


def test_other_roles_may_not_change_rules(client, personas, units, rule_form):
    for actor in (personas["chen"], personas["qian"], personas["zhang"], units["zhou"]):
        login(client, actor)
        assert client.post(reverse("cases:routing_rule_add"), rule_form()).status_code == 403
        if actor is not personas["zhang"]:
            assert 'data-testid="rule-form"' not in client.get(reverse("cases:routing")).content.decode()
    assert not RoutingRule.objects.exists()


def test_disabling_a_rule(client, personas, street, units, rule_form):
    login(client, personas["li"]).post(reverse("cases:routing_rule_add"), rule_form())
    rule = RoutingRule.objects.get()
    login(client, personas["chen"])
    assert client.post(reverse("cases:routing_rule_disable", args=[rule.pk])).status_code == 403
    login(client, personas["li"])
    assert client.post(reverse("cases:routing_rule_disable", args=[rule.pk])).status_code == 302
    rule.refresh_from_db()
    assert rule.active is False
    assert (
        queries.route_preview(personas["li"], "暴露垃圾", area_code=street.grid_a1.code)["unit"]
        == units["sanitation"]
    )
    assert (
        client.post(reverse("cases:routing_rule_disable", args=[rule.pk])).status_code == 404
    )  # already off


def test_a_street_dispatcher_does_not_disable_the_district_s_rules(
    client, personas, street, units, rule_form
):
    login(client, personas["admin"])
    assert (
        client.post(
            reverse("cases:routing_rule_add"), rule_form(area_prefix=street.district.code)
        ).status_code
        == 302
    )
    rule = RoutingRule.objects.get()
    login(client, personas["li"])
    page = client.get(reverse("cases:routing")).content.decode()
    assert f'data-id="{rule.pk}"' in page and 'data-testid="rule-disable"' not in page
    assert client.post(reverse("cases:routing_rule_disable", args=[rule.pk])).status_code == 404
    login(client, personas["admin"])
    assert client.post(reverse("cases:routing_rule_disable", args=[rule.pk])).status_code == 302
