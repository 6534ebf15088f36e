"""The OpenAPI document says what the error contract is: every operation answers its
errors as RFC 9457 problems (``application/problem+json``), so each declares a ``422`` with
the validation errors and a ``default`` response for any other status; except under the
prefixes of protocols with error bodies of their own (the OSV API's ``{code, message}``,
TAXII 2.1's error messages),
which declare those.

FastAPI documents a ``422`` as ``application/json`` with its own ``HTTPValidationError``
shape, which is not what the problem handlers send; a fuzzer checking responses against
the schema (``tests/functional/test_fuzz_openapi.py``) would rightly call that a lie."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from clearinghouse.api.problems import PROBLEM_JSON

OSV_ERROR_SCHEMA: dict[str, Any] = {
    "title": "OsvError",
    "description": "An OSV API error, as OSV.dev answers it (a gRPC status code and a message)",
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
}

TAXII_ERROR_SCHEMA: dict[str, Any] = {
    "title": "TaxiiError",
    "description": "A TAXII 2.1 error message (section 3.6.1)",
    "type": "object",
    "required": ["title"],
    "properties": {
        "title": {"type": "string"},
        "description": {"type": "string"},
        "error_id": {"type": "string"},
        "error_code": {"type": "string"},
        "http_status": {"type": "string"},
        "external_details": {"type": "string"},
        "details": {"type": "object"},
    },
}

# prefix -> (media type, component name, schema) of the errors of a protocol of its own
PROTOCOL_ERRORS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "/osv/": ("application/json", "OsvError", OSV_ERROR_SCHEMA),
    "/taxii2": ("application/taxii+json;version=2.1", "TaxiiError", TAXII_ERROR_SCHEMA),
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, with the platform's `code` and extensions",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                    "type": {"type": ["string", "null"]},
                },
            },
        },
    },
    "additionalProperties": True,
}


def _error(description: str, media_type: str, component: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{component}"}
    return {"description": description, "content": {media_type: {"schema": ref}}}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite every operation's error responses as its prefix answers them (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for path, item in schema.get("paths", {}).items():
        media_type, component = PROBLEM_JSON, "Problem"
        for prefix, (own_type, own_component, own_schema) in PROTOCOL_ERRORS.items():
            if path.startswith(prefix):
                media_type, component = own_type, own_component
                components[own_component] = own_schema
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses["422"] = _error("The input is not valid", media_type, component)
            responses.setdefault("default", _error("Any other error", media_type, component))
    # FastAPI's own validation shapes, where no route refers to them any more.
    text = json.dumps(schema)
    if "#/components/schemas/HTTPValidationError" not in text:
        components.pop("HTTPValidationError", None)
        if "#/components/schemas/ValidationError" not in json.dumps(schema):
            components.pop("ValidationError", None)
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
