"""Computing the indicators (definitions in the package docstring): a handful of GROUP BY queries over the
Transition and Revisit rows of a period, then plain arithmetic on the grouped counts."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
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
WORK_MEM = "64MB"  # per sort or hash of a report's queries (PostgreSQL)

# ------------------------------------------------------------------------------------------- queries
#
# Transitions are read in two passes, so that the large one reads indexes only (PostgreSQL):
#   * the steps — the rows of the period, aggregated per (group, action) from the columns the covering
#     indexes carry: transition_case_steps case by case for an area whose cases are a small part of the
#     table (a street in a district's database: its rows are spread through the table), or the period's
#     rows by `at` (they lie together, written in time order) for a large area; transition_unitfrom_steps
#     for units. No table page is read for a street's year;
#   * the closures — the CLOSE rows from the start of the period up to its end or `as_of`, whichever is
#     later, with the facts stamped on them (`data`: the table, but about one row in nine).
# The planner picks the path; the filters are written so that every one of them is open to it.


def _period(qs: QuerySet, period: Period) -> QuerySet:
    return qs.filter(at__gte=period.start, at__lt=period.end)


def _closures(qs: QuerySet, period: Period, as_of: dt.datetime) -> QuerySet:
    """The CLOSE rows a report reads: those of the period, and those after it up to `as_of` (the 结案率
    cohort's closures)."""
    qs = qs.filter(action=A.CLOSE, at__gte=period.start)
    return qs.filter(at__lte=as_of) if as_of >= period.end else qs.filter(at__lt=period.end)


# What is summed per (group, action) from the step rows: columns of the covering indexes only (COUNT(at),
# never COUNT(id), which is not in them).
STARTED = Q(step_started_at__isnull=False)
STEP_AGGREGATES = {
    "n": Count("at"),
    "timed": Count("at", filter=Q(on_time__isnull=False)),
    "on_time": Count("at", filter=Q(on_time=True)),
    "started": Count("at", filter=STARTED),
    "elapsed": Sum(F("at") - F("step_started_at"), filter=STARTED),
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


def _fields(target: str | Sequence[str]) -> tuple[str, ...]:
    return (target,) if isinstance(target, str) else tuple(target)


# The actions whose rows count for a unit (its index leads with (unit_from, action): one range per pair).
UNIT_ACTIONS = sorted(
    {str(action) for (action, _), target in FROM_ACTIONS.items() if set(_fields(target)) - AREA_ONLY}
)
# The actions that count for nothing (started, verified, warned, revisited …): left out of an area's steps
# inside the index scan (a NOT IN, which the index does not seek on: the case's rows are a few anyway).
UNCOUNTED = sorted(set(A.values) - {action for action, _ in FROM_ACTIONS})


def _by_action(qs: QuerySet, key: Any, unit: bool) -> dict[str, dict]:
    """{group: {Counts field: value}} from one query over the step rows grouped by (group, action)."""
    rows = qs.values(group_key=key, act=F("action")).annotate(**STEP_AGGREGATES).order_by()
    out: dict[str, dict] = {}
    for row in rows:
        values = out.setdefault(str(row["group_key"]), {})
        for name in STEP_AGGREGATES:
            for field_ in _fields(FROM_ACTIONS.get((row["act"], name), ())):
                if unit and field_ in AREA_ONLY:
                    continue
                value = row[name]
                value = value.total_seconds() if isinstance(value, dt.timedelta) else value or 0
                values[field_] = values.get(field_, 0) + value
    return out


def _closure_aggregates(period: Period, as_of: dt.datetime, unit: bool) -> dict[str, Any]:
    """按期结案 (closed_on_time: the period's closures with no late row) and the 结案率 cohort's closures
    (cohort_closed: by `as_of`), from the facts stamped on the CLOSE rows (indicators.stamps)."""
    within, by_as_of = Q(at__lt=period.end), Q(at__lte=as_of)
    start, end = epoch(period.start), epoch(period.end)
    if unit:
        return {
            "closed_on_time": Count("at", filter=within & Q(data__late_unit=False)),
            "cohort_closed": Count(
                "case_id",
                distinct=True,
                filter=by_as_of & Q(data__assigned_at__gte=start, data__assigned_at__lt=end),
            ),
        }
    return {
        "closed_on_time": Count("at", filter=within & Q(data__late=False)),
        "cohort_closed": Count(
            "at",
            filter=by_as_of
            & Q(data__first=True, data__registered_at__gte=start, data__registered_at__lt=end),
        ),
    }


REVISIT_AGGREGATES = {  # COUNT(at), not COUNT(id): the columns of revisit_case_at
    "revisits": Count("at"),
    "responded": Count("at", filter=Q(responded=True)),
    "responded_asked": Count("at", filter=Q(responded__isnull=False)),
    "resolved": Count("at", filter=Q(resolved=True)),
    "resolved_asked": Count("at", filter=Q(resolved__isnull=False)),
    "satisfied": Count("at", filter=Q(rating=Satisfaction.SATISFIED)),
    "basically": Count("at", filter=Q(rating=Satisfaction.BASICALLY)),
    "unsatisfied": Count("at", filter=Q(rating=Satisfaction.UNSATISFIED)),
}


def _grouped(qs: QuerySet, key: Any, aggregates: dict[str, Any]) -> dict[str, dict]:
    """{group key: {aggregate: value}} from one GROUP BY query (annotations are prefixed so that none
    shadows a field of the model, e.g. Revisit.responded)."""
    rows = qs.values(group_key=key).annotate(**{f"n_{k}": v for k, v in aggregates.items()}).order_by()
    return {str(row.pop("group_key")): {k[2:]: v for k, v in row.items()} for row in rows}


def area_rows(area: Area, period: Period, *, as_of: dt.datetime, config: Config) -> list[Row]:
    """The total of `area`, then one row per child area (communities of a street, streets of a district …);
    cases located directly at `area` count in the total only. Three queries: steps, closures, revisits."""
    children = list(Area.objects.filter(parent=area).order_by("code").values_list("code", "name", "level"))
    length = len(children[0][0]) if children else len(area.code)
    key = Substr("case__area_code", 1, length)
    inside = code_prefix("case__area_code", area.code)
    transitions = Transition.objects.filter(inside)
    revisits = _period(Revisit.objects.filter(inside, valid=True), period)
    grouped: dict[str, Counts] = {}
    for source in (
        _by_action(_period(transitions.exclude(action__in=UNCOUNTED), period), key, unit=False),
        _grouped(_closures(transitions, period, as_of), key, _closure_aggregates(period, as_of, unit=False)),
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
    it, and its ratings. Four queries."""
    ids = [u.pk for u in units]
    did = Transition.objects.filter(unit_from_id__in=ids)
    key = F("unit_from_id")
    sources = (
        _by_action(_period(did.filter(action__in=UNIT_ACTIONS), period), key, unit=True),
        _grouped(_closures(did, period, as_of), key, _closure_aggregates(period, as_of, unit=True)),
        _grouped(
            _period(Transition.objects.filter(unit_to_id__in=ids, action__in=ASSIGN), period),
            F("unit_to_id"),
            {"dispatched": Count("at"), "cohort": Count("case_id", distinct=True)},
        ),
        _grouped(
            _period(Revisit.objects.filter(valid=True, unit_id__in=ids), period),
            F("unit_id"),
            REVISIT_AGGREGATES,
        ),
    )
    rows = []
    for unit in units:
        counts = Counts()
        for source in sources:
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
    # one transaction, for the settings (no savepoint inside a request's: SET LOCAL lasts to the end of the
    # transaction whatever its savepoints, and the report writes nothing)
    with transaction.atomic(savepoint=False), _reporting_session():
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
    is: compiling takes longer than running them. And a district's report joins its transitions to every
    case of the district (a hash of a million case ids): with the default work_mem (4 MB) the hash spills
    to disk in batches. Both for this transaction only, in one statement."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)", [WORK_MEM]
            )
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
