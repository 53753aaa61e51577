"""Case-file pages: the register of vulnerable people, one case file with its timeline and forms, the
advisor's workbench, visit photos."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhizhi.core import clock
from zhizhi.core.errors import InvalidInput, NotFound
from zhizhi.people.queries import can_reveal, page_of
from zhizhi.welfare import links, permissions, queries
from zhizhi.welfare.models import RiskLevel, VisitKind, VisitPhoto
from zhizhi.welfare.services import casefiles
from zhizhi.welfare.services.casefiles import NEED_DOMAINS, NEED_LEVELS
from zhizhi.welfare.timeline import benefits_of, timeline
from zhizhi.welfare.views.common import domain_errors

FILTERS = ("q", "risk", "tag", "community", "advisor", "overdue", "building")
MAP_FILTERS = ("q", "risk", "tag", "community", "advisor", "overdue")  # the map draws every building


@require_GET
@login_required
@domain_errors
def register(request):
    permissions.require_reach(request.user)
    filters = {k: request.GET.get(k, "").strip() for k in FILTERS}
    map_query = urlencode({k: filters[k] for k in MAP_FILTERS if filters[k]})
    context = {
        "filters": filters,
        "map_url": reverse("api:welfare_casefile_map") + (f"?{map_query}" if map_query else ""),
        "risks": RiskLevel.choices,
        "page": None,
        "error": None,
        "policy": permissions.welfare_policy(request.user),
    }
    try:
        qs = queries.register(request.user, **{**filters, "overdue": filters["overdue"] == "1"})
        context["page"] = page_of(qs, request.GET.get("page", 1))
    except InvalidInput as exc:
        context["error"] = exc
        return render(request, "welfare/register.html", context, status=400)
    return render(request, "welfare/register.html", context)


@require_POST
@login_required
@domain_errors
def register_open(request):
    count = casefiles.open_case_files(request.user, request.POST.get("area_code", ""))
    messages.success(request, _("%(count)s case files opened.") % {"count": count})
    return redirect("welfare:register")


@require_POST
@login_required
@domain_errors
def advisors_assign(request):
    try:
        plan = casefiles.assign_advisors(request.user, request.POST.get("community", ""))
        messages.success(request, _("%(count)s elders assigned to advisors.") % {"count": len(plan)})
    except InvalidInput as exc:
        messages.error(request, exc.message)
    return redirect("welfare:register")


def _casefile_page(request, pk: int, *, error=None, revealed=None, status=200):
    c = queries.access_casefile(request.user, pk)
    sections = links.linked(request.user, c.resident)
    context = {
        "c": c,
        "tags": c.resident.tags.all(),
        "links": sections,
        "timeline": timeline(c, linked=sections),
        "benefits": benefits_of(c)[:24],
        "policy": permissions.welfare_policy(request.user),
        "may_reveal": can_reveal(request.user),
        "revealed": revealed,
        "error": error,
        "visit_kinds": VisitKind.choices,
        "need_domains": NEED_DOMAINS,
        "need_levels": NEED_LEVELS,
    }
    return render(request, "welfare/casefile.html", context, status=status)


@require_GET
@login_required
@domain_errors
def casefile_detail(request, pk: int):
    return _casefile_page(request, pk)


@require_POST
@login_required
@domain_errors
def casefile_reveal(request, pk: int):
    return _casefile_page(request, pk, revealed=casefiles.reveal(request.user, pk))


def _float(raw: str | None, field: str) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise InvalidInput(_("must be a number"), field=field) from exc


def _when(raw: str | None) -> dt.datetime | None:
    if raw is None or not raw.strip():
        return None
    try:
        return dt.datetime.fromisoformat(raw).replace(tzinfo=clock.SHANGHAI)
    except ValueError as exc:
        raise InvalidInput(_("a date and time like 2026-11-27T09:30"), field="at") from exc


@require_POST
@login_required
@domain_errors
def casefile_act(request, pk: int):
    """One of the case file's forms: visit, assessment, plan, referral, advisor, risk (re-assess now)."""
    do, post = request.POST.get("do"), request.POST
    try:
        if do == "visit":
            photos = [(f.name, f.content_type or "", f.read()) for f in request.FILES.getlist("photos")]
            casefiles.record_visit(
                request.user,
                pk,
                note=post.get("note", ""),
                kind=post.get("kind", "home"),
                at=_when(post.get("at")),
                lat=_float(post.get("lat"), "lat"),
                lon=_float(post.get("lon"), "lon"),
                photos=photos,
            )
        elif do == "assessment":
            needs = {d: post.get(f"need_{d}") for d in NEED_DOMAINS if post.get(f"need_{d}")}
            casefiles.record_assessment(request.user, pk, needs=needs, summary=post.get("summary", ""))
        elif do == "plan":
            services = [{"service": s.strip()} for s in post.get("services", "").splitlines() if s.strip()]
            casefiles.set_service_plan(request.user, pk, goals=post.get("goals", ""), services=services)
        elif do == "referral":
            casefiles.refer(request.user, pk, to=post.get("to", ""), reason=post.get("reason", ""))
        elif do == "advisor":
            casefiles.assign_advisor(request.user, pk, post.get("advisor", ""))
        elif do == "risk":
            casefiles.reassess_risk(request.user, pk)
        else:
            raise InvalidInput(_("unknown form"), field="do")
    except InvalidInput as exc:
        return _casefile_page(request, pk, error=exc, status=400)
    messages.success(request, _("Saved."))
    return redirect("welfare:casefile_detail", pk=pk)


@require_GET
@login_required
@domain_errors
def workbench(request):
    permissions.require_reach(request.user)
    return render(request, "welfare/workbench.html", queries.workbench(request.user))


@require_GET
@login_required
@domain_errors
def visit_photo(request, pk: int):
    photo = VisitPhoto.objects.filter(pk=pk, visit__case_file__in=queries.casefiles_for(request.user)).first()
    if photo is None:
        raise NotFound(f"photo {pk} not found", field="id")
    return HttpResponse(bytes(photo.data), content_type=photo.content_type)
