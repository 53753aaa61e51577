"""Computing the indicators (definitions in the package docstring): a handful of GROUP BY queries over the
Transition and Revisit rows of a period, then plain arithmetic on the grouped counts."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Substr

from zhizhi.areas.models import Area
from zhizhi.cases.indicators.definitions import (
    Config,
    Counts,
    Period,
    Report,
    Row,
    config_from_settings,
    values_of,
)
from zhizhi.cases.indicators.stamps import ASSIGN, epoch
from zhizhi.cases.models import (
    CaseAction,
    HandlingUnit,
    Revisit,
    Satisfaction,
    Transition,
    level_rank,
)
from zhizhi.cases.queries import code_prefix
from zhizhi.core import clock
from zhizhi.core.errors import Forbidden, NotFound
from zhizhi.core.permissions import area_prefix
from zhizhi.core.roles import AreaLevel, Role

A = CaseAction
STAFF_ONLY = {Role.RESIDENT, Role.PROVIDER_STAFF}

# ------------------------------------------------------------------------------------------- queries


def _rows(qs: QuerySet, period: Period, as_of: dt.datetime) -> QuerySet:
    """The period's rows, and the closures after it up to `as_of` (for the 结案率 cohort): one pass."""
    closures = Q(action=A.CLOSE, at__gte=period.start, at__lte=as_of)
    return qs.filter(Q(at__gte=period.start, at__lt=period.end) | closures)


def _per_action(period: Period, as_of: dt.datetime, unit: bool) -> dict[str, Any]:
    """A few aggregates per (group, action): what every metric is summed from (few, simple filters, so the
    database does little work per row)."""
    within = Q(at__lt=period.end)
    started = within & Q(step_started_at__isnull=False)
    start, end = epoch(period.start), epoch(period.end)
    closed = Q(action=A.CLOSE, at__lte=as_of)
    if unit:
        clean = Q(action=A.CLOSE, data__late_unit=False)
        cohort = Count(
            "case_id",
            distinct=True,
            filter=closed & Q(data__assigned_at__gte=start, data__assigned_at__lt=end),
        )
    else:
        clean = Q(action=A.CLOSE, data__late=False)
        cohort = Count(
            "id",
            filter=closed & Q(data__first=True, data__registered_at__gte=start, data__registered_at__lt=end),
        )
    return {
        "n": Count("id", filter=within),
        "timed": Count("id", filter=within & Q(on_time__isnull=False)),
        "on_time": Count("id", filter=within & Q(on_time=True)),
        "clean": Count("id", filter=within & clean),
        "started": Count("id", filter=started),
        "elapsed": Sum(F("at") - F("step_started_at"), filter=started),
        "cohort_closed": cohort,
    }


# (action, aggregate) → Counts field
FROM_ACTIONS = {
    (A.OPEN, "n"): "reports",
    (A.REGISTER, "n"): ("registered", "cohort"),
    (A.REJECT, "n"): "rejected",
    (A.DISPATCH, "n"): "dispatched",
    (A.DISPATCH, "timed"): "dispatched_timed",
    (A.DISPATCH, "on_time"): "dispatched_on_time",
    (A.ACCEPT, "n"): "signed",
    (A.ACCEPT, "timed"): "signed_timed",
    (A.ACCEPT, "on_time"): "signed_on_time",
    (A.ACCEPT, "started"): "response_n",
    (A.ACCEPT, "elapsed"): "response_s",
    (A.SUBMIT, "n"): "handled",
    (A.SUBMIT, "timed"): "handled_timed",
    (A.SUBMIT, "on_time"): "handled_on_time",
    (A.SUBMIT, "started"): "handling_n",
    (A.SUBMIT, "elapsed"): "handling_s",
    (A.CLOSE, "n"): "closed",
    (A.CLOSE, "clean"): "closed_on_time",
    (A.CLOSE, "cohort_closed"): "cohort_closed",
    (A.REWORK, "n"): "rework",
    (A.APPROVE_EXTENSION, "n"): "extended",
}
AREA_ONLY = {
    "reports",
    "registered",
    "cohort",
    "rejected",
    "dispatched",
    "dispatched_timed",
    "dispatched_on_time",
}


def _by_action(qs: QuerySet, key: Any, period: Period, as_of: dt.datetime, unit: bool) -> dict[str, dict]:
    """{group: {Counts field: value}} from one query grouped by (group, action)."""
    rows = qs.values(group_key=key, act=F("action")).annotate(**_per_action(period, as_of, unit)).order_by()
    out: dict[str, dict] = {}
    for row in rows:
        values = out.setdefault(str(row["group_key"]), {})
        for name in ("n", "timed", "on_time", "clean", "started", "elapsed", "cohort_closed"):
            fields_ = FROM_ACTIONS.get((row["act"], name), ())
            for field_ in (fields_,) if isinstance(fields_, str) else fields_:
                if unit and field_ in AREA_ONLY:
                    continue
                value = row[name]
                value = value.total_seconds() if isinstance(value, dt.timedelta) else value or 0
                values[field_] = values.get(field_, 0) + value
    return out


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
    cases located directly at `area` count in the total only. Two queries: transitions, revisits."""
    children = list(Area.objects.filter(parent=area).order_by("code").values_list("code", "name", "level"))
    length = len(children[0][0]) if children else len(area.code)
    key = Substr("case__area_code", 1, length)
    inside = code_prefix("case__area_code", area.code)
    transitions = _rows(Transition.objects.filter(inside), period, as_of)
    revisits = _in(period, Revisit.objects.filter(inside, valid=True))
    grouped: dict[str, Counts] = {}
    for source in (
        _by_action(transitions, key, period, as_of, unit=False),
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
    """One row per unit: what it did while holding cases (with its closures' cohort), what was assigned to
    it, and its ratings. Three queries."""
    ids = [u.pk for u in units]
    did = _by_action(
        _rows(Transition.objects.filter(unit_from_id__in=ids), period, as_of),
        F("unit_from_id"),
        period,
        as_of,
        unit=True,
    )
    received = _grouped(
        _in(period, Transition.objects.filter(unit_to_id__in=ids, action__in=ASSIGN)),
        F("unit_to_id"),
        {"dispatched": Count("id"), "cohort": Count("case_id", distinct=True)},
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
    with transaction.atomic(), _reporting_session():
        return Report(
            area=area,
            period=period,
            as_of=as_of,
            config=config,
            areas=area_rows(area, period, as_of=as_of, config=config),
            units=unit_rows(units, period, as_of=as_of, config=config),
        )


@contextlib.contextmanager
def _reporting_session():
    """PostgreSQL compiles a query with LLVM when its estimated cost is high, as these wide grouped queries'
    is: compiling takes longer than running them. Off for this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    yield


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
