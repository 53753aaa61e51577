"""Discovery, the service list and service definitions, in both formats, checked against the spec's shapes;
XML parsed with ElementTree for one item and for several; Chinese unharmed; unknown codes 404."""

from __future__ import annotations

import pytest

from tests.open311 import schemas
from tests.open311.conftest import as_json, as_xml
from zhizhi.cases.models import Category


def test_discovery_lists_the_v2_endpoint_in_both_formats(anon, db):
    body = as_json(anon.get("/open311/discovery.json"))
    schemas.check(body, schemas.DISCOVERY)
    assert body["endpoints"][0]["url"] == "http://testserver/open311/v2"
    root = as_xml(anon.get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    assert root.findtext("contact")  # Chinese text in a UTF-8 document


def test_services_come_from_the_active_categories_with_chinese_names(anon, db):
    body = as_json(anon.get("/open311/v2/services.json"))
    schemas.check(body, schemas.SERVICES)
    by_code = {s["service_code"]: s for s in body}
    garbage = by_code["E06010"]
    assert garbage["service_name"] == "暴露垃圾"
    assert garbage["group"] == "市容环境类"
    assert "地面垃圾" in garbage["keywords"]
    assert by_code["E06001"]["metadata"] is True and garbage["metadata"] is False
    assert len(body) == Category.objects.filter(active=True).count() - 2  # the two private categories


def test_private_and_inactive_categories_are_not_offered(anon, db):
    Category.objects.filter(code="E06002").update(active=False)
    codes = {s["service_code"] for s in as_json(anon.get("/open311/v2/services.json"))}
    assert "E06002" not in codes
    assert "S02001" not in codes  # 独居老人告警 is about vulnerable people
    assert anon.get("/open311/v2/services/S02001.json").status_code == 404


def test_services_xml_holds_every_service_inside_the_list_element(anon, db):
    root = as_xml(anon.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert len(services) > 1
    names = {s.findtext("service_code"): s.findtext("service_name") for s in services}
    assert names["E06010"] == "暴露垃圾"
    assert services[0].findtext("metadata") in ("true", "false")


def test_a_single_service_is_still_inside_the_services_element(anon, db):
    Category.objects.exclude(code="E06010").update(active=False)
    root = as_xml(anon.get("/open311/v2/services.xml"))
    assert [s.findtext("service_code") for s in root.findall("service")] == ["E06010"]
    assert as_json(anon.get("/open311/v2/services.json"))[0]["service_code"] == "E06010"


@pytest.fixture
def every_datatype(db):
    category = Category.objects.get(code="E09009")
    category.questions = [
        {"key": "plate", "label": "车牌号", "type": "text", "required": True},
        {"key": "detail", "label": "补充说明", "type": "textarea"},
        {"key": "count", "label": "车辆数", "type": "number"},
        {"key": "seen_at", "label": "发现时间", "type": "datetime"},
        {"key": "kind", "label": "车型", "type": "choice", "options": ["小汽车", "货车"]},
        {"key": "blocks", "label": "堵塞", "type": "multichoice",
         "options": [{"key": "fire", "name": "消防通道"}, {"key": "door", "name": "单元门"}]},
    ]  # fmt: skip
    category.save()
    return category


def test_a_definition_offers_the_questions_as_attributes_of_every_datatype(anon, every_datatype):
    body = as_json(anon.get("/open311/v2/services/E09009.json"))
    schemas.check(body, schemas.SERVICE_DEFINITION)
    attrs = body["attributes"]
    assert [a["datatype"] for a in attrs] == [
        "string", "text", "number", "datetime", "singlevaluelist", "multivaluelist",
    ]  # fmt: skip
    assert [a["order"] for a in attrs] == [1, 2, 3, 4, 5, 6]
    assert attrs[0] == {
        "variable": True,
        "code": "plate",
        "datatype": "string",
        "required": True,
        "datatype_description": attrs[0]["datatype_description"],
        "order": 1,
        "description": "车牌号",
    }
    assert attrs[5]["values"] == [{"key": "fire", "name": "消防通道"}, {"key": "door", "name": "单元门"}]


def test_definition_xml_parses_with_elementtree(anon, every_datatype):
    root = as_xml(anon.get("/open311/v2/services/E09009.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "E09009"
    attributes = root.findall("attributes/attribute")
    assert len(attributes) == 6
    kind = attributes[4]
    assert kind.findtext("variable") == "true" and kind.findtext("required") == "false"
    assert [v.findtext("name") for v in kind.findall("values/value")] == ["小汽车", "货车"]


def test_a_definition_with_one_attribute_keeps_it_in_the_attributes_element(anon, db):
    root = as_xml(anon.get("/open311/v2/services/E06001.xml"))
    attributes = root.findall("attributes/attribute")
    assert len(attributes) == 1
    assert attributes[0].findtext("code") == "building_state"
    assert [v.findtext("key") for v in attributes[0].findall("values/value")] == ["在建", "已建成"]


def test_an_unknown_service_code_is_404_in_the_spec_error_format(anon, db):
    schemas.check_error(anon.get("/open311/v2/services/NOPE.json"), 404, "NOPE")
    root = as_xml(anon.get("/open311/v2/services/NOPE.xml"))
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    assert "NOPE" in root.findtext("error/description")


def test_an_unknown_path_or_method_answers_in_the_error_format(anon, db):
    schemas.check_error(anon.get("/open311/v2/whatever.json"), 404)
    response = anon.delete("/open311/v2/services.json")
    assert response.status_code == 405 and response["Allow"] == "GET"
