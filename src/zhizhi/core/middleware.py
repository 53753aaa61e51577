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
