"""Per-request context (client address, user agent, path) that services read for audit rows."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    ip: str | None = None
    user_agent: str = ""
    path: str = ""


current_request: contextvars.ContextVar[RequestInfo] = contextvars.ContextVar(
    "zhizhi_request",
    default=RequestInfo(),  # noqa: B039 — a frozen dataclass, immutable
)
