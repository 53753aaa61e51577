"""Case numbers people can read aloud: street initials, the local date and the day's serial
(WL20261127-00042), unique per street and day."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import IntegrityError, transaction
from django.db.models import F
from pypinyin import Style, lazy_pinyin

from zhizhi.areas.models import Area
from zhizhi.cases.models import CaseCounter
from zhizhi.core import clock


@functools.lru_cache(maxsize=1024)
def street_prefix(street_code: str, street_name: str) -> str:
    """武林街道 → WL: pinyin initials of the street's name without its suffix."""
    name = street_name
    for suffix in ("街道办事处", "街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).upper()
    letters = "".join(ch for ch in initials if ch.isascii() and ch.isalpha())
    return letters[:4] or "C"


def _street_of(area: Area) -> tuple[str, str]:
    code = area.code[:9]
    if area.code == code:
        return code, area.name
    street = Area.objects.filter(code=code).only("name").first()
    return code, street.name if street else code


def _bump(street_code: str, day: dt.date) -> int:
    if not CaseCounter.objects.filter(street_code=street_code, day=day).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                CaseCounter.objects.create(street_code=street_code, day=day, last=1)
                return 1
        except IntegrityError:
            CaseCounter.objects.filter(street_code=street_code, day=day).update(last=F("last") + 1)
    return CaseCounter.objects.filter(street_code=street_code, day=day).values_list("last", flat=True).get()


def next_number(area: Area, now: dt.datetime) -> tuple[str, str]:
    """(street code, number such as WL20261127-00042). Outside a transaction the counter is bumped in its own
    short one, so concurrent intakes do not queue behind each other's whole transaction (numbers may skip)."""
    street_code, street_name = _street_of(area)
    day = now.astimezone(clock.SHANGHAI).date()
    if transaction.get_autocommit():
        with transaction.atomic():
            serial = _bump(street_code, day)
    else:
        serial = _bump(street_code, day)
    return street_code, f"{street_prefix(street_code, street_name)}{day:%Y%m%d}-{serial:05d}"
