"""Open311 fixtures: the test street with its handling units, one client's API key (the client is an
anonymous HTTP client — Open311 has no sessions), helpers to call the API and to walk a case through the
workflow as the street's staff would."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from zhizhi.cases import notify
from zhizhi.cases.services import (
    CaseInput,
    accept_case,
    close_case,
    dispatch_case,
    install_default_units,
    open_case,
    register_case,
    start_handling,
    submit_handling,
    verify_case,
)
from zhizhi.open311 import keys

# Inside grid A1 (lon 120.160–120.162, lat 30.270–30.272) and outside every grid, WGS84.
A1 = (30.2710, 120.1610)
NOWHERE = (31.2300, 121.4700)
KEY = "test-key-城管通-001"
JPEG = b"\xff\xd8\xff\xe0" + b"1" * 64


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    yield
    notify._registry.clear()


@pytest.fixture
def units(street, personas):
    return install_default_units(street.street)


@pytest.fixture
def api_key(db):
    key, _ = keys.create_key("城管通 App", raw=KEY, rate_limit=1000)
    return key


@pytest.fixture
def anon():
    return Client()


@pytest.fixture
def post_request(anon, api_key, street):
    """post_request(fmt="json", **fields) → the response of POST requests.{fmt} with the test key."""

    def _post(fmt="json", headers=None, files=None, **fields):
        data = {
            "api_key": KEY,
            "service_code": "E06010",
            "lat": A1[0],
            "long": A1[1],
            "description": "门口垃圾",
        }
        data.update(fields)
        data = {k: v for k, v in data.items() if v is not None}
        if files:
            data.update(files)
        return anon.post(f"/open311/v2/requests.{fmt}", data, headers=headers or {})

    return _post


@pytest.fixture
def report(personas, street):
    """report(**fields) → a case reported by 张阿姨 on the resident page."""

    def _report(category="暴露垃圾", at=A1, **fields):
        data = CaseInput(
            category=category,
            description=fields.pop("description", "小区门口一堆生活垃圾没人清理，电话13812345678"),
            lat=at[0],
            lon=at[1],
            **fields,
        )
        return open_case(personas["zhang"], data).case

    return _report


@pytest.fixture
def walk(personas, units):
    """walk(case, until) moves a case along the main line as 李主任 and the sanitation staff would."""
    from tests import factories
    from zhizhi.cases.models import UnitType
    from zhizhi.cases.services import FileInput
    from zhizhi.core.roles import Role

    sanitation = units["street"][UnitType.SANITATION]
    zhou = factories.make_user("laozhou", Role.STREET_DEPT_STAFF, sanitation.area, "老周")
    sanitation.members.add(zhou)
    li = personas["li"]
    steps = ["registered", "dispatched", "accepted", "in_handling", "handled", "verified", "closed"]

    def _walk(case, until="closed"):
        for step in steps[: steps.index(until) + 1]:
            if step == "registered":
                register_case(li, case.pk)
            elif step == "dispatched":
                dispatch_case(li, case.pk, unit_id=sanitation.pk)
            elif step == "accepted":
                accept_case(zhou, case.pk)
            elif step == "in_handling":
                start_handling(zhou, case.pk)
            elif step == "handled":
                photo = FileInput("done.jpg", "image/jpeg", JPEG)
                submit_handling(zhou, case.pk, note="已清运完毕", photos=[photo])
            elif step == "verified":
                verify_case(personas["xiaowang"], case.pk, passed=True, note="现场已整洁")
            elif step == "closed":
                close_case(li, case.pk, note="问题已解决")
        case.refresh_from_db()
        return case

    return _walk


def as_json(response):
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content.decode("utf-8"))


def as_xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), response.content[:60]
    return ET.fromstring(response.content)


def local(moment: dt.datetime) -> str:
    from zhizhi.core.clock import SHANGHAI

    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")
