"""What Open311 shows the public, read from the cases models (read-only).

Open311 readers are anonymous, so cases.queries (always scoped to a logged-in actor) has nothing for them;
the public view is defined here instead: every case of the jurisdiction except those of private categories
(conf.private_categories, e.g. 独居老人告警) and private channels (conf.private_channels, e.g. door
sensors). No reporter name, phone or e-mail ever leaves through it; descriptions are shown with phone and ID
numbers masked (presenters). Each list is a fixed number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, QuerySet, Subquery

from zhizhi.cases.models import AttachmentKind, Case, CaseAttachment, Category, Transition
from zhizhi.cases.queries import categories
from zhizhi.cases.workflow import Status
from zhizhi.open311 import conf, mapping
from zhizhi.open311.conf import Jurisdiction
from zhizhi.open311.models import ClientUpdate, Submission
from zhizhi.open311.params import Open311Error

PUBLIC_MEDIA_KINDS = (AttachmentKind.EVIDENCE, AttachmentKind.VERIFICATION)


def access_jurisdiction(jurisdiction_id: str | None) -> Jurisdiction:
    """The jurisdiction asked for: optional when one is served, required and checked when several are."""
    served = conf.jurisdictions()
    if jurisdiction_id is None:
        if len(served) == 1:
            return served[0]
        raise Open311Error(400, f"jurisdiction_id is required: one of {', '.join(j.id for j in served)}")
    for jurisdiction in served:
        if jurisdiction.id == jurisdiction_id:
            return jurisdiction
    raise Open311Error(404, f"jurisdiction_id {jurisdiction_id!r} is not served here")


def services() -> QuerySet[Category]:
    return categories().exclude(code__in=conf.private_categories()).order_by("sort_order", "code")


def access_service(code: str) -> Category:
    category = services().filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"service_code {code!r} is not a service of ours (see services.xml)")
    return category


def public_cases(jurisdiction: Jurisdiction) -> QuerySet[Case]:
    qs = Case.objects.exclude(channel__in=conf.private_channels()).exclude(
        category__code__in=conf.private_categories()
    )
    if jurisdiction.area_code:
        qs = qs.filter(area_code__startswith=jurisdiction.area_code)
    return qs


def _with_last_action(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate the last published action and its reason (for the extended status and status_notes)."""
    last = Transition.objects.filter(case=OuterRef("pk"), action__in=mapping.published_actions()).order_by(
        "-at", "-id"
    )
    return qs.annotate(
        last_action=Subquery(last.values("action")[:1]), last_reason=Subquery(last.values("reason")[:1])
    ).select_related("category", "current_unit")


def find_request(jurisdiction: Jurisdiction, request_id: str) -> Case:
    """A public case by its service_request_id (the case id) or its number (WL20261127-00042); else 404."""
    ident = (request_id or "").strip()
    qs = public_cases(jurisdiction)
    case = (
        qs.filter(pk=int(ident)).first()
        if ident.isdigit() and len(ident) < 19
        else qs.filter(number=ident.upper()).order_by("pk").first()
        if ident
        else None
    )
    if case is None:
        raise Open311Error(404, f"service_request_id {request_id!r} was not found")
    return case


@dataclass
class RequestFilter:
    ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: list[str] = field(default_factory=list)  # open / closed
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    page: int = 1
    page_size: int = 1000


def search_requests(jurisdiction: Jurisdiction, f: RequestFilter) -> list[Case]:
    """Public cases, newest first. A service_request_id list overrides every other filter (and paging)."""
    qs = public_cases(jurisdiction)
    if f.ids:
        numeric = [int(i) for i in f.ids if i.isdigit() and len(i) < 19]
        numbers = [i.upper() for i in f.ids if not i.isdigit()]
        qs = qs.filter(Q(pk__in=numeric) | Q(number__in=numbers))
        return list(_with_last_action(qs).order_by("-created_at", "-id")[:1000])
    if f.service_codes:
        qs = qs.filter(category__code__in=f.service_codes)
    if f.start is not None:
        qs = qs.filter(created_at__gte=f.start)
    if f.end is not None:
        qs = qs.filter(created_at__lte=f.end)
    if f.updated_after is not None:
        qs = qs.filter(updated_at__gte=f.updated_after)
    if f.updated_before is not None:
        qs = qs.filter(updated_at__lte=f.updated_before)
    if f.statuses:
        wanted: set[Status] = set()
        for status in f.statuses:
            wanted |= mapping.OPEN_OPEN311 if status == mapping.Open311Status.OPEN else mapping.CLOSED_OPEN311
        qs = qs.filter(status__in=[s.value for s in wanted])
    offset = (f.page - 1) * f.page_size
    return list(_with_last_action(qs).order_by("-created_at", "-id")[offset : offset + f.page_size])


@dataclass
class Extras:
    """What a page of requests needs besides the case rows, fetched once for the page."""

    submissions: dict[int, Submission] = field(default_factory=dict)
    media: dict[int, int] = field(default_factory=dict)  # case id → first public attachment id
    history: dict[int, list[Transition]] = field(default_factory=dict)
    client_updates: dict[int, list[ClientUpdate]] = field(default_factory=dict)


def extras_for(cases: list[Case], *, history: bool) -> Extras:
    ids = [c.pk for c in cases]
    extras = Extras()
    if not ids:
        return extras
    for sub in Submission.objects.filter(case_id__in=ids).order_by("created_at", "id").defer("email"):
        if sub.case_id is not None:
            extras.submissions.setdefault(sub.case_id, sub)
    open311_cases = [c.pk for c in cases if c.channel == "open311"]
    media = (
        CaseAttachment.objects.filter(case_id__in=ids)
        .filter(Q(kind__in=PUBLIC_MEDIA_KINDS) | Q(case_id__in=open311_cases, kind=AttachmentKind.PHOTO))
        .order_by("case_id", "uploaded_at", "id")
        .values_list("case_id", "id")
    )
    for case_id, attachment_id in media:
        extras.media.setdefault(int(case_id), attachment_id)
    if history:
        rows = (
            Transition.objects.filter(case_id__in=ids, action__in=mapping.published_actions())
            .select_related("unit_to")
            .order_by("at", "id")
        )
        for row in rows:
            extras.history.setdefault(row.case_id, []).append(row)
        for update in (
            ClientUpdate.objects.filter(case_id__in=ids).defer("email").order_by("received_at", "id")
        ):
            extras.client_updates.setdefault(update.case_id, []).append(update)
    return extras


def updates_feed(
    jurisdiction: Jurisdiction, start: dt.datetime | None, end: dt.datetime | None, page: int, page_size: int
) -> list[Transition]:
    """Published transitions of public cases in [start, end], oldest first (servicerequestupdates)."""
    qs = Transition.objects.filter(
        case__in=public_cases(jurisdiction), action__in=mapping.published_actions()
    ).select_related("unit_to", "case")
    if start is not None:
        qs = qs.filter(at__gte=start)
    if end is not None:
        qs = qs.filter(at__lte=end)
    offset = (page - 1) * page_size
    return list(qs.order_by("at", "id")[offset : offset + page_size])


def update_media(transitions: list[Transition]) -> dict[int, int]:
    """Transition id → its first public attachment (handling evidence, verification photo)."""
    rows = (
        CaseAttachment.objects.filter(
            transition_id__in=[t.pk for t in transitions], kind__in=PUBLIC_MEDIA_KINDS
        )
        .order_by("transition_id", "id")
        .values_list("transition_id", "id")
    )
    found: dict[int, int] = {}
    for transition_id, attachment_id in rows:
        found.setdefault(transition_id, attachment_id)
    return found


def access_token(token: str) -> Submission:
    submission = Submission.objects.filter(token=token).defer("email").first()
    if submission is None:
        raise Open311Error(404, f"token {token!r} was not found")
    return submission


def access_media(jurisdiction: Jurisdiction, attachment_id: int) -> CaseAttachment:
    """A public attachment: handling evidence or a verification photo of a public case, or a photo sent with
    an Open311 request."""
    found = (
        CaseAttachment.objects.filter(pk=attachment_id, case__in=public_cases(jurisdiction))
        .filter(Q(kind__in=PUBLIC_MEDIA_KINDS) | Q(case__channel="open311", kind=AttachmentKind.PHOTO))
        .first()
    )
    if found is None:
        raise Open311Error(404, f"media {attachment_id} was not found")
    return found
