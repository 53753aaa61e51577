"""People fixtures: one resident in each place of the small street, and households.

self  张阿姨 (the resident persona, grid A1, head of household A1-001)
a1    王建国 (grid A1)        a2  刘小红 (grid A2, community A)        b1  李秀英 (grid B1, community B)
"""

from __future__ import annotations

import pytest

from tests.people.helpers import person
from zhizhi.people import services


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def residents(street, personas):
    return {
        "self": personas["zhang_record"],
        "a1": person(street.dwelling_a1, "王建国", phone="13900001111", sex="M"),
        "a2": person(street.dwelling_a2, "刘小红", phone="13600003333", tags=("低保",)),
        "b1": person(street.dwelling_b1, "李秀英", phone="13700002222"),
    }


@pytest.fixture
def households(street, personas, residents):
    admin = personas["admin"]
    return {
        "self": services.create_household(admin, "A1-001", street.dwelling_a1, head=residents["self"]),
        "a2": services.create_household(admin, "A2-001", street.dwelling_a2, head=residents["a2"]),
        "b1": services.create_household(admin, "B1-001", street.dwelling_b1, head=residents["b1"]),
    }
