from __future__ import annotations

from zhizhi.core.context import RequestInfo, current_request


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
        from django.shortcuts import render

        from zhizhi.core.errors import DomainError

        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        return render(request, "web/error.html", {"error": exception}, status=exception.status)
