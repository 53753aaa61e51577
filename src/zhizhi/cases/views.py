"""Pages of the cases app: the resident's H5 pages (report, my cases, rating) and the staff pages (worklist,
case detail with the actions the workflow table allows, dispatcher board, enforcement cases, case search,
"who would get this case?", the staff inbox of notifications, indicators with Excel export).

Flat function views: parse → access → one service call (or one read) → render. A service's refusal of bad
input is shown beside the form or as a message; out of scope is 404 and not allowed is 403 (the
DomainErrorMiddleware renders those).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhizhi.cases import boards, indicators, queries, services
from zhizhi.cases.models import CaseStatus, Channel, LimitUnit, Notification, NotificationStatus, Satisfaction
from zhizhi.cases.presenters import answer_rows
from zhizhi.cases.services import EnforcementInput, FileInput
from zhizhi.cases.services.outbox import mark_read
from zhizhi.core import clock
from zhizhi.core.errors import Conflict, InvalidInput
from zhizhi.core.redirects import back
from zhizhi.core.roles import Role

STAFF_CHANNELS = [Channel.STAFF, Channel.HOTLINE, Channel.PATROL]


def _is_resident(user) -> bool:
    return user.role in boards.RESIDENT_ROLES


def _files(request, name: str) -> list[FileInput]:
    return [FileInput(f.name or "file", f.content_type or "", f.read()) for f in request.FILES.getlist(name)]


def _bool(value: str | None) -> bool | None:
    return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}.get(
        (value or "").lower()
    )


def _query_base(request) -> str:
    """The list's query string without the page number, ready for "page=N" to be appended."""
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return f"{encoded}&" if encoded else ""


def _error_text(exc) -> str:
    return f"{exc.field}: {exc.message}" if exc.field else exc.message


# ------------------------------------------------------------------------------------------- landing


@require_GET
@login_required
def home(request):
    """Residents land on their cases, dispatchers on the board, grid workers on what waits for their check,
    advisors on their inbox, everyone else on their worklist."""
    if _is_resident(request.user):
        return redirect("cases:mine")
    if request.user.role in (Role.STREET_DISPATCHER, Role.LEADER, Role.ADMIN):
        return redirect("cases:board")
    if request.user.role == Role.GRID_WORKER:  # works in no unit: verifies what units have handled
        return redirect("cases:to_verify")
    if request.user.role == Role.ELDERCARE_ADVISOR:  # works in no unit: told of her elders' alarms
        return redirect("cases:inbox")
    return redirect("cases:worklists")


# ------------------------------------------------------------------------------------------- resident H5


def _case_input(request) -> services.CaseInput:
    post = request.POST
    resident = _is_resident(request.user)
    has_pin = bool(post.get("lat") and post.get("lon"))
    area_code = post.get("area_code", "")
    if resident and not has_pin:
        area_code = request.user.area_code  # no pin: the resident's own grid, with the address typed
    channel = Channel.RESIDENT if resident else post.get("channel") or Channel.STAFF
    return services.CaseInput(
        category=post.get("category", ""),
        description=post.get("description", ""),
        channel=channel,
        lat=post.get("lat") or None,
        lon=post.get("lon") or None,
        crs=post.get("crs") or "wgs84",
        area_code="" if has_pin else area_code,
        address=post.get("address", ""),
        urgency=post.get("urgency") or "normal",
        anonymous=post.get("anonymous") == "1",
        reporter_name=post.get("reporter_name", ""),
        contact_phone=post.get("contact_phone", ""),
        photos=_files(request, "photos"),
        idempotency_key=post.get("idempotency_key", ""),
    )


def _report_form(request, *, form=None, error=None, duplicates=None, status=200):
    groups = boards.category_choices()
    context = {
        "groups": groups,
        "quick": boards.quick_categories(groups),
        "grid_map": boards.report_map(request.user),
        "grids": [] if _is_resident(request.user) else boards.grid_choices(request.user),
        "channels": [] if _is_resident(request.user) else [(c.value, c.label) for c in STAFF_CHANNELS],
        "form": form or {"idempotency_key": uuid.uuid4().hex},
        "error": error,
        "duplicates": duplicates or [],
        "is_resident": _is_resident(request.user),
    }
    return render(request, "cases/report.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def report(request):
    """随手拍: category, pin or address, photos, description. Before saving, open cases of the same
    category nearby are offered so that the resident can follow one instead (unless they confirm)."""
    if request.method == "GET":
        return _report_form(request, form={"idempotency_key": uuid.uuid4().hex, **request.GET.dict()})
    form = request.POST.dict()
    data = _case_input(request)
    try:
        if data.lat and not request.POST.get("confirm"):
            nearby = queries.nearby(request.user, data.category, data.lat, data.lon, data.crs)
            if nearby:
                return _report_form(request, form=form, duplicates=nearby)
        result = services.open_case(request.user, data)
    except (InvalidInput, Conflict) as exc:
        return _report_form(request, form=form, error=exc, status=400)
    messages.success(
        request, _("Thank you. Your report is number %(number)s.") % {"number": result.case.number}
    )
    return redirect("cases:detail", pk=result.case.pk)


@require_GET
@login_required
def mine(request):
    """My cases: those I reported and those I follow, newest first."""
    page = boards.my_cases(request.user, request.GET.get("page"))
    return render(request, "cases/mine.html", {"page": page, "query_base": _query_base(request)})


@require_POST
@login_required
def follow(request, pk: int):
    """Follow a known problem instead of reporting it again."""
    case = services.follow_case(request.user, pk)
    messages.success(
        request,
        _("You follow case %(number)s; we will tell you when it is closed.") % {"number": case.number},
    )
    return redirect("cases:detail", pk=case.pk)


# ------------------------------------------------------------------------------------------- case detail


@require_GET
@login_required
def detail(request, pk: int):
    """The case with its timeline (from the transition rows), map, photos and the action forms the workflow
    table allows this actor now."""
    d = queries.case_detail(request.user, pk)
    case, resident = d["case"], _is_resident(request.user)
    rated = [r for r in d["revisits"] if r.valid and case.closed_at and r.at >= case.closed_at]
    allowed = set(d["allowed_actions"])
    if rated:
        allowed.discard("revisit")  # this closure has its rating
    if resident and not any(r.rating == Satisfaction.UNSATISFIED for r in rated):
        allowed.discard("reopen")  # a resident reopens only what they rated unsatisfied
    context = {
        **d,
        **boards.action_context(request.user, d["case"], d["allowed_actions"]),
        "is_resident": resident,
        "satisfaction": Satisfaction.choices,
        "limit_units": LimitUnit.choices,
        "allowed": allowed,
        "answer_rows": answer_rows(case),
    }
    return render(request, "cases/detail.html", context)


def _note(post) -> str:
    return post.get("note", "")


def _reason(post) -> str:
    return post.get("reason", "")


def _enforcement(post) -> EnforcementInput | None:
    fields = ("subject", "facts", "legal_basis", "outcome", "penalty_amount")
    if not any(post.get(f"enforcement_{f}") for f in fields):
        return None
    return EnforcementInput(*(post.get(f"enforcement_{f}", "") for f in fields))


def _evidence(post) -> list[str]:
    return [line.strip() for line in post.get("evidence", "").splitlines() if line.strip()]


ACTIONS: dict[str, Any] = {
    "register": lambda u, pk, p, r: services.register_case(u, pk, note=_note(p)),
    "reject": lambda u, pk, p, r: services.reject_case(u, pk, reason=_reason(p)),
    "merge": lambda u, pk, p, r: services.merge_case(u, pk, into=p.get("into"), reason=_reason(p)),
    "dispatch": lambda u, pk, p, r: services.dispatch_case(
        u, pk, unit_id=p.get("unit") or None, note=_note(p)
    ),
    "accept": lambda u, pk, p, r: services.accept_case(u, pk),
    "start": lambda u, pk, p, r: services.start_handling(u, pk, note=_note(p)),
    "submit": lambda u, pk, p, r: services.submit_handling(
        u,
        pk,
        note=_note(p),
        evidence=_evidence(p),
        photos=_files(r, "photos"),
        enforcement=_enforcement(p),
    ),
    "verify": lambda u, pk, p, r: services.verify_case(
        u, pk, passed=p.get("passed") != "0", note=_note(p), photos=_files(r, "photos")
    ),
    "close": lambda u, pk, p, r: services.close_case(u, pk, note=_note(p)),
    "return": lambda u, pk, p, r: services.return_case(u, pk, reason=_reason(p)),
    "escalate": lambda u, pk, p, r: services.escalate_case(
        u, pk, reason=_reason(p), unit_id=p.get("unit") or None
    ),
    "send_down": lambda u, pk, p, r: services.send_down_case(u, pk, unit_id=p.get("unit"), reason=_reason(p)),
    "supervise": lambda u, pk, p, r: services.supervise_case(u, pk, reason=_reason(p)),
    "request_extension": lambda u, pk, p, r: services.request_extension(
        u, pk, amount=p.get("amount"), amount_unit=p.get("amount_unit", ""), reason=_reason(p)
    ),
    "decide_extension": lambda u, pk, p, r: services.decide_extension(
        u, pk, approve=p.get("approve") == "1", note=_note(p)
    ),
    "backlog": lambda u, pk, p, r: services.backlog_case(u, pk, reason=_reason(p)),
    "resume": lambda u, pk, p, r: services.resume_case(u, pk, note=_note(p)),
    "revisit": lambda u, pk, p, r: services.record_revisit(
        u,
        pk,
        rating=p.get("rating", ""),
        comment=p.get("comment", ""),
        responded=_bool(p.get("responded")),
        resolved=_bool(p.get("resolved")),
        valid=p.get("valid", "1") != "0",
    ),
    "reopen": lambda u, pk, p, r: services.reopen_case(u, pk, reason=_reason(p)),
    "enforcement": lambda u, pk, p, r: services.record_enforcement(u, pk, _enforcement(p)),
}


def _back(request, pk: int):
    return back(request, "cases:detail", pk=pk)


@require_POST
@login_required
def act(request, pk: int, action: str):
    """One workflow action from a form on the case page (or a board); the service checks the workflow table,
    the actor and the inputs. Bad input comes back as a message naming the field."""
    do = ACTIONS.get(action)
    if do is None:
        return render(
            request,
            "web/error.html",
            {"error": InvalidInput(f"unknown action {action}", field="action")},
            status=404,
        )
    try:
        do(request.user, pk, request.POST, request)
    except (InvalidInput, Conflict) as exc:
        messages.error(request, _error_text(exc))
        return _back(request, pk)
    messages.success(request, _("Done."))
    return _back(request, pk)


# ------------------------------------------------------------------------------------------- staff lists


@require_GET
@login_required
def worklists(request):
    """The units whose worklist the actor may open (their own first); one unit goes straight to it."""
    units, mine = boards.my_units(request.user)
    if len(mine) == 1:
        return redirect("cases:worklist", unit_id=next(iter(mine)))
    return render(request, "cases/worklists.html", {"units": units, "mine": mine})


@require_GET
@login_required
def worklist(request, unit_id: int):
    """A unit's worklist: overdue first, then to sign for, then in handling; filters by bucket, category and
    number or words."""
    filters = {k: request.GET.get(k, "").strip() for k in ("bucket", "category", "q")}
    w, page = boards.worklist_page(request.user, unit_id, page=request.GET.get("page"), **filters)
    context = {
        "w": w,
        "page": page,
        "filters": filters,
        "now": clock.now(),
        "query_base": _query_base(request),
    }
    return render(request, "cases/worklist.html", context)


SEARCH_FILTERS = ("q", "status", "category", "channel", "area")


def _search_filters(request) -> dict:
    filters: dict[str, Any] = {k: request.GET.get(k, "").strip() for k in SEARCH_FILTERS}
    overdue = _bool(request.GET.get("overdue"))
    if overdue is not None:
        filters["overdue"] = overdue
    filters["open_only"] = request.GET.get("open_only") == "1"
    return filters


@require_GET
@login_required
def search(request):
    """Case search in the actor's scope: number, words, status, category, channel, area, overdue."""
    filters = _search_filters(request)
    page = boards.search_page(request.user, filters, request.GET.get("page"))
    number = str(filters.get("q", "")).strip().upper()
    if queries.CASE_NUMBER.match(number) and len(page.items) == 1 and page.number == 1:
        return redirect("cases:detail", page.items[0].pk)  # a number read out on the phone: its case
    context = {
        "page": page,
        "filters": filters,
        "statuses": CaseStatus.choices,
        "channels": Channel.choices,
        "now": clock.now(),
        "query_base": _query_base(request),
    }
    return render(request, "cases/search.html", context)


@require_GET
@login_required
def to_verify(request):
    """A grid worker's (or community staff's) verification tasks: handled cases of their area to check on site."""
    page = boards.to_verify_page(request.user, request.GET.get("page"))
    context = {"page": page, "now": clock.now(), "query_base": _query_base(request)}
    return render(request, "cases/to_verify.html", context)


@require_GET
@login_required
def board(request):
    """The dispatcher board: to register, to dispatch, to verify, to close, and every overdue case."""
    return render(request, "cases/board.html", boards.dispatcher_board(request.user))


@require_GET
@login_required
def enforcement(request):
    """Enforcement cases (综合执法) with their record: party, facts, legal basis, outcome."""
    filters = {k: request.GET.get(k, "").strip() for k in ("q", "status")}
    page = boards.enforcement_cases(request.user, filters, request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "statuses": CaseStatus.choices,
        "now": clock.now(),
        "query_base": _query_base(request),
    }
    return render(request, "cases/enforcement.html", context)


@require_GET
@login_required
def routing(request):
    """Who would get this case? A category and a place (a grid, or a point) → the unit, the rule that picks
    it, the time limits and the escalation chain; and the routing rules in force, which dispatchers and
    administrators may add to and disable here."""
    return _routing_page(request)


def _routing_page(request, *, rule_form: dict | None = None, rule_error=None, status: int = 200):
    form = {k: request.GET.get(k, "").strip() for k in ("category", "area_code", "lat", "lon")}
    rules = boards.rules_in_force(request.user)
    preview, error = None, None
    if form["category"]:
        try:
            preview = queries.route_preview(
                request.user,
                form["category"],
                lat=form["lat"] or None,
                lon=form["lon"] or None,
                area_code=form["area_code"],
            )
        except InvalidInput as exc:
            error = exc
    may_edit = boards.may_edit_rules(request.user)
    context = {
        "form": form,
        "preview": preview,
        "error": error,
        "rules": rules,
        "groups": boards.category_choices(),
        "grids": boards.grid_choices(request.user),
        "may_edit": may_edit,
        "editable": {r.pk for r in rules if boards.may_edit_rule(request.user, r)} if may_edit else set(),
        "rule_units": boards.unit_choices(request.user) if may_edit else [],
        "rule_areas": boards.area_choices(request.user) if may_edit else [],
        "rule_form": rule_form or {"priority": "10"},
        "rule_error": rule_error,
    }
    return render(request, "cases/routing.html", context, status=400 if error else status)


@require_POST
@login_required
def routing_rule_add(request):
    """Add a routing rule (dispatchers and administrators, inside their area). Bad input comes back beside
    the form, naming the field."""
    post = request.POST
    form = {k: post.get(k, "").strip() for k in ("category", "area_prefix", "unit", "priority", "note")}
    try:
        rule = boards.add_routing_rule(request.user, **form)
    except InvalidInput as exc:
        return _routing_page(request, rule_form=form, rule_error=exc, status=400)
    messages.success(request, _("Routing rule #%(id)s added.") % {"id": rule.pk})
    return redirect("cases:routing")


@require_POST
@login_required
def routing_rule_disable(request, pk: int):
    """Disable a routing rule of the actor's area (it stays, inactive, for the record)."""
    rule = boards.disable_routing_rule(request.user, pk)
    messages.success(request, _("Routing rule #%(id)s disabled.") % {"id": rule.pk})
    return redirect("cases:routing")


# ------------------------------------------------------------------------------------------- inbox


def _inbox_filters(request) -> dict:
    return {
        "area": request.GET.get("scope") == "area",
        "unread": request.GET.get("unread") == "1",
        "status": request.GET.get("status", "").strip(),
    }


@require_GET
@login_required
def inbox(request):
    """The staff inbox: the messages the platform sent them (with the development adapter, the only place
    they are delivered), newest first, with their case, channel, delivery status and read mark; leaders and
    administrators may read every message about their area."""
    boards.require_staff(request.user)
    filters = _inbox_filters(request)
    page = boards.page_of(queries.inbox_for(request.user, **filters), request.GET.get("page"))
    context = {
        "page": page,
        "visible_cases": queries.visible_case_ids(request.user, (n.case_id for n in page.items)),
        "filters": filters,
        "unread_count": queries.unread_count(request.user),
        "unread_cap": queries.UNREAD_CAP,
        "may_read_area": queries.may_read_area_inbox(request.user),
        "statuses": NotificationStatus.choices,
        "query_base": _query_base(request),
    }
    return render(request, "cases/inbox.html", context)


@require_POST
@login_required
def inbox_read(request, pk: int):
    """Mark one of my messages as read (another's is absent: 404)."""
    boards.require_staff(request.user)
    mark_read(request.user, pk)
    return _back_to_inbox(request)


@require_POST
@login_required
def inbox_read_all(request):
    """Mark all my messages as read."""
    boards.require_staff(request.user)
    done = Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=clock.now()
    )
    messages.success(request, _("%(count)s messages marked as read.") % {"count": done})
    return _back_to_inbox(request)


def _back_to_inbox(request):
    return back(request, "cases:inbox")


# ------------------------------------------------------------------------------------------- indicators


def _display(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind in ("hours", "score"):
        return f"{value:.1f}"
    return str(value)


@require_GET
@login_required
def indicator_page(request):
    """Indicators of an area and its units for a period, computed from the transition rows; Excel export."""
    area, period = request.GET.get("area", ""), request.GET.get("period", "")
    try:
        report = indicators.report_for(request.user, area, period)
    except InvalidInput as exc:
        messages.error(request, _error_text(exc))
        return redirect("cases:indicators")
    area_metrics = indicators.METRICS
    unit_metrics = [m for m in indicators.METRICS if m.applies != "area"]
    context = {
        "report": report,
        "area_metrics": area_metrics,
        "unit_metrics": unit_metrics,
        "area_rows": [(r, [_display(r.values[m.key], m.kind) for m in area_metrics]) for r in report.areas],
        "unit_rows": [(r, [_display(r.values[m.key], m.kind) for m in unit_metrics]) for r in report.units],
        "areas": boards.area_choices(request.user),
        "period": report.period.label,
        "export_query": f"area={quote(report.area.code)}&period={quote(report.period.label)}",
    }
    return render(request, "cases/indicators.html", context)


@require_GET
@login_required
def indicator_export(request):
    report = indicators.report_for(request.user, request.GET.get("area", ""), request.GET.get("period", ""))
    data = indicators.to_xlsx(report)
    name = f"考核指标-{report.area.name}-{report.period.label}.xlsx"
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f"attachment; filename=\"indicators-{report.period.label}.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response
