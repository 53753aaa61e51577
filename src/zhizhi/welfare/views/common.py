from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from zhizhi.core.errors import DomainError, Forbidden, NotFound


def domain_errors(view):
    """NotFound → 404, Forbidden → 403; other domain errors a short page with their status. Bad input that
    belongs to a form is caught by its view and shown beside the form."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            return render(request, "web/error.html", {"error": exc}, status=exc.status)

    return wrapper


def flag(value: str | None) -> bool | None:
    return {"1": True, "true": True, "0": False, "false": False}.get((value or "").lower())
