"""JSON answers of the row endpoints, encoded once.

``json_rows`` encodes a page's rows straight from its columns, a column at a time, into JSON text
that the answer takes as it is (the route used to write the page with ``DataFrame.to_json``, parse
it back and encode it again; then it built a dict per row for the serialiser).
``json_response`` encodes an answer as ``jsonify`` does (keys sorted, ASCII, compact) with
pydantic_core's serialiser, which writes a page's floats ~4x faster than ``json.dumps``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
from flask import Response, current_app
from pydantic_core import to_json


class Encoded(bytes):
    """JSON text already encoded (``json_rows``): ``json_bytes`` places it in an answer as is."""


def json_rows(frame: pd.DataFrame | Mapping, columns: list[str] | None = None) -> Encoded:
    """The rows of ``frame[columns]`` (all columns by default; ``frame`` may also map names to
    numpy, pandas or Arrow arrays of one length) as a JSON array of objects, keys in sorted order
    as jsonify sorts them: numbers as stored (NaN and ±inf -> null), strings (missing -> null); a
    column of any other type (dates, categories...) as ``DataFrame.to_json`` writes it. Encoded
    column by column: no dict per row."""
    names = sorted(frame if columns is None else columns)
    values = [_column(frame[name]) for name in names]
    keys = [to_json(name, ensure_ascii=True).replace(b"%", b"%%") for name in names]
    row = b"{" + b",".join(key + b":%s" for key in keys) + b"}"
    return Encoded(b"[" + b",".join([row % items for items in zip(*values)]) + b"]")


def _column(values) -> list[bytes]:
    """Each value of a column as JSON text."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            return _each(values.to_pylist())  # missing -> None
        values = values.to_pandas()
    if not isinstance(values, np.ndarray):
        values = _numbers(pd.Series(values, copy=False))
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        if len(values) == 0:
            return []
        return to_json(values.tolist(), inf_nan_mode="null")[1:-1].split(b",")  # no commas inside
    values = pd.Series(values, copy=False)
    if pd.api.types.is_string_dtype(values.dtype):
        array = values.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(array, skipna=True) in ("string", "empty"):
            return _each(_nulls(array.tolist(), pd.isna(array)))
    return _each(json.loads(values.to_json(orient="values")))


def _each(items: list) -> list[bytes]:
    if items and None not in items and all(type(item) is str for item in items):
        # one call: in the array's text a quote inside a string is escaped, so '","' is only
        # ever the boundary between two strings
        return [b'"%s"' % text for text in to_json(items, ensure_ascii=True)[2:-2].split(b'","')]
    return [to_json(item, ensure_ascii=True, inf_nan_mode="null") for item in items]


def _numbers(values: pd.Series) -> pd.Series | np.ndarray:
    """A column of numbers as a numpy array (floats with NaN for missing values), else itself."""
    kind = getattr(values.dtype, "kind", "O")
    if kind == "f":
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    if kind in "iub":
        array = values.to_numpy()
        if array.dtype.kind in "iub":  # else a nullable integer column holding nulls
            return array
    return values


def _nulls(items: list, missing: np.ndarray) -> list:
    if missing.any():
        for position in np.flatnonzero(missing).tolist():
            items[position] = None
    return items


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
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    return value
