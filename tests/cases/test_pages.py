"""The cases pages through Django's test client: who sees what, the forms the workflow table allows, the
resident's report with duplicates nearby, rating, and query budgets on every list (≥ 30 rows)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories
from tests.cases.conftest import A1, B1
from zhizhi.cases import services
from zhizhi.cases.models import Case, CaseStatus, EnforcementRecord, Transition
from zhizhi.cases.services import EnforcementInput

JPEG = b"\xff\xd8\xff\xe0" + b"1" * 64


def login(client, user):
    client.force_login(user)
    return client


def dispatched(report, li, **fields):
    case = report(**fields)
    services.register_case(li, case.pk)
    return services.dispatch_case(li, case.pk)


@pytest.fixture
def many(report, personas):
    """many(n, until="received"|"registered"|"dispatched", **fields) → n cases spread over the grid."""

    def _many(n, until="received", **fields):
        made = []
        for i in range(n):
            at = (A1[0] + (i % 10) * 0.00008, A1[1] + (i // 10) * 0.00008)
            case = report(at=at, description=f"问题 {i}", **fields)
            if until in ("registered", "dispatched"):
                services.register_case(personas["li"], case.pk)
            if until == "dispatched":
                services.dispatch_case(personas["li"], case.pk)
            made.append(case)
        return made

    return _many


# ------------------------------------------------------------------------------------------- resident H5


def test_pages_need_a_login(client, street):
    for name in ("cases:report", "cases:mine", "cases:board", "cases:indicators"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_landing_sends_each_role_to_its_page(client, personas, units):
    assert login(client, personas["zhang"]).get(reverse("cases:home"))["Location"] == reverse("cases:mine")
    assert login(client, personas["li"]).get(reverse("cases:home"))["Location"] == reverse("cases:board")
    chen = login(client, personas["chen"]).get(reverse("cases:home"))
    assert chen["Location"] == reverse("cases:worklists")
    assert client.get(chen["Location"])["Location"] == reverse(
        "cases:worklist", args=[units["community_a"].pk]
    )


def test_a_resident_reports_with_a_pin_and_a_photo_and_lands_on_the_case(client, personas, units):
    login(client, personas["zhang"])
    page = client.get(reverse("cases:report"))
    assert page.status_code == 200
    assert b'id="pinmap"' in page.content and b"vendor/leaflet/leaflet.js" in page.content
    photo = io.BytesIO(JPEG)
    photo.name = "rubbish.jpg"
    response = client.post(
        reverse("cases:report"),
        {
            "category": "暴露垃圾",
            "lat": A1[0],
            "lon": A1[1],
            "description": "门口一堆垃圾",
            "photos": photo,
            "idempotency_key": "page-1",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.channel == "resident" and case.reporter == personas["zhang"]
    assert case.attachments.count() == 1
    detail = client.get(response["Location"])
    assert case.number.encode() in detail.content
    assert b'data-testid="casemap"' in detail.content
    assert b'data-testid="form-register"' not in detail.content  # a resident cannot register


def test_a_resident_without_a_pin_reports_at_her_grid_with_the_address(client, personas, street, units):
    login(client, personas["zhang"])
    client.post(
        reverse("cases:report"),
        {"category": "邻里纠纷", "address": "1幢1单元", "description": "楼上漏水", "area_code": "x"},
    )
    case = Case.objects.get()
    assert case.area_code == street.grid_a1.code and case.address == "1幢1单元"


def test_bad_input_comes_back_beside_the_form_naming_the_field(client, personas, units):
    login(client, personas["zhang"])
    response = client.post(reverse("cases:report"), {"category": "暴露垃圾", "lat": A1[0], "lon": A1[1]})
    assert response.status_code == 400
    assert b'data-testid="form-error"' in response.content and b"description" in response.content
    assert not Case.objects.exists()


def test_a_known_problem_nearby_is_offered_to_follow_instead(client, personas, report, street, units):
    first = report(actor=personas["xiaowang"], channel="patrol")
    neighbour = factories.make_user("lisi", "resident", street.grid_a1, "李四")
    login(client, neighbour)
    form = {"category": "暴露垃圾", "lat": A1[0] + 0.0001, "lon": A1[1], "description": "又是垃圾"}
    offered = client.post(reverse("cases:report"), form)
    assert offered.status_code == 200 and first.number.encode() in offered.content
    assert b'name="confirm"' in offered.content and Case.objects.count() == 1
    followed = client.post(reverse("cases:follow", args=[first.pk]))
    assert followed["Location"] == reverse("cases:detail", args=[first.pk])
    assert first.followers.filter(pk=neighbour.pk).exists()
    mine = client.get(reverse("cases:mine"))
    assert first.number.encode() in mine.content
    anyway = client.post(reverse("cases:report"), {**form, "confirm": "1"})
    assert anyway.status_code == 302 and Case.objects.count() == 2


def test_my_cases_shows_only_mine(client, personas, report, street, units):
    mine = report()
    other = report(actor=personas["xiaowang"], channel="patrol", at=(30.2711, 120.1631))
    body = login(client, personas["zhang"]).get(reverse("cases:mine")).content
    assert mine.number.encode() in body and other.number.encode() not in body


def test_a_resident_cannot_open_someone_elses_case_or_staff_pages(client, personas, report, units):
    other = report(actor=personas["xiaowang"], channel="patrol")
    login(client, personas["zhang"])
    assert client.get(reverse("cases:detail", args=[other.pk])).status_code == 404
    for name in ("cases:board", "cases:search", "cases:enforcement", "cases:routing", "cases:indicators"):
        assert client.get(reverse(name)).status_code == 403, name


def test_the_resident_rates_a_closed_case_on_her_page(client, personas, report, units):
    li, zhou, wang = personas["li"], units["zhou"], personas["xiaowang"]
    case = dispatched(report, li)
    services.accept_case(zhou, case.pk)
    services.submit_handling(zhou, case.pk, note="已清运", evidence=["清运单"])
    services.verify_case(wang, case.pk, passed=True)
    services.close_case(li, case.pk)
    login(client, personas["zhang"])
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert b'data-testid="form-revisit"' in page.content
    response = client.post(
        reverse("cases:act", args=[case.pk, "revisit"]),
        {"rating": "basically", "comment": "还行", "responded": "1", "resolved": "1"},
    )
    assert response.status_code == 302
    revisit = case.revisits.get()
    assert (revisit.rating, revisit.by_resident, revisit.responded) == ("basically", True, True)
    timeline = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "评价: 基本满意" in timeline.content.decode()  # the rating as she chose it, not its stored value
    again = client.post(reverse("cases:act", args=[case.pk, "revisit"]), {"rating": "satisfied"}, follow=True)
    assert b"rated already" in again.content and case.revisits.count() == 1


# ------------------------------------------------------------------------------------------- staff


def test_the_detail_shows_only_the_actions_the_table_allows_this_actor(client, personas, report, units):
    case = report()
    li = login(client, personas["li"]).get(reverse("cases:detail", args=[case.pk])).content
    assert b'data-testid="form-register"' in li and b'data-testid="form-reject"' in li
    assert b'data-testid="form-accept"' not in li
    services.register_case(personas["li"], case.pk)
    services.dispatch_case(personas["li"], case.pk)
    zhou = login(client, units["zhou"]).get(reverse("cases:detail", args=[case.pk])).content
    assert b'data-testid="form-accept"' in zhou and b'data-testid="form-return"' in zhou
    assert b'data-testid="form-dispatch"' not in zhou and b'data-testid="form-register"' not in zhou
    timeline = zhou.count(b'data-testid="timeline-row"')
    assert timeline == Transition.objects.filter(case=case).count() == 3


def test_actions_posted_from_the_page_move_the_case_and_bad_input_is_a_message(
    client, personas, report, units
):
    case = report()
    login(client, personas["li"])
    client.post(reverse("cases:act", args=[case.pk, "register"]))
    client.post(reverse("cases:act", args=[case.pk, "dispatch"]), {"unit": ""})
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED and case.current_unit == units["sanitation"]
    login(client, units["zhou"])
    client.post(reverse("cases:act", args=[case.pk, "accept"]))
    refused = client.post(reverse("cases:act", args=[case.pk, "submit"]), {"note": "已清运"}, follow=True)
    assert b"evidence" in refused.content  # no evidence: the message names the field
    client.post(reverse("cases:act", args=[case.pk, "submit"]), {"note": "已清运", "evidence": "清运单 7"})
    case.refresh_from_db()
    assert case.status == CaseStatus.HANDLED
    login(client, personas["xiaowang"])
    client.post(reverse("cases:act", args=[case.pk, "verify"]), {"passed": "0", "note": "没扫干净"})
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_HANDLING


def test_an_actor_the_table_does_not_allow_gets_403(client, personas, report, units):
    case = report()
    login(client, personas["chen"])
    assert client.post(reverse("cases:act", args=[case.pk, "register"])).status_code == 403
    assert client.post(reverse("cases:act", args=[case.pk, "fly"])).status_code == 404


def test_the_worklist_puts_overdue_first_and_filters(client, personas, report, units, frozen_clock):
    li = personas["li"]
    late = dispatched(report, li)
    frozen_clock.advance(hours=30)
    fresh = dispatched(report, li, description="新的垃圾")
    login(client, units["zhou"])
    page = client.get(reverse("cases:worklist", args=[units["sanitation"].pk]))
    body = page.content.decode()
    assert body.index(late.number) < body.index(fresh.number)
    overdue = client.get(reverse("cases:worklist", args=[units["sanitation"].pk]), {"bucket": "overdue"})
    assert late.number in overdue.content.decode() and fresh.number not in overdue.content.decode()
    assert client.get(reverse("cases:worklist", args=[units["community_b"].pk])).status_code == 404


def handled(report, personas, units, **fields):
    """A case of 暴露垃圾 dispatched to the street's sanitation unit, signed for and handled by 老周."""
    case = dispatched(report, personas["li"], **fields)
    zhou = units["zhou"]
    services.accept_case(zhou, case.pk)
    services.start_handling(zhou, case.pk)
    return services.submit_handling(zhou, case.pk, note="已清运", evidence=["清运记录 1"])


def test_a_grid_worker_lands_on_what_waits_for_her_check_in_her_grid(client, personas, report, units):
    mine = handled(report, personas, units)
    elsewhere = handled(report, personas, units, at=B1, description="龙游社区门口的垃圾")
    not_yet = dispatched(report, personas["li"], description="还没处置")
    wang = login(client, personas["xiaowang"])
    assert wang.get(reverse("cases:home"))["Location"] == reverse("cases:to_verify")
    body = wang.get(reverse("cases:to_verify")).content.decode()
    assert 'data-testid="to-verify"' in body and 'data-testid="nav-to-verify"' in body
    assert 'data-testid="nav-new-case"' in body  # her patrol reports
    for desk in ("cases:board", "cases:enforcement", "cases:indicators"):  # not in her menu
        assert f'href="{reverse(desk)}"' not in body
    assert mine.number in body
    assert elsewhere.number not in body and not_yet.number not in body
    home = wang.get(reverse("web:home")).content.decode()
    assert 'data-testid="tile-to_verify">\n    <span class="count" data-count="1">' in home  # counted at home
    # community staff see their community's; the page is not for residents or dispatchers
    assert mine.number in login(client, personas["chen"]).get(reverse("cases:to_verify")).content.decode()
    assert login(client, personas["li"]).get(reverse("cases:to_verify")).status_code == 403
    assert login(client, personas["zhang"]).get(reverse("cases:to_verify")).status_code == 403
    # once verified it is off the list
    services.verify_case(personas["xiaowang"], mine.pk, passed=True, note="现场已清理干净")
    assert (
        mine.number
        not in login(client, personas["xiaowang"]).get(reverse("cases:to_verify")).content.decode()
    )


def test_the_board_lists_what_the_dispatcher_must_do(client, personas, report, units):
    waiting = report()
    to_dispatch = report(description="另一堆")
    services.register_case(personas["li"], to_dispatch.pk)
    body = login(client, personas["li"]).get(reverse("cases:board")).content.decode()
    received = body.index('data-testid="column-received"')
    registered = body.index('data-testid="column-registered"')
    assert received < body.index(waiting.number) < registered < body.index(to_dispatch.number)
    client.post(reverse("cases:act", args=[waiting.pk, "register"]), {"next": reverse("cases:board")})
    waiting.refresh_from_db()
    assert waiting.status == CaseStatus.REGISTERED


def test_enforcement_cases_show_their_record(client, personas, report, units):
    case = dispatched(report, personas["li"], category="占道经营")
    liu = units["liu"]
    services.accept_case(liu, case.pk)
    services.submit_handling(
        liu,
        case.pk,
        note="已立案查处",
        evidence=["询问笔录"],
        enforcement=EnforcementInput(
            "某水果店", "占用人行道经营", "《城市市容和环境卫生管理条例》第十七条", "责令改正，罚款200元", 200
        ),
    )
    assert EnforcementRecord.objects.filter(case=case).exists()
    body = login(client, liu).get(reverse("cases:enforcement")).content.decode()
    assert "某水果店" in body and "责令改正" in body and case.number in body
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="enforcement-record"' in detail and "第十七条" in detail


def test_the_routing_page_answers_who_would_get_the_case(client, personas, street, units):
    login(client, personas["li"])
    page = client.get(reverse("cases:routing"), {"category": "邻里纠纷", "area_code": street.grid_a1.code})
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="route-answer"' in body
    assert units["community_a"].name in body
    assert units["street_centre"].name in body  # the escalation chain
    zh = client.get(
        reverse("cases:routing"),
        {"category": "邻里纠纷", "area_code": street.grid_a1.code},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert "立案 " in zh and "register " not in zh  # the steps' names, not their keys
    bad = client.get(reverse("cases:routing"), {"category": "不存在的类别", "area_code": street.grid_a1.code})
    assert bad.status_code == 400 and b"category" in bad.content


def test_the_indicators_page_and_its_excel_export(client, personas, report, units, street):
    case = report()
    services.register_case(personas["li"], case.pk)
    login(client, personas["li"])
    page = client.get(reverse("cases:indicators"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="area-indicators"' in body and street.community_a.name in body
    assert units["sanitation"].name in body
    export = client.get(reverse("cases:indicators_export"), {"area": street.street.code})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(export.content))
    assert wb["区域指标"]["A2"].value == street.street.name
    bad = client.get(reverse("cases:indicators"), {"period": "soon"}, follow=True)
    assert b"period" in bad.content
    outsider = login(client, personas["outsider"]).get(
        reverse("cases:indicators"), {"area": street.community_a.code}
    )
    assert outsider.status_code == 404


def test_searching_a_case_number_opens_the_case(client, personas, many):
    """A number read out on the phone goes straight to its case; a number out of scope finds nothing."""
    (case,) = many(1)
    login(client, personas["li"])
    response = client.get(reverse("cases:search"), {"q": case.number.lower()})
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    login(client, personas["outsider"])
    response = client.get(reverse("cases:search"), {"q": case.number})
    assert response.status_code == 200 and b'data-testid="case-row"' not in response.content


# ------------------------------------------------------------------------------------------- query budgets


def test_the_worklist_page_is_a_fixed_number_of_queries(
    client, personas, units, many, django_assert_max_num_queries
):
    many(35, until="dispatched")
    login(client, units["zhou"])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("cases:worklist", args=[units["sanitation"].pk]))
    assert response.content.count(b'data-testid="case-row"') == 30


def test_search_and_my_cases_are_a_fixed_number_of_queries(
    client, personas, units, many, django_assert_max_num_queries
):
    many(35)
    login(client, personas["li"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("cases:search"), {"q": "问题"})
    assert response.content.count(b'data-testid="case-row"') == 30
    login(client, personas["zhang"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("cases:mine"))
    assert response.content.count(b'data-testid="my-case"') == 30


def test_the_verification_list_is_a_fixed_number_of_queries(
    client, personas, report, units, django_assert_max_num_queries
):
    for i in range(31):
        handled(report, personas, units, at=(A1[0] + i * 0.00002, A1[1]), description=f"垃圾 {i}")
    login(client, personas["xiaowang"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("cases:to_verify"))
    assert response.content.count(b'data-testid="case-row"') == 30
    assert b'rel="next"' in response.content


def test_the_board_is_a_fixed_number_of_queries(client, personas, units, many, django_assert_max_num_queries):
    many(32)
    many(31, until="registered")
    login(client, personas["li"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("cases:board"))
    assert response.content.count(b'data-testid="board-case"') >= 60


def test_the_enforcement_list_is_a_fixed_number_of_queries(
    client, personas, units, many, django_assert_max_num_queries
):
    many(31, category="占道经营")
    login(client, personas["li"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("cases:enforcement"))
    assert response.content.count(b'data-testid="case-row"') == 30


def test_the_indicators_page_is_a_fixed_number_of_queries(
    client, personas, units, many, django_assert_max_num_queries
):
    many(31, until="dispatched")
    login(client, personas["li"])
    with django_assert_max_num_queries(18):  # 16 on SQLite whatever the number of cases
        response = client.get(reverse("cases:indicators"))
    assert response.status_code == 200


def test_the_case_page_is_a_fixed_number_of_queries(
    client, personas, report, units, django_assert_max_num_queries
):
    case = dispatched(report, personas["li"])
    for i in range(30):
        services.supervise_case(personas["qian"], case.pk, reason=f"督办 {i}")
    login(client, personas["li"])
    with django_assert_max_num_queries(25):
        response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.content.count(b'data-testid="timeline-row"') >= 33


def test_the_case_page_labels_the_answers_with_the_categorys_questions(client, report, personas, units):
    case = report(category="私搭乱建", answers={"building_state": "在建"})
    Case.objects.filter(pk=case.pk).update(answers={"building_state": "在建", "retired_question": "x"})
    login(client, personas["li"])
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert '<dt>搭建状态</dt><dd data-testid="answer">在建</dd>' in html
    assert "<dt>building_state</dt>" not in html
    assert "<dt>retired_question</dt>" in html  # an answer to a question no longer asked keeps its key


def test_an_advisor_lands_on_her_inbox_and_her_menu_leaves_out_the_desk(client, personas, street):
    from tests import factories
    from zhizhi.core.roles import Role

    sun = factories.make_user("sun", Role.ELDERCARE_ADVISOR, street.community_a, "孙顾问")
    advisor = login(client, sun)
    assert advisor.get(reverse("cases:home"))["Location"] == reverse("cases:inbox")
    body = advisor.get(reverse("cases:inbox")).content.decode()
    for desk in ("cases:board", "cases:enforcement", "cases:indicators", "cases:routing"):
        assert f'href="{reverse(desk)}"' not in body
    assert f'href="{reverse("cases:search")}"' in body
