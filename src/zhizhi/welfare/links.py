"""What other apps hold about a person, for their case file: a small registry of sources.

An app that keeps records about people (cases, door-sensor alarms, and later government-affairs applications and
elderly-care service orders) registers one `Source` from its AppConfig.ready() — or welfare registers it for the
app, see welfare.providers. A source is a key, a heading and a function (viewer, resident, limit) → LinkItems that

- returns only what the viewer may see, through the source app's own scope (its queries module), and
- shows what the app's lists show: numbers, titles, statuses — never a whole ID number or phone.

The case file draws one section per registered source and merges the items into its timeline. A source that is not
registered (its app is not installed or does not exist yet) draws nothing at all: no placeholder.

A source may also count alarm-like events per person (`recent_alarms`) for the risk score's "recent alarms"
factor (welfare.risk).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

ItemsFunction = Callable[[Any, Any, int], list["LinkItem"]]
AlarmCounter = Callable[[list[int], dt.datetime], dict[int, int]]


@dataclass(frozen=True)
class LinkItem:
    """One record of another app about the person, as the case file shows it."""

    at: dt.datetime
    kind: str  # what it is, e.g. "case", "alarm" (also the timeline entry's kind)
    title: str
    number: str = ""  # the record's number as people read it (case number)
    status: str = ""  # the status, already translated
    detail: str = ""
    url: str = ""  # the record's own page, where the viewer may open it
    open: bool = False  # still open: not closed, not resolved


@dataclass(frozen=True)
class Source:
    key: str
    heading: Any  # a (lazy) translated string: the section's heading
    items: ItemsFunction
    order: int = 100
    recent_alarms: AlarmCounter | None = None
    empty: Any = ""  # what the section says when there is nothing (translated); default: a generic line


@dataclass
class Section:
    source: Source
    items: list[LinkItem] = field(default_factory=list)
    more: bool = False  # more items exist than are shown
    failed: bool = False  # the source raised: the rest of the case file still shows

    @property
    def key(self) -> str:
        return self.source.key

    @property
    def heading(self) -> Any:
        return self.source.heading

    @property
    def open_count(self) -> int:
        return sum(1 for i in self.items if i.open)


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    """Add (or replace, by key) a source. Idempotent, so ready() may run twice."""
    _SOURCES[source.key] = source


def unregister(key: str) -> None:
    _SOURCES.pop(key, None)


def sources() -> list[Source]:
    return sorted(_SOURCES.values(), key=lambda s: (s.order, s.key))


def linked(viewer: Any, resident: Any, *, limit: int = 20) -> list[Section]:
    """One section per registered source, newest items first, at most `limit` each."""
    sections = []
    for source in sources():
        try:
            items = list(source.items(viewer, resident, limit + 1))
        except Exception:  # one app's failure must not take the case file down
            log.exception("welfare link source %s failed for resident %s", source.key, resident.pk)
            sections.append(Section(source, failed=True))
            continue
        items.sort(key=lambda i: i.at, reverse=True)
        sections.append(Section(source, items[:limit], more=len(items) > limit))
    return sections


def recent_alarm_counts(resident_ids: Iterable[int], since: dt.datetime) -> dict[int, int]:
    """Alarms per person since `since`, summed over the sources that count them (a system read: no viewer)."""
    ids = list(resident_ids)
    totals: dict[int, int] = {}
    if not ids:
        return totals
    for source in sources():
        if source.recent_alarms is None:
            continue
        for i in range(0, len(ids), 2000):
            for rid, n in source.recent_alarms(ids[i : i + 2000], since).items():
                totals[rid] = totals.get(rid, 0) + n
    return totals
