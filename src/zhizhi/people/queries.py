"""Reading people, always through the actor's scope (role × area)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhizhi.core import pii
from zhizhi.core.errors import Forbidden, NotFound
from zhizhi.core.permissions import area_prefix, people_policy
from zhizhi.people.models import Household, Resident

# Columns a list needs; the encrypted ID number and phone are never loaded for lists.
LIST_FIELDS = ("id", "name", "id_number_masked", "phone_masked", "sex", "birth_date", "status", "area_code", "home")


def residents_for(actor: Any) -> QuerySet[Resident]:
    """Every resident the actor may see (an empty queryset when none)."""
    policy = people_policy(actor)
    if policy.own_only:
        return Resident.objects.filter(pk=getattr(actor, "resident_id", None) or -1)
    prefix = area_prefix(actor)
    if not policy.list or prefix is None:
        return Resident.objects.none()
    qs = Resident.objects.all()
    return qs.filter(area_code__startswith=prefix) if prefix else qs


def households_for(actor: Any) -> QuerySet[Household]:
    policy = people_policy(actor)
    if policy.own_only:
        resident = getattr(actor, "resident", None)
        return Household.objects.filter(pk=getattr(resident, "household_id", None) or -1)
    prefix = area_prefix(actor)
    if not policy.list or prefix is None:
        return Household.objects.none()
    qs = Household.objects.all()
    return qs.filter(area_code__startswith=prefix) if prefix else qs


def access_resident(actor: Any, resident_id: int) -> Resident:
    """The resident, if the actor may open it; scope misses read as 404 so records outside leak nothing."""
    try:
        return residents_for(actor).select_related("home", "household").get(pk=resident_id)
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


def find_by_id_number(actor: Any, id_number: str) -> QuerySet[Resident]:
    return residents_for(actor).filter(id_number_hash=pii.blind_index(id_number))
