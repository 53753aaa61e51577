"""Reading cases, always through the actor's scope (cases.access.CASE_SCOPE)."""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db import connection
from django.db.models import Case as CaseWhen
from django.db.models import Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Left
from django.db.models.lookups import Exact

from zhizhi.cases import sources
from zhizhi.cases.access import AREA, CASE_SCOPE, OWN, UNIT, is_user, unit_ids_of
from zhizhi.cases.models import (
    OPEN_STATUSES,
    WORKLIST_STATUSES,
    Case,
    CaseAttachment,
    CaseStatus,
    Category,
    HandlingUnit,
    Notification,
    NotificationStatus,
    Step,
    Transition,
)
from zhizhi.core import clock
from zhizhi.core.errors import Forbidden, InvalidInput, NotFound
from zhizhi.core.permissions import area_prefix
from zhizhi.core.roles import Role

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


def area_condition(prefix: str) -> Q:
    """Cases located under the area code `prefix`, in the form an index serves in date order: a street's (9
    digits) or a community's (12) code is an equality on the expression indexes case_street_created and
    case_community_created, a grid's (14, the longest code) an equality on the code; other prefixes (city,
    district: most of the cases anyway) a range."""
    if prefix.isascii() and prefix.isdigit():
        if len(prefix) in (9, 12):
            return Q(Exact(Left("area_code", len(prefix)), prefix))
        if len(prefix) == Case._meta.get_field("area_code").max_length:
            return Q(area_code=prefix)
    return code_prefix("area_code", prefix)


def scope_parts(actor: Any, *, followed_subquery: bool = False) -> list[Q] | None:
    """The parts of the actor's scope, each served by its own index: a case is visible when it matches one.
    None means every case; an empty list, none. The followed cases are a list (one small query) unless
    `followed_subquery` (a part of its own, not inside an OR, may be a sub-select)."""
    if not is_user(actor):
        return []
    scope = CASE_SCOPE.get(actor.role, OWN)
    parts = [Q(reporter=actor)]
    follows = Case.followers.through.objects.filter(user_id=actor.pk).values("case_id")
    if followed_subquery:
        parts.append(Q(pk__in=follows))
    else:
        # A sub-select inside the OR would keep the database from using the indexes of the other branches.
        followed = [row["case_id"] for row in follows]
        if followed:
            parts.append(Q(pk__in=followed))
    if scope in (AREA, UNIT):
        units = sorted(unit_ids_of(actor))
        if 0 < len(units) <= 4:
            parts += [Q(current_unit_id=u) for u in units]  # one ordered index walk per unit
        elif units:
            parts.append(Q(current_unit_id__in=units))
    if scope == AREA:
        prefix = area_prefix(actor)
        if prefix == "":
            return None
        if prefix is not None:
            parts.append(area_condition(prefix))
    return parts


def cases_for(actor: Any) -> QuerySet[Case]:
    """Every case the actor may see (an empty queryset when none)."""
    parts = scope_parts(actor)
    if parts is None:
        return Case.objects.all()
    if not parts:
        return Case.objects.none()
    return Case.objects.filter(reduce(operator.or_, parts))


def access_case(actor: Any, case_id: int | str) -> Case:
    """The case, if the actor may see it; a case outside the scope reads as absent (404).

    Beyond the scope (what the lists show), a unit's staff may open a case their unit once held: one sent
    up, down or back from them, which their inbox still names and their indicators still count. They read it
    only — the workflow gives actions to the unit holding the case (`access.kinds_for`)."""
    try:
        pk = int(case_id)
    except (ValueError, TypeError) as exc:
        raise NotFound(f"case {case_id} not found", field="id") from exc
    related = ("category", "current_unit", "area")
    try:
        return cases_for(actor).select_related(*related).get(pk=pk)
    except Case.DoesNotExist:
        if held_by_units_of(actor, pk):
            return Case.objects.select_related(*related).get(pk=pk)
        raise NotFound(f"case {case_id} not found", field="id") from None


def held_by_units_of(actor: Any, case_id: int) -> bool:
    """Whether one of the actor's units held the case at some step (was given it by a transition)."""
    if CASE_SCOPE.get(getattr(actor, "role", "") or "") not in (AREA, UNIT):
        return False
    units = unit_ids_of(actor)
    return bool(units) and Transition.objects.filter(case_id=case_id, unit_to_id__in=units).exists()


def timeline(case: Case) -> list[Transition]:
    """The case's history, oldest first, with the units and attachments of each row."""
    return list(
        Transition.objects.filter(case=case)
        .select_related("unit_from", "unit_to")
        .prefetch_related(Prefetch("attachments", queryset=CaseAttachment.objects.defer("data")))
        .order_by("at", "id")
    )


def category_filter(category: str) -> Q:
    """Cases of a category given by code or name: the category's ids (one query on the small category table),
    so that the case indexes carrying category_id filter on a constant (neither an OR across the join nor a
    sub-select would let them)."""
    ids = list(Category.objects.filter(Q(code=category) | Q(name=category)).values_list("id", flat=True))
    return Q(category_id__in=ids)


def search_filters(
    *,
    q: str = "",
    status: str = "",
    category: str = "",
    unit: int | None = None,
    channel: str = "",
    overdue: bool | None = None,
    open_only: bool = False,
    area: str = "",
) -> list[Q]:
    """The search form's filters as conditions on the case row."""
    out: list[Q] = []
    q = q.strip()
    if CASE_NUMBER.match(q.upper()):
        out.append(Q(number=q.upper()))
    elif q:
        out.append(Q(title__icontains=q) | Q(address__icontains=q) | Q(description__icontains=q))
    if status:
        out.append(Q(status__in=[s for s in status.split(",") if s]))
    if open_only:
        out.append(Q(status__in=OPEN_STATUSES))
    if category:
        out.append(category_filter(category))
    if unit:
        out.append(Q(current_unit_id=unit))
    if channel:
        out.append(Q(channel=channel))
    if overdue is not None:
        out.append(Q(overdue=overdue))
    if area:
        out.append(area_condition(area))
    return out


NEWEST_FIRST = ("-created_at", "-id")


def search_cases(actor: Any, *, window: int | None = None, **filters: Any) -> QuerySet[Case]:
    """Filtered cases in the actor's scope, newest first. `q` matches the number, title, address or text.

    `window` (optional): how many rows from the top the caller will read (a page: offset + size + 1). With
    it, on databases that allow ordered and limited parts of a UNION (PostgreSQL), each part of the scope
    (own reports, followed cases, each unit's cases, the area) gives its newest `window` ids by its own
    index and the page is read from their union (one query) — instead of one OR across columns, which no
    index serves in date order. A case number needs no such help (its index finds the one case)."""
    conditions = search_filters(**filters)
    union = (
        window
        and not CASE_NUMBER.match(str(filters.get("q", "")).strip().upper())
        and connection.features.supports_slicing_ordering_in_compound
        and is_user(actor)
    )
    parts = scope_parts(actor, followed_subquery=True) if union else None
    if parts and len(parts) > 1:
        ids = [
            Case.objects.filter(part, *conditions)
            .order_by(*NEWEST_FIRST)
            .values_list("id", flat=True)[:window]
            for part in parts
        ]
        qs = Case.objects.filter(pk__in=ids[0].union(*ids[1:], all=True))
    elif parts:
        qs = Case.objects.filter(parts[0], *conditions)
    else:
        qs = cases_for(actor).filter(*conditions)
    return qs.select_related("category", "current_unit").only(*LIST_FIELDS).order_by(*NEWEST_FIRST)


@dataclass
class Worklist:
    unit: HandlingUnit
    cases: QuerySet[Case]  # overdue first, then to sign for, then in handling, each by deadline
    to_sign: int
    in_handling: int
    overdue: int


def late(now: dt.datetime) -> Q:
    return Q(deadline__lt=now) | Q(overdue=True)


def worklist_order(qs: QuerySet[Case], now: dt.datetime) -> QuerySet[Case]:
    """Overdue first, then to sign for, then in handling, then backlogged; each by deadline."""
    return qs.annotate(
        bucket=CaseWhen(
            When(late(now), then=Value(0)),
            When(status=CaseStatus.DISPATCHED, then=Value(1)),
            When(status=CaseStatus.BACKLOGGED, then=Value(3)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("bucket", "deadline", "id")


def worklist(actor: Any, unit_id: int, *, now: dt.datetime | None = None) -> Worklist:
    """A unit's worklist: the cases it holds, overdue first, then those to sign for, then in handling.

    The unit's open cases are all in one partial index (case_worklist) with the columns that order and count
    them, so the counts and the order are read from the index alone; the list's other columns are fetched
    for one page only (cases.boards.worklist_page)."""
    unit = access_unit(actor, unit_id, for_worklist=True)
    now = now or clock.now()
    base = Case.objects.filter(current_unit=unit, status__in=WORKLIST_STATUSES)
    ordered = worklist_order(base, now).select_related("category", "current_unit").only(*LIST_FIELDS)
    counts = base.aggregate(  # the three counts in one pass over the unit's open cases
        to_sign=Count("id", filter=Q(status=CaseStatus.DISPATCHED)),
        in_handling=Count("id", filter=Q(status__in=[CaseStatus.ACCEPTED, CaseStatus.IN_HANDLING])),
        overdue=Count("id", filter=late(now)),
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


# Roles that may read every notification about their area (oversight of delivery), not only their own.
INBOX_AREA_ROLES = frozenset({Role.LEADER, Role.ADMIN})
# What the inbox page shows of a notification (not the encrypted address, nor the last error's text).
INBOX_FIELDS = (
    "id",
    "channel",
    "recipient",
    "recipient__username",
    "recipient__display_name",
    "address_masked",
    "case",
    "case__number",
    "event",
    "text",
    "status",
    "attempts",
    "created_at",
    "sent_at",
    "read_at",
)
UNREAD_CAP = 99  # the unread count stops there ("99+"): no COUNT over a long history on every page


def may_read_area_inbox(actor: Any) -> bool:
    return is_user(actor) and actor.role in INBOX_AREA_ROLES and area_prefix(actor) is not None


def inbox_for(actor: Any, *, area: bool = False, unread: bool = False, status: str = "") -> QuerySet:
    """The staff inbox page, newest first: the messages addressed to the actor (a unit's messages are
    written to each of its members and its head, cases.services.outbox.to_unit); with `area`, for leaders
    and administrators, every message about a case in their area (and to the staff placed there)."""
    if not is_user(actor):
        return Notification.objects.none()
    if status and status not in NotificationStatus.values:
        raise InvalidInput(f"unknown status {status}", field="status")
    qs = Notification.objects.all()
    if area:
        if not may_read_area_inbox(actor):
            raise Forbidden("only leaders and administrators read the messages of their area")
        prefix = area_prefix(actor)
        if prefix:
            qs = qs.filter(
                Q(recipient=actor)
                | code_prefix("case__area_code", prefix)
                | (Q(case__isnull=True) & code_prefix("recipient__area_code", prefix))
            )
    else:
        qs = qs.filter(recipient=actor)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("case", "recipient").only(*INBOX_FIELDS).order_by("-created_at", "-id")


def visible_case_ids(actor: Any, ids: Iterable[Any]) -> set[int]:
    """Which of these cases the actor may open (one query): a message may be about a case its recipient
    cannot open — an advisor told of a door-sensor alarm, say — and then it is not linked."""
    wanted = {i for i in ids if i}
    if not wanted:
        return set()
    return set(cases_for(actor).filter(pk__in=wanted).values_list("pk", flat=True))


def unread_count(actor: Any) -> int:
    """How many of the actor's messages are unread, counted up to UNREAD_CAP + 1."""
    if not is_user(actor):
        return 0
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True).order_by()
    return unread.values("id")[: UNREAD_CAP + 1].count()


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
        "source_link": sources.link_for(actor, case.source_ref) if case.source_ref else None,
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
        {
            "step": step,
            "step_label": str(Step(step).label),
            "label": deadlines.Limit.of(*cat.limit(step)).label(),
        }
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
