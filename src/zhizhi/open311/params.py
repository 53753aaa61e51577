"""Reading Open311 parameters: an empty parameter is an absent one; every refusal names the parameter.

The errors here are Open311's own (status + description); services raise zhizhi.core.errors, which the
views turn into the same bodies.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime

from zhizhi.core import clock
from zhizhi.core.clock import SHANGHAI

MAX_SPAN = dt.timedelta(days=90)
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000


class Open311Error(Exception):
    """An answer in the spec's error format: `status` 400/403/404/429 and a description."""

    def __init__(self, status: int, description: str, *, headers: dict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


def bad(description: str) -> Open311Error:
    return Open311Error(400, description)


def text(params: Any, name: str) -> str | None:
    """The parameter stripped, or None when it is absent or empty."""
    value = params.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def datetime_param(params: Any, name: str) -> dt.datetime | None:
    """A W3C datetime (2010-01-01T00:00:00Z, …+08:00); a date or a time without offset is Shanghai time."""
    raw = text(params, name)
    if raw is None:
        return None
    try:
        moment = parse_datetime(raw.replace(" ", "+") if "T" in raw and " " in raw else raw)
        if moment is None and (day := parse_date(raw)) is not None:
            moment = dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)
    except ValueError:
        moment = None
    if moment is None:
        raise bad(f"{name} must be a W3C datetime such as 2026-11-01T00:00:00+08:00 (got {raw!r})")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)


def int_param(params: Any, name: str, *, default: int, low: int, high: int) -> int:
    raw = text(params, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise bad(f"{name} must lie between {low} and {high}")
    return value


def float_param(params: Any, name: str) -> float | None:
    raw = text(params, name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise bad(f"{name} must be a number in degrees (WGS84)") from None
    if not math.isfinite(value):
        raise bad(f"{name} must be a number in degrees (WGS84)")
    return value


def list_param(params: Any, name: str) -> list[str]:
    """A comma-delimited list (empty items dropped); the parameter may also be repeated."""
    values = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]
    return [item.strip() for value in values if value for item in str(value).split(",") if item.strip()]


def bool_param(params: Any, name: str) -> bool:
    raw = text(params, name)
    if raw is None:
        return False
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise bad(f"{name} must be true or false")


def span(
    start: dt.datetime | None, end: dt.datetime | None, names: tuple[str, str], *, default_to_now: bool
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The range asked for, at most 90 days: one end given, the other is 90 days away; neither given, the
    last 90 days (when `default_to_now`) or no range at all."""
    if start is not None and end is not None:
        if end < start:
            raise bad(f"{names[1]} lies before {names[0]}")
        if end - start > MAX_SPAN:
            raise bad(f"{names[0]} and {names[1]} may not span more than 90 days")
        return start, end
    if start is not None:
        return start, start + MAX_SPAN
    if end is not None:
        return end - MAX_SPAN, end
    if default_to_now:
        now = clock.now()
        return now - MAX_SPAN, now
    return None, None
