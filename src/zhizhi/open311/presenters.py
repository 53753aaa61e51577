"""The shapes of every Open311 answer, as plain dicts and lists in the spec's field order (formats.py turns
them into XML or JSON). Statuses, notes, agency and expected time come from mapping.py only."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from zhizhi.cases.deadlines import Limit
from zhizhi.cases.models import Case, Category, Transition
from zhizhi.open311 import conf, mapping
from zhizhi.open311.intake import option_pairs
from zhizhi.open311.models import ClientUpdate, Submission
from zhizhi.open311.queries import Extras

Url = Callable[[str], str]  # a path → an absolute URL
_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![\dXx])(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")
_ROOM = re.compile(r"\d+室$")


def public_text(text: str) -> str:
    """Phone and ID numbers masked (138****5678, 330105********1234) in text shown to the public."""
    return _PHONE.sub(r"\1****\2", _ID_NUMBER.sub(r"\1********\2", text or ""))


def public_address(address: str) -> str:
    """The address without the room: the building is enough to find the problem, the flat is private."""
    return _ROOM.sub("", address or "")


# ------------------------------------------------------------------------------------------- discovery


def discovery(url: Url) -> dict:
    return {
        "changeset": conf.CHANGESET,
        "contact": conf.contact(),
        "key_service": conf.key_service(),
        "endpoints": [
            {
                "specification": conf.SPEC_URL,
                "url": url("/open311/v2"),
                "changeset": conf.CHANGESET,
                "type": conf.endpoint_type(),
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


# ------------------------------------------------------------------------------------------- services


def service_out(c: Category) -> dict:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": c.register_condition or f"{c.major_name}：{c.name}",
        "metadata": bool(c.questions),
        "type": "realtime",
        "keywords": ",".join(a.strip() for a in c.aliases.split(",") if a.strip()),
        "group": c.major_name,
    }


def attribute_out(question: dict, order: int) -> dict:
    datatype = mapping.datatype_of(question.get("type"))
    lists = datatype in (mapping.Datatype.SINGLEVALUELIST, mapping.Datatype.MULTIVALUELIST)
    out: dict[str, Any] = {
        "variable": True,
        "code": str(question.get("key")),
        "datatype": datatype.value,
        "required": bool(question.get("required")),
        "datatype_description": mapping.DATATYPE_DESCRIPTIONS[datatype],
        "order": order,
        "description": str(question.get("label") or question.get("key")),
    }
    if lists:
        out["values"] = [{"key": key, "name": name} for key, name in option_pairs(question)]
    return out


def definition_out(c: Category) -> dict:
    questions = [q for q in c.questions or [] if q.get("key")]
    return {
        "service_code": c.code,
        "attributes": [attribute_out(q, i) for i, q in enumerate(questions, start=1)],
    }


def service_notice(c: Category) -> str:
    return f"{c.name}：按规定{Limit.of(*c.limit('handle')).label()}内处置"


# ------------------------------------------------------------------------------------------- requests


def _unit_name(case: Case) -> str:
    return case.current_unit.name if case.current_unit_id and case.current_unit else ""


def request_out(case: Case, extras: Extras, url: Url, *, extended: bool = False) -> dict:
    last_action = getattr(case, "last_action", None)
    unit = _unit_name(case)
    submission = extras.submissions.get(case.pk)
    media = extras.media.get(case.pk)
    out: dict[str, Any] = {
        "service_request_id": str(case.pk),
        "status": mapping.status_of(case.status).value,
        "status_notes": mapping.status_notes(
            case.status, unit, last_action, getattr(case, "last_reason", "") or ""
        ),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": public_text(case.description),
        "agency_responsible": unit or None,
        "service_notice": service_notice(case.category),
        "requested_datetime": case.created_at,
        "updated_datetime": case.updated_at,
        "expected_datetime": mapping.expected_datetime(case.status, case.deadline),
        "address": public_address(case.address) or None,
        "address_id": (submission.address_id or None) if submission else None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": (submission.media_url if submission and submission.media_url else None)
        or (url(f"/open311/v2/media/{media}") if media else None),
    }
    if extended:
        out["attributes"] = attributes_out(case)
        out["notes"] = notes_out(extras.history.get(case.pk, []), extras.client_updates.get(case.pk, []))
        out["extended_attributes"] = {
            "case_number": case.number,
            "channel": case.channel,
            "extended_status": mapping.extended_status(case.status, last_action).value,
            "area_code": case.area_code,
        }
    return out


def attributes_out(case: Case) -> list[dict]:
    labels = {q.get("key"): q.get("label") or q.get("key") for q in case.category.questions or []}
    return [
        {"code": code, "description": str(labels.get(code, code)), "value": public_text(str(value))}
        for code, value in (case.answers or {}).items()
    ]


def notes_out(history: list[Transition], client_updates: list[ClientUpdate]) -> list[dict]:
    notes = [
        {
            "datetime": t.at,
            "type": "status",
            "status": mapping.extended_status(t.to_status, t.action).value,
            "summary": mapping.EXTENDED_LABELS[mapping.extended_status(t.to_status, t.action)],
            "description": public_text(
                mapping.update_note(t.action, t.unit_to.name if t.unit_to else "", t.reason, t.deadline)
            ),
        }
        for t in history
    ] + [
        {
            "datetime": u.received_at,
            "type": "comment",
            "status": u.status,
            "summary": "客户端更新",
            "description": public_text(u.description),
        }
        for u in client_updates
    ]
    return sorted(notes, key=lambda n: n["datetime"])


def submission_out(submission: Submission, notice: str) -> dict:
    return {
        "service_request_id": str(submission.case_id) if submission.case_id else None,
        "token": submission.token,
        "service_notice": notice,
        "account_id": submission.account_id or None,
    }


def token_out(submission: Submission) -> dict:
    return {
        "service_request_id": str(submission.case_id) if submission.case_id else None,
        "token": submission.token,
    }


# ------------------------------------------------------------------------------------------- updates


def update_out(t: Transition, media: dict[int, int], url: Url) -> dict:
    attachment = media.get(t.pk)
    return {
        "update_id": str(t.pk),
        "service_request_id": str(t.case_id),
        "status": mapping.extended_status(t.to_status, t.action).value,
        "updated_datetime": t.at,
        "description": public_text(
            mapping.update_note(t.action, t.unit_to.name if t.unit_to else "", t.reason, t.deadline)
        ),
        "media_url": url(f"/open311/v2/media/{attachment}") if attachment else None,
    }


def client_update_out(u: ClientUpdate) -> dict:
    return {"update_id": f"c{u.pk}"}
