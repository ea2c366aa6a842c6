"""The OpenAPI 3.1 document of /api, generated from the endpoint declarations."""

from __future__ import annotations

import functools
from http import HTTPStatus

from pydantic import TypeAdapter

from portal.api.declare import ENDPOINTS, REF, ApiSchema, Endpoint, field_schemas

INFO = {
    "title": "clv-portal API",
    "version": "1.0.0",
    "description": "Predicted 6-month customer lifetime value and its quality.",
}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "CLV_API_TOKEN, when the server sets one (else the API is open)",
}


@functools.cache
def openapi_document() -> dict:
    """The whole document (the routes are declared at import, so it is built once)."""
    adapters = {
        (index, key): TypeAdapter(kind)
        for index, spec in enumerate(ENDPOINTS)
        for key, kind in [*spec.answers().items(), ("body", spec.body)]
        if kind is not None
    }
    schemas, definitions = TypeAdapter.json_schemas(
        [(key, "validation", adapter) for key, adapter in adapters.items()],
        ref_template=REF,
        schema_generator=ApiSchema,
    )
    paths: dict[str, dict] = {}
    for index, spec in enumerate(ENDPOINTS):
        operation = _operation(spec, lambda key, i=index: schemas[((i, key), "validation")])
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearerToken": BEARER},
        },
        "security": [{"bearerToken": []}],
    }


def _operation(spec: Endpoint, schema_of) -> dict:
    """One path's method: its parameters, body, answers and security."""
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in spec.path_parameters
    ] + _query_parameters(spec)
    operation = {
        "summary": spec.summary,
        "responses": {
            str(status): {
                "description": HTTPStatus(status).phrase,
                "content": {"application/json": {"schema": schema_of(status)}},
            }
            for status in spec.answers()
        },
    }
    if parameters:
        operation["parameters"] = parameters
    if spec.query:  # gunicorn refuses a request line over 4,094 bytes before the app sees it
        operation["responses"]["414"] = {"description": "URI Too Long (the server's HTML page)"}
    if spec.body:
        content = {"application/json": {"schema": schema_of("body")}}
        operation["requestBody"] = {"required": True, "content": content}
    if spec.public:
        operation["security"] = []
    return operation


def _query_parameters(spec: Endpoint) -> list[dict]:
    if spec.query is None:
        return []
    fields = spec.query.model_fields
    return [
        {
            "name": name,
            "in": "query",
            "required": fields[name].is_required(),
            "description": schema.get("description", ""),
            "schema": {k: v for k, v in schema.items() if k != "description"},
        }
        for name, schema in field_schemas(spec.query).items()
    ]
