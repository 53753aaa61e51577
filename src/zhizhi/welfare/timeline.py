"""The timeline of a case file: everything that happened to the person in welfare, newest first —
visits, assessments, plans, referrals, enrolment changes and benefits delivered (or rejected) — and what
other apps hold about them (their cases, door-sensor alarms: welfare.links), as far as the viewer may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from zhizhi.welfare.exchange.formats import UNIT_NAMES
from zhizhi.welfare.models import (
    CaseFile,
    Disbursement,
    EnrolmentEvent,
    NeedsAssessment,
    Referral,
    ServicePlan,
    Visit,
)


@dataclass
class Entry:
    at: dt.datetime
    kind: (
        str  # visit | assessment | plan | referral | enrolment | benefit | opened | a link kind (case, alarm)
    )
    title: str
    detail: str = ""
    by: str = ""
    extra: dict = field(default_factory=dict)


def benefits_of(casefile: CaseFile):
    """Payments to the person or to their household."""
    resident = casefile.resident
    who = Q(resident_id=resident.pk)
    if resident.household_id:
        who |= Q(household_id=resident.household_id)
    return Disbursement.objects.filter(who).select_related("programme", "batch").order_by("-created_at")


def linked_entries(sections) -> list[Entry]:
    """Timeline entries of the items other apps contributed (welfare.links.linked)."""
    entries = []
    for section in sections:
        for item in section.items:
            what = f"{item.number} {item.title}".strip() if item.kind == "case" else item.title
            title = f"{section.heading}: {what}"
            detail = " · ".join(x for x in (item.status, item.detail) if x)
            extra = {"url": item.url, "status": item.status, "open": item.open, "source": section.key}
            entries.append(Entry(item.at, item.kind, title, detail, "", extra))
    return entries


def timeline(casefile: CaseFile, limit: int = 200, *, linked=()) -> list[Entry]:
    """`linked`: the sections of welfare.links.linked(viewer, person), already read for the page."""
    entries: list[Entry] = linked_entries(linked)
    for v in Visit.objects.filter(case_file=casefile).prefetch_related("photos")[:limit]:
        where = f" @ {v.lat:.5f},{v.lon:.5f}" if v.lat is not None else ""
        entries.append(
            Entry(
                v.at,
                "visit",
                f"{v.get_kind_display()}{where}",
                v.note,
                v.by_name,
                {"photos": [p.pk for p in v.photos.all()]},
            )
        )
    for a in NeedsAssessment.objects.filter(case_file=casefile).select_related("by")[:limit]:
        needs = ", ".join(f"{k}: {lvl}" for k, lvl in a.needs.items())
        entries.append(
            Entry(a.at, "assessment", _("Needs assessed"), f"{needs}. {a.summary}".strip(), str(a.by or ""))
        )
    for p in ServicePlan.objects.filter(case_file=casefile).select_related("by")[:limit]:
        services = "; ".join(f"{s['service']} {s.get('frequency', '')}".strip() for s in p.services)
        entries.append(
            Entry(p.at, "plan", _("Service plan"), f"{p.goals} — {services}".strip(" —"), str(p.by or ""))
        )
    for r in Referral.objects.filter(case_file=casefile).select_related("by")[:limit]:
        entries.append(
            Entry(
                r.at,
                "referral",
                _("Referred to %(to)s") % {"to": r.to},
                r.reason,
                str(r.by or ""),
                {"status": r.get_status_display()},
            )
        )
    events = EnrolmentEvent.objects.filter(
        Q(enrolment__resident_id=casefile.resident_id)
        | Q(enrolment__household_id=casefile.resident.household_id or -1)
    ).select_related("enrolment__programme")[:limit]
    for e in events:
        title = f"{e.enrolment.programme.name}: {e.get_action_display()}"
        entries.append(Entry(e.at, "enrolment", title, e.reason, e.actor_name))
    for d in benefits_of(casefile)[:limit]:
        quantity = f"{format(d.amount.normalize(), 'f')} {UNIT_NAMES.get(d.unit, d.unit)}"
        title = f"{d.programme.name} {d.period}: {quantity}"
        entries.append(
            Entry(
                d.settled_at or d.created_at,
                "benefit",
                title,
                d.get_status_display() + (f" — {d.reason}" if d.reason else ""),
                "",
                {"status": d.status},
            )
        )
    entries.append(Entry(casefile.opened_at, "opened", _("Case file opened")))  # last among equals
    entries.sort(key=lambda x: x.at, reverse=True)
    return entries[:limit]
