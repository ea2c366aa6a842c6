"""Refuse malformed Dash callback requests with 400 before Dash reads them (it would raise)."""

from __future__ import annotations

from dash import Output
from dash._validate import validate_output_spec
from dash.exceptions import CallbackException
from flask import Response, request

DASH_CALLBACK_PATH = "/_dash-update-component"
ARGUMENTS = ("inputs", "state")


def _items(value) -> list:
    """A request's item and, for a pattern-matching one, its list of items."""
    return value if isinstance(value, list) else [value]


def _well_formed_item(item) -> bool:
    return all(
        isinstance(part, dict) and "id" in part and isinstance(part.get("property"), str)
        for part in _items(item)
    )


def _well_formed_output(declared: Output, given) -> bool:
    """An output spec as Dash expects it: one item, or a list for a pattern-matching id."""
    pattern = isinstance(declared.component_id, dict)
    return (pattern or isinstance(given, dict)) and _well_formed_item(given)


def callback_body_problem(body, callback_map: dict) -> str | None:
    """What is wrong with a callback request body, or None when Dash can dispatch it: a JSON
    object naming a known output, with the callback's outputs and as many inputs and states as
    it declares."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "the body must name a known callback output"
    entry = callback_map[output]
    for name in ARGUMENTS:
        given = body.get(name, [])
        if not isinstance(given, list) or len(given) != len(entry[name]):
            return f"{name} must be a list of {len(entry[name])}"
        if not all(_well_formed_item(item) for item in given):
            return f"each of {name} must name an id and a property"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(p, str) for p in changed):
        return "changedPropIds must be a list of strings"
    if entry["no_output"]:
        return None
    declared, outputs = entry["output"], body.get("outputs")
    if isinstance(declared, list) and not isinstance(outputs, list):
        return "outputs must be a list"
    pairs = (
        zip(declared, outputs, strict=False)
        if isinstance(declared, list)
        else [(declared, outputs)]
    )
    if not all(_well_formed_output(spec, given) for spec, given in pairs):
        return "outputs must name each output's id and property"
    try:
        validate_output_spec(declared, outputs, Output)
    except CallbackException:
        return "outputs must be the callback's own"
    return None


def refuse_malformed_callback(callback_map: dict) -> Response | None:
    """A 400 for a callback request Dash cannot dispatch; None lets it through."""
    problem = callback_body_problem(request.get_json(silent=True), callback_map)
    if problem is None:
        return None
    return Response(f"Malformed callback request: {problem}.", 400, mimetype="text/plain")
