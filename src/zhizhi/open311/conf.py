"""Open311 settings, read from Django settings first and the environment second (DESIGN.md §5).

ZHIZHI_OPEN311_JURISDICTIONS   several jurisdictions served by one install, as `id=area code` pairs,
                               comma-separated (e.g. `wulin.hz=330105013,hubin.hz=330106001`). Then every call
                               must name its jurisdiction_id and sees only cases inside that area.
ZHIZHI_OPEN311_JURISDICTION    the id of the single jurisdiction when the list above is empty (default
                               `zhizhi`); jurisdiction_id is then optional and the whole deployment is served.
ZHIZHI_OPEN311_PRIVATE_CATEGORIES  category codes never offered as services nor shown publicly
                               (default: S02001 独居老人告警, S02002 困难群众求助 — about vulnerable people).
ZHIZHI_OPEN311_PRIVATE_CHANNELS    intake channels whose cases are never shown publicly (default: sensor).
ZHIZHI_OPEN311_CONTACT / ZHIZHI_OPEN311_KEY_SERVICE   discovery's contact and key_service texts.
ZHIZHI_OPEN311_ENDPOINT_TYPE   discovery's endpoint type: production (default) or test.
ZHIZHI_DEMO_OPEN311_KEY        the demo client's key (default `demo-key`), created by ensure_demo_key().
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-27T00:00:00+08:00"  # when this adapter's behaviour last changed (discovery's changeset)


def _setting(name: str, env: str, default: Any) -> Any:
    value = getattr(settings, name, None)
    if value is not None:
        return value
    return os.environ.get(env, default)


def _codes(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        value = value.split(",")
    return frozenset(str(v).strip() for v in value or () if str(v).strip())


@dataclass(frozen=True)
class Jurisdiction:
    """One jurisdiction served: its public id and the area code prefix it covers ("" = everywhere)."""

    id: str
    area_code: str


def jurisdictions() -> list[Jurisdiction]:
    raw = _setting("OPEN311_JURISDICTIONS", "ZHIZHI_OPEN311_JURISDICTIONS", "")
    pairs = (
        raw.items() if isinstance(raw, dict) else (p.split("=", 1) for p in str(raw).split(",") if "=" in p)
    )
    found = [Jurisdiction(str(k).strip(), str(v).strip()) for k, v in pairs if str(k).strip()]
    if found:
        return found
    return [Jurisdiction(str(_setting("OPEN311_JURISDICTION", "ZHIZHI_OPEN311_JURISDICTION", "zhizhi")), "")]


def private_categories() -> frozenset[str]:
    return _codes(
        _setting("OPEN311_PRIVATE_CATEGORIES", "ZHIZHI_OPEN311_PRIVATE_CATEGORIES", "S02001,S02002")
    )


def private_channels() -> frozenset[str]:
    return _codes(_setting("OPEN311_PRIVATE_CHANNELS", "ZHIZHI_OPEN311_PRIVATE_CHANNELS", "sensor"))


def contact() -> str:
    return str(_setting("OPEN311_CONTACT", "ZHIZHI_OPEN311_CONTACT", "请联系街道综合信息指挥室 (12345)"))


def key_service() -> str:
    return str(
        _setting(
            "OPEN311_KEY_SERVICE", "ZHIZHI_OPEN311_KEY_SERVICE", "API keys are issued by the street office"
        )
    )


def endpoint_type() -> str:
    return str(_setting("OPEN311_ENDPOINT_TYPE", "ZHIZHI_OPEN311_ENDPOINT_TYPE", "production"))


def demo_key() -> str:
    return str(_setting("DEMO_OPEN311_KEY", "ZHIZHI_DEMO_OPEN311_KEY", "demo-key"))
