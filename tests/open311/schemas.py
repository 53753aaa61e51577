"""JSON Schemas of every Open311 answer, written from the GeoReport v2 pages (and the extensions Zhizhi
serves: pagination, extensions=true, mySociety servicerequestupdates). Strict where the spec is: no field
outside the spec's list (additionalProperties false), datetimes W3C with the +08:00 offset."""

from __future__ import annotations

import jsonschema

DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$"}
OPT_DATETIME = {"anyOf": [DATETIME, {"type": "null"}]}
OPT_STRING = {"type": ["string", "null"]}
STRING = {"type": "string"}
ID = {"type": "string", "minLength": 1}

DISCOVERY = {
    "type": "object",
    "required": ["changeset", "contact", "key_service", "endpoints"],
    "additionalProperties": False,
    "properties": {
        "changeset": DATETIME,
        "contact": STRING,
        "key_service": STRING,
        "endpoints": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["specification", "url", "changeset", "type", "formats"],
                "additionalProperties": False,
                "properties": {
                    "specification": {"const": "http://wiki.open311.org/GeoReport_v2"},
                    "url": {"type": "string", "pattern": "^https?://"},
                    "changeset": DATETIME,
                    "type": {"enum": ["production", "test"]},
                    "formats": {
                        "type": "array",
                        "items": {"enum": ["text/xml", "application/json"]},
                        "contains": {"const": "text/xml"},
                    },
                },
            },
        },
    },
}

SERVICES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "additionalProperties": False,
        "properties": {
            "service_code": ID,
            "service_name": STRING,
            "description": OPT_STRING,
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
            "keywords": OPT_STRING,
            "group": OPT_STRING,
        },
    },
}

VALUE = {
    "type": "object",
    "required": ["key", "name"],
    "additionalProperties": False,
    "properties": {"key": STRING, "name": STRING},
}

SERVICE_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "additionalProperties": False,
    "properties": {
        "service_code": ID,
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "variable",
                    "code",
                    "datatype",
                    "required",
                    "datatype_description",
                    "order",
                    "description",
                ],
                "additionalProperties": False,
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": ID,
                    "datatype": {
                        "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
                    },
                    "required": {"type": "boolean"},
                    "datatype_description": OPT_STRING,
                    "order": {"type": "integer", "minimum": 1},
                    "description": STRING,
                    "values": {"type": "array", "items": VALUE},
                },
                "if": {"properties": {"datatype": {"enum": ["singlevaluelist", "multivaluelist"]}}},
                "then": {"required": ["values"], "properties": {"values": {"minItems": 1}}},
            },
        },
    },
}

POST_RESPONSE = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {
        "type": "object",
        "required": ["service_notice", "account_id"],
        "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
        "additionalProperties": False,
        "properties": {
            "service_request_id": ID,
            "token": ID,
            "service_notice": OPT_STRING,
            "account_id": OPT_STRING,
        },
    },
}

TOKEN_RESPONSE = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_request_id", "token"],
        "additionalProperties": False,
        "properties": {"service_request_id": {"type": ["string", "null"]}, "token": ID},
    },
}

NOTE = {
    "type": "object",
    "required": ["datetime", "type", "summary", "description"],
    "additionalProperties": False,
    "properties": {
        "datetime": DATETIME,
        "type": {"enum": ["status", "comment"]},
        "status": STRING,
        "summary": STRING,
        "description": STRING,
    },
}

REQUEST_FIELDS = {
    "service_request_id": ID,
    "status": {"enum": ["open", "closed"]},
    "status_notes": OPT_STRING,
    "service_name": STRING,
    "service_code": ID,
    "description": OPT_STRING,
    "agency_responsible": OPT_STRING,
    "service_notice": OPT_STRING,
    "requested_datetime": DATETIME,
    "updated_datetime": OPT_DATETIME,
    "expected_datetime": OPT_DATETIME,
    "address": OPT_STRING,
    "address_id": OPT_STRING,
    "zipcode": OPT_STRING,
    "lat": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
    "long": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
    "media_url": {"anyOf": [{"type": "string", "pattern": "^https?://"}, {"type": "null"}]},
}
EXTENSION_FIELDS = {
    "attributes": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["code", "description", "value"],
            "additionalProperties": False,
            "properties": {"code": ID, "description": STRING, "value": STRING},
        },
    },
    "notes": {"type": "array", "items": NOTE},
    "extended_attributes": {
        "type": "object",
        "required": ["case_number", "channel", "extended_status", "area_code"],
        "additionalProperties": False,
        "properties": {
            "case_number": STRING,
            "channel": STRING,
            "extended_status": STRING,
            "area_code": STRING,
        },
    },
}

REQUESTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": list(REQUEST_FIELDS),
        "additionalProperties": False,
        "properties": REQUEST_FIELDS,
    },
}

REQUESTS_EXTENDED = {
    "type": "array",
    "items": {
        "type": "object",
        "required": list(REQUEST_FIELDS) + list(EXTENSION_FIELDS),
        "additionalProperties": False,
        "properties": REQUEST_FIELDS | EXTENSION_FIELDS,
    },
}

EXTENDED_STATUS = {
    "enum": [
        "OPEN",
        "INVESTIGATING",
        "IN_PROGRESS",
        "ACTION_SCHEDULED",
        "FIXED",
        "CLOSED",
        "DUPLICATE",
        "NOT_COUNCILS_RESPONSIBILITY",
        "NO_FURTHER_ACTION",
        "INTERNAL_REFERRAL",
        "REOPEN",
    ]
}

UPDATES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": [
            "update_id",
            "service_request_id",
            "status",
            "updated_datetime",
            "description",
            "media_url",
        ],
        "additionalProperties": False,
        "properties": {
            "update_id": ID,
            "service_request_id": ID,
            "status": EXTENDED_STATUS,
            "updated_datetime": DATETIME,
            "description": STRING,
            "media_url": {"anyOf": [{"type": "string", "pattern": "^https?://"}, {"type": "null"}]},
        },
    },
}

POST_UPDATE_RESPONSE = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {
        "type": "object",
        "required": ["update_id"],
        "additionalProperties": False,
        "properties": {"update_id": ID},
    },
}

ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "additionalProperties": False,
        "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
    },
}


def check(instance, schema) -> None:
    jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)


def check_error(response, status: int, *words: str) -> str:
    """The response is the spec's JSON error body with this status; returns the description."""
    import json

    assert response.status_code == status, response.content
    body = json.loads(response.content.decode("utf-8"))
    check(body, ERRORS)
    assert body[0]["code"] == status
    for word in words:
        assert word in body[0]["description"], body[0]["description"]
    return body[0]["description"]
