"""Risk of a vulnerable person and how often they are visited. Pure: facts in, score and factors out.

Factors (points): age 80+ (2) or 90+ (3); living alone (3); disability grade 1–2 (3) or 3–4 (1); chronic or
serious illness (2); door-sensor or other alarms in the last 30 days (2 each, up to 4); missed visits —
days overdue (1 per full interval missed, up to 3). Level: high from 8, medium from 4.
"""

from __future__ import annotations

from dataclasses import dataclass

HIGH_FROM = 8
MEDIUM_FROM = 4
VISIT_INTERVAL_DAYS = {"high": 7, "medium": 14, "low": 30}


def gettext_noop(message: str) -> str:
    """Marks a string for the translation catalogue (makemessages finds it) without importing Django."""
    return message


@dataclass(frozen=True)
class Factor:
    code: str
    label: str  # English; pages translate it
    points: int
    detail: str = ""


@dataclass(frozen=True)
class Risk:
    score: int
    level: str
    factors: tuple[Factor, ...]

    @property
    def visit_interval_days(self) -> int:
        return VISIT_INTERVAL_DAYS[self.level]

    def factors_as_json(self) -> list[dict]:
        return [
            {"code": f.code, "label": f.label, "points": f.points, "detail": f.detail} for f in self.factors
        ]


def assess(
    *,
    age: int,
    living_alone: bool,
    disability_grade: int = 0,
    chronic_illness: bool = False,
    recent_alarms: int = 0,
    days_overdue: int = 0,
    interval_days: int = 30,
) -> Risk:
    factors: list[Factor] = []
    if age >= 90:
        factors.append(Factor("age", gettext_noop("Aged 90 or over"), 3, f"{age}"))
    elif age >= 80:
        factors.append(Factor("age", gettext_noop("Aged 80 or over"), 2, f"{age}"))
    if living_alone:
        factors.append(Factor("alone", gettext_noop("Lives alone"), 3))
    if disability_grade in (1, 2):
        factors.append(
            Factor("disability", gettext_noop("Severe disability"), 3, f"grade {disability_grade}")
        )
    elif disability_grade in (3, 4):
        factors.append(Factor("disability", gettext_noop("Disability"), 1, f"grade {disability_grade}"))
    if chronic_illness:
        factors.append(Factor("illness", gettext_noop("Chronic or serious illness"), 2))
    if recent_alarms > 0:
        factors.append(
            Factor(
                "alarms",
                gettext_noop("Alarms in the last 30 days"),
                min(4, 2 * recent_alarms),
                f"{recent_alarms}",
            )
        )
    missed = days_overdue // max(1, interval_days) if days_overdue > 0 else 0
    if days_overdue > 0:
        factors.append(
            Factor(
                "missed_visits",
                gettext_noop("Visits overdue"),
                min(3, max(1, missed)),
                f"{days_overdue} days",
            )
        )
    score = sum(f.points for f in factors)
    level = "high" if score >= HIGH_FROM else "medium" if score >= MEDIUM_FROM else "low"
    return Risk(score, level, tuple(factors))
