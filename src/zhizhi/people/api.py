"""People API at /api/people/ (session auth). Routes parse, access, call one service, and shape the answer.

Scope misses are 404; roles that may not do something get 403; bad input is 400 naming the field.
"""

from django.http import HttpResponse
from ninja import File, Query, Router, Status, UploadedFile

from zhizhi.core.errors import Conflict, InvalidInput
from zhizhi.core.params import Id, Page
from zhizhi.people import excel, queries, services
from zhizhi.people.models import ExportJob, ExportStatus, Household, Resident
from zhizhi.people.schemas import (
    ContactIn,
    ContactOut,
    ExportIn,
    ExportJobOut,
    HouseholdDetailOut,
    HouseholdPageOut,
    ImportOut,
    ResidentDetailOut,
    ResidentIn,
    ResidentPageOut,
    ResidentPatchIn,
    RevealOut,
)

router = Router(tags=["people"])


# --- shaping ------------------------------------------------------------------------------------------------


def resident_row(r: Resident, tags: list | None = None) -> dict:
    """A list row; `tags` when the caller loaded them, else the prefetched ones."""
    home = r.home if r.home_id else None
    return {
        "id": r.pk,
        "name": r.name,
        "id_number": r.id_number_masked,
        "phone": r.phone_masked,
        "sex": r.sex,
        "birth_date": r.birth_date,
        "status": r.status,
        "area_code": r.area_code,
        "home_code": home.code if home else "",
        "address": home.address if home else "",
        "tags": [t.name for t in (r.tags.all() if tags is None else tags)],
    }


def resident_detail(actor, r: Resident) -> dict:
    profile = queries.resident_profile(r)
    household = r.household if r.household_id else None
    return resident_row(r, profile["tags"]) | {
        "household": {"id": household.pk, "number": household.number} if household else None,
        "relation_to_head": r.relation_to_head,
        "residences": [
            {
                "dwelling_code": x.dwelling.code,
                "address": x.dwelling.address,
                "relation": x.relation,
                "is_primary": x.is_primary,
                "since": x.since,
            }
            for x in profile["residences"]
        ],
        "contacts": [contact_out(c) for c in profile["contacts"]],
        "may_reveal": queries.can_reveal(actor),
        "may_edit": queries.may_edit(actor),
    }


def contact_out(c) -> dict:
    return {
        "id": c.pk,
        "kind": c.kind,
        "name": c.name,
        "relation": c.relation,
        "phone": c.phone_masked,
        "priority": c.priority,
    }


def household_row(h: Household) -> dict:
    return {
        "id": h.pk,
        "number": h.number,
        "kind": h.kind,
        "area_code": h.area_code,
        "dwelling_code": h.dwelling.code if h.dwelling else "",
        "address": h.dwelling.address if h.dwelling else "",
        "head_name": h.head.name if h.head else "",
        "member_count": getattr(h, "member_count", 0),
    }


def page_out(page: queries.Page, shape) -> dict:
    return {
        "items": [shape(x) for x in page.items],
        "page": page.number,
        "page_size": page.size,
        "has_next": page.has_next,
        "total": page.total,
        "total_capped": page.total_capped,
    }


def job_out(job: ExportJob) -> dict:
    done = job.status == ExportStatus.DONE
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "params": job.params,
        "rows": job.rows,
        "error": job.error,
        "filename": job.filename,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "download_url": f"/api/people/exports/{job.pk}/download" if done else None,
    }


def require_file(file: UploadedFile | None) -> UploadedFile:
    if file is None:
        raise InvalidInput("upload an .xlsx file in the `file` field", field="file")
    return file


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- residents ----------------------------------------------------------------------------------------------


@router.get("/residents", response=ResidentPageOut, summary="List or search residents (masked)")
def list_residents(
    request,
    q: str = "",
    tags: list[str] = Query([]),  # noqa: B008
    community: str = "",
    grid: str = "",
    page: Page = 1,
):
    """`q` is a name fragment, pinyin (initials or full, prefix), a whole ID number, a whole phone, the
    last four digits of a phone, or part of the home address. `tags` (repeatable) keeps residents having
    every tag."""
    qs = queries.search_residents(request.user, q, tags=tags, community=community, grid=grid)
    return page_out(queries.page_of(qs, page), resident_row)


@router.post("/residents", response={201: ResidentDetailOut}, summary="Register a resident")
def create_resident(request, payload: ResidentIn):
    resident = services.register_resident(request.user, services.ResidentInput(**payload.dict()))
    return Status(201, resident_detail(request.user, queries.access_resident(request.user, resident.pk)))


@router.get("/residents/{resident_id}", response=ResidentDetailOut, summary="One resident (masked; audited)")
def get_resident(request, resident_id: Id):
    return resident_detail(request.user, services.open_resident(request.user, resident_id))


@router.patch("/residents/{resident_id}", response=ResidentDetailOut, summary="Change a resident")
def patch_resident(request, resident_id: Id, payload: ResidentPatchIn):
    resident = queries.access_resident(request.user, resident_id)
    services.change_resident(request.user, resident, payload.dict(exclude_unset=True, exclude_none=True))
    return resident_detail(request.user, queries.access_resident(request.user, resident_id))


@router.post(
    "/residents/{resident_id}/reveal", response=RevealOut, summary="Whole ID number / phone (audited)"
)
def reveal(request, resident_id: Id):
    resident = queries.access_resident(request.user, resident_id)
    shown = services.reveal_resident(request.user, resident)
    return {"id": resident.pk, **shown, "revealed": queries.can_reveal(request.user)}


@router.get("/residents/{resident_id}/contacts", response=list[ContactOut], summary="Contacts (masked)")
def list_contacts(request, resident_id: Id):
    resident = queries.access_resident(request.user, resident_id)
    return [contact_out(c) for c in queries.contacts_of(resident)]


@router.post("/residents/{resident_id}/contacts", response={201: ContactOut}, summary="Add a contact")
def create_contact(request, resident_id: Id, payload: ContactIn):
    resident = queries.access_resident(request.user, resident_id)
    contact = services.add_contact(request.user, resident, **payload.dict())
    return Status(201, contact_out(contact))


# --- households ---------------------------------------------------------------------------------------------


@router.get("/households", response=HouseholdPageOut, summary="List or search households")
def list_households(request, q: str = "", community: str = "", grid: str = "", page: Page = 1):
    qs = queries.search_households(request.user, q, community=community, grid=grid)
    return page_out(queries.page_of(qs, page), household_row)


@router.get(
    "/households/{household_id}", response=HouseholdDetailOut, summary="One household and its members"
)
def get_household(request, household_id: Id):
    household = queries.access_household(request.user, household_id)
    members = queries.household_members(request.user, household)
    row = household_row(household) | {"member_count": len(members)}
    return row | {"members": [resident_row(m) for m in members]}


# --- Excel --------------------------------------------------------------------------------------------------


@router.post("/import/residents", response=ImportOut, summary="Import residents from .xlsx (all or nothing)")
def import_residents(request, file: UploadedFile | None = File(None)):  # noqa: B008
    file = require_file(file)
    result = excel.import_residents(request.user, file.read(), filename=file.name or "")
    return {
        "created": result.created,
        "updated": result.updated,
        "households_created": result.households_created,
    }


@router.post(
    "/import/households", response=ImportOut, summary="Import households from .xlsx (all or nothing)"
)
def import_households(request, file: UploadedFile | None = File(None)):  # noqa: B008
    file = require_file(file)
    result = excel.import_households(request.user, file.read(), filename=file.name or "")
    return {"created": result.created, "updated": result.updated}


@router.post(
    "/exports", response={202: ExportJobOut}, summary="Request an Excel export (built in the background)"
)
def request_export(request, payload: ExportIn):
    params = payload.dict()
    job = services.request_export(request.user, params.pop("kind"), params)
    return Status(202, job_out(job))


@router.get("/exports", response=list[ExportJobOut], summary="My exports")
def list_exports(request):
    return [job_out(j) for j in queries.export_jobs_for(request.user)[:50]]


@router.get("/exports/{job_id}", response=ExportJobOut, summary="One export's status")
def get_export(request, job_id: Id):
    return job_out(queries.access_export_job(request.user, job_id))


@router.post("/exports/{job_id}/retry", response={202: ExportJobOut}, summary="Queue a failed export again")
def retry_export(request, job_id: Id):
    return Status(
        202, job_out(services.retry_export(request.user, queries.access_export_job(request.user, job_id)))
    )


@router.get("/exports/{job_id}/download", summary="The finished .xlsx", response={200: None})
def download_export(request, job_id: Id):
    job = queries.access_export_job(request.user, job_id, with_file=True)
    if job.status != ExportStatus.DONE:
        raise Conflict(f"export {job_id} is {job.status}", field="status")
    assert job.file is not None  # a finished export has its file
    return xlsx_response(bytes(job.file), job.filename)
