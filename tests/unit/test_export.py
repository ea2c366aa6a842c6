"""CSV exports neutralise spreadsheet formulas and keep ids as text."""

import csv
import io

import pandas as pd

from portal.export import csv_text, spreadsheet_safe

RISKY = ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"]


def test_formula_cells_are_neutralised():
    frame = pd.DataFrame(
        {
            "customer_id": [*RISKY, "00042", "a=b"],
            "value": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )
    safe = spreadsheet_safe(frame)
    assert safe["customer_id"].tolist() == ["'" + v for v in RISKY] + ["00042", "a=b"]
    assert safe["value"].tolist() == frame["value"].tolist()  # numbers stay numbers
    assert frame["customer_id"].iloc[0] == "=1+1"  # the input is not modified


def test_a_cell_with_a_carriage_return_stays_one_cell():
    frame = pd.DataFrame({"customer_id": ["\rx", "a\rb", "c\nd", "00042"], "value": [1, 2, 3, 4]})
    rows = list(csv.reader(io.StringIO(csv_text(frame), newline="")))
    assert rows[0] == ["customer_id", "value"]
    assert rows[1:] == [["'\rx", "1"], ["a\rb", "2"], ["c\nd", "3"], ["00042", "4"]]
