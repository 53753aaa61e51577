"""What the indicators are: their weights (Config), periods, the grouped counts a row is computed from
(Counts), the arithmetic from counts to rates (values_of), the list of metrics with their labels, and the
report's shape. No queries here (see compute.py); definitions in the package docstring."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhizhi.core import clock
from zhizhi.core.errors import InvalidInput

if TYPE_CHECKING:
    from zhizhi.areas.models import Area

# ------------------------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Config:
    """Weights: 基本满意 counts `basically_weight` of 满意; the score weighs the three 12345 rates."""

    basically_weight: float = 0.8
    score_weights: dict[str, float] = field(
        default_factory=lambda: {"response": 0.2, "resolve": 0.4, "satisfaction": 0.4}
    )

    def __post_init__(self):
        if not 0 <= float(self.basically_weight) <= 1:
            raise InvalidInput("basically_weight lies between 0 and 1", field="basically_weight")
        unknown = set(self.score_weights) - {"response", "resolve", "satisfaction"}
        if unknown or any(float(w) < 0 for w in self.score_weights.values()):
            raise InvalidInput("score_weights: response, resolve, satisfaction ≥ 0", field="score_weights")


def config_from_settings(overrides: dict | None = None) -> Config:
    """Defaults, then settings.CASE_INDICATORS, then `overrides` (missing keys keep what came before)."""
    merged: dict[str, Any] = {
        "basically_weight": Config.basically_weight,
        "score_weights": Config().score_weights,
    }
    for source in (getattr(settings, "CASE_INDICATORS", None) or {}, overrides or {}):
        if "basically_weight" in source:
            merged["basically_weight"] = float(source["basically_weight"])
        if "score_weights" in source:
            merged["score_weights"] = {**merged["score_weights"], **source["score_weights"]}
    return Config(**merged)


# ------------------------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """[start, end) in aware datetimes; months and years are those of Asia/Shanghai."""

    start: dt.datetime
    end: dt.datetime
    label: str

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = dt.datetime(year, month, 1, tzinfo=clock.SHANGHAI)
        end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=clock.SHANGHAI)
        return cls(start, end, f"{year}-{month:02d}")

    @classmethod
    def year(cls, year: int) -> Period:
        start = dt.datetime(year, 1, 1, tzinfo=clock.SHANGHAI)
        return cls(start, dt.datetime(year + 1, 1, 1, tzinfo=clock.SHANGHAI), f"{year}")

    @classmethod
    def days(cls, first: dt.date, last: dt.date) -> Period:
        start = dt.datetime.combine(first, dt.time(), tzinfo=clock.SHANGHAI)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=clock.SHANGHAI)
        return cls(start, end, f"{first:%Y-%m-%d}..{last:%Y-%m-%d}")

    @classmethod
    def parse(cls, text: str | None) -> Period:
        """ "2026-11" a month, "2026" a year, "2026-11-01..2026-11-15" days; empty: this month."""
        text = (text or "").strip()
        if not text:
            today = clock.today()
            return cls.month(today.year, today.month)
        try:
            if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
                return cls.month(int(m[1]), int(m[2]))
            if re.fullmatch(r"\d{4}", text):
                return cls.year(int(text))
            if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
                first, last = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
                if last >= first:
                    return cls.days(first, last)
        except ValueError:
            pass
        raise InvalidInput(
            "period is a month (2026-11), a year (2026) or days (2026-11-01..2026-11-15)", field="period"
        )

    def previous(self) -> Period:
        if re.fullmatch(r"\d{4}-\d{2}", self.label):
            return Period.month(self.start.year - (self.start.month == 1), (self.start.month - 2) % 12 + 1)
        if re.fullmatch(r"\d{4}", self.label):
            return Period.year(self.start.year - 1)
        span = self.end - self.start
        return Period(self.start - span, self.start, f"-{self.label}")


# ------------------------------------------------------------------------------------------- counts


@dataclass
class Counts:
    """The grouped counts one row of the report is computed from (sums of seconds for the mean times)."""

    reports: int = 0
    registered: int = 0
    rejected: int = 0
    dispatched: int = 0
    dispatched_timed: int = 0
    dispatched_on_time: int = 0
    signed: int = 0
    signed_timed: int = 0
    signed_on_time: int = 0
    handled: int = 0
    handled_timed: int = 0
    handled_on_time: int = 0
    closed: int = 0
    closed_on_time: int = 0
    cohort: int = 0
    cohort_closed: int = 0
    rework: int = 0
    extended: int = 0
    response_n: int = 0
    response_s: float = 0.0
    handling_n: int = 0
    handling_s: float = 0.0
    revisits: int = 0
    responded: int = 0
    responded_asked: int = 0
    resolved: int = 0
    resolved_asked: int = 0
    satisfied: int = 0
    basically: int = 0
    unsatisfied: int = 0

    def add(self, values: dict[str, Any]) -> Counts:
        for name, value in values.items():
            if name in _COUNT_FIELDS and value is not None:
                value = value.total_seconds() if isinstance(value, dt.timedelta) else value
                setattr(self, name, getattr(self, name) + value)
        return self

    def __add__(self, other: Counts) -> Counts:
        return Counts().add(vars(self)).add(vars(other))


_COUNT_FIELDS = {f.name for f in fields(Counts)}


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def values_of(c: Counts, config: Config) -> dict[str, float | int | None]:
    """Every metric of one row."""
    w = config.basically_weight
    v: dict[str, float | int | None] = {
        "reports": c.reports,
        "registered": c.registered,
        "register_rate": _ratio(c.registered, c.registered + c.rejected),
        "dispatched": c.dispatched,
        "dispatch_on_time_rate": _ratio(c.dispatched_on_time, c.dispatched_timed),
        "sign_on_time_rate": _ratio(c.signed_on_time, c.signed_timed),
        "handled": c.handled,
        "handle_on_time_rate": _ratio(c.handled_on_time, c.handled_timed),
        "closed": c.closed,
        "close_on_time_rate": _ratio(c.closed_on_time, c.closed),
        "close_rate": _ratio(c.cohort_closed, c.cohort),
        "rework_rate": _ratio(c.rework, c.handled),
        "extension_rate": _ratio(c.extended, c.dispatched),
        "revisits": c.revisits,
        "response_rate": _ratio(c.responded, c.responded_asked),
        "resolve_rate": _ratio(c.resolved, c.resolved_asked),
        "satisfaction_rate": _ratio(c.satisfied + w * c.basically, c.revisits),
        "mean_response_hours": _ratio(c.response_s / 3600, c.response_n),
        "mean_handling_hours": _ratio(c.handling_s / 3600, c.handling_n),
    }
    parts = {
        "response": v["response_rate"],
        "resolve": v["resolve_rate"],
        "satisfaction": v["satisfaction_rate"],
    }
    present = {k: float(config.score_weights.get(k, 0)) for k, rate in parts.items() if rate is not None}
    total = sum(present.values())
    v["score"] = 100 * sum(float(parts[k] or 0) * wt for k, wt in present.items()) / total if total else None
    return v


@dataclass(frozen=True)
class Metric:
    key: str
    zh: str  # the Excel header (Chinese, as the street's ledgers have it)
    label: Any  # gettext_lazy English msgid, for pages
    kind: str  # count | rate | hours | score
    applies: str  # area | unit | both


METRICS: tuple[Metric, ...] = (
    Metric("reports", "上报数", _("Reports"), "count", "area"),
    Metric("registered", "立案数", _("Registered"), "count", "area"),
    Metric("register_rate", "立案率", _("Registration rate"), "rate", "area"),
    Metric("dispatched", "派遣数", _("Dispatched"), "count", "both"),
    Metric("dispatch_on_time_rate", "按期派遣率", _("On-time dispatch"), "rate", "area"),
    Metric("sign_on_time_rate", "按期签收率", _("On-time signing"), "rate", "both"),
    Metric("handled", "处置数", _("Handled"), "count", "both"),
    Metric("handle_on_time_rate", "按期处置率", _("On-time handling"), "rate", "both"),
    Metric("closed", "结案数", _("Closed"), "count", "both"),
    Metric("close_on_time_rate", "按期结案率", _("On-time closure"), "rate", "both"),
    Metric("close_rate", "结案率", _("Closure rate"), "rate", "both"),
    Metric("rework_rate", "返工率", _("Rework rate"), "rate", "both"),
    Metric("extension_rate", "延期率", _("Extension rate"), "rate", "both"),
    Metric("revisits", "有效回访数", _("Valid revisits"), "count", "both"),
    Metric("response_rate", "响应率", _("Response rate"), "rate", "both"),
    Metric("resolve_rate", "解决率", _("Resolution rate"), "rate", "both"),
    Metric("satisfaction_rate", "满意率", _("Satisfaction rate"), "rate", "both"),
    Metric("score", "综合得分", _("Combined score"), "score", "both"),
    Metric("mean_response_hours", "平均响应时长(小时)", _("Mean response (hours)"), "hours", "both"),
    Metric("mean_handling_hours", "平均处置时长(小时)", _("Mean handling (hours)"), "hours", "both"),
)
UNIT_METRICS = tuple(m for m in METRICS if m.applies != "area")


@dataclass
class Row:
    """One line of the report: an area (or the total of the report's area) or a unit."""

    key: str
    name: str
    kind: str  # total | area | unit
    level: str
    counts: Counts
    values: dict[str, float | int | None]


@dataclass
class Report:
    area: Area
    period: Period
    as_of: dt.datetime
    config: Config
    areas: list[Row]  # the total of `area` first, then its child areas
    units: list[Row]
