from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def site(request):
    return {"MAP_TILE_URL": settings.MAP_TILE_URL, "ZHIZHI_ENV": settings.ZHIZHI_ENV}


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy translation, rendered in the request's language
    url: str
    key: str


def _lists_people(user) -> bool:
    from zhizhi.core.permissions import people_policy

    return people_policy(user).list


def _sees_welfare(user) -> bool:
    from zhizhi.welfare.permissions import Reach, welfare_policy

    return welfare_policy(user).reach != Reach.NONE


# The top bar: (key, label, URL name, who sees the link). A link is shown only to those it opens for — a
# resident gets no registry or welfare links (they would show her own row, or a 403).
NAV = (
    ("cases", _("Cases"), "cases:home", None),
    ("residents", _("Residents"), "people:resident_list", _lists_people),
    ("households", _("Households"), "people:household_list", _lists_people),
    ("buildings", _("Buildings"), "areas:building_list", _lists_people),
    ("map", _("Map"), "areas:map", None),
    ("welfare", _("Welfare"), "welfare:register", _sees_welfare),
    ("sensors", _("Door sensors"), "sensors:board", _lists_people),
)


def nav_items(user) -> list[NavItem]:
    """The top-bar links this user may open."""
    if not getattr(user, "is_authenticated", False):
        return []
    items = [
        NavItem(label, reverse(name), key)
        for key, label, name, allowed in NAV
        if allowed is None or allowed(user)
    ]
    if user.is_staff:
        items.append(NavItem(_("Back office"), reverse("admin:index"), "admin"))
    return items


def navigation(request):
    user = getattr(request, "user", None)
    return {"nav_items": nav_items(user) if user is not None else []}
