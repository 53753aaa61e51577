"""Programme pages: the list, one programme with its rule editor and preview, enrolments with bulk verify,
one enrolment with its history and decisions, exchange batches with download and receipt import."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhizhi.core.errors import Conflict, InvalidInput
from zhizhi.people.queries import page_of
from zhizhi.welfare import permissions, queries
from zhizhi.welfare.eligibility import RuleInvalid
from zhizhi.welfare.models import EnrolmentStatus
from zhizhi.welfare.rules.vocabulary import FACTS
from zhizhi.welfare.services import delivery, enrolment, programmes, receipts
from zhizhi.welfare.views.common import domain_errors, flag


@require_GET
@login_required
@domain_errors
def programme_list(request):
    rows = list(queries.programmes_for(request.user))
    return render(request, "welfare/programme_list.html", {"programmes": rows})


def marked(error) -> dict | None:
    """The rule text cut around the culprit, for the editor's underline (pages and the live check):
    whole text before / culprit / after, and the same within the culprit's line for the error excerpt."""
    if error is None:
        return None
    source = error.source
    culprit = source[error.start : error.end]
    line = error.line_text
    col = error.column - 1
    width = max(1, min(error.end - error.start, len(line) - col))
    return {
        "before": source[: error.start],
        "culprit": culprit if culprit.strip() else " ",  # the end of the text or a line: mark a space
        "after": source[error.end :] if culprit.strip() else source[error.start :],
        "line_before": line[:col],
        "line_culprit": line[col : col + width] or " ",
        "line_after": line[col + width :],
    }


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def programme_detail(request, code: str):
    programme = queries.access_programme(request.user, code)
    rule = request.POST.get("rule", programme.rule)
    context = {
        "programme": programme,
        "rule": rule,
        "facts": FACTS,
        "policy": permissions.welfare_policy(request.user),
        "preview": None,
        "rule_error": None,
        "period": delivery.current_period(programme.cycle),
    }
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("do") == "save":
                programmes.update_rule(request.user, programme, rule=rule)
                messages.success(request, _("The rule is saved; it applies from the next re-evaluation."))
                return redirect("welfare:programme_detail", code=code)
            context["preview"] = queries.preview(request.user, programme, rule)
        except RuleInvalid as exc:
            context["rule_error"], status = exc.error, 400
    context["marked"] = marked(context["rule_error"])
    return render(request, "welfare/programme_detail.html", context, status=status)


@require_POST
@login_required
@domain_errors
def programme_rule_preview(request, code: str):
    """The rule editor's live check and preview (a fragment for the page's script): `do=check` reads the rule,
    `do=preview` also shows who would start and stop. Never saves; 400 with the error pointed at."""
    programme = queries.access_programme(request.user, code)
    rule = request.POST.get("rule", "")
    context: dict[str, Any] = {"programme": programme, "preview": None, "rule_error": None, "checked": None}
    try:
        if request.POST.get("do") == "check":
            permissions.require_reach(request.user)
            context["checked"] = programmes.check_rule_text(rule)
        else:
            context["preview"] = queries.preview(request.user, programme, rule)
    except RuleInvalid as exc:
        context["rule_error"] = exc.error
    context["marked"] = marked(context["rule_error"])
    status = 400 if context["rule_error"] else 200
    return render(request, "welfare/_rule_result.html", context, status=status)


@require_POST
@login_required
@domain_errors
def programme_reevaluate(request, code: str):
    programme = queries.access_programme(request.user, code)
    result = enrolment.reevaluate_for(request.user, programme)
    messages.success(
        request,
        _("%(matched)s qualify: %(drafted)s new drafts, %(flagged)s flagged for review.")
        % {"matched": result.matched, "drafted": result.drafted, "flagged": result.flagged},
    )
    return redirect("welfare:enrolment_list", code=code)


@require_GET
@login_required
@domain_errors
def enrolment_list(request, code: str):
    programme = queries.access_programme(request.user, code)
    status = request.GET.get("status", EnrolmentStatus.DRAFT)
    flagged = flag(request.GET.get("flagged"))
    qs = queries.enrolment_list(request.user, programme, status=status, flagged=flagged)
    page = page_of(qs, request.GET.get("page", 1))
    lines = queries.explain_enrolments(page.items, programme)
    context = {
        "programme": programme,
        "page": page,
        "rows": [(e, lines.get(e.pk, [])) for e in page.items],
        "status": status,
        "statuses": EnrolmentStatus.choices,
        "filters": {"status": status, "flagged": request.GET.get("flagged", "")},
        "policy": permissions.welfare_policy(request.user),
    }
    return render(request, "welfare/enrolment_list.html", context)


@require_POST
@login_required
@domain_errors
def enrolment_verify(request, code: str):
    queries.access_programme(request.user, code)
    ids = request.POST.getlist("ids")
    try:
        rows = enrolment.verify_enrolments(request.user, ids)
        messages.success(request, _("%(count)s verified.") % {"count": len(rows)})
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
    return redirect(reverse("welfare:enrolment_list", args=[code]) + "?status=draft")


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def enrolment_detail(request, pk: int):
    e = queries.access_enrolment(request.user, pk)
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("do") == "consent":
                enrolment.record_consent(
                    request.user,
                    pk,
                    method=request.POST.get("method", ""),
                    given_by=request.POST.get("given_by", ""),
                )
            else:
                enrolment.transition_enrolment(
                    request.user, pk, request.POST.get("action", ""), request.POST.get("reason", "")
                )
            return redirect("welfare:enrolment_detail", pk=pk)
        except (InvalidInput, Conflict) as exc:
            error = exc
    context = {
        "e": e,
        "events": e.events.all(),
        "error": error,
        "policy": permissions.welfare_policy(request.user),
    }
    return render(request, "welfare/enrolment_detail.html", context, status=400 if error else 200)


@require_POST
@login_required
@domain_errors
def cycle_run(request, code: str):
    programme = queries.access_programme(request.user, code)
    try:
        result = delivery.run_cycle(request.user, programme, request.POST.get("period", ""))
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect("welfare:programme_detail", code=code)
    if result.batch is None:
        messages.info(
            request,
            _("Nothing to send: %(already)s payees already sent for this period, %(held)s held.")
            % {"already": result.already, "held": result.held},
        )
        return redirect("welfare:batch_list")
    return redirect("welfare:batch_detail", pk=result.batch.pk)


@require_GET
@login_required
@domain_errors
def batch_list(request):
    permissions.require(request.user, "deliver")
    return render(request, "welfare/batch_list.html", {"batches": queries.batches_for(request.user)[:200]})


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def batch_detail(request, pk: int):
    batch = queries.access_batch(request.user, pk)
    context: dict = {"batch": batch, "errors": None, "result": None}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise InvalidInput(_("Choose the receipt file."), field="file")
            context["result"] = receipts.import_receipt(request.user, batch, upload.read(), upload.name or "")
            batch.refresh_from_db()
        except InvalidInput as exc:
            context["errors"] = getattr(exc, "errors", None) or [
                {"row": "", "column": exc.field, "reason": exc.message}
            ]
            status = 400
    context["lines"] = batch.lines.select_related("disbursement").order_by("line_no")
    return render(request, "welfare/batch_detail.html", context, status=status)


@require_GET
@login_required
@domain_errors
def batch_file(request, pk: int):
    name, data, kind = delivery.hand_over_file(request.user, queries.access_batch(request.user, pk))
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
