"""CSV exports neutralise spreadsheet formulas and keep ids as text."""

import pandas as pd

from portal.export import spreadsheet_safe


def test_formula_cells_are_neutralised():
    frame = pd.DataFrame(
        {
            "customer_id": ["=1+1", "+cmd", "-2", "@SUM(A1)", "00042", "a=b"],
            "value": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    safe = spreadsheet_safe(frame)
    assert safe["customer_id"].tolist() == ["'=1+1", "'+cmd", "'-2", "'@SUM(A1)", "00042", "a=b"]
    assert safe["value"].tolist() == frame["value"].tolist()  # numbers stay numbers
    assert frame["customer_id"].iloc[0] == "=1+1"  # the input is not modified
