"""Reads for the staff and resident pages that the API does not need: the dispatcher board, the enforcement
list, a page of search results, the choices of the action forms, the report map and the routing rules in
force — and the routing rules that dispatchers and administrators keep from the routing page. Everything
goes through the actor's scope (cases.queries.cases_for / units_for); each function is a fixed number of
queries whatever the number of cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Count, Q, QuerySet

from zhizhi.areas.models import Area
from zhizhi.cases.access import is_user
from zhizhi.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    Category,
    ExtensionStatus,
    HandlingUnit,
    RoutingRule,
    level_rank,
)
from zhizhi.cases.queries import LIST_FIELDS, cases_for, search_cases, units_for
from zhizhi.core import clock
from zhizhi.core.errors import Forbidden, InvalidInput
from zhizhi.core.params import LAST_PAGE
from zhizhi.core.permissions import area_prefix
from zhizhi.core.roles import AreaLevel, Role

PAGE_SIZE = 30
BOARD_COLUMN = 30
RESIDENT_ROLES = {Role.RESIDENT, Role.PROVIDER_STAFF}


def is_staff(actor: Any) -> bool:
    """Whether the actor works the cases as staff (worklists, inbox); residents and providers' staff do not."""
    return is_user(actor) and actor.role not in RESIDENT_ROLES


def require_staff(actor: Any) -> None:
    if not is_staff(actor):
        raise Forbidden("this page is for staff")


@dataclass
class Page:
    items: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_number(page: Any) -> int:
    try:
        return min(max(1, int(page or 1)), LAST_PAGE)  # past the last page: an empty one, not an overflow
    except (TypeError, ValueError) as exc:
        raise InvalidInput("page must be a number", field="page") from exc


def page_of(qs: QuerySet, page: Any, size: int = PAGE_SIZE) -> Page:
    """One page in the queryset's order (size + 1 rows fetched to know whether there is a next page; no
    COUNT over a large scope)."""
    number = page_number(page)
    start = (number - 1) * size
    rows = list(qs[start : start + size + 1])
    return Page(rows[:size], number, len(rows) > size)


def search_page(actor: Any, filters: dict, page: Any) -> Page:
    require_staff(actor)
    size = PAGE_SIZE
    window = page_number(page) * size + 1  # the rows up to the end of this page, and one more
    return page_of(search_cases(actor, window=window, **filters), page, size)


def my_cases(actor: Any, page: Any) -> Page:
    """A resident's cases: reported or followed, newest first."""
    return page_of(search_cases(actor), page)


# ------------------------------------------------------------------------------------------- worklist

BUCKETS = {
    "to_sign": Q(status=CaseStatus.DISPATCHED),
    "in_handling": Q(status__in=[CaseStatus.ACCEPTED, CaseStatus.IN_HANDLING]),
    "backlogged": Q(status=CaseStatus.BACKLOGGED),
}


def my_units(actor: Any) -> tuple[list[HandlingUnit], set[int]]:
    """(the units whose worklist the actor may open — their own first, then those in their area for area
    roles —, the ids of their own units)."""
    from zhizhi.cases.access import AREA, CASE_SCOPE, unit_ids_of

    require_staff(actor)
    mine = unit_ids_of(actor)
    prefix = area_prefix(actor)
    area_role = CASE_SCOPE.get(actor.role) == AREA and prefix is not None
    units = [
        u
        for u in unit_choices(actor)
        if u.pk in mine or (area_role and prefix is not None and u.area_code.startswith(prefix))
    ]
    units.sort(key=lambda u: (u.pk not in mine, level_rank(u.level), u.area_code, u.name))
    return units, {u.pk for u in units if u.pk in mine}


def worklist_page(
    actor: Any, unit_id: Any, *, bucket: str = "", category: str = "", q: str = "", page: Any = 1
):
    """A unit's worklist (overdue first, then to sign for, then in handling), filtered, one page of it."""
    from zhizhi.cases.queries import CASE_NUMBER, category_filter, late, worklist

    require_staff(actor)
    now = clock.now()
    w = worklist(actor, unit_id, now=now)
    qs = w.cases
    if bucket == "overdue":
        qs = qs.filter(late(now))
    elif bucket in BUCKETS:
        qs = qs.filter(BUCKETS[bucket])
    elif bucket:
        raise InvalidInput("bucket is overdue, to_sign, in_handling or backlogged", field="bucket")
    if category:
        qs = qs.filter(category_filter(category))
    q = q.strip()
    if CASE_NUMBER.match(q.upper()):
        qs = qs.filter(number=q.upper())
    elif q:
        qs = qs.filter(Q(title__icontains=q) | Q(address__icontains=q))
    # The page's ids in worklist order from the index alone (case_worklist covers the order and the
    # filters but the words), then the list's columns for those rows only: one query.
    number = page_number(page)
    start = (number - 1) * PAGE_SIZE
    ids = qs.values_list("id", flat=True)[start : start + PAGE_SIZE + 1]
    rows = list(w.cases.filter(pk__in=ids))
    return w, Page(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)


# ------------------------------------------------------------------------------------------- dispatcher board


@dataclass
class Column:
    key: str
    label: str
    count: int
    cases: list[Case]


BOARD = (
    ("received", CaseStatus.RECEIVED),
    ("registered", CaseStatus.REGISTERED),
    ("handled", CaseStatus.HANDLED),
    ("verified", CaseStatus.VERIFIED),
)


def dispatcher_board(actor: Any, *, now: dt.datetime | None = None) -> dict:
    """What the street command centre works through: reports to register, cases to dispatch, to verify, to
    close, and every overdue open case, each column by deadline; the columns' counts in one query (over those
    open statuses only: never a count of every closed case on each load)."""
    require_staff(actor)
    now = now or clock.now()
    scope = cases_for(actor)
    counted = scope.filter(status__in=[status for _, status in BOARD])
    counts = dict(counted.values_list("status").annotate(n=Count("id")).order_by())
    rows = scope.select_related("category", "current_unit").only(*LIST_FIELDS)
    columns = [
        Column(
            key,
            str(status.label),
            counts.get(status.value, 0),
            list(rows.filter(status=status).order_by("deadline", "id")[:BOARD_COLUMN]),
        )
        for key, status in BOARD
    ]
    late = rows.filter(status__in=OPEN_STATUSES).filter(Q(deadline__lt=now) | Q(overdue=True))
    overdue = list(late.order_by("deadline", "id")[: BOARD_COLUMN + 1])
    columns.insert(0, Column("overdue", "", len(overdue), overdue[:BOARD_COLUMN]))
    return {"columns": columns, "counts": counts, "now": now}


# ------------------------------------------------------------------------------------------- verification

# Who verifies on site (access.actor_kinds: a verifier in their own area): the grid worker first, community staff.
VERIFIER_ROLES = {Role.GRID_WORKER, Role.COMMUNITY_STAFF}


def to_verify_page(actor: Any, page: Any) -> Page:
    """The verification tasks of a grid worker or community staff: cases of their area that a unit has handled
    and that wait for someone to check on site (核查), the earliest verification deadline first."""
    require_staff(actor)
    if actor.role not in VERIFIER_ROLES:
        raise Forbidden("verification tasks are for grid workers and community staff")
    qs = cases_for(actor).filter(status=CaseStatus.HANDLED).select_related("category", "current_unit")
    return page_of(qs.only(*LIST_FIELDS).order_by("deadline", "id"), page)


def to_verify_count(actor: Any) -> int | None:
    """How many verification tasks wait for the actor (to_verify_page's cases); None for a role that has none."""
    if not is_user(actor) or actor.role not in VERIFIER_ROLES:
        return None
    return cases_for(actor).filter(status=CaseStatus.HANDLED).order_by().count()


# ------------------------------------------------------------------------------------------- enforcement


def enforcement_cases(actor: Any, filters: dict, page: Any) -> Page:
    """Cases of enforcement categories (综合执法) in scope, with their enforcement record."""
    require_staff(actor)
    qs = search_cases(actor, **filters).filter(category__enforcement=True)
    qs = qs.select_related("enforcement").only(
        *LIST_FIELDS,
        "enforcement__subject",
        "enforcement__facts",
        "enforcement__legal_basis",
        "enforcement__outcome",
        "enforcement__penalty_amount",
    )
    return page_of(qs, page)


# ------------------------------------------------------------------------------------------- forms


def unit_choices(actor: Any) -> list[HandlingUnit]:
    """Units the actor may pick on dispatch, escalation and send-down forms, the lowest level first."""
    units = units_for(actor).filter(active=True).only("id", "name", "level", "area_code")
    return sorted(units, key=lambda u: (level_rank(u.level), u.area_code, u.name))


def category_choices() -> list[tuple[str, list[Category]]]:
    """Active categories grouped by major class, for the category picker."""
    groups: dict[str, list[Category]] = {}
    for category in Category.objects.filter(active=True).only("id", "code", "name", "major_name", "kind"):
        groups.setdefault(category.major_name, []).append(category)
    return list(groups.items())


QUICK = (
    "暴露垃圾",
    "垃圾站（箱）满溢",
    "机动车乱停放",
    "占道经营",
    "噪音扰民",
    "邻里纠纷",
    "物业服务",
    "无障碍设施损坏",
)


def quick_categories(groups: list[tuple[str, list[Category]]]) -> list[Category]:
    """The everyday matters shown as one-tap chips above the picker."""
    by_name = {c.name: c for _, cats in groups for c in cats}
    return [by_name[name] for name in QUICK if name in by_name]


def action_context(actor: Any, case: Case, allowed: list[str]) -> dict:
    """What the action forms of a case page need beyond the case: unit choices, duplicates to merge into,
    whether an extension is waiting."""
    from zhizhi.cases.services import duplicate_candidates

    needs_units = {"dispatch", "escalate", "send_down"} & set(allowed)
    return {
        "unit_choices": unit_choices(actor) if needs_units else [],
        "merge_candidates": duplicate_candidates(case) if "merge" in allowed else [],
        "pending_extension": case.extensions.filter(status=ExtensionStatus.PENDING).first()
        if {"approve_extension", "refuse_extension"} & set(allowed)
        else None,
    }


# ------------------------------------------------------------------------------------------- maps and areas


def street_of(actor: Any) -> Area | None:
    code = (getattr(actor, "area_code", "") or "")[:9]
    if len(code) < 9:
        return Area.objects.filter(level=AreaLevel.STREET).order_by("code").first()
    return Area.objects.filter(code=code).first()


def report_map(actor: Any) -> dict:
    """The grids of the actor's street as GeoJSON (public geography), for placing the pin of a report."""
    street = street_of(actor)
    if street is None:
        return {"type": "FeatureCollection", "features": []}
    grids = Area.objects.filter(level=AreaLevel.GRID, code__startswith=street.code).exclude(
        boundary__isnull=True
    )
    features = [
        {"type": "Feature", "geometry": g.boundary, "properties": {"code": g.code, "name": g.name}}
        for g in grids.only("code", "name", "boundary")
    ]
    return {"type": "FeatureCollection", "features": features}


def area_choices(actor: Any) -> list[Area]:
    """Areas down to communities inside the actor's area, for the indicators and routing pages."""
    prefix = area_prefix(actor)
    if prefix is None:
        return []
    qs = Area.objects.filter(level__in=[AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY])
    if prefix:
        qs = qs.filter(Q(code__startswith=prefix) | Q(code=prefix))
    return list(qs.only("code", "name", "level").order_by("code")[:500])


def grid_choices(actor: Any) -> list[Area]:
    prefix = area_prefix(actor)
    if prefix is None:
        return []
    street = street_of(actor)
    qs = Area.objects.filter(level=AreaLevel.GRID)
    qs = qs.filter(code__startswith=prefix) if prefix else qs
    if street is not None and not prefix:
        qs = qs.filter(code__startswith=street.code)
    return list(qs.only("code", "name").order_by("code")[:500])


def rules_in_force(actor: Any) -> list[RoutingRule]:
    """Routing rules that apply inside the actor's area (or everywhere)."""
    require_staff(actor)
    prefix = area_prefix(actor) or ""
    ancestors = [prefix[:n] for n in (0, 4, 6, 9, 12, 14) if n <= len(prefix)]
    qs = RoutingRule.objects.filter(active=True).select_related("category", "unit")
    qs = qs.filter(Q(area_prefix__startswith=prefix) | Q(area_prefix__in=ancestors)) if prefix else qs
    return list(qs.order_by("-priority", "area_prefix", "id")[:200])


# ------------------------------------------------------------------------------------------- routing rules

RULE_EDITORS = frozenset({Role.STREET_DISPATCHER, Role.ADMIN})
RULE_PRIORITY = (-1000, 1000)


def may_edit_rules(actor: Any) -> bool:
    """Dispatchers and administrators keep the routing rules of their area."""
    return is_user(actor) and actor.role in RULE_EDITORS and area_prefix(actor) is not None


def may_edit_rule(actor: Any, rule: RoutingRule) -> bool:
    """A rule inside the actor's area (a street dispatcher does not change the district's rules)."""
    prefix = area_prefix(actor)
    return may_edit_rules(actor) and prefix is not None and rule.area_prefix.startswith(prefix)


def add_routing_rule(
    actor: Any,
    *,
    category: str = "",
    area_prefix: str = "",
    unit: Any = "",
    priority: Any = "",
    note: str = "",
) -> RoutingRule:
    """A new routing rule: cases of `category` (code or name; empty: every category) located under
    `area_prefix` (an area inside the actor's) go to `unit` (one the actor may dispatch to). Refusals name
    the field; the change is audited."""
    from django.db import transaction

    from zhizhi.cases.services.setup import add_rule
    from zhizhi.core import audit
    from zhizhi.core.models import AuditAction
    from zhizhi.core.permissions import area_prefix as prefix_of  # the argument has the field's name

    if not may_edit_rules(actor):
        raise Forbidden("routing rules are kept by dispatchers and administrators")
    own = prefix_of(actor) or ""
    cat = None
    if category.strip():
        cat = Category.objects.filter(
            Q(code=category.strip()) | Q(name=category.strip()), active=True
        ).first()
        if cat is None:
            raise InvalidInput(f"unknown category {category.strip()!r}", field="category")
    prefix = area_prefix.strip()
    if prefix and not (prefix.isdigit() and Area.objects.filter(code=prefix).exists()):
        raise InvalidInput(f"no area has the code {prefix!r}", field="area_prefix")
    if not prefix.startswith(own):
        raise InvalidInput(f"the area must be inside your area {own}", field="area_prefix")
    try:
        unit_id = int(unit)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("choose the unit that gets the cases", field="unit") from exc
    target = units_for(actor).filter(pk=unit_id, active=True).first()
    if target is None:
        raise InvalidInput(f"unit {unit_id} is not one you may route cases to", field="unit")
    try:
        rank = int(priority or 0)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("priority must be a whole number", field="priority") from exc
    if not RULE_PRIORITY[0] <= rank <= RULE_PRIORITY[1]:
        raise InvalidInput(
            f"priority must be between {RULE_PRIORITY[0]} and {RULE_PRIORITY[1]}", field="priority"
        )
    note = note.strip()
    if len(note) > cast(int, RoutingRule._meta.get_field("note").max_length):  # a CharField: has one
        raise InvalidInput("the note is too long", field="note")
    with transaction.atomic():
        rule = add_rule(cat, prefix, target, priority=rank, note=note)
        audit.record(actor, AuditAction.CREATE, obj=rule, summary=str(rule))
    return rule


def disable_routing_rule(actor: Any, rule_id: Any) -> RoutingRule:
    """Set a rule of the actor's area inactive (kept for the record); audited."""
    from zhizhi.core import audit
    from zhizhi.core.errors import NotFound
    from zhizhi.core.models import AuditAction

    if not may_edit_rules(actor):
        raise Forbidden("routing rules are kept by dispatchers and administrators")
    rule = RoutingRule.objects.select_related("category", "unit").filter(pk=rule_id, active=True).first()
    if rule is None or not may_edit_rule(actor, rule):
        raise NotFound(f"routing rule {rule_id} not found", field="id")
    rule.active = False
    rule.save(update_fields=["active"])
    audit.record(actor, AuditAction.UPDATE, obj=rule, summary=f"disabled: {rule}")
    return rule
