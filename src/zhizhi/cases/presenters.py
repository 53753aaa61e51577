"""Filling the API's output shapes (cases.schemas) from models and query results."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zhizhi.cases.models import (
    Case,
    CaseAttachment,
    CaseStatus,
    Category,
    HandlingUnit,
    Notification,
    Transition,
)
from zhizhi.core.choices import display

if TYPE_CHECKING:
    from zhizhi.cases.services.intake import NearbyCase


def ref(unit: HandlingUnit | None) -> dict | None:
    return {"id": unit.pk, "name": unit.name} if unit is not None else None


def case_row(case: Case) -> dict:
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "status_label": display(case, "status"),
        "channel": case.channel,
        "urgency": case.urgency,
        "category": case.category.name,
        "category_code": case.category.code,
        "title": case.title,
        "address": case.address,
        "area_code": case.area_code,
        "lat": case.lat,
        "lon": case.lon,
        "unit": ref(case.current_unit) if case.current_unit_id else None,
        "level": case.current_level,
        "step": case.step,
        "deadline": case.deadline,
        "overdue": case.overdue,
        "supervised": case.supervised,
        "created_at": case.created_at,
    }


def nearby_row(case: Case | NearbyCase) -> dict:
    """A case offered as a duplicate or a case to follow (NearbyOut)."""
    return {
        "id": case.pk,
        "number": case.number,
        "category": case.category.name,
        "title": case.title,
        "status_label": status_label(case.status),
        "created_at": case.created_at,
    }


def answer_rows(case: Case) -> list[tuple[str, object]]:
    """The answers to the category's questions as (label, value), in the questions' order; an answer to a
    question the category no longer asks keeps its key as the label."""
    answers = dict(case.answers or {})
    rows = []
    for question in case.category.questions or []:
        key = question.get("key") if isinstance(question, dict) else None
        if key in answers:
            rows.append((str(question.get("label") or key), answers.pop(key)))
    return rows + [(str(key), value) for key, value in answers.items()]


def status_label(value: str) -> str:
    """A case status's label in the active language."""
    label = _STATUS_LABELS.get(value)
    return value if label is None else str(label)


_STATUS_LABELS = dict(CaseStatus.choices)


def attachment_out(a: CaseAttachment) -> dict:
    return {
        "id": a.pk,
        "kind": a.kind,
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "transition_id": a.transition_id,
        "url": f"/api/cases/{a.case_id}/attachments/{a.pk}",
    }


def transition_out(t: Transition) -> dict:
    return {
        "id": t.pk,
        "action": t.action,
        "action_label": display(t, "action"),
        "from_status": t.from_status,
        "to_status": t.to_status,
        "actor": t.actor_name,
        "at": t.at,
        "reason": t.reason,
        "unit_from": ref(t.unit_from),
        "unit_to": ref(t.unit_to),
        "deadline": t.deadline,
        "on_time": t.on_time,
        "data": t.data,
    }


def case_detail_out(d: dict) -> dict:
    case: Case = d["case"]
    enforcement = d["enforcement"]
    return case_row(case) | {
        "description": case.description,
        "answers": case.answers,
        "reporter": d["reporter_display"],
        "anonymous": case.anonymous,
        "contact_phone": case.contact_phone_masked,
        "merged_into": d["merged_into"],
        "escalations": case.escalations,
        "closed_at": case.closed_at,
        "allowed_actions": d["allowed_actions"],
        "timeline": [transition_out(t) for t in d["timeline"]],
        "attachments": [attachment_out(a) for a in d["attachments"]],
        "enforcement": None
        if enforcement is None
        else {
            "subject": enforcement.subject,
            "facts": enforcement.facts,
            "legal_basis": enforcement.legal_basis,
            "outcome": enforcement.outcome,
            "penalty_amount": float(enforcement.penalty_amount)
            if enforcement.penalty_amount is not None
            else None,
        },
        "verifications": [
            {"method": v.method, "passed": v.passed, "note": v.note, "at": v.at.isoformat()}
            for v in d["verifications"]
        ],
        "revisits": [
            {"rating": r.rating, "comment": r.comment, "by_resident": r.by_resident, "at": r.at.isoformat()}
            for r in d["revisits"]
        ],
        "extensions": [
            {"status": e.status, "amount": float(e.amount), "amount_unit": e.amount_unit, "reason": e.reason}
            for e in d["extensions"]
        ],
    }


def category_out(c: Category) -> dict:
    from zhizhi.cases.deadlines import Limit

    steps = ("register", "dispatch", "sign", "handle", "verify", "close")
    return {
        "id": c.pk,
        "code": c.code,
        "kind": c.kind,
        "major_name": c.major_name,
        "name": c.name,
        "aliases": [a for a in c.aliases.split(",") if a],
        "department": c.department,
        "default_unit_type": c.default_unit_type,
        "default_level": c.default_level,
        "enforcement": c.enforcement,
        "urgent": c.urgent,
        "limits": {s: Limit.of(*c.limit(s)).label() for s in steps},
        "register_condition": c.register_condition,
        "close_condition": c.close_condition,
        "questions": c.questions or [],
    }


def unit_out(u: HandlingUnit) -> dict:
    return {
        "id": u.pk,
        "code": u.code,
        "name": u.name,
        "level": u.level,
        "unit_type": u.unit_type,
        "area_code": u.area_code,
        "parent": ref(u.parent) if u.parent_id else None,
    }


def notification_out(n: Notification) -> dict:
    return {
        "id": n.pk,
        "channel": n.channel,
        "event": n.event,
        "text": n.text,
        "status": n.status,
        "attempts": n.attempts,
        "case_id": n.case_id,
        "created_at": n.created_at,
        "sent_at": n.sent_at,
        "read_at": n.read_at,
    }


def extension_out(e) -> dict:
    return {
        "id": e.pk,
        "status": e.status,
        "amount": float(e.amount),
        "amount_unit": e.amount_unit,
        "new_deadline": e.new_deadline,
    }
