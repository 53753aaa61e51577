"""API keys: issuing them, checking them, and each key's rate limit.

The rate limit is durable, not cache-based: a fixed one-minute window counted in the key's own row and taken
with one conditional UPDATE (`… SET window_count = window_count + 1 WHERE window_start = <this minute> AND
window_count < rate_limit`). Every web process on every machine shares the count through the database, which
a per-process cache (Django's default LocMemCache) would not, and nothing is lost on restart. The cost is one
small UPDATE per keyed request — requests that open a case write several rows anyway. A refused request gets
429 with Retry-After: the seconds left in the window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from typing import Any

from django.db import transaction
from django.db.models import F

from zhizhi.core import clock
from zhizhi.open311 import conf
from zhizhi.open311.models import ApiKey
from zhizhi.open311.params import Open311Error

WINDOW = dt.timedelta(minutes=1)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_key(name: str, *, raw: str = "", rate_limit: int = 60, contact: str = "") -> tuple[ApiKey, str]:
    """A new key for a client: (the row, the key itself — shown once, only its hash is stored)."""
    raw = raw or secrets.token_urlsafe(24)
    key = ApiKey.objects.create(
        name=name[:100],
        contact=contact[:200],
        prefix=raw[:8],
        key_hash=digest(raw),
        rate_limit=rate_limit,
        created_at=clock.now(),
    )
    return key, raw


def set_key(key: ApiKey, raw: str) -> None:
    """Give an unsaved or existing row the key `raw` (the admin's add form)."""
    key.prefix = raw[:8]
    key.key_hash = digest(raw)


@transaction.atomic
def ensure_demo_key() -> ApiKey:
    """The demo client's key from ZHIZHI_DEMO_OPEN311_KEY (default `demo-key`), created once; idempotent.

    For the demo seed only: a production install issues keys in the admin."""
    raw = conf.demo_key()
    existing = ApiKey.objects.filter(key_hash=digest(raw)).first()
    if existing is not None:
        return existing
    key, _ = create_key("演示客户端 (demo)", raw=raw, rate_limit=120, contact="demo")
    return key


def key_from_request(request: Any) -> str | None:
    """The key a request carries: `Authorization: Bearer …`, else the api_key parameter (form, then query)."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return header[7:].strip()
    for params in (request.POST, request.GET):
        value = str(params.get("api_key") or "").strip()
        if value:
            return value
    return None


def access_key(request: Any, *, required: bool) -> ApiKey | None:
    """The active key of the request, counted against its rate limit; 403 for a missing (when required) or
    unknown key, 429 when the key used up its minute."""
    raw = key_from_request(request)
    if raw is None:
        if required:
            raise Open311Error(403, "api_key is required: send it as a parameter or as Authorization: Bearer")
        return None
    key = ApiKey.objects.filter(key_hash=digest(raw), active=True).first()
    if key is None:
        raise Open311Error(403, "api_key is not valid or has been switched off")
    take(key)
    return key


def require_key(request: Any) -> ApiKey:
    """`access_key` for calls that need a key."""
    key = access_key(request, required=True)
    assert key is not None  # access_key raises 403 when a required key is missing
    return key


def take(key: ApiKey, now: dt.datetime | None = None) -> None:
    """Count one request in the key's current window, or raise 429 with Retry-After."""
    now = now or clock.now()
    start = now.replace(second=0, microsecond=0)
    for _ in range(3):  # a lost race to open the window is retried
        counted = ApiKey.objects.filter(
            pk=key.pk, window_start=start, window_count__lt=F("rate_limit")
        ).update(window_count=F("window_count") + 1, last_used_at=now)
        if counted:
            return
        opened = (
            ApiKey.objects.filter(pk=key.pk, rate_limit__gt=0)
            .exclude(window_start=start)
            .update(window_start=start, window_count=1, last_used_at=now)
        )
        if opened:
            return
        if not ApiKey.objects.filter(pk=key.pk, window_start=start).exists() and key.rate_limit > 0:
            continue
        break
    retry = max(1, math.ceil((start + WINDOW - now).total_seconds()))
    raise Open311Error(
        429,
        f"rate limit of {key.rate_limit} requests per minute reached for this api_key; retry in {retry} s",
        headers={"Retry-After": str(retry)},
    )
