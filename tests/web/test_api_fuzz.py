"""Every operation of the JSON API, fed malformed input, answers 4xx — never a 500.

Driven by the API's own OpenAPI schema, so a new endpoint is covered the day it is added: raw bodies that are
not objects, a valid-looking body with each field in turn replaced by a value of the wrong kind or out of any
column's range, query parameters likewise, ids out of range, and uploads that are not multipart. Run on both
databases in CI (PostgreSQL refuses more than SQLite: NUL characters, numbers beyond a column)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.cases.test_api import body as case_body

BAD_VALUES = [None, 2**70, -1, "x" * 20_000, "a\x00b", [], {}, "2026-13-45", True]
BAD_QUERY = ["-1", "99999999999999999999999", "abc", "%00", "x" * 2000]
RAW_BODIES = ["", "not json", "[]", "null", '"text"', '{"x": NaN}', "{" * 500]


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    if len(schema.get("allOf", [])) == 1:
        return _resolve(schema["allOf"][0], components)
    return schema


def sample(schema: dict, components: dict, depth: int = 0):
    """A plausible value of `schema` (the first choice of every union)."""
    schema = _resolve(schema, components)
    if "anyOf" in schema:
        return sample(schema["anyOf"][0], components, depth)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {}) if depth < 3 else {}
        return {k: sample(v, components, depth + 1) for k, v in props.items()}
    if kind == "array":
        return [sample(schema.get("items", {}), components, depth + 1)] if depth < 3 else []
    return {"integer": 1, "number": 30.27, "boolean": True}.get(
        kind,
        {"date-time": "2026-11-28T10:00:00+08:00", "date": "2026-11-28"}.get(schema.get("format"), "测试"),
    )


def requests_for(path: str, method: str, op: dict, components: dict, case_id: int):
    """(path, content, content_type, expected) of malformed requests for one operation; `expected` is the
    status that must answer (None: any but a 500)."""
    params = op.get("parameters", [])
    path_values = {
        p["name"]: str(case_id) if p["name"] == "case_id" else ("x" if "code" in p["name"] else "1")
        for p in params
        if p["in"] == "path"
    }

    def fill(**values: str) -> str:
        out = path
        for name, value in {**path_values, **values}.items():
            out = out.replace("{" + name + "}", value)
        return out

    filled = fill()
    for p in params:
        if p["in"] == "path":  # one parameter out of range (an id) or holding a NUL (a code), the rest good
            if p["name"].endswith("_id"):
                yield fill(**{p["name"]: "99999999999999999999999"}), "{}", "application/json", 400
            else:
                yield fill(**{p["name"]: "a%00b"}), "{}", "application/json", 404
        if p["in"] == "query":
            for value in BAD_QUERY:
                yield f"{filled}?{p['name']}={value}", None, None, None
    request_body = op.get("requestBody")
    if not request_body:
        yield filled, None, None, None
        return
    content_type = next(iter(request_body["content"]))
    if content_type != "application/json":
        yield filled, "garbage", content_type, 400
        yield filled, "garbage", "multipart/form-data; boundary=xyz", None
        return
    for raw in RAW_BODIES:
        yield filled, raw, content_type, None
    good = sample(request_body["content"][content_type]["schema"], components)
    yield filled, json.dumps(good, ensure_ascii=False), content_type, None
    if isinstance(good, dict):
        for field in good:
            for value in BAD_VALUES:
                yield filled, json.dumps({**good, field: value}, ensure_ascii=False), content_type, None


@pytest.mark.parametrize("persona", ["admin", "chen", "zhang"])
def test_no_operation_answers_malformed_input_with_a_500(personas, persona):
    client = Client(raise_request_exception=False)
    client.force_login(personas[persona])
    reporter = Client()
    reporter.force_login(personas["zhang"])
    case_id = reporter.post("/api/cases/", case_body(), content_type="application/json").json()["case"]["id"]
    spec = client.get("/api/openapi.json").json()
    components = spec.get("components", {}).get("schemas", {})
    failures, sent = [], 0
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for url, content, content_type, expected in requests_for(path, method, op, components, case_id):
                send_body = content is not None and method != "get"
                kwargs = {"data": content, "content_type": content_type} if send_body else {}
                response = getattr(client, method)(url, **kwargs)
                sent += 1
                if response.status_code >= 500 or expected not in (None, response.status_code):
                    failures.append(
                        f"{method.upper()} {url[:120]} {str(content)[:120]!r} → {response.status_code}, expected {expected or 'no 500'}"
                    )
    assert sent > 1000
    assert not failures, "\n".join(failures[:40])
