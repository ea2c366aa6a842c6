"""The row endpoints' JSON: rows built from a page's columns, encoded as jsonify encodes them."""

import json

import flask
import numpy as np
import pandas as pd
import pytest

from portal.api.encoding import json_bytes, json_response
from portal.row_json import Encoded, json_rows


@pytest.fixture
def page() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "score": [0.1 + 0.2, np.nan, np.inf, -np.inf, 1234.5678901234567],
            "rank": np.array([3, 1, 2, 5, 4], dtype=np.int64),
            "customer_id": pd.Series(["007", "é", None, "x", ""], dtype="str"),
            "group": pd.Series(["a", None, np.nan, "b", "c"], dtype=object),
            "flag": [True, False, True, False, True],
            "share": np.array([0.5, np.nan, 0.25, 1.0, 0.0], dtype=np.float32),
        }
    )


# the rows of ``page`` as jsonify would write them, built by hand
PAGE_ROWS = [
    {
        "customer_id": "007",
        "flag": True,
        "group": "a",
        "rank": 3,
        "score": 0.30000000000000004,  # not rounded to 10 decimals as to_json wrote it
        "share": 0.5,
    },
    {"customer_id": "é", "flag": False, "group": None, "rank": 1, "score": None, "share": None},
    {"customer_id": None, "flag": True, "group": None, "rank": 2, "score": None, "share": 0.25},
    {"customer_id": "x", "flag": False, "group": "b", "rank": 5, "score": None, "share": 1.0},
    {
        "customer_id": "",
        "flag": True,
        "group": "c",
        "rank": 4,
        "score": 1234.5678901234567,
        "share": 0.0,
    },
]


def test_rows_carry_the_stored_values_with_null_for_missing(page):
    rows = json.loads(json_rows(page))
    assert rows == PAGE_ROWS
    assert [list(row) for row in rows] == [sorted(page.columns)] * 5  # as jsonify orders keys
    assert [type(row["rank"]) for row in rows] == [int] * 5  # written as integers
    assert [type(row["flag"]) for row in rows] == [bool] * 5


def test_only_the_named_columns_in_a_page_taken_out_of_a_larger_frame(page):
    rows = json.loads(json_rows(page.iloc[[4, 0]], ["rank", "customer_id"]))
    assert rows == [{"customer_id": "", "rank": 4}, {"customer_id": "007", "rank": 3}]


def test_other_column_types_as_to_json_writes_them():
    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(["2020-01-01", None]),
            "kind": pd.Categorical(["u", None]),
            "count": pd.array([1, None], dtype="Int64"),
            "mixed": pd.Series([1.5, "a"], dtype=object),
        }
    )
    assert json.loads(json_rows(frame)) == [
        {"count": 1, "day": 1577836800000, "kind": "u", "mixed": 1.5},
        {"count": None, "day": None, "kind": None, "mixed": "a"},
    ]


def test_an_empty_page_has_no_rows(page):
    assert json_rows(page.iloc[:0]) == b"[]"


@pytest.mark.parametrize("debug", [False, True])
def test_the_response_is_the_text_jsonify_gives(page, debug):
    app = flask.Flask(__name__)
    app.debug = debug
    payload = {"total": 5, "name": "Zoë", "summary": {"b": 2.5, "a": None}}
    with app.app_context():
        ours = json_response({**payload, "rows": json_rows(page)})
        theirs = flask.jsonify({**payload, "rows": PAGE_ROWS})
    assert ours.mimetype == theirs.mimetype == "application/json"
    if not debug:
        assert ours.get_data() == theirs.get_data()
    assert json.loads(ours.get_data()) == json.loads(theirs.get_data())
    assert ours.get_data().endswith(b"}\n") and ours.get_data().isascii()


def test_a_float_may_be_written_otherwise_but_is_the_same_number():
    app = flask.Flask(__name__)
    with app.app_context():
        body = json_response({"small": 1e-05, "large": 1e16, "p": 0.1}).get_data()
    assert json.loads(body) == {"large": 1e16, "p": 0.1, "small": 1e-05}


def test_text_that_looks_like_json_or_a_format_stays_text():
    frame = pd.DataFrame(
        {
            "50% share": [0.5, 1.0],
            "note": ['a","b', "%s, %d \\ \u2028 \x00"],
            "tags": pd.Series(["[1,2]", None], dtype=object),
        }
    )
    assert json.loads(json_rows(frame)) == [
        {"50% share": 0.5, "note": 'a","b', "tags": "[1,2]"},
        {"50% share": 1.0, "note": "%s, %d \\ \u2028 \x00", "tags": None},
    ]


def test_strings_with_quotes_commas_and_backslashes_come_back_whole():
    tricky = ["", '"', '","', "\\", '\\","\\', "a\\", '"x"', ",", "é\U0001f600", "[]{}:"]
    frame = pd.DataFrame({"id": tricky, "n": range(len(tricky))})
    assert json.loads(json_rows(frame)) == [{"id": t, "n": i} for i, t in enumerate(tricky)]


def test_encoded_rows_go_in_only_at_the_top_level(page):
    with flask.Flask(__name__).app_context():
        body = json_bytes({"rows": json_rows(page), "n": 5})
        assert json.loads(body) == {"n": 5, "rows": PAGE_ROWS}
        with pytest.raises(TypeError):  # below it, bytes would be written as a string
            json_bytes({"page": {"rows": Encoded(b"[]")}})
