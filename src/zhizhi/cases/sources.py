"""Where a case came from, as a link: a small registry of resolvers keyed by the prefix of `Case.source_ref`.

An app that opens cases from its own records (door-sensor alarms: ``sensor-alarm:<id>``; later camera events)
registers a resolver from its AppConfig.ready(). The case page then shows the record the case came from — its
kind, state and outcome, linked to its own page — so that whoever handles the case sees, for instance, that the
grid worker has already found the elder safe. A resolver answers through its app's own scope: None when the
viewer may not see the record (the page then shows nothing), and a resolver that fails shows nothing either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceLink:
    label: str  # what the record is, translated (e.g. "门磁告警 · 异常长时间无动静")
    url: str  # its own page
    status: str = ""  # its state and outcome, translated
    open: bool = False  # still open: not resolved


Resolver = Callable[[Any, str], SourceLink | None]
_RESOLVERS: dict[str, Resolver] = {}


def register(prefix: str, resolver: Resolver) -> None:
    """Resolve the source references `<prefix>:<id>`. Idempotent, so ready() may run twice."""
    _RESOLVERS[prefix] = resolver


def link_for(viewer: Any, source_ref: str) -> SourceLink | None:
    """The link to the record a case came from, if a resolver knows it and the viewer may see it."""
    prefix, _, ident = (source_ref or "").partition(":")
    resolver = _RESOLVERS.get(prefix)
    if resolver is None or not ident:
        return None
    try:
        return resolver(viewer, ident)
    except Exception:  # noqa: BLE001 - the case page shows without its source rather than fail
        log.exception("could not resolve the case source %r", source_ref)
        return None
