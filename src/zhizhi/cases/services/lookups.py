"""Process-level caches of the reference data every intake reads: categories by code/name/alias, grids by code
(tied to the point → grid index of zhizhi.areas.spatial) and street names for case numbers.

Rules that keep them correct:
  * an entry is stored only when it was read in autocommit mode, i.e. from committed rows (a read inside a
    transaction could see that transaction's own writes, which a rollback takes back);
  * saving or deleting a Category or an Area in this process drops the caches (post_save/post_delete);
  * other processes, and changes that bypass signals (queryset.update), are seen within TTL_S seconds;
  * the grid cache is dropped whenever the spatial index is rebuilt (its own fingerprint check).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from zhizhi.areas import spatial
from zhizhi.areas.models import Area
from zhizhi.cases.models import Category

TTL_S = 30.0
MISSING = object()

_lock = threading.Lock()
_categories: dict[str, Category | None] = {}
_areas: dict[str, Area | None] = {}
_street_names: dict[str, str] = {}
_state: dict[str, Any] = {"loaded_at": time.monotonic(), "index": None}


def clear(*_args: Any, **_kwargs: Any) -> None:
    """Forget everything (signal receiver; also called after an integrity error at intake)."""
    with _lock:
        _categories.clear()
        _areas.clear()
        _street_names.clear()
        _state["loaded_at"] = time.monotonic()


post_save.connect(clear, sender=Category, dispatch_uid="cases.lookups.category.save")
post_delete.connect(clear, sender=Category, dispatch_uid="cases.lookups.category.delete")
post_save.connect(clear, sender=Area, dispatch_uid="cases.lookups.area.save")
post_delete.connect(clear, sender=Area, dispatch_uid="cases.lookups.area.delete")


def _fresh() -> None:
    if time.monotonic() - _state["loaded_at"] > TTL_S:
        clear()


def _may_store() -> bool:
    return transaction.get_autocommit()


def _load_category(text: str) -> Category | None:
    category = Category.objects.filter(Q(code=text) | Q(name=text)).order_by("-active").first()
    if category is None:
        for candidate in Category.objects.filter(aliases__contains=text):
            if text in [a.strip() for a in candidate.aliases.split(",")]:
                return candidate
    return category


def category(text: str) -> Category | None:
    """The category whose code, name or one of whose other names is `text` (active ones first), or None."""
    _fresh()
    found = _categories.get(text, MISSING)
    if found is MISSING:
        found = _load_category(text)
        if _may_store():
            with _lock:
                _categories[text] = found
    return found  # type: ignore[return-value]


def grid_at(lat: float, lon: float) -> Area | None:
    """The grid covering a WGS84 point (id, code, name, level and parent only), or None."""
    _fresh()
    index = spatial.grid_index()
    if _state["index"] is not index:
        with _lock:
            _areas.clear()
            _state["index"] = index
    code = index.locate(lat, lon)
    if code is None:
        return None
    found = _areas.get(code, MISSING)
    if found is MISSING:
        found = Area.objects.filter(code=code).only("id", "code", "name", "level", "parent_id").first()
        if _may_store():
            with _lock:
                _areas[code] = found
    return found  # type: ignore[return-value]


def street_name(code: str) -> str:
    """The name of the street with this code (the code itself when there is none)."""
    _fresh()
    name = _street_names.get(code)
    if name is None:
        street = Area.objects.filter(code=code).only("name").first()
        name = street.name if street else code
        if _may_store():
            with _lock:
                _street_names[code] = name
    return name
