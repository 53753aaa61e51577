"""Pages for places: building list and detail, the map, and the building import. Thin: parse, call, render."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from zhizhi.areas import queries, services
from zhizhi.areas.api import xlsx_response
from zhizhi.areas.rules import can_edit_addresses, require_address_editor
from zhizhi.core import clock
from zhizhi.core.errors import DomainError, Forbidden, NotFound, RowErrors

PAGE_SIZE = 50


def domain_errors(view):
    """Forbidden → 403 and NotFound → 404 for pages (the API turns them into JSON bodies instead)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return wrapper


def _filters(request) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip() for key in ("q", "community", "grid")}


@login_required
def building_list(request):
    filters = _filters(request)
    buildings = queries.search_buildings(request.user, **filters)
    page = Paginator(buildings, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "communities": queries.communities_for(request.user).only("code", "name"),
        "grids": queries.grids_for(request.user, filters["community"]).only("code", "name"),
        "can_edit": can_edit_addresses(request.user),
    }
    return render(request, "areas/building_list.html", context)


@login_required
@domain_errors
def building_detail(request, code: str):
    building = queries.access_building(request.user, code, with_units=True)
    return render(request, "areas/building_detail.html", {"building": building})


@login_required
def map_view(request):
    return render(request, "areas/map.html")


@login_required
@domain_errors
def building_import(request):
    require_address_editor(request.user)
    context: dict = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = _("Choose an .xlsx file to import.")
        else:
            try:
                result = services.import_buildings(request.user, upload)
            except RowErrors as exc:
                context["row_errors"] = exc.errors
            except DomainError as exc:
                context["error"] = exc.message
            else:
                summary = _(
                    "Import finished: %(created)d created, %(updated)d updated, %(unchanged)d unchanged."
                )
                messages.success(request, summary % result.as_dict())
    return render(request, "areas/building_import.html", context)


@login_required
def building_export(request):
    data = services.export_buildings(request.user, **_filters(request))
    return xlsx_response(data, f"buildings-{clock.today():%Y%m%d}.xlsx")
