"""One declaration per endpoint: its route, query and body models, answers and auth.

``@endpoint`` mounts the view on the API blueprint, parses the request with the declared pydantic
models (refusing bad input with a 4xx in the error shape) and records the declaration, from which
``portal.api.openapi`` generates the OpenAPI document.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any, get_args

from flask import Blueprint, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core.core_schema import ErrorType

from portal.api.errors import ApiError
from portal.api.schemas import Error

bp = Blueprint("api", __name__, url_prefix="/api")
ENDPOINTS: list[Endpoint] = []
REF = "#/components/schemas/{model}"
PYDANTIC_ERRORS = frozenset(get_args(ErrorType))  # any other type is a refusal of our own
NOT_A_NUMBER = {"int_parsing", "int_parsing_size", "int_from_float", "float_parsing"}
OUT_OF_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


@dataclass(frozen=True)
class Endpoint:
    """What one route takes and answers.

    Attributes:
        rule: the Flask rule under /api; each ``<name>`` is a string path parameter.
        summary: the view's docstring's first line.
        response: the type of the 200 answer (a TypedDict, or any type pydantic describes).
        errors: statuses answered in the error shape besides those the declaration implies
            (422 with a query; 400, 413, 415 and 422 with a body; 401 unless public).
        other_answers: statuses answered with another type, e.g. {503: Health}.
        query, body: pydantic models of the query parameters and of the JSON body.
        public: served without the API token (CLV_API_TOKEN).
    """

    method: str
    rule: str
    summary: str
    response: Any
    errors: tuple[int, ...] = ()
    other_answers: dict[int, Any] = field(default_factory=dict)
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    public: bool = False

    @property
    def path(self) -> str:
        """The OpenAPI path: /api + the rule with {name} for <name>."""
        return "/api" + re.sub(r"<(\w+)>", r"{\1}", self.rule)

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"<(\w+)>", self.rule)

    def answers(self) -> dict[int, Any]:
        """Status -> the type of its body."""
        implied = set(self.errors)
        if self.query:
            implied.add(422)
        if self.body:
            implied |= {400, 413, 415, 422}
        if not self.public:
            implied.add(401)
        return {200: self.response, **dict.fromkeys(sorted(implied), Error), **self.other_answers}


def endpoint(method: str, rule: str, response: Any, **declared):
    """Declare, validate and mount a view: it receives the parsed ``query`` and ``body`` models
    (those declared) besides its path parameters. ``declared``: the other Endpoint fields."""

    def mount(view):
        summary = view.__doc__.strip().splitlines()[0].rstrip(".")
        spec = Endpoint(method, rule, summary, response, **declared)
        ENDPOINTS.append(spec)

        @functools.wraps(view)
        def handle(**path):
            parsed = {}
            if spec.body:
                parsed["body"] = validated(spec.body, json_body(), "invalid_body")
            if spec.query:
                given = {k: v for k, v in request.args.items() if v != ""}  # empty = absent
                parsed["query"] = validated(spec.query, given, "invalid_parameter")
            return view(**path, **parsed)

        bp.add_url_rule(rule, view_func=handle, methods=[method])
        return view

    return mount


def json_body() -> dict:
    """The request body as a JSON object: 415 when not JSON, 400 when malformed."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        body = json.loads(request.get_data(cache=False) or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "malformed_json", "the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_body", "the body must be a JSON object")
    return body


def validated(model: type[BaseModel], data: dict, code: str) -> BaseModel:
    """``data`` as ``model``; else a 422 naming the first problem (``code`` unless it has its own)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _refusal(model, data, exc.errors()[0], code) from None


def _refusal(model: type[BaseModel], data: dict, error: dict, code: str) -> ApiError:
    """The API's answer to one pydantic error, in words taken from the field's own schema."""
    kind = error["type"]
    if kind not in PYDANTIC_ERRORS:  # raised by a validator as PydanticCustomError(code, message)
        return ApiError(422, kind, error["msg"])
    name = str(error["loc"][0]) if error["loc"] else "body"
    schema = field_schemas(model).get(name, {})
    raw = data.get(name)
    if kind in NOT_A_NUMBER:
        return ApiError(422, code, f"{name} must be a number, got {raw!r}")
    if kind == "finite_number":
        return ApiError(422, code, f"{name} must be finite")
    if kind in OUT_OF_RANGE:
        return ApiError(422, "out_of_range", f"{name} must be in {_interval(schema)}, got {raw}")
    if "enum" in schema:
        return ApiError(422, code, f"{name} must be one of {', '.join(schema['enum'])}")
    return ApiError(422, code, f"{name}: {error['msg']}")


def _interval(schema: dict) -> str:
    """[low, high] or (low, high] from a number's schema."""
    high = schema.get("maximum", "inf")
    if "minimum" in schema:
        return f"[{schema['minimum']}, {high}]"
    return f"({schema.get('exclusiveMinimum', '-inf')}, {high}]"


class ApiSchema(GenerateJsonSchema):
    """pydantic's JSON schema without a title on every field, and without a None default (a
    field left out is absent, not null)."""

    def field_title_should_be_set(self, schema) -> bool:
        return False

    def default_schema(self, schema):
        if "default" in schema and schema["default"] is None:
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)


@functools.cache
def field_schemas(model: type[BaseModel]) -> dict[str, dict]:
    """Each field's JSON schema, without a null alternative (a query parameter is never null)."""
    properties = model.model_json_schema(ref_template=REF, schema_generator=ApiSchema)
    return {name: _not_null(schema) for name, schema in properties["properties"].items()}


def _not_null(schema: dict) -> dict:
    """``schema`` with {"type": "null"} removed from an anyOf of two."""
    options = [s for s in schema.get("anyOf", ()) if s != {"type": "null"}]
    if len(options) != 1:
        return schema
    return {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
