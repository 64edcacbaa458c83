"""The OpenAPI 3.1 document, built from the operations and their pydantic schemas, and the data
the readable reference page shows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from frontdesk.api.operations import Operation

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"{(\w+)}")
PATH_PARAMS = {
    "customer": "A customer's id, or `external:<your id>`.",
    "invoice": "An invoice's id, or `external:<your id>`.",
    "estimate": "An estimate's id, or `external:<your id>`.",
    "payment": "A payment's id.",
    "service_request": "A service request's id.",
    "document": "A document's id.",
    "subscription": "A subscription's id.",
    "endpoint": "A webhook endpoint's id.",
    "delivery": "A webhook delivery's id.",
    "booking_service": "A bookable service's id.",
    "appointment": "An appointment's id.",
}
ERRORS = {
    "400": "The request is malformed.",
    "401": "No API key, or one that is not valid.",
    "404": "No such record in your business.",
    "413": "The request body is over 1 MiB.",
    "422": "The request needs fixing; `errors` names each field.",
    "429": "Too many requests with this key; see Retry-After.",
}
DESCRIPTION = """\
Keep your own system and Frontdesk in sync: customers, invoices, estimates, payments, refunds,
charges on saved payment methods, portal sessions, payment links, service requests, documents,
subscriptions and webhook endpoints.

Authenticate with a secret API key: `Authorization: Bearer sk_...`. Amounts are integers in the
currency's minor unit (cents). Times are ISO 8601 in UTC. Lists are newest first: pass a page's
`next_cursor` as `starting_after` for the next one. Every POST takes an `Idempotency-Key` header;
a retry with the same key and body returns the first response (with `Idempotent-Replayed: true`),
and the same key with another body is refused. Errors are RFC 9457 problem details. Text may hold
any character but NUL and unpaired UTF-16 surrogates, which no database stores (refused with 422).
"""


def _schemas(operations: list[Operation]) -> tuple[dict[Any, Any], dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], Any]] = []
    for op in operations:
        wanted.append((op.response, "serialization"))
        if op.body:
            wanted.append((op.body, "validation"))
    mapping, top = models_json_schema(wanted, ref_template=REF)
    return mapping, top.get("$defs", {})


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    parameters = []
    for name, prop in schema["properties"].items():
        description = prop.pop("description", "")
        prop.pop("title", None)
        parameters.append(
            {"name": name, "in": "query", "required": False, "schema": prop}
            | ({"description": description} if description else {})
        )
    return parameters


@cache
def _cached(operations: tuple[Operation, ...], server: str) -> dict[str, Any]:
    mapping, components = _schemas(list(operations))
    problem = {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "detail"],
                    "properties": {"field": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
        },
    }
    components["Problem"] = problem
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        parameters: list[dict[str, Any]] = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": 300},
                "description": PATH_PARAMS[name],
            }
            for name in _PARAM.findall(op.path)
        ]
        if op.query:
            parameters += _query_parameters(op.query)
        if op.method == "POST":
            parameters.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    # Printable, and no spaces at either end (HTTP would strip them).
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 255,
                        "pattern": r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$",
                    },
                    "description": "Retries with the same key return the first response.",
                }
            )
        responses: dict[str, Any] = {
            str(op.status): {
                "description": "Success.",
                "content": {
                    "application/json": {"schema": mapping[(op.response, "serialization")]}
                },
            }
        }
        for code, text in ERRORS.items():
            if code == "413" and not op.body:
                continue
            if code == "413" and op.upload:
                text = "The file is over 10 MB (or the whole request over 11 MiB)."
            responses[code] = {
                "description": text,
                "content": {
                    "application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}
                },
            }
        operation: dict[str, Any] = {
            "operationId": op.name,
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": parameters,
            "responses": responses,
        }
        if op.description:
            operation["description"] = op.description
        if op.body:
            media_type = "multipart/form-data" if op.upload else "application/json"
            operation["requestBody"] = {
                "required": True,
                "content": {media_type: {"schema": mapping[(op.body, "validation")]}},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Frontdesk API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": server}],
        "security": [{"secretKey": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "secretKey": {"type": "http", "scheme": "bearer", "bearerFormat": "sk_..."}
            },
        },
    }


def document(operations: list[Operation], *, server: str) -> dict[str, Any]:
    return _cached(tuple(operations), server)


@dataclass(frozen=True)
class Entry:
    method: str
    path: str
    summary: str
    description: str
    body_fields: list[tuple[str, str, bool, str]]
    status: int


def _fields(model: type[BaseModel] | None) -> list[tuple[str, str, bool, str]]:
    if model is None:
        return []
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema["properties"].items():
        kind = (
            prop.get("type")
            or " or ".join(
                str(option.get("type", option.get("$ref", "").rsplit("/", 1)[-1]))
                for option in prop.get("anyOf", [])
            )
            or prop.get("$ref", "").rsplit("/", 1)[-1]
        )
        rows.append((name, str(kind), name in required, prop.get("description", "")))
    return rows


def reference(operations: list[Operation]) -> dict[str, list[Entry]]:
    """Operations by tag, for the reference page."""
    grouped: dict[str, list[Entry]] = {}
    for op in operations:
        grouped.setdefault(op.tag, []).append(
            Entry(op.method, op.path, op.summary, op.description, _fields(op.body), op.status)
        )
    return grouped
