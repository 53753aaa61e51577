"""The two wire formats of GeoReport v2 and its error bodies.

XML: UTF-8 with the XML declaration; a list is its element with one child per item (a single item still
inside its list element); None is an empty element; booleans are `true`/`false`. JSON: lists are arrays,
UTF-8 unescaped (Chinese passes through as is). Datetimes are W3C with the +08:00 offset of Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET  # noqa: S405 — we only build XML here, never parse input
from typing import Any

from django.http import HttpResponse

from zhizhi.core.clock import SHANGHAI

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# The element name of one item of each list, as the spec writes them.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


def w3c(moment: dt.datetime | None) -> str | None:
    """2026-11-27T10:00:00+08:00 (seconds, Shanghai offset) or None."""
    if moment is None:
        return None
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return w3c(value)
    return str(value)


def _fill(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(element, key, item)
    elif isinstance(value, list | tuple):
        child = ITEM_NAMES.get(name, "item")
        for item in value:
            _fill(element, child, item)
    else:
        element.text = _text(value)


def to_xml(root: str, body: Any) -> str:
    """A document whose root is `root`: a list (items named by ITEM_NAMES) or an object."""
    element = ET.Element(root)
    if isinstance(body, list):
        child = ITEM_NAMES[root]
        for item in body:
            _fill(element, child, item)
    else:
        for key, value in body.items():
            _fill(element, key, value)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return w3c(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def render(fmt: str, root: str, body: Any, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    """The response in `fmt` ("xml" or "json"); `root` names the XML root element."""
    if fmt == "json":
        content = json.dumps(_jsonable(body), ensure_ascii=False, separators=(",", ":"))
    else:
        content = to_xml(root, body)
    response = HttpResponse(content.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error(fmt: str, status: int, description: str, *, headers: dict | None = None) -> HttpResponse:
    """The spec's error body: errors/error/{code, description}, the code being the HTTP status."""
    return render(
        fmt, "errors", [{"code": status, "description": description}], status=status, headers=headers
    )
