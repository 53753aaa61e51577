"""Sensors pages: the board of watched elders, a watched person (thresholds and their tuning), device health,
an alarm with its event timeline, and for device managers the unknown devices to bind and a device's page
(install, move, remove, history).

Flat function views: parse, access, one service call, render. Scope misses are 404, forbidden actions 403.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhizhi.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from zhizhi.core.redirects import back
from zhizhi.sensors import links, queries
from zhizhi.sensors.models import AlarmStatus, DeviceKind, Gateway, GatewayKind, Outcome
from zhizhi.sensors.services import alarms, devices, notices, tuning


def domain_errors(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


@require_GET
@login_required
@domain_errors
def board(request):
    rows = queries.board(request.user)
    counts = {c: sum(1 for r in rows if r.colour == c) for c in ("red", "grey", "amber", "green")}
    return render(request, "sensors/board.html", {"rows": rows, "counts": counts})


@require_GET
@login_required
@domain_errors
def device_health(request):
    context = {
        "devices": queries.device_health(request.user),
        "can_manage": queries.may_manage_devices(request.user),
    }
    return render(request, "sensors/devices.html", context)


@require_GET
@login_required
@domain_errors
def alarm_detail(request, alarm_id: int):
    alarm = queries.access_alarm(request.user, alarm_id)
    context = {
        "alarm": alarm,
        "timeline": queries.timeline(alarm),
        "marks": queries.timeline_marks(alarm),
        "log": alarm.log.all(),
        "contacts": alarm.contacts.all(),
        "outcomes": Outcome.choices,
        "can_act": alarm.status != AlarmStatus.RESOLVED,
        "proposals": tuning.open_proposals(alarm.watch),
        "changes": tuning.history(alarm.watch)[:20],
        "can_tune": tuning.may_tune(request.user, alarm.watch),
        "case_visible": alarm.case_id is not None and links.may_see_case(request.user, alarm.case_id),
    }
    return render(request, "sensors/alarm_detail.html", context)


@require_POST
@login_required
@domain_errors
def alarm_action(request, alarm_id: int, action: str):
    alarm = queries.access_alarm(request.user, alarm_id)
    note = request.POST.get("note", "")
    try:
        if action == "acknowledge":
            alarms.acknowledge_alarm(request.user, alarm, note)
            messages.success(request, _("Acknowledged: the ladder has stopped."))
        else:
            alarms.resolve_alarm(request.user, alarm, request.POST.get("outcome", ""), note)
            messages.success(request, _("Resolved."))
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("sensors:alarm_detail", alarm_id=alarm.pk)


# ------------------------------------------------------------------------------------------- tuning


@require_GET
@login_required
@domain_errors
def watch_detail(request, watch_id: int):
    """A watched person: their thresholds (with the defaults and floors), proposals, changes, recent alarms,
    away notices."""
    watched = queries.access_watch(request.user, watch_id)
    return _watch_page(request, watched)


def _notice_context(request, watched, notice_form=None, notice_error=None) -> dict:
    return {
        "watch": watched,
        "notices": notices.history(watched),
        "can_file_notice": notices.may_file(request.user, watched),
        "notice_form": notice_form or {},
        "notice_error": notice_error,
        "notice_error_label": _notice_field_label(notice_error.field) if notice_error else "",
    }


def _watch_page(request, watched, *, notice_form=None, notice_error=None, status=200):
    context = _notice_context(request, watched, notice_form, notice_error) | {
        "settings": tuning.settings_of(watched),
        "alarms": list(watched.alarms.order_by("-raised_at", "-id")[:20]),
        "proposals": tuning.open_proposals(watched),
        "changes": tuning.history(watched)[:20],
        "can_tune": tuning.may_tune(request.user, watched),
    }
    return render(request, "sensors/watch_detail.html", context, status=status)


def _notice_field_label(field: str | None) -> str:
    labels = {"leaves_at": _("Leaves"), "back_by": _("Back by"), "reason": _("Reason")}
    return str(labels.get(field or "", field or ""))


def _file_from_form(request, watched, page):
    """File the posted notice; None when filed, else the page again with the field's reason."""
    form = {k: request.POST.get(k, "") for k in ("leaves_at", "back_by", "reason")}
    try:
        notices.file_notice(
            request.user, watched, back_by=form["back_by"], leaves_at=form["leaves_at"], reason=form["reason"]
        )
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        return page(request, watched, notice_form=form, notice_error=exc, status=exc.status)
    messages.success(request, _("Away notice filed: silence alarms wait for the declared return."))
    return None


def _end_from_form(request, notice) -> None:
    try:
        notices.end_notice(request.user, notice, request.POST.get("note", ""))
        messages.success(request, _("Away notice ended: the person is watched as usual."))
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, _error_text(exc))


@require_POST
@login_required
@domain_errors
def notice_file(request, watch_id: int):
    """File an away notice from the person's page; a bad field shows the form again with the reason."""
    watched = queries.access_watch(request.user, watch_id)
    again = _file_from_form(request, watched, _watch_page)
    return again or redirect("sensors:watch_detail", watch_id=watched.pk)


@require_POST
@login_required
@domain_errors
def notice_end(request, watch_id: int, notice_id: int):
    watched = queries.access_watch(request.user, watch_id)
    _end_from_form(request, notices.access_notice(watched, notice_id))
    return redirect("sensors:watch_detail", watch_id=watched.pk)


def _my_page(request, watched, *, notice_form=None, notice_error=None, status=200):
    context = _notice_context(request, watched, notice_form, notice_error) | {"mine": True}
    return render(request, "sensors/my_notices.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def my_notices(request):
    """A watched resident's own away notices: going out for a while, they tell the community here."""
    watched = notices.own_watch(request.user)
    if request.method == "POST":
        again = _file_from_form(request, watched, _my_page)
        return again or redirect("sensors:my_notices")
    return _my_page(request, watched)


@require_POST
@login_required
@domain_errors
def my_notice_end(request, notice_id: int):
    watched = notices.own_watch(request.user)
    _end_from_form(request, notices.access_notice(watched, notice_id))
    return redirect("sensors:my_notices")


@require_POST
@login_required
@domain_errors
def proposal_action(request, watch_id: int, proposal_id: int, action: str):
    """Accept or dismiss a proposed threshold change; back to the page it was decided on."""
    watched = queries.access_watch(request.user, watch_id)
    proposal = tuning.access_proposal(watched, proposal_id)
    note = request.POST.get("note", "")
    try:
        if action == "accept":
            tuning.accept(request.user, proposal, note)
            messages.success(request, _("The new threshold applies from now on."))
        else:
            tuning.dismiss(request.user, proposal, note)
            messages.success(request, _("Proposal dismissed."))
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return back(request, "sensors:watch_detail", watch_id=watched.pk)


# ------------------------------------------------------------------------------------------- devices


def _error_text(exc: DomainError) -> str:
    return f"{exc.field}: {exc.message}" if exc.field else exc.message


def _chooser(request):
    params = request.GET
    return queries.dwelling_chooser(
        request.user,
        q=params.get("q", ""),
        estate=params.get("estate", ""),
        building=params.get("building", ""),
        unit=params.get("unit", ""),
    )


@require_GET
@login_required
@domain_errors
def unknown_list(request):
    rows = list(queries.unknown_devices_for(request.user).order_by("-last_seen_at", "-id")[:200])
    return render(request, "sensors/unknown_devices.html", {"rows": rows})


def _bind_form(request, unknown, *, form=None, error=None, status=200):
    gateway = Gateway.objects.filter(name=unknown.gateway_name).first()
    context = {
        "unknown": unknown,
        "http": gateway is not None and gateway.kind == GatewayKind.HTTP,
        "chooser": _chooser(request),
        "kinds": DeviceKind.choices,
        "form": form or {"kind": DeviceKind.DOOR, "is_entrance": "1"},
        "error": error,
    }
    return render(request, "sensors/bind_device.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def bind_device(request, unknown_id: int):
    """Bind a device seen on MQTT (or a vendor gateway) to a dwelling: the residents living there follow."""
    unknown = queries.access_unknown(request.user, unknown_id)
    if request.method == "GET":
        return _bind_form(request, unknown)
    form = request.POST.dict()
    try:
        dwelling = queries.access_dwelling(request.user, form.get("dwelling"))
        kind = form.get("kind", "")
        if kind not in DeviceKind.values:
            raise InvalidInput(_("Choose a kind of device."), field="kind")
        device = devices.bind_unknown(
            request.user,
            unknown,
            vendor_id=form.get("vendor_id", ""),
            friendly_name=form.get("friendly_name", ""),
            kind=kind,
            dwelling=dwelling,
            is_entrance=form.get("is_entrance") == "1",
        )
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        return _bind_form(request, unknown, form=form, error=exc, status=400)
    messages.success(request, _("Device bound to %(address)s.") % {"address": dwelling.address})
    return redirect("sensors:device_detail", device_id=device.pk)


def _device_page(request, device, *, error=None, form=None, status=200):
    context = {
        "device": device,
        "residents": list(device.residents.order_by("name", "pk")),
        "history": queries.installations(device),
        "chooser": _chooser(request),
        "error": error,
        "form": form or {},
    }
    return render(request, "sensors/device_detail.html", context, status=status)


@require_GET
@login_required
@domain_errors
def device_detail(request, device_id: int):
    return _device_page(request, queries.access_device(request.user, device_id))


@require_POST
@login_required
@domain_errors
def device_action(request, device_id: int, action: str):
    """Install or move the device to a dwelling ("install"), or take it out with the reason ("remove")."""
    device = queries.access_device(request.user, device_id)
    form = request.POST.dict()
    try:
        if action == "install":
            dwelling = queries.access_dwelling(request.user, form.get("dwelling"))
            devices.install_device(request.user, device, dwelling, form.get("note", ""))
            messages.success(request, _("Device installed at %(address)s.") % {"address": dwelling.address})
        else:
            devices.remove_device(request.user, device, form.get("reason", ""), reason_required=True)
            messages.success(request, _("Device removed."))
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        return _device_page(request, device, error=exc, form=form, status=400)
    return redirect("sensors:device_detail", device_id=device.pk)
