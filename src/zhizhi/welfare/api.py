"""Welfare API at /api/welfare/ (session auth): programmes and their rules (check, preview, re-evaluate),
enrolments (bulk verify, decisions, consent), cycles and exchange batches (file, receipt), case files (visits,
assessments, plans, referrals, reveal), advisors. Routes parse, call one service or query, and shape.

Scope misses are 404, roles that may not act get 403, a decision the status does not allow is 409, bad input
(and a bad rule, with its line, column and caret) is 400 naming the field.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import reverse
from ninja import File, Form, Router, Status, UploadedFile

from zhizhi.core.errors import InvalidInput
from zhizhi.core.params import Id, Page
from zhizhi.people.queries import page_of
from zhizhi.welfare import links, queries, shapes
from zhizhi.welfare.rules.vocabulary import FACTS
from zhizhi.welfare.schemas import (
    AccountIn,
    ActionIn,
    AdvisorIn,
    AssessmentIn,
    AssignIn,
    AssignOut,
    BatchDetailOut,
    BatchOut,
    CaseFileDetailOut,
    CaseFileMapOut,
    CaseFilePageOut,
    CaseFileRowOut,
    ConsentIn,
    CreatedOut,
    CycleIn,
    CycleOut,
    EnrolmentDetailOut,
    EnrolmentOut,
    EnrolmentPageOut,
    FactOut,
    IdsIn,
    OpenIn,
    PlanIn,
    PreviewOut,
    ProgrammeOut,
    ReceiptOut,
    ReevaluationOut,
    ReferralIn,
    ReferralUpdateIn,
    RevealOut,
    RuleCheckIn,
    RuleCheckOut,
    RuleIn,
    VisitIn,
    VisitOut,
    WorkbenchOut,
)
from zhizhi.welfare.services import casefiles, delivery, enrolment, programmes, receipts
from zhizhi.welfare.timeline import timeline

router = Router(tags=["welfare"])
MAX_PHOTOS = 6


def page_dict(page, shape) -> dict:
    return {
        "items": [shape(x) for x in page.items],
        "page": page.number,
        "page_size": page.size,
        "has_next": page.has_next,
        "total": page.total,
        "total_capped": page.total_capped,
    }


# --- programmes and rules -----------------------------------------------------------------------------------


@router.get("/facts", response=list[FactOut], summary="The facts a rule may use")
def list_facts(request):
    return [
        {"name": f.name, "type": f.type.value, "description": f.description, "aliases": list(f.aliases)}
        for f in FACTS
    ]


@router.get("/programmes", response=list[ProgrammeOut], summary="Programmes")
def list_programmes(request):
    return [shapes.programme_out(p) for p in queries.programmes_for(request.user)]


@router.get("/programmes/{code}", response=ProgrammeOut, summary="One programme")
def get_programme(request, code: str):
    return shapes.programme_out(queries.access_programme(request.user, code))


@router.post("/rules/check", response=RuleCheckOut, summary="Check a rule or formula without saving it")
def check_rule(request, payload: RuleCheckIn):
    if payload.kind not in ("rule", "formula"):
        raise InvalidInput("kind must be rule or formula", field="kind")
    return programmes.check_rule_text(payload.source, kind=payload.kind)


@router.put(
    "/programmes/{code}/rule", response=ProgrammeOut, summary="Change the rule (and formula); audited"
)
def put_rule(request, code: str, payload: RuleIn):
    programme = queries.access_programme(request.user, code)
    return shapes.programme_out(
        programmes.update_rule(request.user, programme, rule=payload.rule, formula=payload.formula)
    )


@router.post(
    "/programmes/{code}/preview", response=PreviewOut, summary="Who qualifies now, who would start or stop"
)
def preview(request, code: str, payload: RuleIn):
    programme = queries.access_programme(request.user, code)
    result = queries.preview(request.user, programme, payload.rule)
    return vars(result)


@router.post(
    "/programmes/{code}/reevaluate", response=ReevaluationOut, summary="Re-evaluate now (drafts, flags)"
)
def reevaluate(request, code: str):
    programme = queries.access_programme(request.user, code)
    return vars(enrolment.reevaluate_for(request.user, programme))


# --- enrolments ---------------------------------------------------------------------------------------------


@router.get("/programmes/{code}/enrolments", response=EnrolmentPageOut, summary="Enrolments of a programme")
def list_enrolments(
    request, code: str, status: str = "", flagged: bool | None = None, explain: bool = False, page: Page = 1
):
    """`explain=true` adds each person's explanation under the current rule (for bulk verification)."""
    programme = queries.access_programme(request.user, code)
    result = page_of(queries.enrolment_list(request.user, programme, status=status, flagged=flagged), page)
    lines = queries.explain_enrolments(result.items, programme) if explain else {}
    return page_dict(result, lambda e: shapes.enrolment_out(e, code, lines.get(e.pk) if explain else None))


@router.post("/enrolments/verify", response=list[EnrolmentOut], summary="Verify drafts in bulk")
def verify(request, payload: IdsIn):
    rows = enrolment.verify_enrolments(request.user, payload.ids)
    return [shapes.enrolment_out(queries.access_enrolment(request.user, e.pk)) for e in rows]


@router.get(
    "/enrolments/{enrolment_id}", response=EnrolmentDetailOut, summary="One enrolment with its history"
)
def get_enrolment(request, enrolment_id: Id):
    e = queries.access_enrolment(request.user, enrolment_id)
    return shapes.enrolment_out(e) | {"events": [shapes.event_out(ev) for ev in e.events.all()]}


@router.post(
    "/enrolments/{enrolment_id}/actions",
    response=EnrolmentOut,
    summary="Enrol, reject, pause, resume, exit …",
)
def act(request, enrolment_id: Id, payload: ActionIn):
    enrolment.transition_enrolment(request.user, enrolment_id, payload.action, payload.reason)
    return shapes.enrolment_out(queries.access_enrolment(request.user, enrolment_id))


@router.post("/enrolments/{enrolment_id}/consent", response=EnrolmentOut, summary="Record consent")
def consent(request, enrolment_id: Id, payload: ConsentIn):
    enrolment.record_consent(request.user, enrolment_id, method=payload.method, given_by=payload.given_by)
    return shapes.enrolment_out(queries.access_enrolment(request.user, enrolment_id))


# --- delivery -----------------------------------------------------------------------------------------------


@router.post("/programmes/{code}/cycles", response={201: CycleOut, 200: CycleOut}, summary="Run a cycle")
def run_cycle(request, code: str, payload: CycleIn):
    """Creates this period's payment records and sends every pending one in a new batch; a re-run sends
    nothing twice (200 with `batch: null` when nothing is pending)."""
    programme = queries.access_programme(request.user, code)
    result = delivery.run_cycle(request.user, programme, payload.period)
    body = {
        "batch": shapes.batch_out(result.batch) if result.batch else None,
        "created": result.created,
        "held": result.held,
        "already": result.already,
    }
    return Status(201 if result.batch else 200, body)


@router.post("/programmes/{code}/accounts", response=CreatedOut, summary="Set a payee's account number")
def set_account(request, code: str, payload: AccountIn):
    programme = queries.access_programme(request.user, code)
    account = delivery.set_partner_account(
        request.user, programme, resident_id=payload.resident_id, account_number=payload.account_number
    )
    return {"id": account.pk}


@router.get("/batches", response=list[BatchOut], summary="Exchange batches")
def list_batches(request):
    return [shapes.batch_out(b) for b in queries.batches_for(request.user)[:200]]


@router.get("/batches/{batch_id}", response=BatchDetailOut, summary="One batch with its rows")
def get_batch(request, batch_id: Id):
    batch = queries.access_batch(request.user, batch_id)
    lines = [
        {
            "line_no": x.line_no,
            "reference": x.reference,
            "payload": x.payload,
            "result": x.result,
            "reason": x.reason,
        }
        for x in batch.lines.order_by("line_no")
    ]
    return shapes.batch_out(batch) | {"lines": lines}


@router.get("/batches/{batch_id}/file", summary="The batch as the partner's file (CSV or xlsx)")
def batch_file(request, batch_id: Id):
    name, data, kind = delivery.hand_over_file(request.user, queries.access_batch(request.user, batch_id))
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.post("/batches/{batch_id}/receipt", response=ReceiptOut, summary="Import the partner's receipt")
def import_receipt(request, batch_id: Id, file: UploadedFile = File(None)):  # noqa: B008
    if file is None:
        raise InvalidInput("upload the receipt (CSV or xlsx) in the `file` field", field="file")
    batch = queries.access_batch(request.user, batch_id)
    return receipts.import_receipt(request.user, batch, file.read(), file.name or "")


@router.post(
    "/disbursements/{disbursement_id}/resend", response=CreatedOut, summary="Send a rejected row again"
)
def resend(request, disbursement_id: Id):
    return {"id": delivery.resend_disbursement(request.user, disbursement_id).pk}


# --- case files ---------------------------------------------------------------------------------------------


@router.get("/casefiles", response=CaseFilePageOut, summary="Register of vulnerable people")
def list_casefiles(
    request,
    q: str = "",
    risk: str = "",
    tag: str = "",
    community: str = "",
    advisor: str = "",
    overdue: bool = False,
    page: Page = 1,
):
    qs = queries.register(
        request.user, q=q, risk=risk, tag=tag, community=community, advisor=advisor, overdue=overdue
    )
    return page_dict(page_of(qs, page), shapes.casefile_row)


@router.get(
    "/casefiles/map",
    response=CaseFileMapOut,
    summary="The register on the map: people per building",
    url_name="welfare_casefile_map",
)
def casefile_map(
    request,
    q: str = "",
    risk: str = "",
    tag: str = "",
    community: str = "",
    advisor: str = "",
    overdue: bool = False,
):
    """Same filters and scope as the register; one point per building (WGS84) with its people by risk level,
    the busiest buildings first, at most queries.MAP_MAX_BUILDINGS. No names or ID numbers."""
    filters = {"q": q, "risk": risk, "tag": tag, "community": community, "advisor": advisor}
    result = queries.register_map(
        request.user, q=q, risk=risk, tag=tag, community=community, advisor=advisor, overdue=overdue
    )
    kept = {k: v for k, v in filters.items() if v} | ({"overdue": "1"} if overdue else {})
    base = reverse("welfare:register")
    for point in result.points:
        point["url"] = f"{base}?{urlencode(kept | {'building': point['building']})}"
    return vars(result)


@router.post(
    "/casefiles/open", response=AssignOut, summary="Open case files for vulnerable people of an area"
)
def open_casefiles(request, payload: OpenIn):
    return {"assigned": casefiles.open_case_files(request.user, payload.area_code)}


@router.get("/casefiles/{casefile_id}", response=CaseFileDetailOut, summary="One case file with its timeline")
def get_casefile(request, casefile_id: Id):
    c = queries.access_casefile(request.user, casefile_id)
    sections = links.linked(request.user, c.resident)
    entries = [
        {"at": e.at, "kind": e.kind, "title": e.title, "detail": e.detail, "by": e.by}
        for e in timeline(c, linked=sections)
    ]
    return shapes.casefile_row(c) | {
        "risk_factors": c.risk_factors,
        "visit_interval_days": c.visit_interval_days,
        "tags": [t.name for t in c.resident.tags.all()],
        "links": [shapes.link_section(s) for s in sections],
        "timeline": entries,
    }


@router.post(
    "/casefiles/{casefile_id}/visits", response={201: VisitOut}, summary="Record a visit (with photos)"
)
def add_visit(request, casefile_id: Id, payload: Form[VisitIn], photos: list[UploadedFile] = File(None)):  # noqa: B008
    files = list(photos or [])
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(f"at most {MAX_PHOTOS} photos", field="photos")
    visit = casefiles.record_visit(
        request.user,
        casefile_id,
        note=payload.note,
        at=payload.at,
        kind=payload.kind,
        lat=payload.lat,
        lon=payload.lon,
        photos=[(f.name or "photo", f.content_type or "", f.read()) for f in files],
    )
    out = {
        "id": visit.pk,
        "at": visit.at,
        "kind": visit.kind,
        "note": visit.note,
        "lat": visit.lat,
        "lon": visit.lon,
    }
    return Status(201, out | {"photos": len(files)})


@router.post(
    "/casefiles/{casefile_id}/assessments", response={201: CreatedOut}, summary="Record a needs assessment"
)
def add_assessment(request, casefile_id: Id, payload: AssessmentIn):
    item = casefiles.record_assessment(
        request.user, casefile_id, needs=payload.needs, summary=payload.summary
    )
    return Status(201, {"id": item.pk})


@router.post("/casefiles/{casefile_id}/plans", response={201: CreatedOut}, summary="Set the service plan")
def add_plan(request, casefile_id: Id, payload: PlanIn):
    plan = casefiles.set_service_plan(
        request.user, casefile_id, goals=payload.goals, services=payload.services, review_on=payload.review_on
    )
    return Status(201, {"id": plan.pk})


@router.post("/casefiles/{casefile_id}/referrals", response={201: CreatedOut}, summary="Refer the person")
def add_referral(request, casefile_id: Id, payload: ReferralIn):
    item = casefiles.refer(
        request.user, casefile_id, to=payload.to, reason=payload.reason, case_reference=payload.case_reference
    )
    return Status(201, {"id": item.pk})


@router.post("/referrals/{referral_id}", response=CreatedOut, summary="Update a referral")
def update_referral(request, referral_id: Id, payload: ReferralUpdateIn):
    return {
        "id": casefiles.update_referral(
            request.user, referral_id, status=payload.status, outcome=payload.outcome
        ).pk
    }


@router.post(
    "/casefiles/{casefile_id}/reveal", response=RevealOut, summary="Whole ID number / phone (audited)"
)
def reveal(request, casefile_id: Id):
    return casefiles.reveal(request.user, casefile_id)


@router.post("/casefiles/{casefile_id}/advisor", response=CaseFileRowOut, summary="Assign an advisor")
def set_advisor(request, casefile_id: Id, payload: AdvisorIn):
    casefiles.assign_advisor(request.user, casefile_id, payload.username)
    return shapes.casefile_row(queries.access_casefile(request.user, casefile_id))


@router.post(
    "/advisors/assign", response=AssignOut, summary="Assign unassigned elders of a community by load"
)
def assign(request, payload: AssignIn):
    return {"assigned": len(casefiles.assign_advisors(request.user, payload.community))}


@router.get("/workbench", response=WorkbenchOut, summary="The advisor's workbench: my elders, overdue first")
def workbench(request):
    data = queries.workbench(request.user)
    return {
        "today": data["today"],
        "elders": [shapes.casefile_row(c) for c in data["elders"]],
        "overdue": [shapes.casefile_row(c) for c in data["overdue"]],
    }
