"""JSON answers, encoded once.

``json_response`` encodes an answer as ``jsonify`` does (keys sorted, ASCII, compact) with
pydantic_core's serialiser; a page's rows come already encoded (``portal.row_json``: the route used
to write the page with ``DataFrame.to_json``, parse it back and encode it again; then it built a
dict per row for the serialiser) and go in as they are.
"""

from __future__ import annotations

import json

from flask import Response, current_app
from pydantic_core import to_json

from portal.row_json import Encoded


def json_response(payload: dict) -> Response:
    """``payload`` as ``jsonify`` answers it: keys sorted, non-ASCII escaped, compact (indented in
    debug mode), one trailing newline. The keys of dicts inside lists are taken as they come
    (``json_rows`` sorts them). Only the text of a float may differ (1e-05 is written 0.00001):
    the same number."""
    return encoded_response(json_bytes(payload))


def json_bytes(payload: dict) -> bytes:
    """The body ``json_response`` answers for ``payload`` (to keep, and answer again with
    ``encoded_response``). Top-level ``Encoded`` values go in as they are."""
    if current_app.debug:  # indented, as jsonify in debug mode
        plain = {key: json.loads(v) if isinstance(v, Encoded) else v for key, v in payload.items()}
        return (
            to_json(_sorted(plain), indent=2, ensure_ascii=True, inf_nan_mode="constants") + b"\n"
        )
    if not any(isinstance(value, Encoded) for value in payload.values()):
        return _encoded(_sorted(payload)) + b"\n"  # one call
    members = [
        to_json(key, ensure_ascii=True)
        + b":"
        + (value if isinstance(value, Encoded) else _encoded(_sorted(value)))
        for key, value in sorted(payload.items())
    ]
    return b"{" + b",".join(members) + b"}\n"


def _encoded(value) -> bytes:
    return to_json(value, ensure_ascii=True, inf_nan_mode="constants")


def encoded_response(body: bytes) -> Response:
    """A JSON answer whose body is already encoded."""
    return current_app.response_class(body, mimetype="application/json")


def _sorted(value):
    """Dicts with their keys sorted, through nested dicts. Lists are taken as they come: many
    rows, whose keys ``json_rows`` sorts (and an explanation's items are built sorted)."""
    if isinstance(value, Encoded):  # would be written as a string: only top-level values are
        raise TypeError("an Encoded value below the top level of an answer")
    if isinstance(value, dict):  # only dicts are walked: ~5 calls for a prediction's ~60 values
        return {
            key: _sorted(item) if isinstance(item, dict | Encoded) else item
            for key, item in sorted(value.items())
        }
    return value
