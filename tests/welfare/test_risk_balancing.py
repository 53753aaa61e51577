"""Risk scoring with its factors, visit frequency by risk, and load-balanced advisor assignment (pure)."""

from __future__ import annotations

from zhizhi.welfare import balancing, risk


def test_a_very_old_person_living_alone_with_an_illness_is_high_risk_and_visited_weekly():
    result = risk.assess(age=92, living_alone=True, chronic_illness=True)
    assert result.score == 8
    assert result.level == "high"
    assert result.visit_interval_days == 7
    assert [f.code for f in result.factors] == ["age", "alone", "illness"]


def test_factors_name_their_points_and_details():
    result = risk.assess(age=70, living_alone=False, disability_grade=2, recent_alarms=3, days_overdue=40)
    assert {f.code: (f.points, f.detail) for f in result.factors} == {
        "disability": (3, "grade 2"),
        "alarms": (4, "3"),
        "missed_visits": (1, "40 days"),
    }
    assert result.level == "high"


def test_a_young_old_person_with_family_is_low_risk_and_visited_monthly():
    result = risk.assess(age=65, living_alone=False)
    assert (result.score, result.level, result.visit_interval_days) == (0, "low", 30)


def test_medium_risk_is_visited_fortnightly():
    result = risk.assess(age=82, living_alone=False, chronic_illness=True)
    assert (result.level, result.visit_interval_days) == ("medium", 14)


def test_balancing_gives_each_elder_to_the_least_loaded_advisor():
    elders = [(1, "high"), (2, "low"), (3, "low"), (4, "medium"), (5, "low")]
    plan = balancing.balance(elders, {10: 0, 20: 3})
    loads = {10: 0, 20: 3}
    for casefile, advisor in plan.items():
        loads[advisor] += balancing.RISK_WEIGHT[dict(elders)[casefile]]
    assert set(plan) == {1, 2, 3, 4, 5}
    assert abs(loads[10] - loads[20]) <= balancing.RISK_WEIGHT["high"]
    assert plan[1] == 10  # the heaviest elder goes to the idle advisor


def test_balancing_without_advisors_assigns_nobody():
    assert balancing.balance([(1, "high")], {}) == {}
