"""The only clock. `now()` everywhere; tests and simulations inject another source.

with clock.frozen(datetime(2026, 10, 1, 9, tzinfo=UTC)):
    ...
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
_source: Callable[[], dt.datetime] = timezone.now


def now() -> dt.datetime:
    """Aware current time (UTC) from the installed source."""
    return _source()


def local_now() -> dt.datetime:
    return now().astimezone(SHANGHAI)


def today() -> dt.date:
    """Today's date in Asia/Shanghai, where the street office works."""
    return local_now().date()


def set_source(source: Callable[[], dt.datetime]) -> None:
    global _source
    _source = source


def reset() -> None:
    set_source(timezone.now)


class FrozenClock:
    """A clock that stands still until moved; `advance()` moves it forward."""

    def __init__(self, start: dt.datetime):
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.current = start

    def __call__(self) -> dt.datetime:
        return self.current

    def advance(self, **delta: float) -> dt.datetime:
        self.current = self.current + dt.timedelta(**delta)
        return self.current


@contextlib.contextmanager
def frozen(start: dt.datetime) -> Iterator[FrozenClock]:
    previous = _source
    fake = FrozenClock(start)
    set_source(fake)
    try:
        yield fake
    finally:
        set_source(previous)
