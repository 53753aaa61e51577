"""Reading people, always through the actor's scope (role × area).

Lists load only the plain columns in LIST_FIELDS (masked ID number and phone); the encrypted columns are read
only when a whole value is revealed (services.reveal_resident) or exported by a role that may see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from zhizhi.areas.models import Area, Dwelling
from zhizhi.core import pii
from zhizhi.core.errors import Forbidden, InvalidInput, NotFound
from zhizhi.core.params import LAST_PAGE
from zhizhi.core.permissions import area_prefix, people_policy
from zhizhi.core.roles import CODE_LENGTH, AreaLevel
from zhizhi.people.expressions import code_scope, in_array, name_contains
from zhizhi.people.models import Contact, ExportJob, Household, Residence, Resident, Tag
from zhizhi.people.search import KeyKind, parse_query

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class MemberCount(TypedDict):
    """The annotation of `search_households` (for type checking)."""

    member_count: int


# Columns a list needs; the encrypted ID number and phone are never loaded for lists.
LIST_FIELDS = (
    "id",
    "name",
    "id_number_masked",
    "phone_masked",
    "sex",
    "birth_date",
    "status",
    "area_code",
    "home",
)
HOME_FIELDS = ("home__id", "home__code", "home__address")
ENCRYPTED_FIELDS = ("id_number", "phone")
PAGE_SIZE = 50
ADDRESS_MIN_CHARS = 3  # shorter fragments (一二 characters) would match most addresses: names only
COUNT_CAP = 1000


def residents_for(actor: Any) -> QuerySet[Resident]:
    """Every resident the actor may see (an empty queryset when none)."""
    policy = people_policy(actor)
    if policy.own_only:
        return Resident.objects.filter(pk=getattr(actor, "resident_id", None) or -1)
    prefix = area_prefix(actor)
    if not policy.list or prefix is None:
        return Resident.objects.none()
    return Resident.objects.filter(code_scope("area_code", prefix))


def households_for(actor: Any) -> QuerySet[Household]:
    policy = people_policy(actor)
    if policy.own_only:
        resident = getattr(actor, "resident", None)
        return Household.objects.filter(pk=getattr(resident, "household_id", None) or -1)
    prefix = area_prefix(actor)
    if not policy.list or prefix is None:
        return Household.objects.none()
    return Household.objects.filter(code_scope("area_code", prefix))


def access_resident(actor: Any, resident_id: int) -> Resident:
    """The resident, if the actor may open it; scope misses read as 404 so records outside leak nothing.

    The encrypted columns are deferred: they are decrypted only if a caller touches them (reveal, edit).
    """
    try:
        return (
            residents_for(actor)
            .select_related("home", "household")
            .defer(*ENCRYPTED_FIELDS)
            .get(pk=resident_id)
        )
    except (Resident.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"resident {resident_id} not found", field="id") from exc


def access_household(actor: Any, household_id: int) -> Household:
    try:
        return households_for(actor).select_related("dwelling", "head").get(pk=household_id)
    except (Household.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"household {household_id} not found", field="id") from exc


def can_reveal(actor: Any) -> dict[str, bool]:
    policy = people_policy(actor)
    return {"id_number": policy.reveal_id, "phone": policy.reveal_phone}


def require_reveal(actor: Any) -> None:
    allowed = can_reveal(actor)
    if not (allowed["id_number"] or allowed["phone"]):
        raise Forbidden("your role may not see whole ID numbers or phones", field="reveal")


def may_edit(actor: Any) -> bool:
    return people_policy(actor).edit


def find_by_id_number(actor: Any, id_number: str) -> QuerySet[Resident]:
    return residents_for(actor).filter(id_number_hash=pii.blind_index(id_number))


# --- search -------------------------------------------------------------------------------------------------


def check_area_filter(code: str | None, level: AreaLevel, field: str) -> str:
    code = (code or "").strip()
    if code and (not code.isdigit() or len(code) != CODE_LENGTH[level]):
        raise InvalidInput(f"a {level.value} code has {CODE_LENGTH[level]} digits", field=field)
    return code


def tags_by_key(keys: list[str] | None, field: str = "tags") -> list[Tag]:
    """Tags named by code or name; an unknown one is an InvalidInput naming `field`."""
    wanted = [k.strip() for k in keys or [] if k and k.strip()]
    if not wanted:
        return []
    known = list(Tag.objects.all())
    by_key = {t.code: t for t in known} | {t.name: t for t in known}
    unknown = [k for k in wanted if k not in by_key]
    if unknown:
        raise InvalidInput(f"unknown tag(s): {', '.join(unknown)}", field=field)
    return list({by_key[k].pk: by_key[k] for k in wanted}.values())


def _match_key(qs: QuerySet[Resident], q: str | None, actor: Any) -> QuerySet[Resident]:
    key = parse_query(q)
    if key.kind == KeyKind.ID_NUMBER:
        return qs.filter(id_number_hash=pii.blind_index(key.value))
    if key.kind == KeyKind.PHONE:
        return qs.filter(phone_hash=pii.blind_index(key.value))
    if key.kind == KeyKind.PHONE_LAST4:
        return qs.filter(phone_masked__endswith=key.value)
    if key.kind == KeyKind.PINYIN:
        return qs.filter(Q(name_pinyin__startswith=key.value) | Q(name_pinyin__contains=f" {key.value}"))
    if key.kind == KeyKind.TEXT:
        matches = name_contains("name", key.value)
        if len(key.value) >= ADDRESS_MIN_CHARS:
            homes = Dwelling.objects.filter(code_scope("area_code", area_prefix(actor) or ""))
            home_ids = homes.filter(address__contains=key.value).order_by().values("id")
            matches |= in_array("home_id", home_ids)
        return qs.filter(matches)
    return qs


def search_residents(
    actor: Any,
    q: str | None = None,
    *,
    tags: list[str] | None = None,
    community: str | None = None,
    grid: str | None = None,
) -> QuerySet[Resident]:
    """Residents in the actor's scope matching `q` (see people.search for what a query means), having
    every tag in `tags` (codes or names), inside `community`/`grid` (area codes). Masked list columns only."""
    qs = _match_key(residents_for(actor), q, actor)
    community = check_area_filter(community, AreaLevel.COMMUNITY, "community")
    grid = check_area_filter(grid, AreaLevel.GRID, "grid")
    if community:
        qs = qs.filter(code_scope("area_code", community))
    if grid:
        qs = qs.filter(code_scope("area_code", grid))
    for tag in tags_by_key(tags):
        qs = qs.filter(
            Exists(Resident.tags.through.objects.filter(resident_id=OuterRef("pk"), tag_id=tag.pk))
        )
    return as_list(qs)


def as_list(qs: QuerySet[Resident]) -> QuerySet[Resident]:
    """The list shape: masked columns, home address, tags; one query for the rows and one for their tags."""
    return (
        qs.select_related("home")
        .only(*LIST_FIELDS, *HOME_FIELDS)
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "code", "name")))
    )


# --- pages --------------------------------------------------------------------------------------------------


@dataclass
class Page:
    """One page of a list without counting the whole result: `total` stops at COUNT_CAP (shown as "1000+")."""

    items: list
    number: int
    size: int
    has_next: bool
    total: int
    total_capped: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def check_page(raw: Any) -> int:
    try:
        number = 1 if raw is None or raw == "" else int(raw)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("page must be a whole number", field="page") from exc
    if number < 1 or number > LAST_PAGE:
        raise InvalidInput(f"page must be between 1 and {LAST_PAGE}", field="page")
    return number


def page_of(qs: QuerySet, page: Any = 1, size: int = PAGE_SIZE) -> Page:
    """One page in the queryset's order, and how many there are up to COUNT_CAP.

    First the keys of this page and of what follows it (up to COUNT_CAP in all) come from one narrow query
    in the list order, which PostgreSQL answers from the ordering index and stops as soon as it has enough;
    then the page's rows are loaded by key. So counting costs no second scan, and a broad search does not
    count all its matches."""
    number = check_page(page)
    start = (number - 1) * size
    window = list(qs.values_list("pk", flat=True)[start : max(start + size, COUNT_CAP) + 1])
    keys = window[:size]
    loaded = {row.pk: row for row in qs.filter(pk__in=keys)} if keys else {}
    seen = start + len(window)
    return Page(
        items=[loaded[k] for k in keys if k in loaded],
        number=number,
        size=size,
        has_next=len(window) > size,
        total=min(seen, COUNT_CAP),
        total_capped=seen > COUNT_CAP,
    )


def filter_choices(actor: Any) -> dict:
    """Tags and the communities/grids of the actor's scope, for the list filters (two queries)."""
    prefix = area_prefix(actor)
    areas: list[Area] = []
    if prefix is not None and people_policy(actor).list:
        areas = list(
            Area.objects.filter(
                code_scope("code", prefix), level__in=[AreaLevel.COMMUNITY, AreaLevel.GRID]
            ).only("id", "code", "name", "level")
        )
    return {
        "tags": list(Tag.objects.only("id", "code", "name")),
        "communities": [a for a in areas if a.level == AreaLevel.COMMUNITY],
        "grids": [a for a in areas if a.level == AreaLevel.GRID],
    }


# --- one resident -------------------------------------------------------------------------------------------


def resident_profile(resident: Resident) -> dict:
    """What the detail page and API show beside the masked identity: tags, household, residences, contacts."""
    return {
        "tags": list(resident.tags.only("id", "code", "name")),
        "residences": list(
            Residence.objects.filter(resident=resident)
            .select_related("dwelling")
            .only(
                "id", "relation", "is_primary", "since", "dwelling__id", "dwelling__code", "dwelling__address"
            )
        ),
        "contacts": list(contacts_of(resident)),
    }


def contacts_of(resident: Resident) -> QuerySet[Contact]:
    return Contact.objects.filter(resident=resident).only(
        "id", "kind", "name", "relation", "phone_masked", "priority", "resident_id"
    )


# --- households ---------------------------------------------------------------------------------------------


def search_households(
    actor: Any, q: str | None = None, *, community: str | None = None, grid: str | None = None
) -> QuerySet[WithAnnotations[Household, MemberCount]]:
    """Households in scope whose number or standard address contains `q`, with their member count."""
    qs = households_for(actor)
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(number__contains=text) | Q(dwelling__address__contains=text))
    community = check_area_filter(community, AreaLevel.COMMUNITY, "community")
    grid = check_area_filter(grid, AreaLevel.GRID, "grid")
    if community:
        qs = qs.filter(code_scope("area_code", community))
    if grid:
        qs = qs.filter(code_scope("area_code", grid))
    return (
        qs.select_related("dwelling", "head")
        .only(
            "id",
            "number",
            "kind",
            "area_code",
            "dwelling__id",
            "dwelling__code",
            "dwelling__address",
            "head__id",
            "head__name",
        )
        .annotate(member_count=Count("members"))
    )


def household_members(actor: Any, household: Household) -> QuerySet[Resident]:
    """The members the actor may see (a resident account sees only its own record, as everywhere)."""
    members = residents_for(actor).filter(household=household)
    return as_list(members).only(*LIST_FIELDS, *HOME_FIELDS, "relation_to_head")


# --- exports ------------------------------------------------------------------------------------------------


def export_jobs_for(actor: Any) -> QuerySet[ExportJob]:
    """The actor's own export jobs (files are offered only to the one who asked), without the file bytes."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(requested_by_id=actor.pk).defer("file")


def access_export_job(actor: Any, job_id: int, *, with_file: bool = False) -> ExportJob:
    qs = ExportJob.objects.filter(requested_by_id=getattr(actor, "pk", None) or -1)
    if not with_file:
        qs = qs.defer("file")
    try:
        return qs.get(pk=job_id)
    except (ExportJob.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"export {job_id} not found", field="id") from exc
