"""A real server and a third-party Open311 client from PyPI (`georeport`): it reads the services, a service
definition and the requests — a list and one — in both formats, as it would read any city's endpoint. The
client cannot file requests, so the case is filed with `requests` the way FixMyStreet posts its reports
(form-encoded, jurisdiction_id and api_key included, attribute[code] fields)."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from tests import factories
from tests.open311 import schemas
from tests.open311.conftest import A1, KEY
from zhizhi.open311 import keys

# Data migrations seed the category table, which a transactional test's flush would empty for the tests
# that follow; serialized rollback restores it.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def server(live_server, monkeypatch, settings):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    street = factories.make_street()
    keys.create_key("FixMyStreet 武林", raw=KEY, rate_limit=100)
    return {"url": f"{live_server.url}/open311/v2", "street": street}


def _file_a_case(url: str) -> str:
    response = requests.post(
        f"{url}/requests.xml",
        data={
            "jurisdiction_id": "zhizhi",
            "api_key": KEY,
            "service_code": "E06001",
            "attribute[building_state]": "在建",
            "lat": A1[0],
            "long": A1[1],
            "description": "小区绿地里有人在搭建彩钢板房",
            "first_name": "Fiona",
            "last_name": "Li",
            "email": "fiona@example.org",
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"].startswith("text/xml")
    import xml.etree.ElementTree as ET

    return ET.fromstring(response.content).findtext("request/service_request_id")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_third_party_client_reads_services_definitions_and_requests(server, fmt):
    request_id = _file_a_case(server["url"])
    client = GeoReport(server["url"], jurisdiction="zhizhi", output_format=fmt)

    services = client.get_service_list()
    assert any(s["service_code"] == "E06010" and s["service_name"] == "暴露垃圾" for s in services)
    if fmt == "json":
        schemas.check(services, schemas.SERVICES)

    definition = client.get_service_definition("E06001")
    assert definition["service_code"] == "E06001"
    attribute = definition["attributes"][0] if fmt == "json" else definition["attributes"]["attribute"]
    assert attribute["code"] == "building_state" and attribute["datatype"] == "singlevaluelist"

    found = client.get_service_requests(service_code="E06001", status="open")
    found = found if isinstance(found, list) else [found]  # xmltodict gives one item as a dict
    assert [r["service_request_id"] for r in found] == [request_id]
    assert found[0]["service_name"] == "私搭乱建" and found[0]["status"] == "open"

    one = client.get_service_request(request_id)
    assert one["description"] == "小区绿地里有人在搭建彩钢板房"
    assert one["requested_datetime"].endswith("+08:00")
    if fmt == "json":
        schemas.check([one], schemas.REQUESTS)
