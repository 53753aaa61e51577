"""Reading welfare records, always through the actor's scope (welfare.permissions): an advisor sees only
the elders assigned to them, everyone else their area. Scope misses read as 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from zhizhi.core import clock
from zhizhi.core.errors import Forbidden, InvalidInput, NotFound
from zhizhi.people.models import Resident
from zhizhi.welfare import eligibility, permissions
from zhizhi.welfare.models import (
    CaseFile,
    CaseFileStatus,
    Enrolment,
    EnrolmentStatus,
    ExchangeBatch,
    Programme,
    RiskLevel,
)
from zhizhi.welfare.permissions import Reach
from zhizhi.welfare.workflow import LIVE

SAMPLE = 20


def _scoped(qs: QuerySet, actor: Any, **fields: str) -> QuerySet:
    q = permissions.scope_q(actor, **fields)
    return qs.none() if q is None else qs.filter(q)


def programmes_for(actor: Any) -> QuerySet[Programme]:
    permissions.require_reach(actor)
    return Programme.objects.select_related("partner")


def access_programme(actor: Any, code: str) -> Programme:
    try:
        return programmes_for(actor).get(code=code)
    except Programme.DoesNotExist as exc:
        raise NotFound(f"programme {code} not found", field="code") from exc


def enrolments_for(actor: Any) -> QuerySet[Enrolment]:
    return _scoped(Enrolment.objects.all(), actor, advisor_field="resident__welfare_case__advisor")


def access_enrolment(actor: Any, enrolment_id: Any) -> Enrolment:
    try:
        return enrolments_for(actor).select_related("programme", "resident", "household").get(pk=enrolment_id)
    except (Enrolment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"enrolment {enrolment_id} not found", field="id") from exc


def enrolment_list(
    actor: Any, programme: Programme, *, status: str = "", flagged: bool | None = None
) -> QuerySet[Enrolment]:
    qs = enrolments_for(actor).filter(programme=programme)
    if status:
        if status not in EnrolmentStatus.values:
            raise InvalidInput(f"status must be one of {', '.join(EnrolmentStatus.values)}", field="status")
        qs = qs.filter(status=status)
    if flagged is not None:
        qs = qs.filter(flagged=flagged)
    return qs.select_related("resident", "household").only(
        "id",
        "status",
        "flagged",
        "flag_reason",
        "area_code",
        "matched_at",
        "consent_at",
        "programme_id",
        "resident__id",
        "resident__name",
        "resident__id_number_masked",
        "resident__birth_date",
        "household__id",
        "household__number",
    )


def batches_for(actor: Any) -> QuerySet[ExchangeBatch]:
    policy = permissions.welfare_policy(actor)
    if not (policy.deliver or policy.manage) or policy.reach != Reach.AREA:
        return ExchangeBatch.objects.none()
    return ExchangeBatch.objects.select_related("programme", "partner")


def access_batch(actor: Any, batch_id: Any) -> ExchangeBatch:
    try:
        return batches_for(actor).get(pk=batch_id)
    except (ExchangeBatch.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"batch {batch_id} not found", field="id") from exc


# --- preview ------------------------------------------------------------------------------------------------


@dataclass
class Preview:
    """What a rule would do now, inside the actor's area: who qualifies, who would start, who would stop."""

    qualify: int
    qualify_now: int
    live: int
    would_start: list[dict]
    would_start_count: int
    would_stop: list[dict]
    would_stop_count: int


def preview(actor: Any, programme: Programme, source: str, *, as_of: dt.date | None = None) -> Preview:
    policy = permissions.require_reach(actor)
    if policy.reach != Reach.AREA:
        raise Forbidden("an advisor cannot preview programme rules")
    ctx = eligibility.Context.on(as_of or clock.today())
    rule = eligibility.check_rule(source, ctx.vocabulary)
    current = eligibility.programme_rule(programme, ctx)
    scope = permissions.scope_q(actor) or Q(pk__in=[])
    new_ids = set(eligibility.matching(programme, rule, ctx, scope).values_list("pk", flat=True))
    now_count = eligibility.matching(programme, current, ctx, scope).count()
    live = dict(
        enrolments_for(actor)
        .filter(programme=programme, status__in=[s.value for s in LIVE])
        .values_list("resident_id", "id")
    )
    start_ids = sorted(new_ids - set(live))
    stop_ids = sorted(set(live) - new_ids)
    return Preview(
        qualify=len(new_ids),
        qualify_now=now_count,
        live=len(live),
        would_start=_explained(programme, rule, start_ids[:SAMPLE], ctx),
        would_start_count=len(start_ids),
        would_stop=_explained(programme, rule, stop_ids[:SAMPLE], ctx),
        would_stop_count=len(stop_ids),
    )


def _explained(programme: Programme, rule, resident_ids: list[int], ctx) -> list[dict]:
    steps = eligibility.explanations(programme, rule, resident_ids, ctx)
    people = Resident.objects.filter(pk__in=resident_ids).only("id", "name", "id_number_masked", "area_code")
    return [
        {
            "resident": p,
            "id": p.pk,
            "name": p.name,
            "id_number": p.id_number_masked,
            "explanation": steps[p.pk].lines(),
        }
        for p in people
        if p.pk in steps
    ]


def explain_enrolments(
    enrolments: list[Enrolment], programme: Programme, *, as_of: dt.date | None = None
) -> dict:
    """{enrolment id: explanation lines} for a page of enrolments of one programme (the bulk-verify list)."""
    ctx = eligibility.Context.on(as_of or clock.today())
    rule = eligibility.programme_rule(programme, ctx)
    steps = eligibility.explanations(programme, rule, [e.resident_id for e in enrolments], ctx)
    return {e.pk: steps[e.resident_id].lines() if e.resident_id in steps else [] for e in enrolments}


# --- case files ---------------------------------------------------------------------------------------------


def casefiles_for(actor: Any) -> QuerySet[CaseFile]:
    return _scoped(CaseFile.objects.all(), actor)


def access_casefile(actor: Any, casefile_id: Any) -> CaseFile:
    try:
        return (
            casefiles_for(actor).select_related("resident", "resident__home", "advisor").get(pk=casefile_id)
        )
    except (CaseFile.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"case file {casefile_id} not found", field="id") from exc


def _register_filtered(
    actor: Any,
    *,
    q: str = "",
    risk: str = "",
    tag: str = "",
    community: str = "",
    advisor: str = "",
    overdue: bool = False,
    building: str = "",
    status: str = CaseFileStatus.OPEN,
) -> QuerySet[CaseFile]:
    """The register's rows in the actor's scope under its filters (no ordering, no column choice)."""
    qs = casefiles_for(actor)
    if status:
        qs = qs.filter(status=status)
    if risk:
        if risk not in RiskLevel.values:
            raise InvalidInput(f"risk must be one of {', '.join(RiskLevel.values)}", field="risk")
        qs = qs.filter(risk_level=risk)
    if tag:
        qs = qs.filter(
            Exists(
                Resident.tags.through.objects.filter(resident_id=OuterRef("resident_id")).filter(
                    Q(tag__code=tag) | Q(tag__name=tag)
                )
            )
        )
    if community:
        if not community.isdigit() or len(community) != 12:
            raise InvalidInput("a community code has 12 digits", field="community")
        qs = qs.filter(area_code__startswith=community)
    if advisor == "none":
        qs = qs.filter(advisor=None)
    elif advisor:
        qs = qs.filter(advisor__username=advisor)
    if overdue:
        qs = qs.filter(next_visit_due__lt=clock.today())
    if building:
        qs = qs.filter(resident__home__unit__building__code=building)
    if q.strip():
        qs = qs.filter(resident__name__contains=q.strip())
    return qs


def register(actor: Any, **filters: Any) -> QuerySet[CaseFile]:
    """The register of vulnerable people (case files) with its filters (see _register_filtered); masked
    columns only."""
    return (
        _register_filtered(actor, **filters)
        .select_related("resident", "resident__home", "advisor")
        .only(
            "id",
            "area_code",
            "status",
            "risk_score",
            "risk_level",
            "next_visit_due",
            "last_visit_at",
            "resident__id",
            "resident__name",
            "resident__id_number_masked",
            "resident__birth_date",
            "resident__home__id",
            "resident__home__address",
            "advisor__id",
            "advisor__username",
            "advisor__display_name",
        )
        .order_by("-risk_score", "area_code", "id")
    )


MAP_MAX_BUILDINGS = 1000


@dataclass
class RegisterMap:
    points: list[dict]
    buildings: int  # buildings with someone of the register
    people: int  # people of the register
    shown_people: int  # people at the points drawn
    unlocated: int  # people whose dwelling is not known (no point)
    capped: bool


def register_map(actor: Any, *, limit: int = MAP_MAX_BUILDINGS, **filters: Any) -> RegisterMap:
    """The filtered register on the map: one point per building (at the building's WGS84 location) with how
    many people live there by risk level — the busiest `limit` buildings. Same filters and scope as the list;
    no names, no ID numbers. Four queries whatever the size."""
    from django.db.models import Count, Max

    permissions.require_reach(actor)
    rows = _register_filtered(actor, **filters)
    b = "resident__home__unit__building"
    located = rows.filter(**{f"{b}__isnull": False})
    per_building = (
        located.order_by()
        .values(b, f"{b}__code", f"{b}__number", f"{b}__estate__name", f"{b}__lat", f"{b}__lon")
        .annotate(
            people=Count("pk"),
            high=Count("pk", filter=Q(risk_level=RiskLevel.HIGH)),
            medium=Count("pk", filter=Q(risk_level=RiskLevel.MEDIUM)),
            low=Count("pk", filter=Q(risk_level=RiskLevel.LOW)),
            max_score=Max("risk_score"),
        )
        .order_by("-high", "-people", f"{b}__code")
    )
    points = [
        {
            "building": r[f"{b}__code"],
            "name": f"{r[f'{b}__estate__name']} {r[f'{b}__number']}",
            "lat": r[f"{b}__lat"],
            "lon": r[f"{b}__lon"],
            "people": r["people"],
            "high": r["high"],
            "medium": r["medium"],
            "low": r["low"],
            "max_score": r["max_score"] or 0,
        }
        for r in per_building[:limit]
    ]
    total = rows.count()
    buildings = len(points) if len(points) < limit else per_building.count()
    return RegisterMap(
        points=points,
        buildings=buildings,
        people=total,
        shown_people=sum(p["people"] for p in points),
        unlocated=total - located.count(),
        capped=buildings > len(points),
    )


def advisors_of_resident(resident: Any) -> list:
    """The elderly-care advisors who should hear about the person (a door-sensor alarm's second step calls this
    through zhizhi.sensors.links): the advisor assigned on their open case file; without one, the active
    advisors whose area holds the person, so that nobody is left unheard."""
    from zhizhi.accounts.models import User
    from zhizhi.core.roles import Role

    advisors = User.objects.filter(role=Role.ELDERCARE_ADVISOR, is_active=True)
    assigned = list(
        advisors.filter(welfare_elders__resident_id=resident.pk, welfare_elders__status=CaseFileStatus.OPEN)
    )
    if assigned:
        return assigned
    code = resident.area_code or ""
    if not code:
        return []
    prefixes = {code[:n] for n in (2, 4, 6, 9, 12, 14) if len(code) >= n}
    return list(advisors.filter(area_code__in=prefixes).order_by("pk"))


def overdue_visits(actor: Any, today: dt.date | None = None) -> QuerySet[CaseFile]:
    today = today or clock.today()
    return (
        casefiles_for(actor)
        .filter(status=CaseFileStatus.OPEN, next_visit_due__lt=today)
        .select_related("resident", "advisor")
        .order_by("next_visit_due", "id")
    )


def workbench(actor: Any) -> dict:
    """The advisor's day: their elders by due date, the overdue ones first."""
    today = clock.today()
    mine = (
        CaseFile.objects.filter(advisor_id=getattr(actor, "pk", None) or -1, status=CaseFileStatus.OPEN)
        .select_related("resident", "resident__home")
        .order_by("next_visit_due", "id")
    )
    elders = list(mine)
    return {
        "today": today,
        "elders": elders,
        "overdue": [c for c in elders if c.next_visit_due and c.next_visit_due < today],
        "due_this_week": [
            c
            for c in elders
            if c.next_visit_due and today <= c.next_visit_due <= today + dt.timedelta(days=7)
        ],
    }
