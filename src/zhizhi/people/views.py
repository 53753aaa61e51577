"""People pages: flat function views that parse, access, call one service and render.

Scope misses are 404 and roles that may not do something get 403 (see `domain_errors`).
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhizhi.core.errors import DomainError, Forbidden, InvalidInput, NotFound, RowErrors
from zhizhi.people import excel, queries, services
from zhizhi.people.models import ExportKind, ExportStatus


def domain_errors(view):
    """NotFound → 404, Forbidden → 403; other domain errors a short page with their status (bad input that
    belongs to a form is handled by its view, which shows it beside the form)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            return render(request, "people/error.html", {"error": exc}, status=exc.status)

    return wrapper


def list_filters(request) -> dict:
    return {
        "q": request.GET.get("q", "").strip(),
        "tags": [t for t in request.GET.getlist("tag") if t],
        "community": request.GET.get("community", "").strip(),
        "grid": request.GET.get("grid", "").strip(),
    }


@require_GET
@login_required
@domain_errors
def resident_list(request):
    filters = list_filters(request)
    context = {
        "filters": filters,
        "choices": queries.filter_choices(request.user),
        "page": None,
        "error": None,
    }
    try:
        qs = queries.search_residents(request.user, **filters)
        context["page"] = queries.page_of(qs, request.GET.get("page", 1))
    except InvalidInput as exc:
        context["error"] = exc
        return render(request, "people/resident_list.html", context, status=400)
    context["may_edit"] = queries.may_edit(request.user)
    return render(request, "people/resident_list.html", context)


def _detail(request, resident, revealed=None):
    context = {
        "resident": resident,
        "profile": queries.resident_profile(resident),
        "may_reveal": queries.can_reveal(request.user),
        "revealed": revealed,
    }
    return render(request, "people/resident_detail.html", context)


@require_GET
@login_required
@domain_errors
def resident_detail(request, pk: int):
    return _detail(request, services.open_resident(request.user, pk))


@require_POST
@login_required
@domain_errors
def resident_reveal(request, pk: int):
    resident = queries.access_resident(request.user, pk)
    return _detail(request, resident, revealed=services.reveal_resident(request.user, resident))


@require_GET
@login_required
@domain_errors
def household_list(request):
    filters = {k: v for k, v in list_filters(request).items() if k != "tags"}
    context = {
        "filters": filters,
        "choices": queries.filter_choices(request.user),
        "page": None,
        "error": None,
    }
    try:
        qs = queries.search_households(request.user, **filters)
        context["page"] = queries.page_of(qs, request.GET.get("page", 1))
    except InvalidInput as exc:
        context["error"] = exc
        return render(request, "people/household_list.html", context, status=400)
    return render(request, "people/household_list.html", context)


@require_GET
@login_required
@domain_errors
def household_detail(request, pk: int):
    household = queries.access_household(request.user, pk)
    members = queries.household_members(request.user, household)
    return render(request, "people/household_detail.html", {"household": household, "members": members})


IMPORTERS = {"residents": excel.import_residents, "households": excel.import_households}


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def resident_import(request):
    services.require_edit(request.user)
    kind = request.POST.get("kind") or request.GET.get("kind") or "residents"
    context: dict = {"kind": kind, "errors": None, "result": None, "error": None}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if kind not in IMPORTERS:
                raise InvalidInput(_("Choose residents or households."), field="kind")
            if upload is None:
                raise InvalidInput(_("Choose an .xlsx file."), field="file")
            context["result"] = IMPORTERS[kind](request.user, upload.read(), filename=upload.name)
        except RowErrors as exc:
            context["errors"] = exc.errors
            return render(request, "people/resident_import.html", context, status=400)
        except InvalidInput as exc:
            context["error"] = exc
            return render(request, "people/resident_import.html", context, status=400)
    return render(request, "people/resident_import.html", context)


@require_GET
@login_required
def import_template(request, kind: str):
    if kind not in IMPORTERS:
        raise Http404(kind)
    response = HttpResponse(excel.template_workbook(kind), content_type=excel.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.xlsx"'
    return response


@require_GET
@login_required
def export_list(request):
    jobs = list(queries.export_jobs_for(request.user)[:50])
    pending = any(j.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) for j in jobs)
    return render(request, "people/export_list.html", {"jobs": jobs, "pending": pending})


@require_POST
@login_required
@domain_errors
def export_request(request):
    kind = request.POST.get("kind", ExportKind.RESIDENTS)
    params = {
        "q": request.POST.get("q", ""),
        "tags": request.POST.getlist("tag"),
        "community": request.POST.get("community", ""),
        "grid": request.POST.get("grid", ""),
    }
    try:
        services.request_export(request.user, kind, params)
    except InvalidInput as exc:
        messages.error(request, f"{exc.field}: {exc.message}")
    else:
        messages.success(request, _("Export requested. It will be ready here in a moment."))
    return redirect("people:export_list")


@require_POST
@login_required
@domain_errors
def export_retry(request, pk: int):
    services.retry_export(request.user, queries.access_export_job(request.user, pk))
    return redirect("people:export_list")


@require_GET
@login_required
@domain_errors
def export_download(request, pk: int):
    job = queries.access_export_job(request.user, pk, with_file=True)
    if job.status != ExportStatus.DONE:
        raise Http404(_("This export is not ready."))
    assert job.file is not None  # a finished export has its file
    response = HttpResponse(bytes(job.file), content_type=excel.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return response
