"""Welfare fixtures on top of tests/conftest.py's street and personas.

孙科员 (sun) street civil-affairs staff, who runs programmes and deliveries;
advisors 小周 and 小吴 of community A and 小郑 of community B.
王大伯's household (grid A1, community A): 王大伯 72, tagged 低保, 400 yuan a month,
and his wife 李阿婆 70, 300 yuan — per capita 350, under the 1245 standard.
赵叔's household (grid B1, community B): 赵叔, 低保, 500 yuan.
张阿姨 (the resident persona, 85, 独居 and 高龄) lives alone in grid A1 without a registered household.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.welfare.helpers import household, resident
from zhizhi.core.roles import Role
from zhizhi.welfare.models import Programme


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sun(street):
    return factories.make_user("sun", Role.STREET_DEPT_STAFF, street.street, "孙科员")


@pytest.fixture
def advisors(street):
    return {
        "zhou": factories.make_user("zhou", Role.ELDERCARE_ADVISOR, street.community_a, "小周"),
        "wu": factories.make_user("wu", Role.ELDERCARE_ADVISOR, street.community_a, "小吴"),
        "zheng": factories.make_user("zheng", Role.ELDERCARE_ADVISOR, street.community_b, "小郑"),
    }


@pytest.fixture
def family(street, personas):
    wang = resident(
        street.dwelling_a1,
        "王大伯",
        born=dt.date(1954, 6, 1),
        sex="M",
        tags=("低保",),
        income=400,
        sequence=11,
    )
    home = household(street.dwelling_a1, "A1-002", wang)
    wife = resident(
        street.dwelling_a1, "李阿婆", born=dt.date(1956, 2, 3), household=home, income=300, sequence=12
    )
    return {"wang": wang, "wife": wife, "household": home}


@pytest.fixture
def family_b(street, personas):
    zhao = resident(
        street.dwelling_b1, "赵叔", born=dt.date(1960, 9, 9), sex="M", tags=("低保",), income=500, sequence=21
    )
    return {"zhao": zhao, "household": household(street.dwelling_b1, "B1-002", zhao)}


@pytest.fixture
def programmes(db):
    return {p.code: p for p in Programme.objects.all()}
