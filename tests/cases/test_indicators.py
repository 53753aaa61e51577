"""Indicators against a hand-computed month: five cases driven through the real services with the clock set
for every step (Shanghai times, office hours 08:30–12:00 and 13:30–17:30; 暴露垃圾 gives 1 working hour per
step, 4 for handling and verification, 2 for closure), and the figures worked out by hand below.

    A  Wed 25 Nov  暴露垃圾 A1  on time all the way, sign after 10 min, handled in 60 min, rated 满意
                                 (responded, resolved); plus an invalid revisit that must not count
    B  Thu 26 Nov  暴露垃圾 A1  signed 2 h after dispatch (late, deadline 10:20), handled in 10 min, 返工,
                                 handled again 140 min after the rework, closed; rated 基本满意 (responded,
                                 not resolved)
    C  Fri 27 Nov  暴露垃圾 A1  不予立案
    D  Fri 27 Nov  暴露垃圾 B1  dispatched late (deadline 10:05, dispatched 10:30), signed after 10 min,
                                 extension approved, still open
    G  Wed 25 Nov  邻里纠纷 A1  → 竹竿巷 committee, on time, signed after 10 min, handled in 60 min,
                                 rated 不满意 (responded, not resolved)
    H  Tue  1 Dec  暴露垃圾 A1  reported and registered in December (outside the period)
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from zhizhi.cases import indicators, services
from zhizhi.cases.indicators import Config, Period
from zhizhi.cases.services import FileInput
from zhizhi.core import clock
from zhizhi.core.errors import Forbidden, InvalidInput, NotFound

JPEG = b"\xff\xd8\xff\xe0" + b"1" * 64
NOV = Period.month(2026, 11)
END_OF_NOV = dt.datetime(2026, 12, 1, tzinfo=clock.SHANGHAI)


def sh(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=clock.SHANGHAI)


@pytest.fixture
def month(units, personas, report):
    li, zhou, wang, zhang, chen = (
        personas["li"],
        units["zhou"],
        personas["xiaowang"],
        personas["zhang"],
        personas["chen"],
    )
    B1 = (30.2710, 120.1650)
    with clock.frozen(sh(25, 9)) as fake:

        def at(day, hour, minute=0, m=11):
            fake.current = sh(day, hour, minute, m)

        # A
        a = report()
        at(25, 9, 10), services.register_case(li, a.pk)
        at(25, 9, 20), services.dispatch_case(li, a.pk)
        at(25, 9, 30), services.accept_case(zhou, a.pk)
        at(25, 10, 0), services.start_handling(zhou, a.pk)
        at(25, 10, 30), services.submit_handling(zhou, a.pk, note="已清运", evidence=["清运单 1"])
        at(25, 10, 40), services.verify_case(wang, a.pk, passed=True)
        at(25, 10, 50), services.close_case(li, a.pk)
        at(25, 11, 0)
        services.record_revisit(zhang, a.pk, rating="satisfied", responded=True, resolved=True)
        services.record_revisit(li, a.pk, rating="unsatisfied", responded=False, resolved=False, valid=False)
        # G
        at(25, 14, 0)
        g = report(category="邻里纠纷", description="楼上漏水")
        at(25, 14, 10), services.register_case(li, g.pk)
        at(25, 14, 20), services.dispatch_case(li, g.pk)
        at(25, 14, 30), services.accept_case(chen, g.pk)
        at(25, 15, 30), services.submit_handling(chen, g.pk, note="已调解", evidence=["调解协议"])
        at(25, 15, 40), services.verify_case(wang, g.pk, passed=True)
        at(25, 15, 50), services.close_case(li, g.pk)
        at(25, 16, 0)
        services.record_revisit(zhang, g.pk, rating="unsatisfied", responded=True, resolved=False)
        # B
        at(26, 9, 0)
        b = report()
        at(26, 9, 10), services.register_case(li, b.pk)
        at(26, 9, 20), services.dispatch_case(li, b.pk)
        at(26, 11, 20), services.accept_case(zhou, b.pk)
        at(26, 11, 30), services.submit_handling(zhou, b.pk, note="已清运", evidence=["清运单 2"])
        at(26, 11, 40), services.verify_case(wang, b.pk, passed=False, note="没扫干净")
        at(26, 14, 0)
        services.submit_handling(
            zhou, b.pk, note="再次清运", photos=[FileInput("after.jpg", "image/jpeg", JPEG)]
        )
        at(26, 14, 10), services.verify_case(wang, b.pk, passed=True)
        at(26, 14, 20), services.close_case(li, b.pk)
        at(26, 14, 30)
        services.record_revisit(zhang, b.pk, rating="basically", responded=True, resolved=False)
        # C
        at(27, 9, 0)
        c = report()
        at(27, 9, 30), services.reject_case(li, c.pk, reason="已由物业处理")
        # D
        at(27, 9, 0)
        d = report(at=B1)
        at(27, 9, 5), services.register_case(li, d.pk)
        at(27, 10, 30), services.dispatch_case(li, d.pk)
        at(27, 10, 40), services.accept_case(zhou, d.pk)
        at(27, 10, 50)
        services.request_extension(zhou, d.pk, amount=1, amount_unit="work_days", reason="需协调物业")
        at(27, 11, 0), services.decide_extension(li, d.pk, approve=True)
        # H
        at(1, 9, 0, m=12)
        h = report()
        at(1, 9, 10, m=12), services.register_case(li, h.pk)
    return {"a": a, "b": b, "c": c, "d": d, "g": g, "h": h}


def by_key(rows):
    return {r.key: r.values for r in rows}


def test_the_street_total_matches_the_hand_computed_month(month, street):
    report = indicators.compute(street.street, NOV, as_of=END_OF_NOV)
    v = report.areas[0].values
    assert report.areas[0].kind == "total"
    assert v["reports"] == 5  # A B C D G; H is December
    assert v["registered"] == 4
    assert v["register_rate"] == pytest.approx(4 / 5)  # C rejected
    assert v["dispatched"] == 4
    assert v["dispatch_on_time_rate"] == pytest.approx(3 / 4)  # D late
    assert v["sign_on_time_rate"] == pytest.approx(3 / 4)  # B late
    assert v["handled"] == 4  # A, B twice, G
    assert v["handle_on_time_rate"] == pytest.approx(1.0)
    assert v["closed"] == 3
    assert v["close_on_time_rate"] == pytest.approx(2 / 3)  # B had a late signing
    assert v["close_rate"] == pytest.approx(3 / 4)  # D open
    assert v["rework_rate"] == pytest.approx(1 / 4)
    assert v["extension_rate"] == pytest.approx(1 / 4)
    assert v["revisits"] == 3  # the invalid one does not count
    assert v["response_rate"] == pytest.approx(1.0)
    assert v["resolve_rate"] == pytest.approx(1 / 3)
    assert v["satisfaction_rate"] == pytest.approx((1 + 0.8) / 3)
    assert v["score"] == pytest.approx(100 * (0.2 * 1 + 0.4 * (1 / 3) + 0.4 * 0.6))
    assert v["mean_response_hours"] == pytest.approx((10 + 120 + 10 + 10) / 4 / 60)
    assert v["mean_handling_hours"] == pytest.approx((60 + 10 + 140 + 60) / 4 / 60)


def test_each_community_counts_the_cases_located_in_it(month, street):
    rows = by_key(indicators.compute(street.street, NOV, as_of=END_OF_NOV).areas[1:])
    a, b = rows[street.community_a.code], rows[street.community_b.code]
    assert (a["reports"], a["registered"], a["register_rate"]) == (4, 3, pytest.approx(3 / 4))
    assert a["dispatch_on_time_rate"] == 1.0 and a["close_rate"] == 1.0
    assert (b["reports"], b["dispatched"], b["dispatch_on_time_rate"]) == (1, 1, 0.0)
    assert b["close_rate"] == 0.0 and b["extension_rate"] == 1.0
    assert b["revisits"] == 0 and b["satisfaction_rate"] is None and b["score"] is None


def test_a_unit_counts_what_it_did_and_what_it_was_given(month, street, units):
    report = indicators.compute(street.street, NOV, as_of=END_OF_NOV)
    rows = by_key(report.units)
    s = rows[str(units["sanitation"].pk)]
    assert s["dispatched"] == 3  # A B D
    assert s["sign_on_time_rate"] == pytest.approx(2 / 3)
    assert (s["handled"], s["handle_on_time_rate"]) == (3, 1.0)
    assert (s["closed"], s["close_on_time_rate"]) == (2, pytest.approx(1 / 2))
    assert s["close_rate"] == pytest.approx(2 / 3)
    assert s["rework_rate"] == pytest.approx(1 / 3)
    assert s["extension_rate"] == pytest.approx(1 / 3)
    assert (s["revisits"], s["response_rate"], s["resolve_rate"]) == (2, 1.0, 0.5)
    assert s["satisfaction_rate"] == pytest.approx(0.9)
    assert s["score"] == pytest.approx(76.0)
    assert s["mean_response_hours"] == pytest.approx(140 / 3 / 60)
    assert s["mean_handling_hours"] == pytest.approx(210 / 3 / 60)
    c = rows[str(units["community_a"].pk)]
    assert (c["dispatched"], c["handled"], c["closed"], c["close_on_time_rate"]) == (1, 1, 1, 1.0)
    assert (c["rework_rate"], c["satisfaction_rate"], c["score"]) == (0.0, 0.0, pytest.approx(20.0))
    assert c["mean_response_hours"] == pytest.approx(10 / 60)
    idle = rows[str(units["enforcement"].pk)]
    assert idle["dispatched"] == 0 and idle["handle_on_time_rate"] is None


def test_closure_rate_follows_the_cohort_to_the_moment_of_the_report(month, street, units):
    early = indicators.compute(street.street, NOV, as_of=sh(26, 12))
    v = early.areas[0].values
    assert v["close_rate"] == pytest.approx(2 / 4)  # A and G closed by then
    # the period's own closures still count, B's included (closed after the moment of the report)
    assert (v["closed"], v["close_on_time_rate"]) == (3, pytest.approx(2 / 3))
    rows = by_key(early.units)
    s, c = rows[str(units["sanitation"].pk)], rows[str(units["community_a"].pk)]
    assert (s["closed"], s["close_on_time_rate"]) == (2, pytest.approx(1 / 2))
    assert s["close_rate"] == pytest.approx(1 / 3)  # of A B D, only A closed by then
    assert c["close_rate"] == 1.0  # G


def test_weights_are_configurable(month, street):
    config = Config(basically_weight=0.5, score_weights={"response": 0, "resolve": 0, "satisfaction": 1})
    v = indicators.compute(street.street, NOV, as_of=END_OF_NOV, config=config).areas[0].values
    assert v["satisfaction_rate"] == pytest.approx((1 + 0.5) / 3)
    assert v["score"] == pytest.approx(50.0)


def test_settings_override_the_default_weights(settings):
    settings.CASE_INDICATORS = {"basically_weight": 0.6, "score_weights": {"response": 0.5}}
    config = indicators.config_from_settings()
    assert config.basically_weight == 0.6
    assert config.score_weights == {"response": 0.5, "resolve": 0.4, "satisfaction": 0.4}
    with pytest.raises(InvalidInput):
        Config(basically_weight=2)


def test_an_overdue_flag_at_verification_spoils_the_areas_on_time_closure_not_the_units(
    units, personas, report, street
):
    li, zhou, wang = personas["li"], units["zhou"], personas["xiaowang"]
    with clock.frozen(sh(25, 9)) as fake:
        case = report()
        services.register_case(li, case.pk)
        services.dispatch_case(li, case.pk)
        services.accept_case(zhou, case.pk)
        services.submit_handling(zhou, case.pk, note="已清运", evidence=["清运单"])
        fake.current = sh(26, 9)  # verification deadline (4 working hours) long gone
        services.scan_deadlines()
        services.verify_case(wang, case.pk, passed=True)
        services.close_case(li, case.pk)
    report_ = indicators.compute(street.street, NOV, as_of=END_OF_NOV)
    assert report_.areas[0].values["close_on_time_rate"] == 0.0
    assert by_key(report_.units)[str(units["sanitation"].pk)]["close_on_time_rate"] == 1.0


def test_the_report_is_a_fixed_number_of_queries(month, street, django_assert_max_num_queries):
    # units, areas, 3 for the areas (steps, closures, revisits), 4 for the units (steps, closures, received,
    # revisits); and the session settings on PostgreSQL
    with django_assert_max_num_queries(10):
        indicators.compute(street.street, NOV, as_of=END_OF_NOV)


def test_periods_parse_months_years_and_days():
    assert Period.parse("2026-11") == NOV
    assert Period.parse("2026").start == sh(1, 0, month=1).replace(day=1)
    days = Period.parse("2026-11-01..2026-11-15")
    assert (days.start, days.end) == (sh(1, 0), sh(16, 0))
    assert Period.month(2026, 12).end == dt.datetime(2027, 1, 1, tzinfo=clock.SHANGHAI)
    assert NOV.previous() == Period.month(2026, 10)
    for bad in ("2026-13", "11/2026", "2026-11-15..2026-11-01"):
        with pytest.raises(InvalidInput):
            Period.parse(bad)


def test_the_excel_export_has_chinese_headers_and_the_figures(month, street, units):
    report = indicators.compute(street.street, NOV, as_of=END_OF_NOV)
    wb = load_workbook(io.BytesIO(indicators.to_xlsx(report)))
    assert wb.sheetnames == ["区域指标", "单位指标", "指标说明"]
    areas = wb["区域指标"]
    headers = [c.value for c in areas[1]]
    assert headers[:4] == ["区域", "代码", "层级", "上报数"]
    for label in ("立案率", "按期派遣率", "按期处置率", "按期结案率", "结案率", "返工率", "延期率", "响应率"):
        assert label in headers
    total = {h: c.value for h, c in zip(headers, areas[2], strict=True)}
    assert total["区域"] == "武林街道" and total["上报数"] == 5
    assert total["立案率"] == pytest.approx(0.8)
    assert areas.cell(row=2, column=headers.index("立案率") + 1).number_format == "0.0%"
    unit_headers = [c.value for c in wb["单位指标"][1]]
    assert "上报数" not in unit_headers and "满意率" in unit_headers
    names = [r[0].value for r in wb["单位指标"].iter_rows(min_row=2)]
    assert units["sanitation"].name in names
    notes = [r[0].value for r in wb["指标说明"].iter_rows(min_row=2)]
    assert "按期结案率" in notes


def test_residents_get_no_indicators_and_staff_only_their_area(personas, street, units):
    with pytest.raises(Forbidden):
        indicators.report_for(personas["zhang"])
    with pytest.raises(NotFound):
        indicators.report_for(personas["outsider"], street.community_a.code)
    mine = indicators.report_for(personas["chen"], period="2026-11")
    assert mine.area == street.community_a
    assert [u.key for u in mine.units] == [str(units["community_a"].pk)]
    assert indicators.report_for(personas["li"], period="2026-11").area == street.street
