"""POST requests.{fmt}: a standard client files a case. Every refusal in the spec's error format: a missing
required attribute is named, a bad key is 403, an unknown service 404, a point outside the jurisdiction 400.
Idempotent by Idempotency-Key; multipart media stored as the case's photos; the token flow."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.open311 import schemas
from tests.open311.conftest import A1, JPEG, KEY, NOWHERE, as_json, as_xml
from zhizhi.cases.models import Case, CaseAttachment, Category, Notification
from zhizhi.open311.models import Submission


def test_a_client_files_a_case_and_gets_its_id_token_and_notice(post_request, frozen_clock):
    response = post_request(first_name="阿姨", last_name="张", phone="13812345678", email="zhang@example.cn")
    assert response.status_code == 201
    body = as_json(response)
    schemas.check(body, schemas.POST_RESPONSE)
    case = Case.objects.get(pk=int(body[0]["service_request_id"]))
    assert case.channel == "open311" and case.status == "received"
    assert case.category.code == "E06010" and case.area_code == "33010501300101"
    assert case.reporter_id is None and case.reporter_name == "张阿姨"
    assert case.contact_phone == "13812345678" and case.contact_phone_masked == "138****5678"
    assert case.number in body[0]["service_notice"]
    submission = Submission.objects.get(token=body[0]["token"])
    assert submission.case == case and submission.email == "zhang@example.cn"
    assert submission.email_masked == "z***@example.cn"


def test_the_answer_in_xml_is_one_request_inside_service_requests(post_request, frozen_clock):
    root = as_xml(post_request(fmt="xml", account_id="fms-42"))
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 1
    assert requests[0].findtext("service_request_id").isdigit()
    assert requests[0].findtext("token")
    assert requests[0].findtext("account_id") == "fms-42"


def test_chinese_and_line_breaks_pass_through_unharmed(post_request, anon, frozen_clock):
    text = "垃圾满溢——已经三天了！\n气味很大，请尽快处理。😷"
    body = as_json(post_request(description=text))
    case = Case.objects.get(pk=int(body[0]["service_request_id"]))
    assert case.description == text
    detail = as_json(anon.get(f"/open311/v2/requests/{case.pk}.json"))
    assert detail[0]["description"] == text
    root = as_xml(anon.get(f"/open311/v2/requests/{case.pk}.xml"))
    assert root.findtext("request/description") == text


def test_attributes_are_the_answers_to_the_category_questions(post_request, frozen_clock):
    body = as_json(post_request(service_code="E06001", **{"attribute[building_state]": "在建"}))
    case = Case.objects.get(pk=int(body[0]["service_request_id"]))
    assert case.answers == {"building_state": "在建"}


def test_a_missing_required_attribute_is_named(post_request, frozen_clock):
    schemas.check_error(post_request(service_code="E06001"), 400, "attribute[building_state]", "搭建状态")
    assert not Case.objects.exists()


def test_a_list_attribute_outside_its_values_is_refused(post_request, frozen_clock):
    response = post_request(service_code="E06001", **{"attribute[building_state]": "拆了一半"})
    schemas.check_error(response, 400, "attribute[building_state]", "在建")


def test_multivaluelist_attributes_come_as_attribute_code_brackets(post_request, frozen_clock):
    category = Category.objects.get(code="E09009")
    category.questions = [
        {"key": "blocks", "label": "堵塞", "type": "multichoice", "options": ["消防通道", "单元门"]},
        {"key": "count", "label": "车辆数", "type": "number"},
    ]
    category.save()
    body = as_json(
        post_request(
            service_code="E09009", **{"attribute[blocks][]": ["消防通道", "单元门"], "attribute[count]": "2"}
        )
    )
    case = Case.objects.get(pk=int(body[0]["service_request_id"]))
    assert case.answers == {"blocks": "消防通道,单元门", "count": "2"}
    bad = post_request(service_code="E09009", **{"attribute[count]": "两辆"})
    schemas.check_error(bad, 400, "attribute[count]", "number")


def test_attributes_the_service_does_not_define_are_kept_aside(post_request, frozen_clock):
    body = as_json(post_request(**{"attribute[fixmystreet_id]": "123"}))
    submission = Submission.objects.get(token=body[0]["token"])
    assert submission.attributes == {"fixmystreet_id": ["123"]}
    assert submission.case.answers == {}


@pytest.mark.parametrize(
    ("auth", "words"),
    [
        ({"api_key": None}, ("api_key is required",)),
        ({"api_key": "wrong"}, ("api_key is not valid",)),
    ],
)
def test_a_missing_or_bad_key_is_403(post_request, frozen_clock, auth, words):
    schemas.check_error(post_request(**auth), 403, *words)
    assert not Case.objects.exists()


def test_a_switched_off_key_is_403(post_request, api_key, frozen_clock):
    api_key.active = False
    api_key.save()
    schemas.check_error(post_request(), 403)


def test_the_key_may_come_as_a_bearer_token(post_request, frozen_clock):
    response = post_request(api_key=None, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 201


def test_an_unknown_service_code_is_404_and_a_missing_one_400(post_request, frozen_clock):
    schemas.check_error(post_request(service_code="X99999"), 404, "X99999")
    schemas.check_error(post_request(service_code=""), 400, "service_code is required")


def test_a_point_outside_the_jurisdiction_is_400_with_a_clear_description(post_request, frozen_clock):
    description = schemas.check_error(post_request(lat=NOWHERE[0], long=NOWHERE[1]), 400, "outside")
    assert "31.230000" in description and "WGS84" in description


def test_half_a_point_or_no_location_is_400_naming_what_is_missing(post_request, frozen_clock):
    schemas.check_error(post_request(long=None), 400, "long is required")
    schemas.check_error(post_request(lat=None, long=None), 400, "lat and long, address_string or address_id")
    schemas.check_error(post_request(lat="北纬30度"), 400, "lat must be a number")


def test_empty_optional_parameters_are_treated_as_absent(post_request, frozen_clock):
    response = post_request(
        email="", phone="", media_url="", address_string="", device_id="", jurisdiction_id=""
    )
    assert response.status_code == 201, response.content


def test_description_up_to_4000_characters_is_kept_in_full(post_request, frozen_clock):
    text = "垃" * 4000
    body = as_json(post_request(description=text))
    submission = Submission.objects.get(token=body[0]["token"])
    assert submission.full_description == text
    assert len(submission.case.description) <= 2000
    schemas.check_error(post_request(description="垃" * 4001), 400, "description", "4000")


def test_a_bad_email_phone_or_media_url_is_named(post_request, frozen_clock):
    schemas.check_error(post_request(email="not-an-email"), 400, "email")
    schemas.check_error(post_request(phone="123"), 400, "phone")
    schemas.check_error(post_request(media_url="ftp://x/y.jpg"), 400, "media_url")


def test_the_same_idempotency_key_creates_one_case(post_request, frozen_clock):
    headers = {"Idempotency-Key": "fms-report-77"}
    first = post_request(headers=headers)
    again = post_request(headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert as_json(first) == as_json(again)
    assert Case.objects.count() == 1 and Submission.objects.count() == 1
    other = post_request(headers=headers, description="别的问题")
    schemas.check_error(other, 400, "Idempotency-Key")
    assert post_request(headers={"Idempotency-Key": "fms-report-78"}).status_code == 201
    assert Case.objects.count() == 2


def test_multipart_media_are_stored_as_the_case_photos(post_request, anon, frozen_clock):
    files = {
        "media[]": [
            SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg"),
            SimpleUploadedFile("b.jpg", JPEG + b"2", content_type="image/jpeg"),
        ]
    }
    body = as_json(post_request(files=files))
    case = Case.objects.get(pk=int(body[0]["service_request_id"]))
    photos = list(CaseAttachment.objects.filter(case=case).order_by("id"))
    assert [p.filename for p in photos] == ["a.jpg", "b.jpg"]
    assert bytes(photos[0].data) == JPEG and photos[0].kind == "photo"
    detail = as_json(anon.get(f"/open311/v2/requests/{case.pk}.json"))
    assert detail[0]["media_url"] == f"http://testserver/open311/v2/media/{photos[0].pk}"
    served = anon.get(f"/open311/v2/media/{photos[0].pk}")
    assert served.status_code == 200 and served.content == JPEG


def test_media_of_a_refused_type_is_named(post_request, frozen_clock):
    files = {"media": SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")}
    schemas.check_error(post_request(files=files), 400, "media")
    assert not Case.objects.exists()


def test_a_media_url_is_kept_and_answered(post_request, anon, frozen_clock):
    body = as_json(post_request(media_url="https://img.example.cn/p/1.jpg"))
    detail = as_json(anon.get(f"/open311/v2/requests/{body[0]['service_request_id']}.json"))
    assert detail[0]["media_url"] == "https://img.example.cn/p/1.jpg"


def test_the_token_leads_to_the_service_request_id(post_request, anon, frozen_clock):
    body = as_json(post_request())
    token = body[0]["token"]
    answer = as_json(anon.get(f"/open311/v2/tokens/{token}.json"))
    schemas.check(answer, schemas.TOKEN_RESPONSE)
    assert answer == [{"service_request_id": body[0]["service_request_id"], "token": token}]
    root = as_xml(anon.get(f"/open311/v2/tokens/{token}.xml"))
    assert root.findtext("request/service_request_id") == body[0]["service_request_id"]
    schemas.check_error(anon.get("/open311/v2/tokens/no-such-token.json"), 404, "token")


def test_the_street_dispatcher_is_not_bypassed(post_request, frozen_clock):
    body = as_json(post_request())
    case = Case.objects.get(pk=int(body[0]["service_request_id"]))
    assert case.transitions.count() == 1 and case.transitions.get().action == "open"
    assert not Notification.objects.filter(case=case, recipient__isnull=False).exists()


# ------------------------------------------------------------------------------------------- addresses


def test_address_string_is_matched_to_the_standard_address(post_request, street, frozen_clock):
    body = as_json(post_request(lat=None, long=None, address_string="竹竿巷 1网格小区 1号楼 1单元 101"))
    submission = Submission.objects.get(token=body[0]["token"])
    assert submission.address_id == street.dwelling_a1.code
    assert submission.case.area_code == street.grid_a1.code
    assert submission.case.lat == pytest.approx(30.271)


def test_a_loosely_written_estate_still_matches(post_request, street, frozen_clock):
    body = as_json(post_request(lat=None, long=None, address_string="竹竿巷一网格小区门口"))
    submission = Submission.objects.get(token=body[0]["token"])
    assert submission.address_id.startswith(street.community_a.code)
    assert submission.case.area_code.startswith(street.community_a.code)


def test_an_unknown_address_string_is_kept_as_text(post_request, street, frozen_clock):
    body = as_json(post_request(lat=None, long=None, address_string="体育场路口公交站旁"))
    case = Submission.objects.get(token=body[0]["token"]).case
    assert case.address == "体育场路口公交站旁"
    assert case.area_code == street.street.code and case.lat is None


def test_address_id_is_a_standard_address_code(post_request, street, frozen_clock):
    body = as_json(post_request(lat=None, long=None, address_id=street.dwelling_b1.code))
    case = Submission.objects.get(token=body[0]["token"]).case
    assert case.area_code == street.grid_b1.code
    schemas.check_error(post_request(lat=None, long=None, address_id="999"), 400, "address_id")


def test_lat_long_win_over_an_address_string(post_request, street, frozen_clock):
    body = as_json(post_request(address_string="就在路口"))
    case = Submission.objects.get(token=body[0]["token"]).case
    assert (case.lat, case.lon) == A1 and case.address == "就在路口"


def test_posts_need_no_session_and_no_csrf_token(api_key, street, frozen_clock):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    data = {"api_key": KEY, "service_code": "E06010", "lat": A1[0], "long": A1[1], "description": "门口垃圾"}
    assert strict.post("/open311/v2/requests.json", data).status_code == 201


def test_photos_reported_on_the_resident_page_are_not_served_publicly(anon, personas, street, frozen_clock):
    from zhizhi.cases.services import CaseInput, FileInput, open_case

    case = open_case(
        personas["zhang"],
        CaseInput(
            category="暴露垃圾",
            description="门口垃圾",
            lat=A1[0],
            lon=A1[1],
            photos=[FileInput("me.jpg", "image/jpeg", JPEG)],
        ),
    ).case
    photo = CaseAttachment.objects.get(case=case)
    assert anon.get(f"/open311/v2/media/{photo.pk}").status_code == 404
    assert as_json(anon.get(f"/open311/v2/requests/{case.pk}.json"))[0]["media_url"] is None
