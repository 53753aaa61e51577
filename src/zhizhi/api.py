"""The one JSON API (django-ninja) at /api/, documented at /api/docs with the schema at /api/openapi.json.

Every app contributes a router at /api/<app>/. Domain errors become 400/403/404 bodies that name the field:
    {"error": {"code": "invalid", "field": "id_number", "message": "..."}}
"""

from __future__ import annotations

from django.http import Http404
from django.utils.functional import LazyObject
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import SessionAuth

from zhizhi.areas.api import router as areas_router
from zhizhi.cases.api import router as cases_router
from zhizhi.core.errors import DomainError
from zhizhi.people.api import router as people_router
from zhizhi.sensors.api import router as sensors_router
from zhizhi.welfare.api import router as welfare_router


class SessionUserAuth(SessionAuth):
    """ninja's session auth (CSRF checked as there), that hands the view the user itself: `request.user`
    becomes the loaded user instead of the lazy proxy AuthenticationMiddleware put there, whose every
    attribute read costs a failed lookup and a proxy call — a few hundred of them on an intake."""

    def authenticate(self, request, key):
        user = request.user
        if not user.is_authenticated:  # loads the user
            return None
        if isinstance(user, LazyObject):
            user = request.user = user._wrapped
        return user


session_auth = SessionUserAuth()

api = NinjaAPI(
    title="Zhizhi API",
    version="1",
    description="智治 — street-level smart governance. All endpoints need a logged-in session.",
    auth=session_auth,
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, {"error": exc.as_dict()}, status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", [])]
    if len(loc) > 2 and loc[0] == "body":
        loc = loc[2:]  # the source and the view's name for the body schema (payload, data …), not the field
    elif loc and loc[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
        loc = loc[1:]  # the parameter source, not the field
    field = ".".join(loc) or None
    body = {
        "code": "invalid",
        "field": field,
        "message": f"{field or 'input'}: {first.get('msg', 'invalid')}",
    }
    return api.create_response(request, {"error": body, "details": exc.errors}, status=400)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    body = {"code": "unauthenticated", "message": "log in first"}
    return api.create_response(request, {"error": body}, status=401)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"error": {"code": "not_found", "message": str(exc)}}, status=404)


api.add_router("/areas/", areas_router)
api.add_router("/people/", people_router)
api.add_router("/cases/", cases_router)
api.add_router("/welfare/", welfare_router)
api.add_router("/sensors/", sensors_router)
