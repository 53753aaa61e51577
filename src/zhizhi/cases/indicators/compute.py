"""Computing the indicators (definitions in the package docstring): a handful of GROUP BY queries over the
Transition and Revisit rows of a period, then plain arithmetic on the grouped counts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from zhizhi.areas.models import Area
from zhizhi.cases.models import (
    CaseAction,
    CaseStatus,
    HandlingUnit,
    Revisit,
    Satisfaction,
    Transition,
    level_rank,
)
from zhizhi.core import clock
from zhizhi.core.errors import Forbidden, InvalidInput, NotFound
from zhizhi.core.permissions import area_prefix
from zhizhi.core.roles import AreaLevel, Role

A = CaseAction
ASSIGN = [A.DISPATCH, A.ESCALATE, A.SEND_DOWN, A.REOPEN]
HELD = [CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.IN_HANDLING]
STAFF_ONLY = {Role.RESIDENT, Role.PROVIDER_STAFF}

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
    v["score"] = 100 * sum(parts[k] * wt for k, wt in present.items()) / total if total else None  # type: ignore[operator]
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


# ------------------------------------------------------------------------------------------- queries


def _late(unit: bool) -> Exists:
    """A late row of the same case up to this one (a unit: only its own, while it held the case)."""
    rows = Transition.objects.filter(case_id=OuterRef("case_id"), at__lte=OuterRef("at")).filter(
        Q(on_time=False) | Q(action=A.WARN, data__overdue=True)
    )
    if unit:
        rows = rows.filter(unit_from_id=OuterRef("unit_from_id"), from_status__in=HELD)
    return Exists(rows)


def _closed_by(as_of: dt.datetime, unit: bool) -> Exists:
    rows = Transition.objects.filter(
        case_id=OuterRef("case_id"), action=A.CLOSE, at__gte=OuterRef("at"), at__lte=as_of
    )
    if unit:
        rows = rows.filter(unit_from_id=OuterRef("unit_to_id"))
    return Exists(rows)


def _handling_aggregates(unit: bool) -> dict[str, Any]:
    """Aggregates of the rows a unit (or an area) did while handling."""
    sign, submit = Q(action=A.ACCEPT), Q(action=A.SUBMIT)
    timed = Q(step_started_at__isnull=False)
    elapsed = F("at") - F("step_started_at")
    return {
        "signed": Count("id", filter=sign),
        "signed_timed": Count("id", filter=sign & Q(on_time__isnull=False)),
        "signed_on_time": Count("id", filter=sign & Q(on_time=True)),
        "handled": Count("id", filter=submit),
        "handled_timed": Count("id", filter=submit & Q(on_time__isnull=False)),
        "handled_on_time": Count("id", filter=submit & Q(on_time=True)),
        "closed": Count("id", filter=Q(action=A.CLOSE)),
        "closed_on_time": Count("id", filter=Q(action=A.CLOSE) & ~_late(unit)),
        "rework": Count("id", filter=Q(action=A.REWORK)),
        "extended": Count("id", filter=Q(action=A.APPROVE_EXTENSION)),
        "response_n": Count("id", filter=sign & timed),
        "response_s": Sum(elapsed, filter=sign & timed),
        "handling_n": Count("id", filter=submit & timed),
        "handling_s": Sum(elapsed, filter=submit & timed),
    }


def _area_aggregates(as_of: dt.datetime) -> dict[str, Any]:
    dispatch = Q(action=A.DISPATCH)
    register = Q(action=A.REGISTER)
    return {
        "reports": Count("id", filter=Q(action=A.OPEN)),
        "registered": Count("id", filter=register),
        "rejected": Count("id", filter=Q(action=A.REJECT)),
        "dispatched": Count("id", filter=dispatch),
        "dispatched_timed": Count("id", filter=dispatch & Q(on_time__isnull=False)),
        "dispatched_on_time": Count("id", filter=dispatch & Q(on_time=True)),
        "cohort": Count("id", filter=register),
        "cohort_closed": Count("id", filter=register & _closed_by(as_of, unit=False)),
        **_handling_aggregates(unit=False),
    }


REVISIT_AGGREGATES = {
    "revisits": Count("id"),
    "responded": Count("id", filter=Q(responded=True)),
    "responded_asked": Count("id", filter=Q(responded__isnull=False)),
    "resolved": Count("id", filter=Q(resolved=True)),
    "resolved_asked": Count("id", filter=Q(resolved__isnull=False)),
    "satisfied": Count("id", filter=Q(rating=Satisfaction.SATISFIED)),
    "basically": Count("id", filter=Q(rating=Satisfaction.BASICALLY)),
    "unsatisfied": Count("id", filter=Q(rating=Satisfaction.UNSATISFIED)),
}


def _grouped(qs: QuerySet, key: Any, aggregates: dict[str, Any]) -> dict[str, dict]:
    """{group key: {aggregate: value}} from one GROUP BY query (annotations are prefixed so that none
    shadows a field of the model, e.g. Revisit.responded)."""
    rows = qs.values(group_key=key).annotate(**{f"n_{k}": v for k, v in aggregates.items()}).order_by()
    return {str(row.pop("group_key")): {k[2:]: v for k, v in row.items()} for row in rows}


def _in(period: Period, qs: QuerySet) -> QuerySet:
    return qs.filter(at__gte=period.start, at__lt=period.end)


def area_rows(area: Area, period: Period, *, as_of: dt.datetime, config: Config) -> list[Row]:
    """The total of `area`, then one row per child area (communities of a street, streets of a district …);
    cases located directly at `area` count in the total only."""
    children = list(Area.objects.filter(parent=area).order_by("code").values_list("code", "name", "level"))
    length = len(children[0][0]) if children else len(area.code)
    key = Substr("case__area_code", 1, length)
    transitions = _in(period, Transition.objects.filter(case__area_code__startswith=area.code))
    revisits = _in(period, Revisit.objects.filter(valid=True, case__area_code__startswith=area.code))
    grouped: dict[str, Counts] = {}
    for source in (
        _grouped(transitions, key, _area_aggregates(as_of)),
        _grouped(revisits, key, REVISIT_AGGREGATES),
    ):
        for code, values in source.items():
            grouped.setdefault(code, Counts()).add(values)
    total = Counts()
    for counts in grouped.values():
        total = total + counts
    rows = [Row(area.code, area.name, "total", area.level, total, values_of(total, config))]
    for code, name, level in children:
        counts = grouped.get(code, Counts())
        rows.append(Row(code, name, "area", level, counts, values_of(counts, config)))
    return rows


def unit_rows(units: list[HandlingUnit], period: Period, *, as_of: dt.datetime, config: Config) -> list[Row]:
    """One row per unit: what it did while holding cases, and what was assigned to it."""
    ids = [u.pk for u in units]
    base = _in(period, Transition.objects.all())
    did = _grouped(base.filter(unit_from_id__in=ids), F("unit_from_id"), _handling_aggregates(unit=True))
    received = _grouped(
        base.filter(unit_to_id__in=ids, action__in=ASSIGN),
        F("unit_to_id"),
        {
            "dispatched": Count("id"),
            "cohort": Count("case_id", distinct=True),
            "cohort_closed": Count("case_id", distinct=True, filter=_closed_by(as_of, unit=True)),
        },
    )
    rated = _grouped(
        _in(period, Revisit.objects.filter(valid=True, unit_id__in=ids)), F("unit_id"), REVISIT_AGGREGATES
    )
    rows = []
    for unit in units:
        counts = Counts()
        for source in (did, received, rated):
            counts.add(source.get(str(unit.pk), {}))
        rows.append(Row(str(unit.pk), unit.name, "unit", unit.level, counts, values_of(counts, config)))
    return rows


def units_inside(area: Area, within: QuerySet[HandlingUnit] | None = None) -> list[HandlingUnit]:
    """The units working inside the area, the highest level first."""
    qs = (within if within is not None else HandlingUnit.objects.all()).filter(
        area_code__startswith=area.code
    )
    return sorted(qs, key=lambda u: (-level_rank(u.level), u.area_code, u.name))


def compute(
    area: Area,
    period: Period,
    *,
    as_of: dt.datetime | None = None,
    units: list[HandlingUnit] | None = None,
    config: Config | None = None,
) -> Report:
    """The indicators of an area and its units for a period (units: those inside the area by default)."""
    as_of = as_of or clock.now()
    config = config or config_from_settings()
    units = units_inside(area) if units is None else units
    return Report(
        area=area,
        period=period,
        as_of=as_of,
        config=config,
        areas=area_rows(area, period, as_of=as_of, config=config),
        units=unit_rows(units, period, as_of=as_of, config=config),
    )


# ------------------------------------------------------------------------------------------- access


def access_area(actor: Any, area_code: str = "") -> Area:
    """The area whose indicators the actor asks for: staff only, inside their own area."""
    from zhizhi.cases.access import is_user

    if not is_user(actor) or actor.role in STAFF_ONLY:
        raise Forbidden("indicators are for staff")
    prefix = area_prefix(actor)
    code = (area_code or "").strip() or (actor.area_code if getattr(actor, "area_code", "") else "")
    if not code:  # an administrator of everything: the first street
        first = Area.objects.filter(level=AreaLevel.STREET).order_by("code").first()
        if first is None:
            raise NotFound("no street is set up yet", field="area")
        return first
    area = Area.objects.filter(code=code).first()
    if area is None or prefix is None or not area.code.startswith(prefix):
        raise NotFound(f"area {code} not found", field="area")
    return area


def report_for(
    actor: Any, area_code: str = "", period: str = "", *, as_of: dt.datetime | None = None
) -> Report:
    """The report the indicators page shows: the actor's area (or one inside it) and the units they see."""
    from zhizhi.cases.queries import units_for

    area = access_area(actor, area_code)
    units = units_inside(area, units_for(actor))
    return compute(area, Period.parse(period), as_of=as_of, units=units)
