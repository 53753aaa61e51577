"""The one JSON API (django-ninja) at /api/, documented at /api/docs with the schema at /api/openapi.json.

Every app contributes a router at /api/<app>/. Domain errors become 400/403/404 bodies that name the field:
    {"error": {"code": "invalid", "field": "id_number", "message": "..."}}
"""

from __future__ import annotations

import json
import logging

from django.db import DataError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.functional import LazyObject
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import SessionAuth

from zhizhi.areas.api import router as areas_router
from zhizhi.cases.api import router as cases_router
from zhizhi.core.errors import DomainError, InvalidInput
from zhizhi.core.params import nul_path
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


def _no_constant(name: str):
    raise InvalidInput(f"{name} is not a JSON number (RFC 8259)")


class StrictParser(Parser):
    """ninja's parser, refusing what JSON or a database cannot hold: NaN and Infinity (Python's json module
    accepts them; no column or client should see them) and the NUL character. (Query strings and form fields
    are checked for NUL before any view, by core.middleware.RefuseNulMiddleware.)"""

    def parse_body(self, request):
        data = json.loads(request.body, parse_constant=_no_constant)
        path = nul_path(data)
        if path is not None:
            raise InvalidInput("text cannot contain the NUL character (U+0000)", field=".".join(path) or None)
        return data


logger = logging.getLogger(__name__)
session_auth = SessionUserAuth()

api = NinjaAPI(
    title="Zhizhi API",
    version="1",
    description="智治 — street-level smart governance. All endpoints need a logged-in session.",
    auth=session_auth,
    urls_namespace="api",
    parser=StrictParser(),
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


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    """ninja's own refusals (a body that does not parse) in the API's error shape; a body the parser refused
    (an InvalidInput, which ninja wraps) keeps its field."""
    if isinstance(exc.__cause__, DomainError):
        return _domain_error(request, exc.__cause__)
    code = "invalid" if exc.status_code == 400 else "error"
    message = "body: not valid JSON" if exc.status_code == 400 and exc.__cause__ is not None else str(exc)
    return api.create_response(request, {"error": {"code": code, "message": message}}, status=exc.status_code)


@api.exception_handler(MultiPartParserError)
def _bad_upload(request, exc):
    # Django's own views answer this with a 400; ninja would make it a 500.
    body = {
        "code": "invalid",
        "field": "file",
        "message": f"file: not a valid multipart/form-data upload ({exc})",
    }
    return api.create_response(request, {"error": body}, status=400)


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _out_of_range(request, exc):
    """The last guard for a value the database cannot hold (a number beyond its columns, a NUL in a text) that
    validation let through: a 400, not a 500. Validation should have named the field, so it is logged."""
    logger.warning("a value the database cannot hold reached %s: %s", request.path, exc, exc_info=exc)
    body = {
        "code": "invalid",
        "message": "input: a value is out of range or not storable (too large a number?)",
    }
    return api.create_response(request, {"error": body}, status=400)


api.add_router("/areas/", areas_router)
api.add_router("/people/", people_router)
api.add_router("/cases/", cases_router)
api.add_router("/welfare/", welfare_router)
api.add_router("/sensors/", sensors_router)
