"""Turning welfare records into the plain dicts the API returns and the pages show (masked identities)."""

from __future__ import annotations

from zhizhi.welfare.models import CaseFile, Enrolment, ExchangeBatch, Programme


def programme_out(p: Programme) -> dict:
    return {
        "code": p.code,
        "name": p.name,
        "policy": p.policy,
        "target": p.target,
        "rule": p.rule,
        "benefit_kind": p.benefit_kind,
        "amount": p.amount,
        "formula": p.formula,
        "unit": p.unit,
        "cycle": p.cycle,
        "partner": p.partner.name if p.partner is not None else None,
        "requires_consent": p.requires_consent,
        "active": p.active,
        "evaluated_at": p.evaluated_at,
    }


def enrolment_out(e: Enrolment, programme_code: str = "", explanation: list[str] | None = None) -> dict:
    return {
        "id": e.pk,
        "programme": programme_code or e.programme.code,
        "status": e.status,
        "resident_id": e.resident_id,
        "name": e.resident.name,
        "id_number": e.resident.id_number_masked,
        "household": e.household.number if e.household is not None else None,
        "area_code": e.area_code,
        "flagged": e.flagged,
        "flag_reason": e.flag_reason,
        "consent_at": e.consent_at,
        "explanation": explanation,
    }


def event_out(ev) -> dict:
    return {
        "at": ev.at,
        "action": ev.action,
        "from_status": ev.from_status,
        "to_status": ev.to_status,
        "reason": ev.reason,
        "by": ev.actor_name,
        "explanation": ev.explanation or [],
    }


def batch_out(b: ExchangeBatch) -> dict:
    return {
        "id": b.pk,
        "reference": b.reference,
        "programme": b.programme.code,
        "partner": b.partner.name,
        "period": b.period,
        "status": b.status,
        "line_count": b.line_count,
        "total": b.total,
        "accepted": b.accepted,
        "rejected": b.rejected,
        "created_at": b.created_at,
        "sent_at": b.sent_at,
        "push_error": b.push_error,
    }


def casefile_row(c: CaseFile) -> dict:
    return {
        "id": c.pk,
        "resident_id": c.resident_id,
        "name": c.resident.name,
        "id_number": c.resident.id_number_masked,
        "area_code": c.area_code,
        "risk_score": c.risk_score,
        "risk_level": c.risk_level,
        "advisor": str(c.advisor) if c.advisor_id else None,
        "next_visit_due": c.next_visit_due,
        "last_visit_at": c.last_visit_at,
    }


def link_section(section) -> dict:
    return {
        "key": section.key,
        "heading": str(section.heading),
        "items": [vars(i) for i in section.items],
        "more": section.more,
        "failed": section.failed,
    }
