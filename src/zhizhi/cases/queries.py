"""Reading cases, always through the actor's scope (cases.access.CASE_SCOPE)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Case as CaseWhen
from django.db.models import Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from zhizhi.cases.access import AREA, CASE_SCOPE, OWN, UNIT, is_user, unit_ids_of
from zhizhi.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseAttachment,
    CaseStatus,
    Category,
    HandlingUnit,
    Notification,
    Transition,
)
from zhizhi.core import clock
from zhizhi.core.errors import NotFound
from zhizhi.core.permissions import area_prefix

CASE_NUMBER = re.compile(r"^[A-Z]{1,4}\d{8}-\d{5}$")

# Columns a list needs (no description text, no encrypted phone).
LIST_FIELDS = (
    "id",
    "number",
    "channel",
    "status",
    "urgency",
    "title",
    "address",
    "area_code",
    "street_code",
    "category__name",
    "category__code",
    "current_unit__name",
    "current_level",
    "step",
    "deadline",
    "overdue",
    "supervised",
    "created_at",
    "updated_at",
    "lat",
    "lon",
    "reporter",
)


def code_prefix(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`. Area codes are digits, and for an ASCII prefix "starts with p" is the
    range [p, p with its last character + 1) — which a plain b-tree index serves whatever the database's
    collation (LIKE 'p%' needs a C collation or a pattern-ops index on PostgreSQL)."""
    if prefix and prefix.isascii() and prefix.isdigit():
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})
    return Q(**{f"{field}__startswith": prefix})


def cases_for(actor: Any) -> QuerySet[Case]:
    """Every case the actor may see (an empty queryset when none)."""
    if not is_user(actor):
        return Case.objects.none()
    scope = CASE_SCOPE.get(actor.role, OWN)
    # The followed cases as a list (one small query): a sub-select inside the OR would keep the database
    # from using the indexes of the other branches.
    followed = list(Case.followers.through.objects.filter(user_id=actor.pk).values_list("case_id", flat=True))
    visible = Q(reporter=actor) | Q(pk__in=followed) if followed else Q(reporter=actor)
    if scope in (AREA, UNIT):
        units = unit_ids_of(actor)
        if units:
            visible |= Q(current_unit_id__in=units)
    if scope == AREA:
        prefix = area_prefix(actor)
        if prefix == "":
            return Case.objects.all()
        if prefix is not None:
            visible |= code_prefix("area_code", prefix)
    return Case.objects.filter(visible)


def access_case(actor: Any, case_id: int | str) -> Case:
    """The case, if the actor may see it; a case outside the scope reads as absent (404)."""
    try:
        return cases_for(actor).select_related("category", "current_unit", "area").get(pk=int(case_id))
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"case {case_id} not found", field="id") from exc


def timeline(case: Case) -> list[Transition]:
    """The case's history, oldest first, with the units and attachments of each row."""
    return list(
        Transition.objects.filter(case=case)
        .select_related("unit_from", "unit_to")
        .prefetch_related(Prefetch("attachments", queryset=CaseAttachment.objects.defer("data")))
        .order_by("at", "id")
    )


def search_cases(
    actor: Any,
    *,
    q: str = "",
    status: str = "",
    category: str = "",
    unit: int | None = None,
    channel: str = "",
    overdue: bool | None = None,
    open_only: bool = False,
    area: str = "",
) -> QuerySet[Case]:
    """Filtered cases in the actor's scope, newest first. `q` matches the number, title, address or text."""
    qs = cases_for(actor)
    q = q.strip()
    if CASE_NUMBER.match(q.upper()):
        qs = qs.filter(number=q.upper())
    elif q:
        qs = qs.filter(Q(title__icontains=q) | Q(address__icontains=q) | Q(description__icontains=q))
    if status:
        qs = qs.filter(status__in=[s for s in status.split(",") if s])
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__name=category))
    if unit:
        qs = qs.filter(current_unit_id=unit)
    if channel:
        qs = qs.filter(channel=channel)
    if overdue is not None:
        qs = qs.filter(overdue=overdue)
    if area:
        qs = qs.filter(code_prefix("area_code", area))
    return qs.select_related("category", "current_unit").only(*LIST_FIELDS).order_by("-created_at", "-id")


WORKLIST_STATUSES = [
    CaseStatus.DISPATCHED,
    CaseStatus.ACCEPTED,
    CaseStatus.IN_HANDLING,
    CaseStatus.BACKLOGGED,
]


@dataclass
class Worklist:
    unit: HandlingUnit
    cases: QuerySet[Case]  # overdue first, then to sign for, then in handling, each by deadline
    to_sign: int
    in_handling: int
    overdue: int


def worklist(actor: Any, unit_id: int, *, now: dt.datetime | None = None) -> Worklist:
    """A unit's worklist: the cases it holds, overdue first, then those to sign for, then in handling."""
    unit = access_unit(actor, unit_id, for_worklist=True)
    now = now or clock.now()
    base = Case.objects.filter(current_unit=unit, status__in=WORKLIST_STATUSES)
    late = Q(deadline__lt=now) | Q(overdue=True)
    ordered = (
        base.annotate(
            bucket=CaseWhen(
                When(late, then=Value(0)),
                When(status=CaseStatus.DISPATCHED, then=Value(1)),
                When(status=CaseStatus.BACKLOGGED, then=Value(3)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .select_related("category", "current_unit")
        .only(*LIST_FIELDS)
        .order_by("bucket", "deadline", "id")
    )
    counts = base.aggregate(  # the three counts in one pass over the unit's open cases
        to_sign=Count("id", filter=Q(status=CaseStatus.DISPATCHED)),
        in_handling=Count("id", filter=Q(status__in=[CaseStatus.ACCEPTED, CaseStatus.IN_HANDLING])),
        overdue=Count("id", filter=late),
    )
    return Worklist(unit=unit, cases=ordered, **counts)


def units_for(actor: Any) -> QuerySet[HandlingUnit]:
    """Units the actor may list: those covering or inside its area, and its own."""
    if not is_user(actor):
        return HandlingUnit.objects.none()
    prefix = area_prefix(actor)
    own = Q(id__in=unit_ids_of(actor))
    if prefix == "":
        return HandlingUnit.objects.all()
    if prefix is None:
        return HandlingUnit.objects.filter(own)
    # Units inside the area, and units above it whose area contains it (the district, the city).
    ancestors = [prefix[:n] for n in (4, 6, 9, 12) if n <= len(prefix)]
    return HandlingUnit.objects.filter(own | Q(area_code__startswith=prefix) | Q(area_code__in=ancestors))


def access_unit(actor: Any, unit_id: int | str, *, for_worklist: bool = False) -> HandlingUnit:
    """A unit the actor may see; for a worklist only its own units, or any unit in an area role's area."""
    try:
        unit = units_for(actor).get(pk=int(unit_id))
    except (HandlingUnit.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"unit {unit_id} not found", field="unit") from exc
    if for_worklist and unit.pk not in unit_ids_of(actor):
        prefix = area_prefix(actor)
        if CASE_SCOPE.get(actor.role) != AREA or prefix is None or not unit.area_code.startswith(prefix):
            raise NotFound(f"unit {unit_id} not found", field="unit")
    return unit


def categories(active_only: bool = True) -> QuerySet[Category]:
    qs = Category.objects.all()
    return qs.filter(active=True) if active_only else qs


def notifications_for(actor: Any) -> QuerySet[Notification]:
    """The actor's inbox: notifications addressed to the account, newest first."""
    if not is_user(actor):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=actor).select_related("case").order_by("-created_at", "-id")


# ------------------------------------------------------------------------------------------- detail and
# previews


def allowed_actions_for(actor: Any, case: Case) -> list[str]:
    """The workflow actions this actor may take on this case now (the buttons a page shows)."""
    from zhizhi.cases import workflow
    from zhizhi.cases.access import kinds_for

    return [a.value for a in workflow.allowed_actions(case.status, kinds_for(actor, case))]


def case_detail(actor: Any, case_id: Any) -> dict:
    """Everything a case page shows, in the actor's scope; staff views of a case are audited."""
    from zhizhi.cases.access import may_reveal_contact
    from zhizhi.core import audit
    from zhizhi.core.models import AuditAction

    case = access_case(actor, case_id)
    own = case.reporter_id == getattr(actor, "pk", None)
    if not own:
        audit.record(actor, AuditAction.VIEW, obj=case, summary=case.number)
    return {
        "case": case,
        "timeline": timeline(case),
        "attachments": list(case.attachments.defer("data").order_by("uploaded_at", "id")),
        "allowed_actions": allowed_actions_for(actor, case),
        "enforcement": getattr(case, "enforcement", None) if case.category.enforcement else None,
        "verifications": list(case.verifications.all()),
        "revisits": list(case.revisits.all()),
        "extensions": list(case.extensions.all()),
        "merged_into": case.merged_into.number if case.merged_into is not None else "",
        "may_reveal_contact": may_reveal_contact(actor, case),
        "reporter_display": case.reporter_name if (own or not case.anonymous) else "匿名",
    }


def route_preview(
    actor: Any, category: str, *, lat: Any = None, lon: Any = None, crs: str = "wgs84", area_code: str = ""
) -> dict:
    """Who would get a case of `category` at this place: the unit, the rule that picks it, the time limits and
    the chain of units an overdue case would be escalated through."""
    from zhizhi.cases import deadlines, routing
    from zhizhi.cases.services.intake import CaseInput, check_location, find_category
    from zhizhi.core.errors import Forbidden
    from zhizhi.core.roles import Role

    if not is_user(actor) or actor.role in (Role.RESIDENT, Role.PROVIDER_STAFF):
        raise Forbidden("routing previews are for staff")
    cat = find_category(category)
    area, w_lat, w_lon = check_location(
        CaseInput(category=cat.code, description="-", lat=lat, lon=lon, crs=crs, area_code=area_code)
    )
    found = routing.route(cat, area.code)
    chain: list[HandlingUnit] = []
    unit = found.unit
    while unit is not None and len(chain) < 4:
        up = routing.route_up(cat, area.code, unit)
        if up.unit is None:
            break
        chain.append(up.unit)
        unit = up.unit
    limits = [
        {"step": step, "label": deadlines.Limit.of(*cat.limit(step)).label()}
        for step in ("register", "dispatch", "sign", "handle", "verify", "close")
    ]
    return {
        "category": cat,
        "area": area,
        "lat": w_lat,
        "lon": w_lon,
        "unit": found.unit,
        "rule_id": found.rule.pk if found.rule else None,
        "reason": found.reason,
        "escalation": chain,
        "limits": limits,
    }


def nearby(actor: Any, category: str, lat: Any, lon: Any, crs: str = "wgs84") -> list[Case]:
    """Open cases of the category near a point, for a resident about to report a known problem (follow it
    instead). Answers only public fields; see the API schema."""
    from zhizhi.areas import spatial
    from zhizhi.cases.services.intake import find_category, nearby_open_cases

    if not is_user(actor):
        return []
    cat = find_category(category)
    w_lat, w_lon = spatial.check_point(lat, lon, crs)
    return nearby_open_cases(cat, w_lat, w_lon)
