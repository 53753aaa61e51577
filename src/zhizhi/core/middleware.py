from __future__ import annotations

import contextlib

from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from zhizhi.core.context import RequestInfo, current_request
from zhizhi.core.errors import DomainError, InvalidInput
from zhizhi.core.params import NUL, nul_path


class RequestContextMiddleware:
    """Makes the client's address, user agent and path available to the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        info = RequestInfo(
            ip=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
            path=request.path[:255],
        )
        token = current_request.set(info)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


class DomainErrorMiddleware:
    """Pages: a DomainError raised by a service becomes a 400/403/404 page naming the field (never a 500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        return render(request, "web/error.html", {"error": exception}, status=exception.status)


class RefuseNulMiddleware:
    """A query-string or form value holding the NUL character (U+0000) is refused before any view reads it:
    PostgreSQL text cannot hold it, so a search for it failed inside the database (a 500). A 400 naming the
    parameter — JSON under /api/, the error page elsewhere; a path holding it is a 404. JSON bodies are
    checked by the API's parser."""

    FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path:
            # No record is named with it: every resource with a NUL in its path is absent (a building code,
            # an Open311 request id — looked up, PostgreSQL failed on it: a 500).
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"error": {"code": "not_found", "message": "no such resource"}}, status=404
                )
            raise Http404("no such page")
        name = self._nul_parameter(request)
        if name is None:
            return self.get_response(request)
        error = InvalidInput(_("cannot contain the NUL character (U+0000)"), field=name)
        if request.path.startswith("/api/"):
            return JsonResponse({"error": error.as_dict()}, status=400)
        return render(request, "web/error.html", {"error": error}, status=400)

    def _nul_parameter(self, request) -> str | None:
        sources = [request.GET]
        if request.method == "POST" and request.content_type in self.FORMS:
            with contextlib.suppress(MultiPartParserError):  # the view answers a broken upload (a 400)
                sources.append(request.POST)
        for source in sources:
            for key, values in source.lists():
                path = nul_path([key, *values])
                if path is not None:
                    return key if NUL not in key else "?"
        return None
