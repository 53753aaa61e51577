"""Who sees which case (role × area × unit): a unit sees the cases it holds, a resident their own, a leader
and a dispatcher their area. One matrix; plus worklists, contact reveal and the routing preview."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cases.conftest import A1, B1
from zhizhi.cases import queries, services
from zhizhi.cases.models import Case
from zhizhi.core.errors import Forbidden, NotFound
from zhizhi.core.models import AuditEntry


@pytest.fixture
def cases(units, personas, report):
    li = personas["li"]
    own = report(contact_phone="13812345678")  # 张阿姨's, in grid A1
    services.register_case(li, own.pk)
    services.dispatch_case(li, own.pk)  # → the street's 环卫所
    pending = report(li, at=A1, channel="hotline", category="道路不洁")
    other = report(li, at=B1, channel="hotline", category="邻里纠纷")
    services.register_case(li, other.pk)
    services.dispatch_case(li, other.pk)  # → 龙游社区居委会
    return {"own": own, "pending": pending, "other": other}


VISIBLE = {
    "zhang": {"own"},  # a resident: what they reported
    "xiaowang": {"own", "pending"},  # grid worker of A1: the grid's cases
    "chen": {"own", "pending"},  # community A staff: the community's cases
    "outsider": {"other"},  # community B staff: community B's cases only
    "li": {"own", "pending", "other"},  # street dispatcher: the street
    "qian": {"own", "pending", "other"},  # leader of the street
    "zhou": {"own"},  # 环卫所 staff: the cases the unit holds
    "liu": set(),  # enforcement team: holds none
    "zhao": set(),  # district department: holds none yet
    "sun": set(),  # city hotline: holds none
    "admin": {"own", "pending", "other"},
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_role_sees_exactly_its_cases(who, cases, personas, units):
    actor = personas.get(who) or units[who]
    seen = set(queries.cases_for(actor).values_list("pk", flat=True))
    assert seen == {cases[name].pk for name in VISIBLE[who]}
    for name, case in cases.items():
        if name not in VISIBLE[who]:
            with pytest.raises(NotFound):
                queries.access_case(actor, case.pk)


def test_a_unit_sees_a_case_once_it_is_escalated_to_it(cases, personas, units):
    services.escalate_case(units["zhou"], cases["own"].pk, reason="需区级车辆")
    assert set(queries.cases_for(personas["zhao"]).values_list("pk", flat=True)) == {cases["own"].pk}


def test_a_follower_sees_the_case_they_follow(cases, personas):
    services.follow_case(personas["zhang"], cases["pending"].pk)
    assert queries.access_case(personas["zhang"], cases["pending"].pk)


def test_anonymous_visitors_see_nothing(cases):
    from django.contrib.auth.models import AnonymousUser

    assert not queries.cases_for(AnonymousUser()).exists()


def test_the_worklist_puts_overdue_first_then_cases_to_sign(cases, units, personas, report, frozen_clock):
    li, zhou = personas["li"], units["zhou"]
    extra = []
    for _ in range(2):
        c = report(li, at=A1, channel="hotline")
        services.register_case(li, c.pk)
        services.dispatch_case(li, c.pk)
        extra.append(c)
    services.accept_case(zhou, extra[0].pk)
    Case.objects.filter(pk=extra[1].pk).update(deadline=frozen_clock.current - dt.timedelta(minutes=5))
    w = queries.worklist(zhou, units["sanitation"].pk)
    assert [c.pk for c in w.cases] == [extra[1].pk, cases["own"].pk, extra[0].pk]
    assert (w.to_sign, w.in_handling, w.overdue) == (2, 1, 1)


def test_a_unit_s_worklist_is_closed_to_other_units_and_residents(cases, units, personas):
    for actor in (personas["zhang"], units["liu"], personas["outsider"]):
        with pytest.raises(NotFound):
            queries.worklist(actor, units["sanitation"].pk)
    assert queries.worklist(personas["li"], units["sanitation"].pk).to_sign == 1  # the dispatcher's area


def test_the_handling_unit_may_see_the_reporter_s_phone_and_it_is_audited(cases, units, personas):
    phone = services.reveal_contact(units["zhou"], cases["own"].pk)
    assert phone == "13812345678"
    assert AuditEntry.objects.filter(action="reveal", object_id=str(cases["own"].pk)).count() == 1
    with pytest.raises(Forbidden):
        services.reveal_contact(personas["qian"], cases["own"].pk)


def test_the_routing_preview_answers_who_would_get_a_case(units, personas, street):
    preview = queries.route_preview(personas["li"], "暴露垃圾", lat=A1[0], lon=A1[1])
    assert preview["unit"] == units["sanitation"] and preview["area"] == street.grid_a1
    assert preview["escalation"] == [units["district_sanitation"], units["city"]]
    by_area = queries.route_preview(personas["li"], "邻里纠纷", area_code=street.community_b.code)
    assert by_area["unit"] == units["community_b"]
    with pytest.raises(Forbidden):
        queries.route_preview(personas["zhang"], "暴露垃圾", lat=A1[0], lon=A1[1])


def test_a_unit_that_held_a_case_may_still_read_it_but_not_act_on_it(cases, personas, units, client):
    """Escalated away from 环卫所, the case leaves its lists, but its staff (whose inbox names it and whose
    indicators count it) can still open it, read-only and audited; a unit that never held it cannot."""
    case = cases["own"]
    services.escalate_case(units["zhou"], case.pk, reason="需区级车辆")
    zhou = units["zhou"]
    assert case.pk not in set(queries.cases_for(zhou).values_list("pk", flat=True))
    assert queries.access_case(zhou, case.pk).pk == case.pk
    assert queries.allowed_actions_for(zhou, queries.access_case(zhou, case.pk)) == []
    before = AuditEntry.objects.count()
    detail = queries.case_detail(zhou, case.pk)
    assert detail["case"].pk == case.pk
    assert AuditEntry.objects.count() == before + 1
    with pytest.raises(Forbidden):
        services.accept_case(zhou, case.pk)
    with pytest.raises(NotFound):
        queries.access_case(units["liu"], case.pk)  # the enforcement team never held it
    client.force_login(zhou)
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert case.number in page.content.decode()
    client.force_login(units["liu"])
    assert client.get(f"/cases/{case.pk}/").status_code == 404
