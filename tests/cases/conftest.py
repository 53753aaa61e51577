"""Cases fixtures: the street's handling units with the personas placed in them, and a `report` helper.

Units (cases.services.install_default_units): 竹竿巷社区居委会 (陈社工 works there), 龙游社区居委会 (the
outsider), the street's 环卫所 (老周), 综合行政执法队 (执法员小刘), the district's 环境卫生管理中心 and
社会治理中心 (赵科长), and the city's 12345 centre (市热线小孙). 李主任 dispatches; 钱书记 leads the
street; 小王 verifies in grid A1.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from zhizhi.cases import notify
from zhizhi.cases.models import UnitType
from zhizhi.cases.services import CaseInput, install_default_units, open_case
from zhizhi.core.roles import Role

# A point inside grid A1 (lon 120.160–120.162, lat 30.270–30.272), WGS84.
A1 = (30.2710, 120.1610)
B1 = (30.2710, 120.1650)


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Tasks run inline, so after-commit notifications are delivered within the test; personas' passwords hash
    fast."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    notify._registry.clear()


@pytest.fixture
def units(street, personas):
    made = install_default_units(street.street)
    community_a = made["communities"][street.community_a.code]
    community_b = made["communities"][street.community_b.code]
    sanitation = made["street"][UnitType.SANITATION]
    enforcement = made["street"][UnitType.ENFORCEMENT]
    district_sanitation = made["district"][UnitType.SANITATION]
    district_centre = made["district"][UnitType.COMMAND_CENTRE]
    city = made["city"][UnitType.COMMAND_CENTRE]
    zhou = factories.make_user("laozhou", Role.STREET_DEPT_STAFF, street.street, "老周")
    liu = factories.make_user("xiaoliu", Role.ENFORCEMENT_OFFICER, street.street, "执法员小刘")
    sun = factories.make_user("xiaosun", Role.CITY_STAFF, street.district.parent, "市热线小孙")
    community_a.members.add(personas["chen"])
    community_a.head = personas["chen"]
    community_a.save()
    community_b.members.add(personas["outsider"])
    sanitation.members.add(zhou)
    sanitation.head = zhou
    sanitation.save()
    enforcement.members.add(liu)
    district_sanitation.members.add(personas["zhao"])
    district_centre.members.add(personas["zhao"])
    city.members.add(sun)
    return {
        "all": made,
        "community_a": community_a,
        "community_b": community_b,
        "street_centre": made["street"][UnitType.COMMAND_CENTRE],
        "sanitation": sanitation,
        "enforcement": enforcement,
        "district_sanitation": district_sanitation,
        "district_centre": district_centre,
        "city": city,
        "zhou": zhou,
        "liu": liu,
        "sun": sun,
    }


@pytest.fixture
def report(personas):
    """report(actor=张阿姨, category=…, at=A1, **fields) → the new case."""

    def _report(actor=None, category="暴露垃圾", at=A1, **fields):
        data = CaseInput(
            category=category,
            description=fields.pop("description", "小区门口一堆生活垃圾没人清理"),
            lat=at[0] if at else None,
            lon=at[1] if at else None,
            **fields,
        )
        return open_case(actor or personas["zhang"], data).case

    return _report


@pytest.fixture
def friday_morning():
    """Friday 27 Nov 2026, 10:00 in Shanghai (an ordinary working day)."""
    from zhizhi.core import clock

    with clock.frozen(dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)) as fake:
        yield fake
