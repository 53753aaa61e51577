"""Open311 endpoints: public (no session, CSRF-exempt), thin — parse, access, one call, render.

Refusals answer in the spec's error format in the format asked for: 400 bad or missing parameter, 403 bad
api_key, 404 unknown service, request, token or jurisdiction, 429 rate limit (with Retry-After).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from zhizhi.core.errors import DomainError
from zhizhi.open311 import formats, intake, keys, presenters, queries, updates
from zhizhi.open311.conf import Jurisdiction
from zhizhi.open311.params import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Open311Error,
    bool_param,
    datetime_param,
    int_param,
    list_param,
    span,
    text,
)

log = logging.getLogger(__name__)
EVERYWHERE = Jurisdiction("*", "")


def endpoint(*methods: str) -> Callable:
    """Answer errors in the spec's format; allow only `methods`; no CSRF (clients are not browsers)."""

    def wrap(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def inner(request: HttpRequest, *args, fmt: str = "xml", **kwargs) -> HttpResponse:
            if request.method not in methods:
                return formats.error(
                    fmt, 405, f"use {' or '.join(methods)}", headers={"Allow": ", ".join(methods)}
                )
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return formats.error(fmt, exc.status, exc.description, headers=exc.headers)
            except DomainError as exc:
                err = intake.as_open311_error(exc)
                return formats.error(fmt, err.status, err.description)

        return inner

    return wrap


def _url(request: HttpRequest) -> Callable[[str], str]:
    return request.build_absolute_uri


def _params(request: HttpRequest):
    return request.POST if request.method == "POST" else request.GET


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    return queries.access_jurisdiction(text(_params(request), "jurisdiction_id"))


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    return formats.render(fmt, "discovery", presenters.discovery(_url(request)))


@endpoint("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    _jurisdiction(request)
    keys.access_key(request, required=False)
    return formats.render(fmt, "services", [presenters.service_out(c) for c in queries.services()])


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    _jurisdiction(request)
    keys.access_key(request, required=False)
    category = queries.access_service(service_code)
    return formats.render(fmt, "service_definition", presenters.definition_out(category))


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    jurisdiction = _jurisdiction(request)
    keys.access_key(request, required=False)
    q = request.GET
    start, end = datetime_param(q, "start_date"), datetime_param(q, "end_date")
    after, before = datetime_param(q, "updated_after"), datetime_param(q, "updated_before")
    by_update = after is not None or before is not None
    start, end = span(start, end, ("start_date", "end_date"), default_to_now=not by_update)
    after, before = span(after, before, ("updated_after", "updated_before"), default_to_now=False)
    statuses = list_param(q, "status")
    for status in statuses:
        if status not in ("open", "closed"):
            raise Open311Error(400, f"status {status!r} must be open or closed")
    found = queries.search_requests(
        jurisdiction,
        queries.RequestFilter(
            ids=list_param(q, "service_request_id"),
            service_codes=list_param(q, "service_code"),
            start=start,
            end=end,
            statuses=statuses,
            updated_after=after,
            updated_before=before,
            page=int_param(q, "page", default=1, low=1, high=1_000_000),
            page_size=int_param(q, "page_size", default=DEFAULT_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE),
        ),
    )
    return _requests_out(request, fmt, found)


def _requests_out(request: HttpRequest, fmt: str, found: list) -> HttpResponse:
    extended = bool_param(request.GET, "extensions")
    extras = queries.extras_for(found, history=extended)
    url = _url(request)
    body = [presenters.request_out(c, extras, url, extended=extended) for c in found]
    return formats.render(fmt, "service_requests", body)


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    key = keys.require_key(request)
    data = intake.read_request(request.POST, request.FILES, request.headers)
    submission, created = intake.submit_request(key, jurisdiction, data)
    notice = presenters.service_notice(submission.case.category) if submission.case else ""
    if submission.case:
        notice = f"已受理，编号 {submission.case.number}。{notice}"
    body = [presenters.submission_out(submission, notice)]
    return formats.render(fmt, "service_requests", body, status=201 if created else 200)


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    keys.access_key(request, required=False)
    case = queries.find_request(jurisdiction, request_id)
    found = queries.search_requests(jurisdiction, queries.RequestFilter(ids=[str(case.pk)]))
    return _requests_out(request, fmt, found)


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    _jurisdiction(request)
    submission = queries.access_token(token)
    return formats.render(fmt, "service_requests", [presenters.token_out(submission)])


@endpoint("GET", "POST")
def service_request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    if request.method == "POST":
        key = keys.require_key(request)
        row, created = updates.post_update(key, jurisdiction, updates.read_update(request.POST))
        body = [presenters.client_update_out(row)]
        return formats.render(fmt, "service_request_updates", body, status=201 if created else 200)
    keys.access_key(request, required=False)
    q = request.GET
    start, end = span(
        datetime_param(q, "start_date"),
        datetime_param(q, "end_date"),
        ("start_date", "end_date"),
        default_to_now=True,
    )
    found = queries.updates_feed(
        jurisdiction,
        start,
        end,
        page=int_param(q, "page", default=1, low=1, high=1_000_000),
        page_size=int_param(q, "page_size", default=DEFAULT_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE),
    )
    media = queries.update_media(found)
    url = _url(request)
    return formats.render(
        fmt, "service_request_updates", [presenters.update_out(t, media, url) for t in found]
    )


@endpoint("GET")
def media(request: HttpRequest, fmt: str, attachment_id: int) -> HttpResponse:
    """A public photo of a case (handling evidence, verification, or sent with an Open311 request)."""
    attachment = queries.access_media(EVERYWHERE, attachment_id)
    response = HttpResponse(bytes(attachment.data), content_type=attachment.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@endpoint("GET", "POST")
def not_found(request: HttpRequest, fmt: str, rest: str = "") -> HttpResponse:
    raise Open311Error(404, f"no such Open311 resource: {request.path}")
