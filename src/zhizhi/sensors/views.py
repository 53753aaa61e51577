"""Sensors pages: the board of watched elders, device health, and an alarm with its event timeline.

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
from django.views.decorators.http import require_GET, require_POST

from zhizhi.core.errors import DomainError, Forbidden, NotFound
from zhizhi.sensors import queries
from zhizhi.sensors.models import AlarmStatus, Outcome
from zhizhi.sensors.services import alarms


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
    return render(request, "sensors/devices.html", {"devices": queries.device_health(request.user)})


@require_GET
@login_required
@domain_errors
def alarm_detail(request, alarm_id: int):
    alarm = queries.access_alarm(request.user, alarm_id)
    context = {
        "alarm": alarm,
        "timeline": queries.timeline(alarm),
        "log": alarm.log.all(),
        "contacts": alarm.contacts.all(),
        "outcomes": Outcome.choices,
        "can_act": alarm.status != AlarmStatus.RESOLVED,
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
        messages.error(request, exc.message)
    return redirect("sensors:alarm_detail", alarm_id=alarm.pk)
