"""Case-file use cases: open files for vulnerable people, assess risk, record visits (note, photos, place,
time), needs assessments, service plans and referrals, assign advisors, show a whole ID number (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from zhizhi.accounts.models import User
from zhizhi.core import audit, clock
from zhizhi.core.errors import InvalidInput, NotFound
from zhizhi.core.models import AuditAction
from zhizhi.core.permissions import in_scope
from zhizhi.core.roles import Role
from zhizhi.people import services as people_services
from zhizhi.people.models import Resident, ResidentStatus
from zhizhi.welfare import balancing, facts, links, permissions, queries, risk
from zhizhi.welfare.models import (
    CaseFile,
    CaseFileStatus,
    Enrolment,
    NeedsAssessment,
    Referral,
    ReferralStatus,
    ServicePlan,
    Visit,
    VisitKind,
    VisitPhoto,
)
from zhizhi.welfare.services._audit import record_many
from zhizhi.welfare.workflow import LIVE

VULNERABLE_TAGS = ("dibao", "dibian", "tekun", "incapacitated", "alone", "aged", "disabled")
NEED_DOMAINS = ("daily_living", "health", "mental", "social", "economic", "safety")
NEED_LEVELS = ("none", "some", "high")
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_PHOTO_BYTES = 5 * 1024 * 1024
CASEFILE = "welfare.casefile"


def vulnerable(prefix: str) -> Q:
    """Active residents of the area who carry a vulnerable tag or a live enrolment in any programme."""
    tagged = Resident.tags.through.objects.filter(resident_id=OuterRef("pk"), tag__code__in=VULNERABLE_TAGS)
    enrolled = Enrolment.objects.filter(resident_id=OuterRef("pk"), status__in=[s.value for s in LIVE])
    return Q(status=ResidentStatus.ACTIVE, area_code__startswith=prefix) & (
        Q(Exists(tagged)) | Q(Exists(enrolled))
    )


ALARM_WINDOW_DAYS = 30  # the risk score's "recent alarms" factor (welfare.risk)


def alarms_since(today: dt.date) -> dt.datetime:
    """The start of the alarm window: midnight in Shanghai, ALARM_WINDOW_DAYS before `today`."""
    start = today - dt.timedelta(days=ALARM_WINDOW_DAYS)
    return dt.datetime.combine(start, dt.time.min, tzinfo=clock.SHANGHAI)


def _risk_of(casefile: CaseFile, person: dict, today: dt.date, recent_alarms: int) -> risk.Risk:
    overdue = (today - casefile.next_visit_due).days if casefile.next_visit_due else 0
    return risk.assess(
        age=person["age"],
        living_alone=person["living_alone"],
        disability_grade=person["disability_grade"],
        chronic_illness=person["chronic_illness"],
        recent_alarms=recent_alarms,
        days_overdue=max(0, overdue),
        interval_days=casefile.visit_interval_days,
    )


def assess_risk(
    casefile: CaseFile, today: dt.date | None = None, *, recent_alarms: int | None = None
) -> risk.Risk:
    """The person's risk now. Recent alarms are counted from the link sources that count them (door-sensor
    alarms of the last 30 days, false alarms excluded: welfare.providers) unless given."""
    today = today or clock.today()
    person = facts.load_facts([casefile.resident_id], today).get(casefile.resident_id)
    if person is None:
        raise NotFound("the person of this case file is gone", field="resident")
    if recent_alarms is None:
        counts = links.recent_alarm_counts([casefile.resident_id], alarms_since(today))
        recent_alarms = counts.get(casefile.resident_id, 0)
    return _risk_of(casefile, person, today, recent_alarms)


def _apply_risk(casefile: CaseFile, result: risk.Risk, since: dt.date) -> None:
    casefile.risk_score, casefile.risk_level = result.score, result.level
    casefile.risk_factors = result.factors_as_json()
    casefile.risk_assessed_at = clock.now()
    casefile.visit_interval_days = result.visit_interval_days
    if casefile.next_visit_due is None:
        casefile.next_visit_due = since + dt.timedelta(days=result.visit_interval_days)


def _pace_from(casefile: CaseFile) -> dt.date:
    """The day the visit interval counts from: the last visit, or the day the file was opened."""
    moment = casefile.last_visit_at or casefile.opened_at
    return moment.astimezone(clock.SHANGHAI).date()


RISK_FIELDS = ["risk_score", "risk_level", "risk_factors", "risk_assessed_at", "visit_interval_days"]


def reassess_risks(today: dt.date | None = None, *, area_code: str = "", chunk: int = 1000) -> int:
    """Re-assess the risk of every open case file (of an area, or everywhere): the nightly job, so that ageing,
    new alarms and missed visits move the score. When the level changes, the visit pace follows it (counted from
    the last visit). Returns how many files changed level or score; each change is audited (before/after)."""
    today = today or clock.today()
    since = alarms_since(today)
    base = CaseFile.objects.filter(status=CaseFileStatus.OPEN)
    if area_code:
        base = base.filter(area_code__startswith=area_code)
    ids = list(base.order_by("pk").values_list("pk", flat=True))
    changed_total = 0
    for i in range(0, len(ids), chunk):
        with transaction.atomic():
            files = list(
                CaseFile.objects.select_for_update().filter(pk__in=ids[i : i + chunk]).order_by("pk")
            )
            people = facts.load_facts([c.resident_id for c in files], today)
            alarms = links.recent_alarm_counts([c.resident_id for c in files], since)
            changed, audit_rows = [], []
            for c in files:
                person = people.get(c.resident_id)
                if person is None:
                    continue
                before = (c.risk_score, c.risk_level, c.risk_factors, c.visit_interval_days)
                result = _risk_of(c, person, today, alarms.get(c.resident_id, 0))
                _apply_risk(c, result, today)
                if c.visit_interval_days != before[3]:
                    c.next_visit_due = _pace_from(c) + dt.timedelta(days=c.visit_interval_days)
                if (c.risk_score, c.risk_level, c.risk_factors, c.visit_interval_days) != before:
                    changed.append(c)
                    if (c.risk_score, c.risk_level) != before[:2]:
                        audit_rows.append(
                            (
                                CASEFILE,
                                c.pk,
                                "risk re-assessed",
                                {"risk": [f"{before[1]} {before[0]}", f"{c.risk_level} {c.risk_score}"]},
                            )
                        )
            CaseFile.objects.bulk_update(changed, [*RISK_FIELDS, "next_visit_due"], batch_size=500)
            record_many(None, AuditAction.UPDATE, audit_rows)
            changed_total += len(audit_rows)
    return changed_total


@transaction.atomic
def reassess_risk(actor: Any, casefile_id: Any) -> CaseFile:
    """Re-assess one person's risk now (a page button for those who serve the person)."""
    casefile = _serve(actor, casefile_id)
    before = {"risk": f"{casefile.risk_level} {casefile.risk_score}"}
    interval = casefile.visit_interval_days
    _apply_risk(casefile, assess_risk(casefile), clock.today())
    if casefile.visit_interval_days != interval:
        casefile.next_visit_due = _pace_from(casefile) + dt.timedelta(days=casefile.visit_interval_days)
    casefile.save(update_fields=[*RISK_FIELDS, "next_visit_due"])
    after = {"risk": f"{casefile.risk_level} {casefile.risk_score}"}
    audit.record(actor, AuditAction.UPDATE, obj=casefile, changes=audit.diff(before, after))
    return casefile


@transaction.atomic
def open_case_files(actor: Any, area_code: str = "") -> int:
    """A case file for every vulnerable person in the area (the actor's, or a part of it) who has none."""
    permissions.require(actor, "assign")
    prefix = (area_code or "").strip() or getattr(actor, "area_code", "") or ""
    if not in_scope(actor, prefix):
        raise NotFound(f"area {area_code} not found", field="area_code")
    people = Resident.objects.filter(vulnerable(prefix)).exclude(
        Exists(CaseFile.objects.filter(resident_id=OuterRef("pk")))
    )
    now, today = clock.now(), clock.today()
    rows = list(people.values_list("pk", "area_code"))
    person_facts = facts.load_facts([rid for rid, _ in rows], today)
    alarms = links.recent_alarm_counts([rid for rid, _ in rows], alarms_since(today))
    created = []
    for rid, area in rows:
        if rid not in person_facts:
            continue
        casefile = CaseFile(resident_id=rid, area_code=area, opened_at=now)
        _apply_risk(casefile, _risk_of(casefile, person_facts[rid], today, alarms.get(rid, 0)), today)
        created.append(casefile)
    CaseFile.objects.bulk_create(created, batch_size=2000)
    record_many(
        actor,
        AuditAction.CREATE,
        ((CASEFILE, c.pk, f"opened for resident {c.resident_id}", {}) for c in created),
    )
    return len(created)


def _serve(actor: Any, casefile_id: Any) -> CaseFile:
    permissions.require(actor, "serve")
    casefile = queries.access_casefile(actor, casefile_id)
    return CaseFile.objects.select_for_update().get(pk=casefile.pk)


@transaction.atomic
def record_visit(
    actor: Any,
    casefile_id: Any,
    *,
    note: str,
    at: dt.datetime | None = None,
    kind: str = VisitKind.HOME,
    lat: float | None = None,
    lon: float | None = None,
    photos: list[tuple[str, str, bytes]] | None = None,
) -> Visit:
    casefile = _serve(actor, casefile_id)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("a visit needs a note", field="note")
    if kind not in VisitKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(VisitKind.values)}", field="kind")
    at = at or clock.now()
    if at.tzinfo is None:
        raise InvalidInput("the visit time needs a time zone", field="at")
    if at > clock.now() + dt.timedelta(minutes=5):
        raise InvalidInput("a visit cannot be in the future", field="at")
    if (lat is None) != (lon is None) or (
        lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)
    ):
        raise InvalidInput("give both latitude and longitude, in degrees", field="lat")
    for name, content_type, data in photos or []:
        if content_type not in PHOTO_TYPES:
            raise InvalidInput(f"{name}: photos are JPEG, PNG or WebP", field="photos")
        if len(data) > MAX_PHOTO_BYTES:
            raise InvalidInput(f"{name}: a photo may be at most 5 MB", field="photos")
    visit = Visit.objects.create(
        case_file=casefile,
        by=actor,
        by_name=str(actor),
        at=at,
        kind=kind,
        note=note[:4000],
        lat=lat,
        lon=lon,
        recorded_at=clock.now(),
    )
    VisitPhoto.objects.bulk_create(
        [
            VisitPhoto(visit=visit, name=name[:128], content_type=ct, data=data)
            for name, ct, data in photos or []
        ]
    )
    before = {"next_visit_due": casefile.next_visit_due, "risk": casefile.risk_level}
    if casefile.last_visit_at is None or at > casefile.last_visit_at:
        casefile.last_visit_at = at
    last = casefile.last_visit_at.astimezone(clock.SHANGHAI).date()
    casefile.next_visit_due = last + dt.timedelta(days=casefile.visit_interval_days)  # not overdue any more
    _apply_risk(casefile, assess_risk(casefile), clock.today())
    casefile.next_visit_due = last + dt.timedelta(days=casefile.visit_interval_days)  # at the new risk's pace
    casefile.save()
    after = {"next_visit_due": casefile.next_visit_due, "risk": casefile.risk_level}
    audit.record(
        actor,
        AuditAction.CREATE,
        obj=visit,
        summary=f"visit to case file {casefile.pk}",
        changes=audit.diff(before, after),
    )
    return visit


@transaction.atomic
def record_assessment(actor: Any, casefile_id: Any, *, needs: dict, summary: str = "") -> NeedsAssessment:
    casefile = _serve(actor, casefile_id)
    clean = {}
    for domain, level in (needs or {}).items():
        if domain not in NEED_DOMAINS:
            raise InvalidInput(f"unknown need {domain!r} (known: {', '.join(NEED_DOMAINS)})", field="needs")
        if level not in NEED_LEVELS:
            raise InvalidInput(f"{domain}: level must be one of {', '.join(NEED_LEVELS)}", field="needs")
        clean[domain] = level
    if not clean:
        raise InvalidInput("assess at least one need", field="needs")
    item = NeedsAssessment.objects.create(
        case_file=casefile, at=clock.now(), by=actor, needs=clean, summary=summary[:4000]
    )
    audit.record(actor, AuditAction.CREATE, obj=item, summary=f"needs of case file {casefile.pk}")
    return item


@transaction.atomic
def set_service_plan(
    actor: Any, casefile_id: Any, *, goals: str, services: list[dict], review_on: dt.date | None = None
) -> ServicePlan:
    casefile = _serve(actor, casefile_id)
    if not (goals or "").strip():
        raise InvalidInput("a plan needs goals", field="goals")
    clean = []
    for i, s in enumerate(services or []):
        if not isinstance(s, dict) or not str(s.get("service", "")).strip():
            raise InvalidInput(f"service {i + 1} needs a name", field="services")
        clean.append({k: str(s.get(k, ""))[:100] for k in ("service", "frequency", "provider")})
    if review_on and review_on < clock.today():
        raise InvalidInput("the review date has passed", field="review_on")
    ServicePlan.objects.filter(case_file=casefile, current=True).update(current=False)
    plan = ServicePlan.objects.create(
        case_file=casefile,
        at=clock.now(),
        by=actor,
        goals=goals.strip()[:4000],
        services=clean,
        review_on=review_on,
    )
    audit.record(actor, AuditAction.CREATE, obj=plan, summary=f"service plan of case file {casefile.pk}")
    return plan


@transaction.atomic
def refer(actor: Any, casefile_id: Any, *, to: str, reason: str, case_reference: str = "") -> Referral:
    casefile = _serve(actor, casefile_id)
    if not (to or "").strip():
        raise InvalidInput("say where the person is referred to", field="to")
    if not (reason or "").strip():
        raise InvalidInput("a referral needs a reason", field="reason")
    item = Referral.objects.create(
        case_file=casefile,
        at=clock.now(),
        by=actor,
        to=to.strip()[:128],
        reason=reason.strip()[:4000],
        case_reference=(case_reference or "")[:32],
    )
    audit.record(
        actor, AuditAction.CREATE, obj=item, summary=f"referral of case file {casefile.pk} to {item.to}"
    )
    return item


@transaction.atomic
def update_referral(actor: Any, referral_id: Any, *, status: str, outcome: str = "") -> Referral:
    permissions.require(actor, "serve")
    try:
        item = Referral.objects.select_for_update().get(
            pk=referral_id, case_file__in=queries.casefiles_for(actor)
        )
    except (Referral.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"referral {referral_id} not found", field="id") from exc
    if status not in ReferralStatus.values:
        raise InvalidInput(f"status must be one of {', '.join(ReferralStatus.values)}", field="status")
    before = {"status": item.status, "outcome": item.outcome}
    item.status, item.outcome = status, (outcome or item.outcome)[:4000]
    item.save(update_fields=["status", "outcome"])
    audit.record(
        actor,
        AuditAction.UPDATE,
        obj=item,
        changes=audit.diff(before, {"status": item.status, "outcome": item.outcome}),
    )
    return item


def reveal(actor: Any, casefile_id: Any) -> dict[str, str]:
    """The whole ID number and phone as far as the role allows (an advisor: the phone only); audited."""
    casefile = queries.access_casefile(actor, casefile_id)
    return people_services.reveal_resident(actor, casefile.resident)


# --- advisors -----------------------------------------------------------------------------------------------


def advisors_of(community_code: str):
    return User.objects.filter(
        role=Role.ELDERCARE_ADVISOR, is_active=True, area_code__startswith=community_code
    )


@transaction.atomic
def assign_advisors(actor: Any, community_code: str) -> dict[int, int]:
    """Give every open case file of the community without an advisor to one of its advisors, by load."""
    permissions.require(actor, "assign")
    community_code = (community_code or "").strip()
    if not community_code.isdigit() or len(community_code) != 12:
        raise InvalidInput("a community code has 12 digits", field="community")
    scope = queries.casefiles_for(actor).filter(
        area_code__startswith=community_code, status=CaseFileStatus.OPEN
    )
    advisors = list(advisors_of(community_code).values_list("pk", flat=True))
    if not advisors:
        raise InvalidInput("this community has no elderly-care advisor", field="community")
    load = {a: 0 for a in advisors}
    for advisor_id, level in scope.filter(advisor_id__in=advisors).values_list("advisor_id", "risk_level"):
        load[advisor_id] += balancing.RISK_WEIGHT.get(level, 1)
    todo = list(scope.filter(advisor=None).values_list("pk", "risk_level"))
    plan = balancing.balance(todo, load)
    now = clock.now()
    for casefile_id, advisor_id in plan.items():
        CaseFile.objects.filter(pk=casefile_id, advisor=None).update(advisor_id=advisor_id, assigned_at=now)
    record_many(
        actor,
        AuditAction.UPDATE,
        ((CASEFILE, c, "advisor assigned", {"advisor": ["", str(a)]}) for c, a in plan.items()),
    )
    return plan


@transaction.atomic
def assign_advisor(actor: Any, casefile_id: Any, advisor_username: str) -> CaseFile:
    permissions.require(actor, "assign")
    casefile = queries.access_casefile(actor, casefile_id)
    advisor = advisors_of(casefile.area_code[:12]).filter(username=advisor_username).first()
    if advisor is None:
        raise InvalidInput(f"{advisor_username} is not an advisor of this community", field="advisor")
    before = casefile.advisor.username if casefile.advisor is not None else ""
    CaseFile.objects.filter(pk=casefile.pk).update(advisor=advisor, assigned_at=clock.now())
    audit.record(actor, AuditAction.UPDATE, obj=casefile, changes={"advisor": [before, advisor.username]})
    casefile.refresh_from_db()
    return casefile
