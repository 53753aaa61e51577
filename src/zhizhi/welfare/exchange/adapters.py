"""Delivery adapters: how a built batch reaches its partner. Files are downloaded by staff and handed over;
the HTTP adapter POSTs the batch as JSON to the partner's endpoint. A partner may answer with its receipt
at once ({"results": [{"reference", "result", "reason"}]}); otherwise the receipt is imported later.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol

TIMEOUT_S = 20


@dataclass
class PushResult:
    ok: bool
    status: int = 0
    error: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)


class Adapter(Protocol):
    def push(self, endpoint: str, document: dict[str, Any]) -> PushResult: ...


class HttpAdapter:
    """POST application/json; 2xx is success. Only http(s) endpoints; nothing else is opened."""

    def __init__(self, timeout: float = TIMEOUT_S):
        self.timeout = timeout

    def push(self, endpoint: str, document: dict[str, Any]) -> PushResult:
        if not endpoint.startswith(("http://", "https://")):
            return PushResult(False, error=f"not an http(s) endpoint: {endpoint!r}")
        body = json.dumps(document, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            endpoint, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            return PushResult(False, status=exc.code, error=f"HTTP {exc.code}: {exc.reason}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            return PushResult(False, error=f"could not reach the partner: {exc}")
        try:
            answer = json.loads(raw.decode() or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            answer = {}
        results = answer.get("results") if isinstance(answer, dict) else None
        return PushResult(True, status=status, results=results if isinstance(results, list) else [])


def adapter_for(delivery: str) -> Adapter:
    return HttpAdapter()
