"""Refuse malformed Dash callback requests with 400 before Dash reads them (it would raise)."""

from __future__ import annotations

from flask import Response, request

LIST_FIELDS = ("inputs", "state", "changedPropIds")


def callback_body_problem(body, callback_map: dict) -> str | None:
    """What is wrong with a callback request body, or None when Dash can dispatch it."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "the body must name a known callback output"
    wrong = [name for name in LIST_FIELDS if not isinstance(body.get(name, []), list)]
    if not isinstance(body.get("outputs", []), (list, dict)):
        wrong.append("outputs")
    if wrong:
        return f"{', '.join(wrong)} must be lists"
    return None


def refuse_malformed_callback(callback_map: dict) -> Response | None:
    """A 400 for a callback request Dash cannot dispatch; None lets it through."""
    problem = callback_body_problem(request.get_json(silent=True), callback_map)
    if problem is None:
        return None
    return Response(f"Malformed callback request: {problem}.", 400, mimetype="text/plain")
