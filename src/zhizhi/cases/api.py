"""Cases API at /api/cases/ (session auth): intake, lists, detail with timeline, one POST per workflow action,
categories, units, routing preview and the notification inbox. Routes parse, call one service or query,
shape.

Scope misses are 404; actors the workflow table does not allow get 403; an action the case's status does
not allow is 409; bad input is 400 naming the field.
"""

from __future__ import annotations

from django.http import HttpResponse
from ninja import File, Form, Query, Router, Status, UploadedFile

from zhizhi.cases import queries, services
from zhizhi.cases.presenters import (
    attachment_out,
    case_detail_out,
    case_row,
    category_out,
    extension_out,
    nearby_row,
    notification_out,
    unit_out,
)
from zhizhi.cases.schemas import (
    AttachmentOut,
    CaseDetailOut,
    CaseIn,
    CasePageOut,
    CategoryOut,
    ContactOut,
    DecisionIn,
    DispatchIn,
    EnforcementIn,
    EscalateIn,
    ExtensionIn,
    ExtensionOut,
    IntakeOut,
    MergeIn,
    NearbyOut,
    NoteIn,
    NotificationOut,
    ReasonIn,
    RevisitIn,
    RoutePreviewOut,
    SendDownIn,
    SubmitIn,
    SuperviseIn,
    UnitOut,
    VerifyIn,
    WorklistOut,
    enforcement_in,
    files_in,
)
from zhizhi.cases.services.outbox import mark_read
from zhizhi.core.errors import NotFound
from zhizhi.core.params import Id, Offset

router = Router(tags=["cases"])
PAGE_MAX = 100


def _detail(request, case_id: Id) -> dict:
    return case_detail_out(queries.case_detail(request.user, case_id))


# ------------------------------------------------------------------------------------------- reference data


@router.get("/categories", response=list[CategoryOut])
def list_categories(request, q: str = ""):
    qs = queries.categories()
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(aliases__icontains=q)
    return [category_out(c) for c in qs]


@router.get("/units", response=list[UnitOut])
def list_units(request, level: str = ""):
    qs = queries.units_for(request.user).select_related("parent")
    return [unit_out(u) for u in (qs.filter(level=level) if level else qs)]


@router.get("/routing/preview", response=RoutePreviewOut)
def routing_preview(
    request,
    category: str,
    lat: float | None = None,
    lon: float | None = None,
    crs: str = "wgs84",
    area_code: str = "",
):
    p = queries.route_preview(request.user, category, lat=lat, lon=lon, crs=crs, area_code=area_code)
    return {
        "category": p["category"].name,
        "area_code": p["area"].code,
        "area": p["area"].name,
        "unit": unit_out(p["unit"]) if p["unit"] else None,
        "rule_id": p["rule_id"],
        "reason": p["reason"],
        "escalation": [unit_out(u) for u in p["escalation"]],
        "limits": p["limits"],
    }


@router.get("/nearby", response=list[NearbyOut])
def nearby(request, category: str, lat: float, lon: float, crs: str = "wgs84"):
    return [nearby_row(c) for c in queries.nearby(request.user, category, lat, lon, crs)]


@router.get("/notifications", response=list[NotificationOut])
def my_notifications(request, unread: bool = False, limit: int = 50):
    qs = queries.notifications_for(request.user).select_related(None)  # the answer names the case by id only
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return [notification_out(n) for n in qs[: max(1, min(limit, PAGE_MAX))]]


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read_notification(request, notification_id: Id):
    return notification_out(mark_read(request.user, notification_id))


@router.get("/worklist/{unit_id}", response=WorklistOut)
def unit_worklist(request, unit_id: Id, limit: int = 50, offset: Offset = 0):
    w = queries.worklist(request.user, unit_id)
    rows = w.cases[max(0, offset) : max(0, offset) + max(1, min(limit, PAGE_MAX))]
    return {
        "unit": unit_out(w.unit),
        "to_sign": w.to_sign,
        "in_handling": w.in_handling,
        "overdue": w.overdue,
        "items": [case_row(c) for c in rows],
    }


# ------------------------------------------------------------------------------------------- intake and
# reading


@router.post("/", response={200: IntakeOut, 201: IntakeOut})
def open_case(request, payload: CaseIn):
    key = payload.idempotency_key or request.headers.get("Idempotency-Key", "")
    data = services.CaseInput(
        **payload.dict(exclude={"photos", "idempotency_key"}),
        photos=files_in(payload.photos),
        idempotency_key=key,
    )
    result = services.open_case(request.user, data)
    body = {
        "created": result.created,
        "case": case_row(result.case),  # the row just written; the timeline is at GET /api/cases/{id}
        "duplicates": [nearby_row(c) for c in result.duplicates],
    }
    return Status(201 if result.created else 200, body)


@router.get("/", response=CasePageOut)
def search(
    request,
    q: str = "",
    status: str = "",
    category: str = "",
    unit: Id | None = None,
    channel: str = "",
    overdue: bool | None = None,
    open_only: bool = False,
    area: str = "",
    limit: int = Query(20, ge=1, le=PAGE_MAX),
    offset: Offset = 0,
):
    qs = queries.search_cases(
        request.user,
        q=q,
        status=status,
        category=category,
        unit=unit,
        channel=channel,
        overdue=overdue,
        open_only=open_only,
        area=area,
    )
    rows = list(qs[offset : offset + limit + 1])
    return {
        "items": [case_row(c) for c in rows[:limit]],
        "next_offset": offset + limit if len(rows) > limit else None,
    }


@router.get("/{case_id}", response=CaseDetailOut)
def detail(request, case_id: Id):
    return _detail(request, case_id)


@router.get("/{case_id}/duplicates", response=list[NearbyOut])
def duplicates(request, case_id: Id):
    case = queries.access_case(request.user, case_id)
    return [nearby_row(c) for c in services.duplicate_summaries(case)]


@router.get("/{case_id}/contact", response=ContactOut)
def contact(request, case_id: Id):
    return {"contact_phone": services.reveal_contact(request.user, case_id)}


@router.post("/{case_id}/attachments", response={201: AttachmentOut})
def upload(request, case_id: Id, file: UploadedFile = File(...), kind: str = Form("photo")):  # noqa: B008
    data = services.FileInput(file.name or "file", file.content_type or "", file.read())
    return Status(201, attachment_out(services.add_attachment(request.user, case_id, data, kind)))


@router.get("/{case_id}/attachments/{attachment_id}")
def download(request, case_id: Id, attachment_id: Id):
    case = queries.access_case(request.user, case_id)
    item = case.attachments.filter(pk=attachment_id).first()
    if item is None:
        raise NotFound(f"attachment {attachment_id} not found", field="attachment_id")
    response = HttpResponse(bytes(item.data), content_type=item.content_type)
    response["Content-Disposition"] = f'inline; filename="{item.pk}"'
    return response


# ------------------------------------------------------------------------------------------- workflow actions


@router.post("/{case_id}/register", response=CaseDetailOut)
def register(request, case_id: Id, payload: NoteIn):
    services.register_case(request.user, case_id, note=payload.note)
    return _detail(request, case_id)


@router.post("/{case_id}/reject", response=CaseDetailOut)
def reject(request, case_id: Id, payload: ReasonIn):
    services.reject_case(request.user, case_id, reason=payload.reason)
    return _detail(request, case_id)


@router.post("/{case_id}/merge", response=CaseDetailOut)
def merge(request, case_id: Id, payload: MergeIn):
    services.merge_case(request.user, case_id, into=payload.into, reason=payload.reason)
    return _detail(request, case_id)


@router.post("/{case_id}/dispatch", response=CaseDetailOut)
def dispatch(request, case_id: Id, payload: DispatchIn):
    services.dispatch_case(request.user, case_id, unit_id=payload.unit, note=payload.note)
    return _detail(request, case_id)


@router.post("/{case_id}/accept", response=CaseDetailOut)
def accept(request, case_id: Id):
    services.accept_case(request.user, case_id)
    return _detail(request, case_id)


@router.post("/{case_id}/start", response=CaseDetailOut)
def start(request, case_id: Id, payload: NoteIn):
    services.start_handling(request.user, case_id, note=payload.note)
    return _detail(request, case_id)


@router.post("/{case_id}/submit", response=CaseDetailOut)
def submit(request, case_id: Id, payload: SubmitIn):
    services.submit_handling(
        request.user,
        case_id,
        note=payload.note,
        evidence=payload.evidence,
        photos=files_in(payload.photos),
        attachment_ids=payload.attachment_ids,
        enforcement=enforcement_in(payload.enforcement),
    )
    return _detail(request, case_id)


@router.post("/{case_id}/verify", response=CaseDetailOut)
def verify(request, case_id: Id, payload: VerifyIn):
    services.verify_case(
        request.user,
        case_id,
        passed=payload.passed,
        note=payload.note,
        method=payload.method,
        photos=files_in(payload.photos),
        attachment_ids=payload.attachment_ids,
        source_ref=payload.source_ref,
    )
    return _detail(request, case_id)


@router.post("/{case_id}/close", response=CaseDetailOut)
def close(request, case_id: Id, payload: NoteIn):
    services.close_case(request.user, case_id, note=payload.note)
    return _detail(request, case_id)


@router.post("/{case_id}/return", response=CaseDetailOut)
def return_(request, case_id: Id, payload: ReasonIn):
    services.return_case(request.user, case_id, reason=payload.reason)
    return _detail(request, case_id)


@router.post("/{case_id}/escalate", response=CaseDetailOut)
def escalate(request, case_id: Id, payload: EscalateIn):
    services.escalate_case(request.user, case_id, reason=payload.reason, unit_id=payload.unit)
    return _detail(request, case_id)


@router.post("/{case_id}/send-down", response=CaseDetailOut)
def send_down(request, case_id: Id, payload: SendDownIn):
    services.send_down_case(request.user, case_id, unit_id=payload.unit, reason=payload.reason)
    return _detail(request, case_id)


@router.post("/{case_id}/supervise", response=CaseDetailOut)
def supervise(request, case_id: Id, payload: SuperviseIn):
    services.supervise_case(request.user, case_id, reason=payload.reason, deadline=payload.deadline)
    return _detail(request, case_id)


@router.post("/{case_id}/extension", response={201: ExtensionOut})
def request_extension(request, case_id: Id, payload: ExtensionIn):
    e = services.request_extension(
        request.user, case_id, amount=payload.amount, amount_unit=payload.amount_unit, reason=payload.reason
    )
    return Status(201, extension_out(e))


@router.post("/{case_id}/extension/decision", response=ExtensionOut)
def decide_extension(request, case_id: Id, payload: DecisionIn):
    e = services.decide_extension(request.user, case_id, approve=payload.approve, note=payload.note)
    return extension_out(e)


@router.post("/{case_id}/backlog", response=CaseDetailOut)
def backlog(request, case_id: Id, payload: ReasonIn):
    services.backlog_case(request.user, case_id, reason=payload.reason)
    return _detail(request, case_id)


@router.post("/{case_id}/resume", response=CaseDetailOut)
def resume(request, case_id: Id, payload: NoteIn):
    services.resume_case(request.user, case_id, note=payload.note)
    return _detail(request, case_id)


@router.post("/{case_id}/revisit", response=CaseDetailOut)
def revisit(request, case_id: Id, payload: RevisitIn):
    services.record_revisit(request.user, case_id, **payload.dict())
    return _detail(request, case_id)


@router.post("/{case_id}/reopen", response=CaseDetailOut)
def reopen(request, case_id: Id, payload: ReasonIn):
    services.reopen_case(request.user, case_id, reason=payload.reason)
    return _detail(request, case_id)


@router.post("/{case_id}/enforcement", response=CaseDetailOut)
def enforcement(request, case_id: Id, payload: EnforcementIn):
    services.record_enforcement(request.user, case_id, enforcement_in(payload))
    return _detail(request, case_id)


@router.post("/{case_id}/follow", response=CaseDetailOut)
def follow(request, case_id: Id):
    services.follow_case(request.user, case_id)
    return _detail(request, case_id)
